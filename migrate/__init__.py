"""hpcest migrate: rewrite Azure ML SDK v1 estimator code toward ScriptRunConfig + Environment.

Command line (also ``python -m migrate``)::

    hpcest migrate PATH...            # unified diff, writes nothing
    hpcest migrate --write PATH...    # apply (atomic writes; unparsable output never written)
    hpcest migrate --check PATH...    # exit 1 if anything would change, 2 on internal error
    options: --format text|json|sarif, --target azureml|hpcest, --jobs N, --include/--exclude GLOB,
             --no-gitignore

Library::

    from migrate.transform import migrate_source      # str -> MigrationResult(code, changed, findings)
    from migrate.runner import migrate_file            # path -> FileResult (.py, .ipynb, .md)
    from migrate.codemod import MigrateCommand         # the libcst VisitorBasedCodemodCommand

Layout (one job per module):

* ``analysis``      first pass: v1 calls resolved through imports, bindings, attribute reads, submits
* ``codemod``       decisions per call and the transformer (TODO comments for what stays)
* ``arguments``     script_params → arguments, with v1's ordering/expansion/bare-flag rules
* ``environment``   curated ``Environment.get`` or an explicit Environment (packages, image, files)
* ``distribution``  Mpi/Gloo/Nccl/ParameterServer and backend strings → *Configuration objects
* ``prune_imports`` / ``add_imports``  import bookkeeping limited to the names a rewrite touched
* ``packages`` / ``lint_script``       package warnings and entry-script lint (HPP3xx / HPL20x)
* ``chunks`` / ``notebook`` / ``markdown``  multi-cell sources analysed as one module
* ``files`` / ``source_text`` / ``runner`` / ``report`` / ``cli``  discovery, bytes, pool, output
* ``findings``      the stable warning codes

Warning codes: HPM1xx rewrite left undone (a ``# TODO(hpcest-migrate):`` comment marks the call),
HPL2xx lint, HPP3xx packages, HPE9xx file errors. See ``migrate.findings.CODES``.
"""
