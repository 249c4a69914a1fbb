"""HyperDrive sweeps on the cluster: the sweep directory's files and the controller job.

Submission (``hpc_estimator.runs.sweep``) writes the plan and submits the job arrays; the
controller (:mod:`.controller`) runs as a Slurm job when the sweep needs decisions while it runs.
"""
