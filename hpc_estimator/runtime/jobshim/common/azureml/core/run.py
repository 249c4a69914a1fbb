# hpcest: stand-in for azureml.core.run inside jobs. Run.get_context() returns hpcest's in-job
# run: metrics go to the run directory and come back through Run.get_metrics() after the job.
from hpcest_runtime import get_context as _get_context


class Run:
    @classmethod
    def get_context(cls, allow_offline=True, used_for_context_manager=False, **kwargs):
        return _get_context(allow_offline=allow_offline)
