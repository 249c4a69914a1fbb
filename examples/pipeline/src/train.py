"""Step 2 (MPI): every rank reads its share of the numbers; an allreduce gives the sum; rank 0 writes the model."""

import argparse
import hashlib
import json
import os
import socket
import struct

from azureml.core.run import Run
from mpi4py import MPI

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)  # the prepare step's output, mounted read-only
parser.add_argument("--model", required=True)  # this step's output
args = parser.parse_args()

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
with open(os.path.join(args.data, "numbers.bin"), "rb") as f:
    data = f.read()
values = [v for (v,) in struct.iter_unpack("<q", data)]
mine = values[rank::size]
total = comm.allreduce(sum(mine))
seen = comm.allreduce(len(mine))
print(f"train: rank {rank}/{size} on {socket.gethostname()} summed {len(mine)} numbers", flush=True)
if rank == 0:
    model = {"count": seen, "sum": total, "mean": total / seen, "ranks": size,
             "data_sha256": hashlib.sha256(data).hexdigest()}
    with open(os.path.join(args.model, "model.json"), "w") as f:
        json.dump(model, f, indent=1, sort_keys=True)
    Run.get_context().log("mean", model["mean"])
    print(f"train: mean {model['mean']:.3f} over {seen} numbers from {size} ranks", flush=True)
