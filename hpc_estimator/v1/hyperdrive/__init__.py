"""HyperDrive (v1 ``azureml.train.hyperdrive``): samplings, parameter expressions, policies, HyperDriveConfig.

Configuration only (no I/O): :mod:`.draw` and :mod:`.policy_eval` are the pure functions that
choose what a sweep runs and which trials it stops; running a sweep is ``hpc_estimator.runs.sweep``
and the controller job ``hpc_estimator.sweep``.
"""

from .config import HyperDriveConfig, HyperDriveRunConfig, PrimaryMetricGoal
from .expressions import (
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from .policy import (
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
)
from .resolved import PolicySpec, ResolvedSweep
from .sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    HyperParameterSampling,
    RandomParameterSampling,
)

__all__ = [
    "BanditPolicy",
    "BayesianParameterSampling",
    "EarlyTerminationPolicy",
    "GridParameterSampling",
    "HyperDriveConfig",
    "HyperDriveRunConfig",
    "HyperParameterSampling",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "PolicySpec",
    "PrimaryMetricGoal",
    "RandomParameterSampling",
    "ResolvedSweep",
    "TruncationSelectionPolicy",
    "choice",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
]
