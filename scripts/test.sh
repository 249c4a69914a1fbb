#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine (run as root), then runs
# ruff, mypy and the whole test suite, integration tests against a real local Slurm cluster included.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  slurm-wlm slurm-client munge        # slurmctld + slurmd + clients, munge auth
  openssh-server openssh-client       # sshd on loopback for the SSH transport tests
  openmpi-bin libopenmpi-dev libpmix2 # srun --mpi=pmix with OpenMPI
  charliecloud python3-minimal        # ch-run: real container execution; the test image copies Debian's python3
  iproute2 procps util-linux          # ss/ip, ps, unshare/nsenter
  python3-venv                        # the test that installs the real azureml-core into a fresh venv
  git                                 # the staging and ignore-file tests compare with git's own view
)
# Debian's own python3 comes without pip (nor the headers a source build of mpi4py needs); a python3
# that has pip (pyenv, a venv) keeps its own.
python3 -m pip --version >/dev/null 2>&1 || APT_PACKAGES+=(python3-pip python3-dev)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's python3 is marked externally managed (PEP 668) and pip refuses to install into it. This
# is a dedicated test machine and the tests run `hpcest` and sys.executable, so the package goes
# into the python3 that runs pytest, whichever it is (no effect on a python3 not so marked).
export PIP_BREAK_SYSTEM_PACKAGES=1
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

python3 -m ruff check .
python3 -m mypy
# Integration tests must not be skipped where the cluster can run: HPCEST_REQUIRE_CLUSTER turns a skip into a failure.
export HPCEST_REQUIRE_CLUSTER="${HPCEST_REQUIRE_CLUSTER:-1}"
exec python3 -m pytest -q "$@"
