"""``hpcest cluster add|list|check``: the cluster profiles of hpcest.toml."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import click

from ..errors import ConfigError
from ..util.text_table import format_rows
from .common import echo_json, json_option, load_workspace
from .errors import EXIT_RUN_FAILED, EXIT_UNREACHABLE, handle_errors

LOCAL = "local"


@click.group()
def cluster() -> None:
    """Manage and check cluster profiles of hpcest.toml."""


def _defaults_text(name: str, mapping: dict[str, Any], profile: Any) -> list[str]:
    """What the new profile uses, saying which values are defaults and how to change them."""

    def given(key: str) -> str:
        return "" if key in mapping else " (default)"

    transport = (
        f"ssh to {profile.host}" + (f" as {profile.user}" if profile.user else "")
        if profile.transport == "ssh"
        else "local: sbatch/squeue run on this machine (--host makes it ssh)"
    )
    rows = [
        ("transport", transport),
        ("workdir", f"{profile.workdir}{given('workdir')} (run directories, on the shared filesystem)"),
        ("partition", profile.partition or "the cluster's default partition"),
        (
            "container runtime",
            f"{profile.container_runtime}{given('container_runtime')} (--runtime apptainer|singularity|charliecloud|"
            f"auto|none; hpcest cluster check {name} shows what the cluster has)",
        ),
        (
            "image cache",
            f"{profile.image_cache}{given('image_cache')} (on the workdir's filesystem: home quotas are small; "
            "--image-cache to change)",
        ),
        ("python", f"{profile.python}{given('python')} (for jobs without a container)"),
        (
            "gpus per node",
            str(profile.gpus_per_node) if profile.gpus_per_node is not None else "one per rank (default)",
        ),
    ]
    return [f"  {label + ':':<19} {value}" for label, value in rows]


@cluster.command("add")
@click.argument("name")
@click.option("--host", help="SSH host or ~/.ssh/config alias (omit for a cluster reached from this machine).")
@click.option("--user", help="SSH user (default: ~/.ssh/config's, else yours).")
@click.option("--port", type=click.IntRange(1, 65535), help="SSH port (default: 22 or ~/.ssh/config's).")
@click.option("--workdir", default="~/hpcest", show_default=True, help="Run directories on the shared filesystem.")
@click.option("--partition", help="Slurm partition (default: the cluster's default partition).")
@click.option("--account", help="Slurm account (sbatch --account).")
@click.option("--qos", help="Slurm QOS (sbatch --qos).")
@click.option("--gpus-per-node", type=click.IntRange(min=0), help="GPUs of a node (default: one per rank).")
@click.option(
    "--runtime",
    type=click.Choice(["apptainer", "singularity", "charliecloud", "auto", "none"]),
    default="apptainer",
    show_default=True,
    help="Container runtime; auto: what the login node has.",
)
@click.option("--image-cache", help="Where pulled images are kept on the cluster.")
@click.option("--prologue", multiple=True, help="Shell line run before launch, e.g. 'module load apptainer'.")
@click.option("--python", help="Python on the cluster for jobs without a container (default: python3).")
@click.option("--ssh-config", help="OpenSSH client config to read instead of ~/.ssh/config.")
@click.option("--client-env", multiple=True, help="KEY=VALUE for Slurm client commands, e.g. SLURM_CONF=...")
@click.option("--replace", is_flag=True, help="Overwrite an existing profile of that name.")
@json_option("the new profile (every setting, defaults included)")
@click.pass_context
@handle_errors
def cluster_add(ctx: click.Context, name: str, **opts: Any) -> None:
    """Add cluster NAME to hpcest.toml."""
    ws = load_workspace(create_default=False)
    replace = opts.pop("replace")
    as_json = opts.pop("as_json")
    mapping: dict[str, Any] = {"transport": "ssh" if opts.get("host") else "local"}
    client_env = opts.pop("client_env")
    for key, value in opts.items():
        if value in (None, ()):
            continue
        if ctx.get_parameter_source(key) is click.core.ParameterSource.DEFAULT:
            continue  # the profile's own default: hpcest.toml only holds what was chosen
        mapping["container_runtime" if key == "runtime" else key] = list(value) if key == "prologue" else value
    if client_env:
        pairs = [item.partition("=") for item in client_env]
        bad = [k for k, sep, _ in pairs if not sep or not k]
        if bad:
            raise click.BadParameter(f"{bad[0]!r}: use KEY=VALUE", param_hint="--client-env")
        mapping["client_env"] = {k: v for k, _, v in pairs}
    try:
        profile = ws.add_profile(name, mapping, replace=replace)
    except ConfigError as exc:
        if "already exists" in str(exc):
            raise ConfigError(
                f"cluster {name!r} already exists in {ws.config_file}; add --replace to overwrite it"
            ) from None
        raise
    if as_json:
        echo_json(_profile_json(ws, name, profile))
        return
    click.echo(f"added cluster {name!r} to {ws.config_file}:")
    for line in _defaults_text(name, mapping, profile):
        click.echo(line)
    click.echo(f"check it with: hpcest cluster check {name}")


def _profile_json(ws: Any, name: str, profile: Any) -> dict[str, Any]:
    data = dataclasses.asdict(profile)
    data["prologue"] = list(profile.prologue)
    data["extra_directives"] = list(profile.extra_directives)
    data["default"] = name == ws.default_target
    data["backend"] = "local (no slurm)" if name == LOCAL else "slurm"
    return data


@cluster.command("list")
@json_option("every profile with all its settings")
@handle_errors
def cluster_list(as_json: bool) -> None:
    """List the compute targets of the workspace."""
    ws = load_workspace()
    profiles = ws.profiles
    if as_json:
        echo_json({n: _profile_json(ws, n, p) for n, p in sorted(profiles.items())})
        return
    rows = [("NAME", "TRANSPORT", "HOST", "RUNTIME", "PARTITION", "DEFAULT")]
    for n, p in sorted(profiles.items()):
        rows.append(
            (
                n,
                p.transport if n != LOCAL else "no slurm",
                p.host or "-",
                p.container_runtime,
                p.partition or "-",
                "*" if n == ws.default_target else "",
            )
        )
    click.echo(format_rows(rows))


def default_cluster(ws: Any) -> str:
    """The cluster ``check`` means without a NAME: the default target, else the only cluster."""
    clusters = sorted(n for n in ws.profiles if n != LOCAL)
    if ws.default_target != LOCAL:
        return str(ws.default_target)
    if len(clusters) == 1:
        return clusters[0]
    if not clusters:
        raise ConfigError(
            f"{ws.config_file} has no cluster profile to check; add one with hpcest cluster add NAME --host LOGIN"
        )
    raise click.UsageError(f"several clusters and no default_target: name one (hpcest cluster check NAME); "
                           f"known: {', '.join(clusters)}")


@cluster.command("check")
@click.argument("name", required=False)
@json_option("the probe's findings")
@handle_errors
def cluster_check(name: str | None, as_json: bool) -> None:
    """Probe cluster NAME (default: the default or only cluster): partitions, GPUs (gres), MaxArraySize,
    MPI plugins, container runtimes. Exit 1 if problems were found, 4 if it cannot be reached.

    What it learns is kept in the workspace (.hpcest/clusters/NAME.json): submissions warn from it
    about jobs the cluster can never start (too many nodes, CPUs or GPUs per node).
    """
    from ..backends import get_backend
    from ..backends.check import probe
    from ..runs.cluster_facts import facts_from_check, save_facts

    ws = load_workspace()
    name = name or default_cluster(ws)
    if name == LOCAL:
        raise ConfigError("'local' runs on this machine without Slurm; check a cluster profile instead")
    backend = get_backend(ws, name)
    report = probe(backend.transport, ws.get_profile(name))
    if report.reached:
        save_facts(ws.history_dir, facts_from_check(name, report.as_dict()))
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.format())
    if not report.reached:
        sys.exit(EXIT_UNREACHABLE)
    if not report.ok:
        sys.exit(EXIT_RUN_FAILED)
