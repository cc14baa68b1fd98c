#!/bin/bash
# A two-stage chain: an ingest, then an analysis that starts only if the ingest succeeded
# (--dependency=afterok). Run it on the login node; it submits both jobs and prints their ids.
#
#   slurm/chain.sh slurm/examples/ingest.yaml slurm/examples/analysis.yaml --var DATA=/data --var OUT=/out
#
# Arguments after the two job files go to both runs. The ingest uses slurm/ingest.sbatch, the analysis
# slurm/trellis.sbatch; INGEST_OPTS and ANALYSIS_OPTS add sbatch options to each (they override the
# scripts' #SBATCH lines), e.g. INGEST_OPTS="--nodes=2 --time=00:30:00".
# If the ingest fails or is stopped (exit status != 0), the analysis is cancelled, never run on partial
# data (--kill-on-invalid-dep=yes).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 INGEST.yaml ANALYSIS.yaml [--var KEY=VALUE ...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
ingest_job=$1
analysis_job=$2
shift 2
# shellcheck disable=SC2086 # the *_OPTS are lists of options
ingest=$(sbatch --parsable ${INGEST_OPTS:-} "$here/ingest.sbatch" "$ingest_job" "$@")
ingest=${ingest%%;*}
# shellcheck disable=SC2086
analysis=$(sbatch --parsable --dependency="afterok:$ingest" --kill-on-invalid-dep=yes ${ANALYSIS_OPTS:-} \
  "$here/trellis.sbatch" "$analysis_job" "$@")
analysis=${analysis%%;*}
echo "ingest job $ingest, analysis job $analysis (after $ingest succeeds)"
