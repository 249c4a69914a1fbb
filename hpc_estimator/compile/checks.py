"""v1's submission-time script checks, when the configuration asks for them.

v1 ran two checks on the entry script and the local modules it imports when the estimator was
built with ``_show_lint_warnings=True`` / ``_show_package_warnings=True``: a lint (flake8 F821,
E999, F823) and a comparison of the imports with the environment's packages. Both only warn. The
rules are the ones ``hpcest migrate`` applies; they are imported only when asked for, so a
submission that does not ask never loads them.
"""

from __future__ import annotations

from pathlib import Path

from ..v1.resolved import FrameworkImage, ResolvedRun
from .images import IMAGE_PROVIDES, framework_image


def script_check_warnings(run: ResolvedRun) -> list[str]:
    if not (run.checks.lint or run.checks.packages) or run.script is None:
        return []
    source = Path(run.source_directory)
    entry = source / run.script
    if not entry.is_file():
        return []
    warnings: list[str] = []
    if run.checks.lint:
        from migrate.lint_script import lint_script_tree

        warnings += [f"lint: {message}" for _code, message, _fix, _line, _col in lint_script_tree(entry, source)]
    if run.checks.packages:
        from migrate.packages import missing_packages

        missing = missing_packages(entry, source, environment_packages(run), list(run.packages.conda))
        warnings += [f"packages: {message}" for _code, message, _fix in missing]
    return warnings


def environment_packages(run: ResolvedRun) -> list[str]:
    """The pip packages the job will have: what its image holds and what is installed on it."""
    image = run.image
    provided: list[str] = []
    if isinstance(image, FrameworkImage):
        # Its framework, and the scenario pins that are installed on it (not the MPI-built ones).
        _, layered, _ = framework_image(image.framework, image.version, image.gpu, image.pins)
        provided = [*sorted(IMAGE_PROVIDES.get(image.framework, ())), *layered]
    return [*provided, *run.packages.pip]
