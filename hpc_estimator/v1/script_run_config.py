"""ScriptRunConfig: the v1 successor of the estimators (``azureml.core.ScriptRunConfig``).

It fills the same ``RunConfiguration`` attributes the estimators do, so the compiler treats both
alike. Differences from estimators kept from v1: the target defaults to ``"local"``, node_count
comes from the distributed config (TensorflowConfiguration -> worker_count), and ``arguments`` are
taken as a list as-is (data objects in it become registered tokens).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ComputeTargetException, RunConfigurationException, UserErrorException
from .compute import LOCAL_TARGET, is_target
from .deprecation import warn_at_caller
from .environment import Environment
from .keywords import explain_call_errors
from .resolve import resolve_run_configuration
from .resolved import ResolvedRun
from .runconfig import (
    DockerConfiguration,
    MpiConfiguration,
    PyTorchConfiguration,
    RunConfiguration,
    TensorflowConfiguration,
)
from .script_params import add_resume_from, arguments_to_argv

MAX_DURATION_SECONDS_DEFAULT = 2592000  # 30 days, as v1


def _apply_distributed_job_config(rc: RunConfiguration, config: Any) -> None:
    if config is None:
        return
    if isinstance(config, MpiConfiguration):
        rc.framework, rc.communicator, rc.mpi = "Python", "IntelMpi", config
        rc.node_count = config.node_count
    elif isinstance(config, PyTorchConfiguration):
        rc.framework, rc.communicator, rc.pytorch = "PyTorch", config.communication_backend, config
        rc.node_count = config.node_count
    elif isinstance(config, TensorflowConfiguration):
        rc.framework, rc.communicator, rc.tensorflow = "TensorFlow", "ParameterServer", config
        rc.node_count = config.worker_count
    else:
        raise RunConfigurationException(
            f"distributed_job_config must be MpiConfiguration, PyTorchConfiguration or "
            f"TensorflowConfiguration, got {type(config).__name__}. (Mpi/Gloo/Nccl/ParameterServer belong "
            f"to the estimators: use MpiConfiguration(process_count_per_node, node_count) etc.)"
        )


class ScriptRunConfig:
    """A script (or command) with its run configuration (v1 signature)."""

    MAX_DURATION_SECONDS_DEFAULT = MAX_DURATION_SECONDS_DEFAULT

    @explain_call_errors
    def __init__(
        self,
        source_directory: str,
        script: str | None = None,
        arguments: list[Any] | None = None,
        run_config: RunConfiguration | None = None,
        _telemetry_values: Any = None,
        compute_target: Any = None,
        environment: Environment | None = None,
        distributed_job_config: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: int | None = MAX_DURATION_SECONDS_DEFAULT,
        command: list[Any] | str | None = None,
        docker_runtime_config: DockerConfiguration | None = None,
    ) -> None:
        if isinstance(source_directory, os.PathLike):
            source_directory = os.fspath(source_directory)
        if not isinstance(source_directory, str) or not source_directory:
            raise UserErrorException(
                f"source_directory must be a directory path (str), got {source_directory!r}. "
                f"Pass the folder holding your script, e.g. source_directory='./src'."
            )
        if run_config is not None:
            if not isinstance(run_config, RunConfiguration):
                raise UserErrorException(f"run_config must be a RunConfiguration, got {type(run_config).__name__}.")
            ignored = [
                name
                for name, value in (
                    ("compute_target", compute_target),
                    ("environment", environment),
                    ("distributed_job_config", distributed_job_config),
                    ("docker_runtime_config", docker_runtime_config),
                )
                if value is not None
            ]
            if max_run_duration_seconds != MAX_DURATION_SECONDS_DEFAULT:
                ignored.append("max_run_duration_seconds")
            if ignored:
                warn_at_caller(
                    f"run_config is given, so {', '.join(ignored)} are ignored; set them on "
                    f"the RunConfiguration instead."
                )
            rc = run_config
        else:
            rc = RunConfiguration()
            target = LOCAL_TARGET if compute_target is None else compute_target
            if not is_target(target):
                raise ComputeTargetException(
                    f"compute_target must be a cluster profile name, 'local' or a ComputeTarget, got "
                    f"{type(target).__name__} {target!r}."
                )
            rc.target = target
            if environment is not None:
                if not isinstance(environment, Environment):
                    raise UserErrorException(
                        f"environment must be an Environment, got {type(environment).__name__}. Use "
                        f"Environment.get(ws, name) or Environment.from_conda_specification(...)."
                    )
                rc.environment = environment
            _apply_distributed_job_config(rc, distributed_job_config)
            if max_run_duration_seconds is not None and (
                isinstance(max_run_duration_seconds, bool) or not isinstance(max_run_duration_seconds, int)
            ):
                raise UserErrorException(
                    f"max_run_duration_seconds must be an integer number of seconds or None, "
                    f"got {max_run_duration_seconds!r}."
                )
            rc.max_run_duration_seconds = max_run_duration_seconds
            if docker_runtime_config is not None:
                if not isinstance(docker_runtime_config, DockerConfiguration):
                    raise RunConfigurationException(
                        f"docker_runtime_config must be a DockerConfiguration, got "
                        f"{type(docker_runtime_config).__name__}."
                    )
                rc.docker = docker_runtime_config
            elif environment is not None:
                # v1 copied the Environment's (deprecated) docker settings; they choose the container
                # only if the Environment set ``docker.enabled`` itself (else the target decides).
                docker = environment.docker
                config = DockerConfiguration(
                    use_docker=docker._enabled,
                    shared_volumes=docker._shared_volumes,
                    arguments=docker._arguments,
                    shm_size=docker._shm_size,
                )
                rc._set_docker(config, given=docker._enabled_given)
        self.source_directory = source_directory
        self.run_config = rc
        self._telemetry_values = _telemetry_values
        if script is not None:
            rc.script = os.fspath(script)
        if arguments is not None:
            rc.arguments = arguments_to_argv(arguments, rc)
        if command:
            rc.command = command if isinstance(command, str) else arguments_to_argv(command, rc)
        add_resume_from(resume_from, rc)

    def _resolved_run(self) -> ResolvedRun:
        # ScriptRunConfig's own 30-day default is no request for a limit: the partition's applies.
        return resolve_run_configuration(
            self.run_config,
            config_kind="ScriptRunConfig",
            source_directory=self.source_directory,
            default_duration=MAX_DURATION_SECONDS_DEFAULT,
        )

    @property
    def script(self) -> str | None:
        return self.run_config.script

    @property
    def arguments(self) -> list[Any]:
        return self.run_config.arguments

    @property
    def command(self) -> list[Any] | str | None:
        return self.run_config.command

    def __repr__(self) -> str:
        return (
            f"ScriptRunConfig(source_directory={self.source_directory!r}, script={self.script!r}, "
            f"target={self.run_config.target!r})"
        )
