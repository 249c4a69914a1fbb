"""Cluster profile values are type-checked, and the error names the key."""

from __future__ import annotations

import pytest

from hpc_estimator.cluster.profile import ClusterProfile
from hpc_estimator.errors import ConfigError


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"port": True}, "key 'port' must be an integer, got True"),
        ({"gpus_per_node": "4"}, "key 'gpus_per_node' must be an integer"),
        ({"vm_sizes": {"NC24": {"gpus": "4"}}}, "key 'vm_sizes.NC24.gpus' must be an integer"),
        ({"trust_unknown_host": 1}, "key 'trust_unknown_host' must be true or false"),
        ({"partition": 7}, "key 'partition' must be a string"),
        ({"container_runtime": "docker"}, "key 'container_runtime' must be one of"),
        ({"prologue": "module load x"}, "key 'prologue' must be a list of strings"),
        ({"login_shell": "yes"}, "key 'login_shell' must be true or false"),
        ({"port": 99999}, "key 'port' must be a TCP port 1-65535, got 99999"),
        ({"umask": "0999"}, "key 'umask'"),
        ({"image_fetch": "never"}, "key 'image_fetch' must be one of"),
        ({"status_grace_seconds": "2m"}, "key 'status_grace_seconds' must be a number"),
    ],
)
def test_wrong_types_name_the_key(extra: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ClusterProfile.from_mapping("c", {"transport": "ssh", "host": "login", **extra})


def test_auto_runtime_resolves_to_what_is_installed() -> None:
    profile = ClusterProfile(name="local", container_runtime="auto")
    found, note = profile.with_runtime_detected(lambda cmd: "/usr/bin/ch-run" if cmd == "ch-run" else None)
    assert (found.container_runtime, note) == ("charliecloud", None)
    bare, note = profile.with_runtime_detected(lambda cmd: None)
    assert bare.container_runtime == "none" and "without a container" in (note or "")


def test_home_is_expanded_in_cluster_paths() -> None:
    profile = ClusterProfile(name="c", workdir="~/hpcest", image_cache="~/.cache/img").with_home("/home/alice")
    assert (profile.workdir, profile.image_cache) == ("/home/alice/hpcest", "/home/alice/.cache/img")


def test_login_shell_is_read_from_the_profile() -> None:
    assert ClusterProfile.from_mapping("c", {"transport": "ssh", "host": "h", "login_shell": True}).login_shell
    assert not ClusterProfile.from_mapping("c", {"transport": "ssh", "host": "h"}).login_shell
