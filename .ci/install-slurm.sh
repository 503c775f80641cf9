#!/usr/bin/env bash
# Install a local SLURM (slurm-wlm) and munge from the distribution's packages.
#
# Idempotent: does nothing when the binaries are already there. Needs root (or
# sudo) and apt (Debian/Ubuntu). The cluster itself is configured and started
# by the tests (tests/slurm_cluster.py), not here: this only installs.
set -euo pipefail

need=(sinfo squeue sbatch srun scancel slurmctld slurmd munged)
missing=0
for bin in "${need[@]}"; do
    if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
        missing=1
    fi
done
if [ "$missing" -eq 0 ]; then
    echo "install-slurm: slurm and munge already installed" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-slurm: apt-get not found; install slurm-wlm and munge with your package manager" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
echo "install-slurm: installed slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm) and munge" >&2
