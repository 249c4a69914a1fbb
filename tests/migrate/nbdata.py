"""Builders for small notebooks used by the tests."""

from __future__ import annotations

import json


def notebook(*cells: tuple[str, str], outputs: bool = True) -> str:
    """nbformat-4 JSON (indent=1, like Jupyter) from (cell_type, source) pairs."""
    built = []
    for index, (kind, source) in enumerate(cells):
        cell: dict[str, object] = {
            "cell_type": kind,
            "metadata": {"tags": [f"t{index}"]},
            "source": source.splitlines(True),
        }
        if kind == "code":
            cell["execution_count"] = index
            cell["outputs"] = (
                [{"name": "stdout", "output_type": "stream", "text": [f"out {index}\n"]}] if outputs else []
            )
        built.append(cell)
    document = {
        "cells": built,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 2,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


IMPORTS_CELL = (
    "from azureml.core import Workspace, Experiment\n"
    "from azureml.train.dnn import PyTorch\n"
    "ws = Workspace.from_config()"
)
ESTIMATOR_CELL = (
    "params = {'--epochs': 2}\n"
    "est = PyTorch(source_directory='.', entry_script='train.py', script_params=params,\n"
    "              compute_target=ct, framework_version='1.6', use_gpu=True)"
)
SUBMIT_CELL = "%time\nrun = Experiment(ws, 'x').submit(est)\n!nvidia-smi"
