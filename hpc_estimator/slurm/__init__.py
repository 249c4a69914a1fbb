"""Slurm as pure command builders and output parsers, and its job states in neutral words.

Builders turn an intention ("poll these jobs") into an argv list; a transport runs it; parsers turn
the text that came back into frozen dataclasses. Nothing here runs a process, so every parser is
tested against output recorded from a real Slurm (``tests/data/slurm/``).
"""

from __future__ import annotations

from .commands import (
    FIELD_SEP,
    SACCT_FIELDS,
    SINFO_FIELDS,
    SQUEUE_FIELDS,
    sacct_argv,
    sbatch_argv,
    scancel_argv,
    scancel_steps_argv,
    scontrol_show_config_argv,
    scontrol_show_job_argv,
    sinfo_argv,
    squeue_argv,
    squeue_by_name_argv,
    squeue_json_argv,
    squeue_steps_argv,
    srun_mpi_list_argv,
)
from .errors import (
    AccountingDisabledError,
    InvalidJobIdError,
    SlurmCommandError,
    check,
    is_accounting_disabled,
)
from .parse import (
    Gres,
    NodeInfo,
    Partition,
    SlurmJob,
    SubmitResult,
    job_state_from_scontrol,
    max_array_size,
    parse_exit_code,
    parse_gres,
    parse_mpi_list,
    parse_sacct,
    parse_sbatch_parsable,
    parse_scontrol_records,
    parse_scontrol_show_job,
    parse_show_config,
    parse_sinfo,
    parse_squeue,
    parse_squeue_json,
    parse_task_steps,
)
from .states import (
    job_state,
    normalize_state,
)

__all__ = [
    "FIELD_SEP",
    "SACCT_FIELDS",
    "SINFO_FIELDS",
    "SQUEUE_FIELDS",
    "AccountingDisabledError",
    "Gres",
    "InvalidJobIdError",
    "NodeInfo",
    "Partition",
    "SlurmCommandError",
    "SlurmJob",
    "SubmitResult",
    "check",
    "is_accounting_disabled",
    "job_state",
    "job_state_from_scontrol",
    "max_array_size",
    "normalize_state",
    "parse_exit_code",
    "parse_gres",
    "parse_mpi_list",
    "parse_sacct",
    "parse_sbatch_parsable",
    "parse_scontrol_records",
    "parse_scontrol_show_job",
    "parse_show_config",
    "parse_sinfo",
    "parse_squeue",
    "parse_squeue_json",
    "parse_task_steps",
    "sacct_argv",
    "sbatch_argv",
    "scancel_argv",
    "scancel_steps_argv",
    "scontrol_show_config_argv",
    "scontrol_show_job_argv",
    "sinfo_argv",
    "squeue_argv",
    "squeue_by_name_argv",
    "squeue_json_argv",
    "squeue_steps_argv",
    "srun_mpi_list_argv",
]
