"""An MPI estimator as v1 code wrote it: 2 nodes x 2 ranks. Submit with
`hpcest submit examples/mpi_allreduce/job.py:estimator --target <cluster> --wait`."""

import os

from hpc_estimator import Estimator, Mpi

estimator = Estimator(
    source_directory=os.path.dirname(os.path.abspath(__file__)),
    compute_target="mycluster",
    entry_script="allreduce.py",
    node_count=2,
    distributed_training=Mpi(process_count_per_node=2),
    use_docker=False,  # this example uses the cluster's own Python and mpi4py; drop it to run in the image
)
