"""torch.distributed data-parallel training as a v1 PyTorch estimator ran it.

RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT come from the job (hpcest sets them
from Slurm's task identity); each rank uses the GPU slice CUDA_VISIBLE_DEVICES gives it.
"""

import argparse
import os

import torch
import torch.distributed as dist
from azureml.core.run import Run

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--lr", type=float, default=0.01)
args = parser.parse_args()

dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
device = torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(32, 1).to(device))
opt = torch.optim.SGD(model.parameters(), lr=args.lr)
run = Run.get_context()
for _epoch in range(args.epochs):
    x = torch.randn(256, 32, device=device)
    loss = ((model(x) - x.sum(dim=1, keepdim=True)) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if dist.get_rank() == 0:
        run.log("loss", loss.item())
if dist.get_rank() == 0:
    os.makedirs("outputs", exist_ok=True)
    torch.save(model.module.state_dict(), "outputs/model.pt")
dist.destroy_process_group()
