"""A toy training loop for the sweep example: logs accuracy once per epoch, as real scripts do."""

import argparse
import math
import time

from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--learning_rate", type=float, default=0.1)
parser.add_argument("--batch_size", type=int, default=32)
parser.add_argument("--epochs", type=int, default=8)
args = parser.parse_args()

run = Run.get_context()
# Best near learning_rate 0.3; small batches learn a little faster.
quality = math.exp(-((math.log10(args.learning_rate) - math.log10(0.3)) ** 2)) * (1 + 8 / args.batch_size) / 1.5
for epoch in range(1, args.epochs + 1):
    run.log("accuracy", quality * (1 - math.exp(-epoch / 3)))
    time.sleep(1)
