"""Step 3: check the model against a downloaded copy of the data; write the report into outputs/."""

import argparse
import hashlib
import json
import os
import struct

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--data", required=True)  # a copy of the prepare step's output
args = parser.parse_args()

with open(os.path.join(args.model, "model.json")) as f:
    model = json.load(f)
with open(os.path.join(args.data, "numbers.bin"), "rb") as f:
    data = f.read()
values = [v for (v,) in struct.iter_unpack("<q", data)]
report = {
    "data_unchanged": hashlib.sha256(data).hexdigest() == model["data_sha256"],
    "sum_matches": sum(values) == model["sum"],
    "count": len(values),
    "mean": model["mean"],
}
os.makedirs("outputs", exist_ok=True)
with open("outputs/report.json", "w") as f:
    json.dump(report, f, indent=1, sort_keys=True)
print("evaluate:", json.dumps(report, sort_keys=True), flush=True)
if not (report["data_unchanged"] and report["sum_matches"]):
    raise SystemExit("evaluate: the model does not match the data")
