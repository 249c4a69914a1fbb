"""Notebooks and Markdown: cells/blocks are analysed together, outputs and prose are preserved."""

from __future__ import annotations

import json

from migrate.markdown import migrate_markdown
from migrate.notebook import migrate_notebook, notebook_round_trips
from tests.migrate.nbdata import ESTIMATOR_CELL, IMPORTS_CELL, SUBMIT_CELL, notebook


def _sources(text: str) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(text)["cells"]]


def test_estimator_defined_in_one_cell_imported_in_another_is_rewritten() -> None:
    """Imports, workspace and estimator in different cells still resolve (cells run top to bottom)."""
    text = notebook(("code", IMPORTS_CELL), ("markdown", "# Train"), ("code", ESTIMATOR_CELL), ("code", SUBMIT_CELL))
    new, result = migrate_notebook(text, "azureml")
    sources = _sources(new)
    assert result.changed
    assert "from azureml.core import Workspace, Experiment, Environment, ScriptRunConfig" in sources[0]
    assert "PyTorch" not in sources[0]
    assert "Environment.get(workspace=ws, name='AzureML-PyTorch-1.6-GPU')" in sources[2]  # the cells' quote style
    assert "arguments=['--epochs', 2]" in sources[2]
    assert sources[1] == "# Train"


def test_outputs_metadata_and_magics_are_preserved() -> None:
    """Only code cell sources change; outputs, metadata, execution counts and magics stay."""
    text = notebook(("code", IMPORTS_CELL), ("code", ESTIMATOR_CELL), ("code", SUBMIT_CELL))
    new, _ = migrate_notebook(text, "azureml")
    old_cells, new_cells = json.loads(text)["cells"], json.loads(new)["cells"]
    for old, fresh in zip(old_cells, new_cells):
        assert {k: v for k, v in old.items() if k != "source"} == {k: v for k, v in fresh.items() if k != "source"}
    assert _sources(new)[2] == SUBMIT_CELL
    assert json.loads(new)["metadata"] == json.loads(text)["metadata"]


def test_invalid_cell_is_skipped_and_the_rest_migrated() -> None:
    """A cell that is not Python (placeholder, cell magic) is reported, never stops the notebook."""
    text = notebook(
        ("code", IMPORTS_CELL),
        ("code", "subscription_id = <your subscription id>"),
        ("code", "%%bash\necho hi"),
        ("code", ESTIMATOR_CELL),
    )
    new, result = migrate_notebook(text, "azureml")
    sources = _sources(new)
    assert sources[1] == "subscription_id = <your subscription id>"
    assert sources[2] == "%%bash\necho hi"
    assert "ScriptRunConfig(" in sources[3]
    assert [f.code for f in result.findings] == ["HPM111"]
    assert result.findings[0].cell == 1


def test_second_run_on_a_notebook_changes_nothing() -> None:
    """Idempotence for notebooks, including the JSON layout."""
    text = notebook(("code", IMPORTS_CELL), ("code", ESTIMATOR_CELL), ("code", SUBMIT_CELL))
    once, _ = migrate_notebook(text, "azureml")
    twice, result = migrate_notebook(once, "azureml")
    assert twice == once and not result.changed


def test_jupyter_layout_round_trips() -> None:
    """The serialiser reproduces Jupyter's own layout, so untouched cells stay byte-identical."""
    text = notebook(("code", "print('é')"), ("markdown", "ü"))
    assert notebook_round_trips(text)


def test_finding_positions_are_cell_relative() -> None:
    """Warnings inside a cell point at the line within that cell."""
    cell = "from azureml.train.estimator import Estimator\nest = Estimator('.', entry_script='t.py', vm_size='NC6')"
    _, result = migrate_notebook(notebook(("code", "x = 1"), ("code", cell)), "azureml")
    (finding,) = result.findings
    assert (finding.code, finding.cell, finding.line) == ("HPM109", 1, 2)


MARKDOWN = """# Training

Some prose with `Estimator` in it.

```python
from azureml.train.estimator import Estimator
est = Estimator(source_directory='.', entry_script='train.py', compute_target=ct)
```

    ```python
    run = exp.submit(est)
    ```

```bash
python train.py
```
"""


def test_markdown_python_blocks_rewritten_prose_untouched() -> None:
    """Fenced python blocks are rewritten; prose and other fences stay byte-identical."""
    new, result = migrate_markdown(MARKDOWN, "azureml")
    assert result.changed
    assert new.startswith("# Training\n\nSome prose with `Estimator` in it.\n\n```python\n")
    assert "est = ScriptRunConfig(" in new
    assert "    ```python\n    run = exp.submit(est)\n    ```\n" in new
    assert new.endswith("```bash\npython train.py\n```\n")
    again, second = migrate_markdown(new, "azureml")
    assert again == new and not second.changed


def test_markdown_finding_lines_are_file_lines() -> None:
    """A warning in a Markdown block points at the line in the .md file."""
    text = "intro\n\n```python\nfrom azureml.train.estimator import Estimator\nest = Estimator('.', **kw)\n```\n"
    _, result = migrate_markdown(text, "azureml")
    (finding,) = result.findings
    assert (finding.code, finding.line) == ("HPM102", 5)


def test_non_python_notebooks_are_left_alone() -> None:
    """A notebook whose kernel is not Python (SQL, R) is not parsed cell by cell and not reported."""
    document = json.loads(notebook(("code", "SELECT * FROM t WHERE name = 'Estimator'"), ("code", ESTIMATOR_CELL)))
    document["metadata"]["language_info"] = {"name": "sql"}
    text = json.dumps(document, indent=1) + "\n"
    new, result = migrate_notebook(text, "azureml")
    assert new == text and not result.changed and not result.findings


def test_import_in_a_later_cell_does_not_count() -> None:
    """A name imported only after the rewritten cell is imported again at the top (cells run in order)."""
    later = "from azureml.core.conda_dependencies import CondaDependencies\ncd = CondaDependencies.create()"
    cell = (
        "from azureml.train.estimator import Estimator\n"
        "est = Estimator(source_directory='.', entry_script='t.py', compute_target=ct, pip_packages=['x'])"
    )
    new, _ = migrate_notebook(notebook(("code", "import os"), ("code", cell), ("code", later)), "azureml")
    sources = _sources(new)
    assert "from azureml.core.conda_dependencies import CondaDependencies" in sources[0]
    assert sources[2] == later


def test_cell_numbers_count_markdown_cells() -> None:
    """Cell numbers in warnings match what a person sees in Jupyter (markdown cells included)."""
    cell = "from azureml.train.estimator import Estimator\nest = Estimator('.', entry_script='t.py', vm_size='NC6')"
    _, result = migrate_notebook(notebook(("markdown", "# Title"), ("code", cell)), "azureml")
    assert [(f.code, f.cell) for f in result.findings] == [("HPM109", 1)]


def test_imports_added_at_the_end_of_a_cell_keep_its_last_line_ending() -> None:
    """A cell that ends with its imports (no newline at the end) gets the new ones without a stray
    newline or blank line."""
    imports = "from azureml.core import Workspace\nfrom azureml.train.dnn import Mpi"
    cell = "distr = Mpi(process_count_per_node=2)"
    new, _ = migrate_notebook(notebook(("code", imports), ("code", cell)), "azureml")
    first = _sources(new)[0]
    assert first == "from azureml.core import Workspace\nfrom azureml.core.runconfig import MpiConfiguration"


def test_continuation_lines_starting_with_escape_characters_are_not_masked() -> None:
    """``!``/``%`` start a magic only at the start of a logical line (IPython's rule, shared with
    hpcest run through migrate.magics): a cell with such continuation lines is migrated, not skipped."""
    cell = (
        ESTIMATOR_CELL + "\n"
        "if (params\n"
        "    != {}):\n"
        "    msg = ('%s'\n"
        "           % 3)\n"
        "!echo done"
    )
    text = notebook(("code", IMPORTS_CELL), ("code", cell), ("code", SUBMIT_CELL))
    new, result = migrate_notebook(text, "azureml")
    source = _sources(new)[1]
    assert [f.code for f in result.findings if f.code == "HPM111"] == []
    assert "ScriptRunConfig(" in source
    assert "if (params\n    != {}):\n    msg = ('%s'\n           % 3)\n!echo done" in source


def test_the_magic_classifier_loads_no_libcst() -> None:
    """hpcest run and the warm start of hpcest migrate import it; libcst must stay unloaded."""
    import subprocess
    import sys

    code = ("import sys, migrate.magics, hpc_estimator.compat.notebook\n"
            "assert 'libcst' not in sys.modules, 'libcst loaded'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
