"""``python -m hpc_estimator.compat SCRIPT|NOTEBOOK [ARGS...]``: the same as ``hpcest run FILE -- ARGS``.

It hands over to the ``hpcest run`` command (one implementation, one exit-code table) in this
process's interpreter; hpcest's own options (``--target``, ``--cells``) come before the file.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[0].strip("`"))
        print("options before the file are hpcest run's: --target NAME, --cells A-B (see: hpcest run -h)")
        sys.exit(0 if argv else 2)
    options: list[str] = []
    while argv and argv[0].startswith("-"):
        options.append(argv.pop(0))
        if options[-1] in ("--target", "--cells") and argv:
            options.append(argv.pop(0))
    if not argv:
        print("hpcest: error: python -m hpc_estimator.compat needs a script or notebook", file=sys.stderr)
        sys.exit(2)
    command = [sys.executable, "-m", "hpc_estimator", "run", *options, argv[0], "--", *argv[1:]]
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main(sys.argv[1:])
