"""A small training script in the Azure ML v1 style: arguments in, metrics and a model out.

It fits a linear model with plain gradient descent (no third-party packages), logs the loss
through Run.get_context() and writes the model to ./outputs, as v1 scripts do. It runs without
the Azure ML SDK installed: hpcest puts a stand-in for ``azureml.core`` on the job's path.
"""

import argparse
import json
import os
import random

# Unchanged v1 code: inside hpcest jobs this import gets hpcest's run, which logs to the run directory.
from azureml.core.run import Run

parser = argparse.ArgumentParser()
parser.add_argument("--learning-rate", type=float, default=0.05)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--verbose", action="store_true")
args = parser.parse_args()

run = Run.get_context()
rng = random.Random(0)
xs = [rng.uniform(-1, 1) for _ in range(256)]
ys = [3.0 * x + 0.5 + rng.gauss(0, 0.05) for x in xs]

w, b = 0.0, 0.0
for epoch in range(args.epochs):
    grad_w = sum(2 * (w * x + b - y) * x for x, y in zip(xs, ys)) / len(xs)
    grad_b = sum(2 * (w * x + b - y) for x, y in zip(xs, ys)) / len(xs)
    w -= args.learning_rate * grad_w
    b -= args.learning_rate * grad_b
    loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
    run.log("loss", loss)
    if args.verbose:
        print(f"epoch {epoch}: loss {loss:.5f}", flush=True)

run.log("final_w", w)
os.makedirs("outputs", exist_ok=True)
with open(os.path.join("outputs", "model.json"), "w") as fh:
    json.dump({"w": w, "b": b}, fh)
print(f"trained: w={w:.3f} b={b:.3f}")
