"""Fixtures for tests that talk to a real local Slurm cluster and sshd started once per session.

Every test under tests/integration is marked ``integration`` automatically. When the machine cannot
run the cluster (not root, Slurm or sshd not installed) those tests are skipped with the reason,
unless HPCEST_REQUIRE_CLUSTER=1 (set by CI), which turns the skip into a failure: CI must never pass
by silently skipping the tests that matter most.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hpc_estimator.testing import local_cluster as lc
from hpc_estimator.testing.state_dir import new_state_dir, remove_state_dir

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest hook sees the items of the whole session: mark only those living below this directory.
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


def cluster_unavailable(reason: str) -> None:
    """Skip, or fail when CI requires the cluster (HPCEST_REQUIRE_CLUSTER=1)."""
    if os.environ.get("HPCEST_REQUIRE_CLUSTER") == "1":
        pytest.fail(f"local Slurm cluster required (HPCEST_REQUIRE_CLUSTER=1) but {reason}", pytrace=False)
    pytest.skip(f"local Slurm cluster unavailable: {reason}")


@pytest.fixture(scope="session")
def cluster_tools() -> None:
    """For tests that start clusters themselves: skip (or fail under CI) where none can run."""
    problems = lc.missing_requirements(ssh=True)
    if problems:
        cluster_unavailable("; ".join(problems))


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[lc.LocalCluster]:
    """A 2-node cluster (4 CPUs, 4 fake GPUs per node) with sshd, shared by the whole session.

    While it runs, os.environ carries its SLURM_CONF and OMPI_* settings (and no Slurm variables of
    an outer allocation), so plain ``subprocess.run(["sbatch", ...])`` reaches it; the previous
    environment is restored afterwards.
    """
    problems = lc.missing_requirements(ssh=True)
    if problems:
        cluster_unavailable("; ".join(problems))
    state = new_state_dir()
    cluster = lc.start(state)
    saved = {k: v for k, v in os.environ.items() if k.startswith(lc.SLURM_ENV_PREFIXES) or k in cluster.env}
    for key in saved:
        del os.environ[key]
    os.environ.update(cluster.env)
    try:
        yield cluster
    finally:
        for key in cluster.env:
            os.environ.pop(key, None)
        os.environ.update(saved)
        try:
            lc.stop(cluster)
        finally:
            remove_state_dir(state)


@pytest.fixture(scope="session")
def ssh_endpoint(local_cluster: lc.LocalCluster) -> lc.SshEndpoint:
    """The loopback sshd of the session cluster (key-only; ssh_config has ``Host hpcest-test``)."""
    assert local_cluster.ssh is not None, "the session cluster is started with ssh=True"
    return local_cluster.ssh


@pytest.fixture
def start_local_cluster() -> Iterator[Callable[..., lc.LocalCluster]]:
    """Factory for extra, short-lived clusters with their own settings (``min_job_age=5``, 1 node, ...).

    Call it with the keyword arguments of ``local_cluster.start``; every cluster it made is stopped
    and removed when the test ends. os.environ still points at the session cluster: pass
    ``env=cluster.client_env()`` to the Slurm commands meant for the extra one.
    """
    problems = lc.missing_requirements(ssh=False)
    if problems:
        cluster_unavailable("; ".join(problems))
    made: list[lc.LocalCluster] = []

    def make(**kwargs: object) -> lc.LocalCluster:
        cluster = lc.start(new_state_dir("hpcest-extra-"), **kwargs)  # type: ignore[arg-type]
        made.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in made:
            try:
                lc.stop(cluster)
            finally:
                remove_state_dir(cluster.state_dir)
