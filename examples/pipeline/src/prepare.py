"""Step 1: write the data set, COUNT numbers (8-byte little-endian integers) and their checksum."""

import argparse
import hashlib
import os
import random
import struct

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--out", required=True)  # the PipelineData directory this step writes
args = parser.parse_args()

rng = random.Random(42)
data = b"".join(struct.pack("<q", rng.randrange(-10**9, 10**9)) for _ in range(args.count))
with open(os.path.join(args.out, "numbers.bin"), "wb") as f:
    f.write(data)
with open(os.path.join(args.out, "numbers.sha256"), "w") as f:
    f.write(hashlib.sha256(data).hexdigest() + "\n")
print(f"prepare: wrote {args.count} numbers ({len(data)} bytes) to {args.out}", flush=True)
