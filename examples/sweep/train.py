"""A toy training loop for the sweep example: logs accuracy once per epoch, as real scripts do.

A trial that the early-termination policy stops gets SIGTERM first: it saves a checkpoint of
where it was (outputs/checkpoint.json) before it ends, as under v1.
"""

import argparse
import json
import math
import os
import signal
import sys
import time

from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--learning_rate", type=float, default=0.1)
parser.add_argument("--batch_size", type=int, default=32)
parser.add_argument("--epochs", type=int, default=8)
args = parser.parse_args()

run = Run.get_context()
state = {"epoch": 0, "accuracy": None}


def save_checkpoint(signum, frame):
    os.makedirs("outputs", exist_ok=True)
    with open("outputs/checkpoint.json", "w") as fh:
        json.dump({**state, "stopped_by": signal.Signals(signum).name}, fh)
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, save_checkpoint)
# Best near learning_rate 0.3; small batches learn a little faster.
quality = math.exp(-((math.log10(args.learning_rate) - math.log10(0.3)) ** 2)) * (1 + 8 / args.batch_size) / 1.5
for epoch in range(1, args.epochs + 1):
    accuracy = quality * (1 - math.exp(-epoch / 3))
    run.log("accuracy", accuracy)
    state.update(epoch=epoch, accuracy=accuracy)
    time.sleep(1)
