"""``azureml.widgets.RunDetails``: in a notebook a live widget; under ``hpcest run`` the same live
progress as ``hpcest submit --wait``: rank 0's output streamed as it is written, the final status,
and lost contact with the cluster waited out (``runs.waiting``). It returns when the run ends.
"""

from __future__ import annotations

from typing import Any


class RunDetails:
    def __init__(self, run_instance: Any) -> None:
        self.run_instance = run_instance

    def show(self, render_lib: Any = None, widget_settings: Any = None) -> None:
        run = self.run_instance
        print(f"RunDetails: following run {run.id} until it ends (hpcest status {run.id})", flush=True)
        # A failed run is shown, not raised: the notebook's next cell decides what to do with it.
        run.wait_for_completion(show_output=True, raise_on_error=False)

    def get_widget_data(self, widget_settings: Any = None) -> dict[str, Any]:
        run = self.run_instance
        return {"run_id": run.id, "status": run.get_status(), "metrics": run.get_metrics()}
