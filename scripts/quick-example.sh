#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root): installs what is missing, builds, fetches the
# real sample data and runs jobs/quick-example.yaml on the local cores. Idempotent and quick on a second run.
#   NP=4 scripts/quick-example.sh      # number of MPI ranks (default: the number of cores)
#   OUT=/path scripts/quick-example.sh # where the results go (default: <repo>/out/quick-example)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages
build
"$TRELLIS_ROOT/scripts/fetch-data.sh"
mpi_env
np=${NP:-$(nproc)}
out=${OUT:-$TRELLIS_ROOT/out/quick-example}
log "running jobs/quick-example.yaml on $np rank(s)"
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} mpirun -n "$np" --bind-to none "$BUILD_DIR/trellis" run \
  "$TRELLIS_ROOT/jobs/quick-example.yaml" --var DATA="$TRELLIS_DATA" --var OUT="$out"
log "results in $out:"
ls -l "$out" >&2
