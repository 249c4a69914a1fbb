"""Files and blocks that real-world v1 code comes in: Markdown fences of every tag and indentation,
notebooks whose JSON layout must survive, scripts exported from notebooks, docs calling estimators
whose import is elsewhere or nowhere."""

from __future__ import annotations

import json

import pytest

from migrate.markdown import migrate_markdown
from migrate.notebook import migrate_notebook, notebook_round_trips
from migrate.runner import migrate_file

CALL = 'est = PyTorch(source_directory=".", entry_script="train.py", compute_target=gpu)\n'
IMPORT = "from azureml.train.dnn import PyTorch\n"


@pytest.mark.parametrize("tag", ["Python", "PY", "python3", "ipython", "IPython3", "py3", "{python}", "python title=x"])
def test_fence_tags_in_any_case(tag: str) -> None:
    """Docs pages tag fences Python/PY/python3/ipython...: all are rewritten."""
    text = f"Intro\n\n```{tag}\n{IMPORT}{CALL}```\n\nOutro\n"
    new, result = migrate_markdown(text, "azureml")
    assert result.changed and "est = ScriptRunConfig(" in new
    assert new.startswith(f"Intro\n\n```{tag}\n") and new.endswith("```\n\nOutro\n")


@pytest.mark.parametrize("indent", ["   ", "    ", "  ", "\t"])
def test_indented_fences_in_list_items(indent: str) -> None:
    """A fence inside a list item keeps its indentation; the code inside is rewritten."""
    body = "".join(f"{indent}{line}\n" for line in (IMPORT + CALL).splitlines())
    text = f"1. Build the estimator:\n\n{indent}```python\n{body}{indent}```\n2. Submit it.\n"
    new, result = migrate_markdown(text, "azureml")
    assert result.changed
    assert f'{indent}est = ScriptRunConfig(\n{indent}    source_directory=".",\n' in new
    assert new.endswith(f"{indent}```\n2. Submit it.\n")
    again, second = migrate_markdown(new, "azureml")
    assert again == new and not second.changed


def test_untagged_fences_that_use_v1_names() -> None:
    """An untagged fence whose body is Python and calls a v1 class is taken; shell and prose are not."""
    text = (
        "```\n" + IMPORT + CALL + "```\n\n"
        "```\npip install azureml-sdk\n```\n\n"
        "```\nEstimator(args) is deprecated -> see the docs\n```\n\n"
        "```\nx = compute(1)\n```\n"
    )
    new, result = migrate_markdown(text, "azureml")
    assert "est = ScriptRunConfig(" in new
    assert "```\npip install azureml-sdk\n```\n" in new
    assert "```\nEstimator(args) is deprecated -> see the docs\n```\n" in new
    assert new.endswith("```\nx = compute(1)\n```\n")
    assert not result.findings  # untagged blocks that are not Python are not reported


def test_docs_call_with_import_in_another_block_is_rewritten() -> None:
    """The document imports the class in one block and calls it in a later one."""
    text = f"```python\n{IMPORT}```\n\nThen:\n\n```python\n{CALL}```\n"
    new, _ = migrate_markdown(text, "azureml")
    assert "est = ScriptRunConfig(" in new and "PyTorch" not in new


@pytest.mark.parametrize(
    "block",
    [
        CALL,
        'step = EstimatorStep(name="s", estimator=est, estimator_entry_script_arguments=[], compute_target=ct)\n',
        'sk = SKLearn(source_directory=".", script_params={"--k": 1}, entry_script="t.py")\n',
    ],
)
def test_docs_call_without_any_import_is_marked(block: str) -> None:
    """No import anywhere: the call gets a TODO (HPM113) instead of being skipped silently."""
    text = f"See azureml docs.\n\n```python\n{block}```\n"
    new, result = migrate_markdown(text, "azureml")
    assert [f.code for f in result.findings] == ["HPM113"]
    assert "# TODO(hpcest-migrate): HPM113" in new and block in new


SCRIPT = (
    "from azureml.train.estimator import Estimator\n"
    "est = Estimator(source_directory='.', entry_script='t.py', compute_target=ct)\n"
)


@pytest.mark.parametrize(
    "magics",
    [
        "%matplotlib inline\n",
        "!pip install azureml-sdk\n%load_ext autoreload\n",
        "# In[1]:\n\n\nget_ipython().run_line_magic('matplotlib', 'inline')\n%time x = 1\n",
    ],
)
def test_py_files_with_ipython_magics_are_migrated(tmp_path, magics: str) -> None:  # type: ignore[no-untyped-def]
    """A notebook exported to a script is masked like a notebook; its magics stay, imports go after."""
    path = tmp_path / "exported.py"
    path.write_text(magics + SCRIPT + "!nvidia-smi\n")
    result = migrate_file(str(path))
    assert result.error is None and result.changed
    assert result.new_text.startswith(magics)
    assert "ScriptRunConfig(" in result.new_text and result.new_text.endswith("!nvidia-smi\n")
    assert result.new_text.index("from azureml.core import") > len(magics) - 1


def test_py_file_that_is_not_python_even_without_magics_is_a_parse_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.py"
    path.write_text("%matplotlib inline\n" + SCRIPT + "def f(:\n")
    result = migrate_file(str(path))
    assert result.error is not None and result.error.code == "HPE901"


def _nb(cells: list[str], indent: int | None = 1, trailing: bool = True, ascii_only: bool = False) -> str:
    document = {
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}, "z_last": 1},
        "nbformat_minor": 4,
        "cells": [
            {"source": c.splitlines(True), "cell_type": "code", "outputs": [], "metadata": {}, "execution_count": None}
            for c in cells
        ]
        + [{"cell_type": "markdown", "metadata": {}, "source": ["é ü\n", "prose"]}],
        "nbformat": 4,
    }
    text = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    return text + "\n" if trailing else text


@pytest.mark.parametrize(
    "layout",
    [
        {"indent": 1},
        {"indent": 2, "trailing": False},
        {"indent": None},
        {"indent": 4, "ascii_only": True},
    ],
)
def test_notebook_layout_is_kept_byte_for_byte_outside_changed_cells(layout: dict) -> None:  # type: ignore[type-arg]
    """Key order, indentation, minified or not, escapes, trailing newline: only changed sources differ."""
    text = _nb([IMPORT + CALL.rstrip("\n")], **layout)
    new, result = migrate_notebook(text, "azureml")
    assert result.changed
    old_doc, new_doc = json.loads(text), json.loads(new)
    assert list(new_doc) == list(old_doc) and new_doc["metadata"] == old_doc["metadata"]
    source = text.index('"source"')
    value = text.index("[", source)
    end = text.index("]", value) + 1
    assert new.startswith(text[:value]) and new.endswith(text[end:])  # everything but the source
    new_value = new[value : len(new) - len(text[end:])]
    if layout.get("indent") is None:
        assert "\n" not in new_value
    else:
        item_indent = text[text.index("\n", value) + 1 : text.index('"', value + 1)]
        assert all(line.startswith(item_indent) for line in new_value.splitlines()[1:-1])
    assert "ScriptRunConfig(" in "".join(new_doc["cells"][0]["source"])
    assert notebook_round_trips(new)
    again, second = migrate_notebook(new, "azureml")
    assert again == new and not second.changed


def test_notebook_string_sources_and_findings_map_to_ipynb_lines() -> None:
    """A source stored as one string stays one string; a finding knows its line in the .ipynb file."""
    document = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": IMPORT + CALL, "execution_count": 1},
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": 2,
                "source": ["x = 1\n", "est2 = PyTorch('.', entry_script='t.py', vm_size='NC6')"],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 2,
    }
    text = json.dumps(document, indent=1)
    new, result = migrate_notebook(text, "azureml")
    assert isinstance(json.loads(new)["cells"][0]["source"], str)
    (finding,) = [f for f in result.findings if f.code == "HPM109"]
    assert finding.cell == 1 and finding.line == 2
    file_line = int(finding.extra["file_line"])
    assert "est2 = PyTorch" in text.splitlines()[file_line - 1]


def test_new_imports_go_after_notebook_magics() -> None:
    """A first cell of magics keeps them first; the new imports follow them (or the cell's imports)."""
    text = _nb(["%load_ext autoreload\n%autoreload 2", IMPORT + CALL.rstrip("\n")])
    new, _ = migrate_notebook(text, "azureml")
    first = "".join(json.loads(new)["cells"][0]["source"])
    assert first.startswith("%load_ext autoreload\n%autoreload 2\n")
    assert "from azureml.core import Environment, ScriptRunConfig" in first
    text = _nb(["%matplotlib inline\nimport os", IMPORT + CALL.rstrip("\n")])
    first = "".join(json.loads(migrate_notebook(text, "azureml")[0])["cells"][0]["source"])
    assert first.startswith("%matplotlib inline\nimport os\nfrom azureml.core import")


def test_emitted_strings_follow_the_files_quote_style() -> None:
    """A file written with single quotes gets single-quoted new strings (and double stays double)."""
    from migrate.transform import migrate_source

    single = (
        "from azureml.train.dnn import PyTorch\n"
        "est = PyTorch(source_directory='.', entry_script='t.py', compute_target='gpu')\n"
    )
    code = migrate_source(single).code
    assert "Environment(name='est-env')" in code and "'azureml-defaults'" in code and '"' not in code
    double = single.replace("'", '"')
    assert 'Environment(name="est-env")' in migrate_source(double).code


@pytest.mark.parametrize(
    "fence,body",
    [
        ("```", IMPORT + CALL),
        ("~~~", "est = Estimator(source_directory='.', entry_script='t.py', compute_target=ct)\n"),
        ("````", "%matplotlib inline\n" + IMPORT + CALL),
    ],
)
def test_untagged_fence_variants(fence: str, body: str) -> None:
    """Untagged fences of backticks or tildes, with magics, are taken when they call a v1 class."""
    text = f"Docs.\n\n{fence}\n{body}{fence}\n"
    new, result = migrate_markdown(text, "azureml")
    assert result.changed or [f.code for f in result.findings] == ["HPM113"]
    assert new.startswith(f"Docs.\n\n{fence}\n") and new.endswith(f"{fence}\n")


@pytest.mark.parametrize(
    "path,uri",
    [
        ("src/job one.py", "src/job%20one.py"),
        ("notebooks/train (copy).ipynb", "notebooks/train%20%28copy%29.ipynb"),
        ("docs/100%.md", "docs/100%25.md"),
        ("/abs/dir name/x.py", "file:///abs/dir%20name/x.py"),
    ],
)
def test_sarif_artifact_uris(path: str, uri: str) -> None:
    from migrate.report import artifact_uri

    assert artifact_uri(path) == uri


@pytest.mark.parametrize(
    "old,new",
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\nb\n", "x\na\nb\ny\n"),
        ("a\nb", "a\nb\nc"),
        ("keep\n" * 50 + "old\n", "keep\n" * 50 + "new\nmore\n"),
    ],
)
def test_sarif_fixes_are_regions_that_rebuild_the_new_text(old: str, new: str) -> None:
    """Applying the replacements (character regions) to the old text gives the new text; line regions
    agree with the character regions."""
    from migrate.report import replacements

    changes = replacements(old, new)
    rebuilt = old
    for change in sorted(changes, key=lambda c: -c["deletedRegion"]["charOffset"]):  # type: ignore[index]
        region = change["deletedRegion"]
        start = region["charOffset"]  # type: ignore[index]
        rebuilt = rebuilt[:start] + change["insertedContent"]["text"] + rebuilt[start + region["charLength"] :]  # type: ignore[index]
    assert rebuilt == new
    assert sum(c["deletedRegion"]["charLength"] for c in changes) < len(old) or len(old) < 10  # type: ignore[index]
    lines = old.splitlines(keepends=True)
    for change in changes:
        region = change["deletedRegion"]
        if "startLine" in region:  # type: ignore[operator]
            offset = sum(len(line) for line in lines[: region["startLine"] - 1])  # type: ignore[index]
            assert offset == region["charOffset"]  # type: ignore[index]
