"""Mark v1-looking estimator calls whose class is imported nowhere in the file or document.

Docs pages and READMEs show ``PyTorch(...)`` in one block and the import in another, or not at all.
A call of ``Estimator``/``PyTorch``/``TensorFlow``/``Chainer``/``SKLearn``/``EstimatorStep`` with
v1 estimator keywords (entry_script, script_params, source_directory, compute_target) and no binding
of that name anywhere is a v1 call in every corpus that has one: it gets a TODO (HPM113). When the
document imports the class in any block, the block is rewritten like any other code instead::

    est = PyTorch(source_directory=".", entry_script="train.py", compute_target=gpu)
    # TODO(hpcest-migrate): HPM113 PyTorch(...) looks like a v1 estimator but PyTorch is not imported here; ...
"""

from __future__ import annotations

from migrate.engine import Migration

CODES = ("HPM113",)

_MODULE = {
    "Estimator": "azureml.train.estimator",
    "PyTorch": "azureml.train.dnn",
    "TensorFlow": "azureml.train.dnn",
    "Chainer": "azureml.train.dnn",
    "SKLearn": "azureml.train.sklearn",
    "EstimatorStep": "azureml.pipeline.steps",
}


def plan(m: Migration) -> None:
    for call, name in m.facts.unimported_calls:
        m.keep(
            call,
            "HPM113",
            f"{name}(...) looks like a v1 estimator but {name} is not imported here",
            f"add 'from {_MODULE[name]} import {name}' and run hpcest migrate again, or rewrite it by hand",
        )
