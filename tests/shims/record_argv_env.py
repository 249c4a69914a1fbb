"""Training-script stand-in: records sys.argv, os.environ and cwd as JSON for the tests."""

import json
import os
import sys

with open(os.environ["HPCEST_RECORD_FILE"], "w", encoding="utf-8") as fh:
    json.dump({"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}, fh)
