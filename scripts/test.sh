#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what is missing, builds,
# fetches the real sample data, runs every test (ctest). Idempotent and quick on a second run.
# Tests that need ../shared skip with a message when it is absent; TRELLIS_SKIP_SLURM=1 leaves Slurm and
# munge uninstalled (the Slurm tests then skip).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages
# The Slurm tests bring up a private single-node Slurm (scripts/slurm-up.sh); they skip without it.
[ "${TRELLIS_SKIP_SLURM:-0}" = 1 ] || install_slurm_packages || true
build
"$TRELLIS_ROOT/scripts/fetch-data.sh"
mpi_env
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"
