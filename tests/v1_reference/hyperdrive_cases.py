"""HyperDrive cases run against the real v1 SDK (record_hyperdrive.py) and against hpcest (test_hyperdrive_v1.py).

Each case is v1 code that sets ``result``. The namespace holds every name of
``azureml.train.hyperdrive.__all__`` plus ``Estimator``, ``ScriptRunConfig`` and
``trial_arguments(config)`` (the arguments each child run gets before the sampled values are
appended: v1's ``_remove_duplicate_arguments`` there, the trial's resolved arguments here).
"""

from __future__ import annotations

import enum
from typing import Any

_SRC = (
    'src = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--lr", 0.1, "--epochs", 3],'
    ' compute_target="cpu")\n'
)
_EST = (
    'est = Estimator(source_directory=".", entry_script="train.py", compute_target="cpu",'
    ' script_params={"--lr": 0.1, "--epochs": 3})\n'
)
_SPACE = 'space = RandomParameterSampling({"lr": uniform(0.01, 0.1), "--batch": choice(16, 32)})\n'
_HD = (
    "HyperDriveConfig(hyperparameter_sampling=space, primary_metric_name='acc',"
    " primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=8"
)
_RUN = "class R:\n    def __init__(self, i):\n        self.id = i\n"
# A child run of an earlier sweep (a Run subclass, so v1's isinstance check passes), and an earlier sweep.
_CHILD = (
    "class C(Run):\n"
    "    def __init__(self, i, status='Completed', parent=None):\n"
    "        self._cid, self._st, self._par = i, status, parent\n"
    "    @property\n"
    "    def id(self):\n"
    "        return self._cid\n"
    "    @property\n"
    "    def parent(self):\n"
    "        return self._par\n"
    "    def get_status(self):\n"
    "        return self._st\n"
)
_SWEEP = (
    "class H:\n"
    "    def __init__(self, i, status='Completed', metric='acc', goal=PrimaryMetricGoal.MAXIMIZE, total=8,"
    " runtype='hyperdrive', space=None):\n"
    "        self.id, self._runtype, self._status = i, runtype, status\n"
    "        self.hyperdrive_config = HyperDriveConfig(hyperparameter_sampling=space or"
    " RandomParameterSampling({'lr': uniform(0.01, 0.1), '--batch': choice(16, 32)}), primary_metric_name=metric,"
    " primary_metric_goal=goal, max_total_runs=total, run_config=src)\n"
    "        self.hyperdrive_config._platform_config = {'ServiceAddress': 'h', 'SubscriptionId': 's',"
    " 'ResourceGroupName': 'g', 'WorkspaceName': 'w', 'ExperimentName': 'e'}\n"
    "    def get_status(self):\n"
    "        return self._status\n"
)

CASES: dict[str, str] = {
    # -- parameter expressions ------------------------------------------------------------
    "choice_scalars": "result = choice(1, 2, 3)",
    "choice_one_list": "result = choice([1, 2, 3])",
    "choice_range": "result = choice(range(3))",
    "choice_strings": "result = choice('a', 'b')",
    "choice_mixed_types": "result = choice(1, 'a', 0.5)",
    "choice_single_scalar": "result = choice(7)",
    "choice_tuple": "result = choice((1, 2))",
    "choice_none": "result = choice()",
    "choice_two_lists": "result = choice([1], [2])",
    "choice_empty_list": "result = choice([])",
    "choice_empty_range": "result = choice(range(0))",
    "choice_list_and_scalar": "result = choice([1], 2)",
    "choice_scalar_and_list": "result = choice(2, [1])",
    "randint_ok": "result = randint(5)",
    "randint_zero": "result = randint(0)",
    "randint_negative": "result = randint(-3)",
    "randint_float": "result = randint(2.0)",
    "randint_bool": "result = randint(True)",
    "uniform_ok": "result = uniform(0.1, 1)",
    "uniform_equal": "result = uniform(1, 1)",
    "uniform_reversed": "result = uniform(2, 1)",
    "uniform_min_str": "result = uniform('a', 1)",
    "uniform_max_str": "result = uniform(0, 'b')",
    "quniform_ok": "result = quniform(0, 10, 2)",
    "quniform_float_q_integral": "result = quniform(0, 10, 2.0)",
    "quniform_float_q": "result = quniform(0, 10, 0.5)",
    "quniform_equal": "result = quniform(1, 1, 1)",
    "quniform_min_str": "result = quniform('0', 1, 1)",
    "loguniform_ok": "result = loguniform(-5, -1)",
    "loguniform_equal": "result = loguniform(-1, -1)",
    "loguniform_reversed": "result = loguniform(0, -1)",
    "loguniform_max_str": "result = loguniform(0, None)",
    "qloguniform_ok": "result = qloguniform(0, 3, 1)",
    "qloguniform_float_q": "result = qloguniform(0, 3, 0.1)",
    "qloguniform_reversed": "result = qloguniform(3, 0, 1)",
    "normal_ok": "result = normal(10, 3)",
    "normal_zero_sigma": "result = normal(0, 0)",
    "normal_negative_sigma": "result = normal(0, -1)",
    "normal_mu_str": "result = normal('0', 1)",
    "qnormal_ok": "result = qnormal(10, 3, 2)",
    "qnormal_float_q": "result = qnormal(10, 3, 0.5)",
    "qnormal_negative_sigma": "result = qnormal(10, -3, 2)",
    "lognormal_ok": "result = lognormal(0, 1)",
    "lognormal_negative_sigma": "result = lognormal(0, -1)",
    "lognormal_sigma_str": "result = lognormal(0, 'x')",
    "qlognormal_ok": "result = qlognormal(0, 1, 1)",
    "qlognormal_float_q": "result = qlognormal(0, 1, 1.5)",
    "qlognormal_negative_sigma": "result = qlognormal(0, -1, 1)",
    # -- samplings ----------------------------------------------------------------------------
    "random_all_expressions": (
        "result = RandomParameterSampling({'a': choice(1, 2), 'b': randint(3), 'c': uniform(0, 1),"
        " 'd': quniform(0, 4, 1), 'e': loguniform(-3, 0), 'f': qloguniform(0, 2, 1), 'g': normal(0, 1),"
        " 'h': qnormal(0, 1, 1), 'i': lognormal(0, 1), 'j': qlognormal(0, 1, 1)})"
    ),
    "random_properties": "result = RandomParameterSampling({'a': choice(1, 2)}, properties={'seed': 7})",
    "random_plain_value": "result = RandomParameterSampling({'a': 3})",
    "grid_choice": "result = GridParameterSampling({'a': choice(1, 2), 'b': choice('x', 'y', 'z')})",
    "grid_uniform": "result = GridParameterSampling({'a': choice(1, 2), 'b': uniform(0, 1)})",
    "grid_randint": "result = GridParameterSampling({'a': randint(4)})",
    "grid_plain_value": "result = GridParameterSampling({'a': 3})",
    "grid_properties": "result = GridParameterSampling({'a': choice(1, 2)}, properties={'seed': 1})",
    "bayesian_ok": (
        "result = BayesianParameterSampling({'a': choice(1, 2), 'b': uniform(0, 1), 'c': quniform(0, 10, 1)})"
    ),
    "bayesian_none": "result = BayesianParameterSampling(None)",
    "bayesian_normal": "result = BayesianParameterSampling({'a': normal(0, 1)})",
    "bayesian_loguniform": "result = BayesianParameterSampling({'a': loguniform(-3, 0)})",
    "bayesian_choice_mixed_str": "result = BayesianParameterSampling({'a': choice(1, 'a')})",
    "bayesian_choice_all_str": "result = BayesianParameterSampling({'a': choice('x', 'y')})",
    "bayesian_choice_none_value": "result = BayesianParameterSampling({'a': choice([1, None])})",
    "bayesian_choice_bool_value": "result = BayesianParameterSampling({'a': choice(True, False)})",
    "bayesian_quniform_float": "result = BayesianParameterSampling({'a': quniform(0.0, 10, 1)})",
    "bayesian_quniform_float_q": "result = BayesianParameterSampling({'a': quniform(0, 10, 2.0)})",
    "bayesian_quniform_too_many": "result = BayesianParameterSampling({'a': quniform(0, 1000001, 10)})",
    "bayesian_quniform_just_enough": "result = BayesianParameterSampling({'a': quniform(0, 1000000, 10)})",
    "bayesian_properties": "result = BayesianParameterSampling({'a': uniform(0, 1)}, properties={'seed': 3})",
    # -- policies -----------------------------------------------------------------------------
    "bandit_factor": "result = BanditPolicy(slack_factor=0.2)",
    "bandit_amount": "result = BanditPolicy(evaluation_interval=2, slack_amount=0.1, delay_evaluation=5)",
    "bandit_neither": "result = BanditPolicy()",
    "bandit_both": "result = BanditPolicy(slack_factor=0.1, slack_amount=0.2)",
    "bandit_factor_zero": "result = BanditPolicy(slack_factor=0)",
    "bandit_factor_zero_and_amount": "result = BanditPolicy(slack_factor=0, slack_amount=0.2)",
    "bandit_float_interval": "result = BanditPolicy(evaluation_interval=1.5, slack_factor=0.1)",
    "bandit_float_delay": "result = BanditPolicy(slack_factor=0.1, delay_evaluation=2.0)",
    "bandit_positional": "result = BanditPolicy(3, 0.25)",
    "median_default": "result = MedianStoppingPolicy()",
    "median_values": "result = MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5)",
    "median_float_interval": "result = MedianStoppingPolicy(evaluation_interval=0.5)",
    "median_str_delay": "result = MedianStoppingPolicy(delay_evaluation='5')",
    "truncation_ok": "result = TruncationSelectionPolicy(20, evaluation_interval=1, delay_evaluation=5)",
    "truncation_zero": "result = TruncationSelectionPolicy(0)",
    "truncation_hundred": "result = TruncationSelectionPolicy(100)",
    "truncation_99": "result = TruncationSelectionPolicy(99)",
    "truncation_float": "result = TruncationSelectionPolicy(20.0)",
    "truncation_float_interval": "result = TruncationSelectionPolicy(20, evaluation_interval=2.5)",
    "truncation_exclude_finished_jobs": "result = TruncationSelectionPolicy(20, exclude_finished_jobs=True)",
    "no_termination": "result = NoTerminationPolicy()",
    # -- PrimaryMetricGoal --------------------------------------------------------------------
    "goal_from_str": "result = [PrimaryMetricGoal.from_str('Maximize'), PrimaryMetricGoal.from_str('MINIMIZE')]",
    "goal_from_str_bad": "result = PrimaryMetricGoal.from_str('up')",
    "goal_values": "result = [PrimaryMetricGoal.MAXIMIZE.value, PrimaryMetricGoal.MINIMIZE.name]",
    # -- HyperDriveConfig -----------------------------------------------------------------------
    "hd_run_config": _SRC + _SPACE + f"result = {_HD}, run_config=src)",
    "hd_estimator": _EST + _SPACE + f"result = {_HD}, estimator=est)",
    "hd_nothing_to_run": _SPACE + f"result = {_HD})",
    "hd_estimator_and_run_config": _SRC + _EST + _SPACE + f"result = {_HD}, estimator=est, run_config=src)",
    "hd_run_config_is_estimator": _EST + _SPACE + f"result = {_HD}, run_config=est)",
    "hd_pipeline_preview": _SPACE + f"result = {_HD}, pipeline=object())",
    "hd_pipeline_and_run_config": _SRC + _SPACE + f"result = {_HD}, pipeline=object(), run_config=src)",
    "hd_sampling_none": _SRC + (
        "result = HyperDriveConfig(hyperparameter_sampling=None, primary_metric_name='acc',"
        " primary_metric_goal=PrimaryMetricGoal.MAXIMIZE, max_total_runs=8, run_config=src)"
    ),
    "hd_goal_string": _SRC + _SPACE + (
        "result = HyperDriveConfig(hyperparameter_sampling=space, primary_metric_name='acc',"
        " primary_metric_goal='maximize', max_total_runs=8, run_config=src)"
    ),
    "hd_goal_minimize": _SRC + _SPACE + (
        "result = HyperDriveConfig(hyperparameter_sampling=space, primary_metric_name='loss',"
        " primary_metric_goal=PrimaryMetricGoal.MINIMIZE, max_total_runs=8, run_config=src)"
    ),
    "hd_max_concurrent": _SRC + _SPACE + f"result = {_HD}, max_concurrent_runs=4, run_config=src)",
    "hd_max_concurrent_zero": _SRC + _SPACE + f"result = {_HD}, max_concurrent_runs=0, run_config=src)",
    "hd_max_duration_over_limit": _SRC + _SPACE + f"result = {_HD}, max_duration_minutes=20000, run_config=src)",
    "hd_max_duration_short": _SRC + _SPACE + f"result = {_HD}, max_duration_minutes=30, run_config=src)",
    "hd_policy": _SRC + _SPACE + f"result = {_HD}, policy=BanditPolicy(slack_factor=0.1), run_config=src)",
    "hd_bayesian_warnings": _SRC + (
        "space = BayesianParameterSampling({'a': uniform(0, 1), 'b': choice(1, 2)})\n"
        f"result = {_HD.replace('max_total_runs=8', 'max_total_runs=10')}, max_concurrent_runs=30, run_config=src)"
    ),
    "hd_bayesian_no_warnings": _SRC + (
        "space = BayesianParameterSampling({'a': uniform(0, 1)})\n"
        f"result = {_HD.replace('max_total_runs=8', 'max_total_runs=20')}, max_concurrent_runs=20, run_config=src)"
    ),
    "hd_bayesian_with_policy": _SRC + (
        "space = BayesianParameterSampling({'a': uniform(0, 1)})\n"
        f"result = {_HD.replace('max_total_runs=8', 'max_total_runs=20')}, policy=BanditPolicy(slack_factor=0.1),"
        " run_config=src)"
    ),
    "hd_resume_from_too_many": _SRC + _SPACE + f"result = {_HD}, resume_from=[1, 2, 3, 4, 5, 6], run_config=src)",
    "hd_resume_child_runs_too_many": _SRC + _SPACE + _RUN
    + f"result = {_HD}, resume_child_runs=[R(str(i)) for i in range(9)], run_config=src)",
    "hd_resume_child_runs_duplicate": _SRC + _SPACE + _RUN
    + f"result = {_HD}, resume_child_runs=[R('a'), R('a')], run_config=src)",
    "hd_resume_child_runs_not_runs": _SRC + _SPACE + _RUN
    + f"result = {_HD}, resume_child_runs=[R('a'), R('b')], run_config=src)",
    "hd_resume_child_runs_duplicate_runs": _SRC + _SPACE + _CHILD + _RUN
    + f"result = {_HD}, resume_child_runs=[C('a', parent=R(1)), C('a', parent=R(1))], run_config=src)",
    "hd_resume_child_runs_not_terminal": _SRC + _SPACE + _CHILD + _RUN
    + f"result = {_HD}, resume_child_runs=[C('a', status='Running', parent=R(1))], run_config=src)",
    "hd_resume_child_runs_without_parent": _SRC + _SPACE + _CHILD
    + f"result = {_HD}, resume_child_runs=[C('a')], run_config=src)",
    "hd_resume_child_runs_too_many_parents": _SRC + _SPACE + _CHILD + _RUN
    + f"result = {_HD}, resume_child_runs=[C(str(i), parent=R(i)) for i in range(6)], run_config=src)",
    "hd_resume_from_not_a_sweep": _SRC + _SPACE + _SWEEP
    + f"result = {_HD}, resume_from=H('p', runtype='azureml.scriptrun'), run_config=src)",
    "hd_resume_from_other_metric": _SRC + _SPACE + _SWEEP
    + f"result = {_HD}, resume_from=[H('p', metric='loss')], run_config=src)",
    "hd_resume_from_other_goal": _SRC + _SPACE + _SWEEP
    + f"result = {_HD}, resume_from=[H('p', goal=PrimaryMetricGoal.MINIMIZE)], run_config=src)",
    "hd_resume_from_running": _SRC + _SPACE + _SWEEP
    + f"result = {_HD}, resume_from=[H('p', status='Running')], run_config=src)",
    "hd_resume_from_failed": _SRC + _SPACE + _SWEEP
    + f"result = {_HD}, resume_from=[H('p', status='Failed')], run_config=src)",
    "hd_resume_from_duplicate": _SRC + _SPACE + _SWEEP
    + f"result = {_HD}, resume_from=[H('p'), H('p')], run_config=src)",
    "hd_resume_from_too_many_runs_in_all": _SRC + _SPACE + _SWEEP
    + f"result = {_HD}, resume_from=[H('p', total=500), H('q', total=493)], run_config=src)",
    "hd_resume_from_exactly_1000_runs": _SRC + _SPACE + _SWEEP
    + f"hd = {_HD}, resume_from=[H('p', total=500), H('q', total=492)], run_config=src)\n"
    "result = len(hd._resume_from)",
    "hd_resume_from_bayesian_other_space": _SRC + _SWEEP
    + "space = BayesianParameterSampling({'a': uniform(0, 1)})\n"
    + f"result = {_HD.replace('max_total_runs=8', 'max_total_runs=20')}, resume_from=[H('p', space="
    "BayesianParameterSampling({'a': uniform(0, 2)}))], run_config=src)",
    "hd_resume_from_random_other_space": _SRC + _SPACE + _SWEEP
    + f"hd = {_HD}, resume_from=[H('p', space=RandomParameterSampling({{'z': choice(1, 2)}}))], run_config=src)\n"
    "result = len(hd._resume_from)",
    "hd_source_directory": _SRC + _SPACE + f"result = {_HD}, run_config=src).source_directory",
    "hd_properties": _SRC + _SPACE + (
        f"hd = {_HD}, run_config=src)\n"
        "result = [type(hd.run_config).__name__, hd.estimator, hd.pipeline]"
    ),
    "hd_run_config_legacy": _EST + _SPACE + (
        "result = HyperDriveRunConfig(est, space, 'acc', PrimaryMetricGoal.MAXIMIZE, 4)"
    ),
    # -- what each child run is given -----------------------------------------------------------
    "trial_arguments_estimator_removes_duplicates": _EST + _SPACE + (
        f"result = trial_arguments({_HD}, estimator=est))"
    ),
    "trial_arguments_estimator_dashed_space_key": _EST + (
        "space = RandomParameterSampling({'--epochs': choice(1, 2)})\n"
        f"result = trial_arguments({_HD}, estimator=est))"
    ),
    "trial_arguments_estimator_no_overlap": _EST + (
        "space = RandomParameterSampling({'momentum': choice(0.5, 0.9)})\n"
        f"result = trial_arguments({_HD}, estimator=est))"
    ),
    "trial_arguments_run_config_keeps_duplicates": _SRC + _SPACE + (
        f"result = trial_arguments({_HD}, run_config=src))"
    ),
}


def view(value: Any) -> Any:
    """Plain data for ``value``: what is compared between v1 and hpcest."""
    if hasattr(value, "_generator_config") and hasattr(value, "_primary_metric_config"):
        return {
            "class": type(value).__name__,
            "generator_config": view(value._generator_config),
            "policy_config": view(value._policy_config),
            "primary_metric_config": view(value._primary_metric_config),
            "max_total_runs": value._max_total_runs,
            "max_concurrent_runs": value._max_concurrent_runs,
            "max_duration_minutes": value._max_duration_minutes,
            "platform": value._platform,
            "resume_from": value._resume_from,
            "resume_child_runs": value._resume_child_runs,
        }
    if isinstance(value, enum.Enum):
        return {"enum": type(value).__name__, "name": value.name, "value": value.value}
    if hasattr(value, "_sampling_method_name"):
        return {"class": type(value).__name__, "json": view(value.to_json())}
    if hasattr(value, "to_json") and hasattr(value, "_name"):
        out: dict[str, Any] = {"class": type(value).__name__, "json": view(value.to_json())}
        for prop in ("slack_factor", "evaluation_interval", "delay_evaluation", "truncation_percentage"):
            if hasattr(type(value), prop):
                out[prop] = getattr(value, prop)
        return out
    if isinstance(value, dict):
        return {str(k): view(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [view(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"repr_type": type(value).__name__}
