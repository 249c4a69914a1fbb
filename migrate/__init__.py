"""hpcest migrate: rewrite Azure ML SDK v1 estimator code toward ScriptRunConfig + Environment.

Command line (also ``python -m migrate``)::

    hpcest migrate PATH...            # unified diff, writes nothing
    hpcest migrate --write PATH...    # apply (atomic writes; unparsable output never written)
    hpcest migrate --check PATH...    # exit 1 if anything would change
    options: --format text|json|sarif, --target azureml|hpcest, --jobs N, --include/--exclude GLOB,
             --no-gitignore, --debug, -h
    exit status: 0 ok, 1 --check found changes, 2 bad input (files not read/parsed), 3 internal error

Library::

    from migrate.transform import migrate_source      # str -> MigrationResult(code, changed, findings)
    from migrate.runner import migrate_file            # path -> FileResult (.py, .ipynb, .md)
    from migrate.engine import migrate_module          # cst.Module -> (cst.Module, findings)
    from migrate.codemod import MigrateCommand         # the same as a libcst Codemod
    from migrate.lint_script import lint_source, lint_entry_script, lint_script_tree
    from migrate.packages import check_pip, check_conda, check_framework_pins, missing_packages

Layout (one job per module):

* ``analysis``      the one analysis pass: v1 calls resolved through imports, bindings, attribute uses
* ``engine``        runs the rules over the analysis and applies their edits (``cst_walk.rebuild``)
* ``rules/*``       one module per rewrite or lint rule, each with its codes and a before/after
* ``arguments`` / ``environment`` / ``distribution``  script_params, Environment and distribution builders
* ``imports``       import edits from name counts kept during the edit pass
* ``cst_walk`` / ``cst_build``  fast tree walks and rebuilds; constructors for emitted nodes
* ``packages`` / ``lint_script``  package warnings and entry-script lint (HPP3xx / HPL20x)
* ``chunks`` / ``notebook`` / ``markdown``  multi-cell sources analysed as one module
* ``files`` / ``source_text`` / ``runner`` / ``report`` / ``cli``  discovery, bytes, the run, output
* ``prestart`` / ``workers`` / ``pool``  the workers: one warm process forked on the command's first line
  loads libcst once and forks the others; the parent hands out files and collects results
* ``libcst_lean``   loads libcst with its metadata package's ``__init__`` (every provider) deferred to first use
* ``framework_data``  framework tables, read from ``framework_tables.json`` (generated from hpc_estimator.v1)
* ``findings``      the stable warning codes

Warning codes: HPM1xx rewrite left undone (a ``# TODO(hpcest-migrate):`` comment marks the call),
HPL2xx lint, HPP3xx packages, HPE9xx file errors. See ``migrate.findings.CODES``.
"""
