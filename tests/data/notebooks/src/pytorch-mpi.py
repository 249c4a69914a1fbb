# %% [markdown]
# # Distributed PyTorch with Horovod-style MPI on AmlCompute
#
# Two nodes, two processes per node, launched by MPI (Azure ML SDK 1.x, 2020).

# %%
import os

from azureml.core import Experiment, Workspace
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException
from azureml.train.dnn import Mpi, PyTorch

ws = Workspace.from_config()

# %%
cluster_name = "gpu-cluster"

if cluster_name in ws.compute_targets:
    compute_target = ws.compute_targets[cluster_name]
    print("found compute target:", compute_target.name)
else:
    try:
        compute_target = ComputeTarget(workspace=ws, name=cluster_name)
    except ComputeTargetException:
        config = AmlCompute.provisioning_configuration(vm_size="STANDARD_NC6", max_nodes=4)
        compute_target = ComputeTarget.create(ws, cluster_name, config)
        compute_target.wait_for_completion(show_output=True)

# %%
project_folder = "./pytorch-distr-hvd"
os.makedirs(project_folder, exist_ok=True)

# %%
%%writefile {project_folder}/hvd_ranks.py
# Each MPI rank reports who it is; rank 0 logs the world size (no torch needed to show the launch).
import os
import socket

from azureml.core.run import Run

# mpirun sets OMPI_COMM_WORLD_*; a scheduler's own launcher (srun) sets SLURM_* instead.
rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("SLURM_PROCID", "0")))
size = int(os.environ.get("OMPI_COMM_WORLD_SIZE", os.environ.get("SLURM_NTASKS", "1")))
local_rank = int(os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", os.environ.get("SLURM_LOCALID", "0")))
print("rank {} of {} (local rank {}) on {}".format(rank, size, local_rank, socket.gethostname()), flush=True)

run = Run.get_context()
if rank == 0:
    run.log("world_size", size)
os.makedirs("outputs", exist_ok=True)
with open("outputs/rank-{}.txt".format(rank), "w") as f:
    f.write(socket.gethostname())

# %%
estimator = PyTorch(source_directory=project_folder,
                    compute_target=compute_target,
                    entry_script="hvd_ranks.py",
                    node_count=2,
                    distributed_training=Mpi(process_count_per_node=2),
                    use_gpu=False,
                    framework_version="1.6")

run = Experiment(ws, "pytorch-distr-hvd").submit(estimator)
print(run)

# %%
run.wait_for_completion(show_output=True)

# %%
print(run.get_metrics())
print(sorted(n for n in run.get_file_names() if n.startswith("outputs/")))
