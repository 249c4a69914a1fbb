"""Each MPI rank reports where it runs; rank 0 logs the allreduce of all ranks (mpi4py)."""

import socket

from azureml.core.run import Run
from mpi4py import MPI

comm = MPI.COMM_WORLD
local = comm.Split_type(MPI.COMM_TYPE_SHARED)
total = comm.allreduce(comm.Get_rank())
print(f"rank {comm.Get_rank()}/{comm.Get_size()} on {socket.gethostname()} (local rank {local.Get_rank()})", flush=True)
if comm.Get_rank() == 0:
    Run.get_context().log("sum_of_ranks", total)
