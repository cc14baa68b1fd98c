#!/usr/bin/env bash
# Benchmark: tile_to_layout + write_geotiff (bench/jobs/tile-write.yaml) against
# `gdal_translate -co TILED=YES -co COMPRESS=DEFLATE`, on the same large input, in one run.
#
#   bench/tile-write.sh           # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (default 3; the median is reported):
#   (a) gdal_translate -co TILED=YES -co COMPRESS=DEFLATE        (the goal's reference)
#   (b) trellis on 1 rank,  OMP_NUM_THREADS=2
#   (c) trellis on 2 ranks, OMP_NUM_THREADS=1                     (goal: wall time <= (a))
#   (d) gdal_translate as (a) plus -co NUM_THREADS=2              (for information: GDAL on both cores)
# Wall clock of each run, peak RSS of its largest process (/usr/bin/time -v), and trellis' own
# per-step table. Then checks that every output has the same grid, block size, cell type, NoData and
# cells (gdalinfo -checksum), prints a table with the ratios to (a), and rewrites this benchmark's
# section of docs/benchmarks.md (between its BEGIN/END markers; the text around them is kept).
#
# Environment:
#   TRELLIS_BIN          the trellis binary (default: ${TRELLIS_BUILD_DIR:-build/release}/trellis)
#   TRELLIS_BENCH_CACHE  input and output cache (default: $HOME/.cache/trellis-bench); see make-data.sh
#   TRELLIS_BENCH_SCALE  input size, see make-data.sh
#   BENCH_RUNS           runs of each command (default 3)
#   BENCH_UPDATE_DOC     1 (default) to rewrite the section of docs/benchmarks.md, 0 to only print
#   BENCH_QUIET_PCT      before each run, wait until the CPUs are less than this % busy (default 20)...
#   BENCH_QUIET_WAIT     ... but at most this many seconds (default 300); the busy % is reported
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
cache=${TRELLIS_BENCH_CACHE:-$HOME/.cache/trellis-bench}
export TRELLIS_BENCH_CACHE=$cache
runs=${BENCH_RUNS:-3}
quiet_pct=${BENCH_QUIET_PCT:-20}
quiet_wait=${BENCH_QUIET_WAIT:-300}
update_doc=${BENCH_UPDATE_DOC:-1}
doc=docs/benchmarks.md
job=bench/jobs/tile-write.yaml
section=tile-write

log() { printf '[trellis bench] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

case $runs in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer, not '$runs'" ;; esac
case $quiet_pct$quiet_wait in '' | *[!0-9]*) die "BENCH_QUIET_PCT and BENCH_QUIET_WAIT must be integers" ;; esac

# --- tools -------------------------------------------------------------------------------------------
find_trellis() {
  if [ -n "${TRELLIS_BIN:-}" ]; then
    printf '%s\n' "$TRELLIS_BIN"
    return 0
  fi
  local c=${TRELLIS_BUILD_DIR:-build/release}/trellis
  if [ -x "$c" ]; then
    printf '%s\n' "$c"
    return 0
  fi
  return 1
}
trellis=$(find_trellis) ||
  die "no ${TRELLIS_BUILD_DIR:-build/release}/trellis: build it (scripts/quick-example.sh), or set TRELLIS_BIN (one of: $(echo build/*/trellis))"
[ -x "$trellis" ] || die "$trellis is not an executable"
for tool in gdal_translate gdalinfo mpirun awk; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing GNU time (Debian package time) for the peak RSS"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends time >/dev/null ||
      log "could not install time: peak RSS will not be measured"
  else
    log "/usr/bin/time is missing (Debian package time): peak RSS will not be measured"
  fi
fi

# Open MPI on a workstation or as root; the caller's settings win.
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1} OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}

# Paths as they are shown in the report: relative to the repository, or under $TRELLIS_BENCH_CACHE / ~.
show() {
  local s=$1
  # shellcheck disable=SC2016  # the literal name of the variable, not its value
  s=${s//"$cache"/'$TRELLIS_BENCH_CACHE'}
  s=${s//"$repo/"/}
  s=${s//"$HOME"/'~'}
  printf '%s' "$s"
}

# --- input and commands ------------------------------------------------------------------------------
input=$(bench/make-data.sh)
out=$cache/out/$section
logs=$out/logs
mkdir -p "$out"
rm -rf "$logs"
mkdir -p "$logs"

names=(a b c d)
declare -A what cmd_str output
what[a]="gdal_translate"
what[b]="trellis, 1 rank x 2 threads"
what[c]="trellis, 2 ranks x 1 thread"
what[d]="gdal_translate, NUM_THREADS=2"
output[a]=$out/gdal_translate.tif
output[b]=$out/trellis-1rank.tif
output[c]=$out/trellis-2ranks.tif
output[d]=$out/gdal_translate-threads.tif

command_of() {  # the argv of command $1, one word a line
  local n=$1
  case $n in
    a) printf '%s\n' gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE "$input" "${output[a]}" ;;
    b) printf '%s\n' mpirun -n 1 --bind-to none -x OMP_NUM_THREADS=2 "$trellis" run "$job" --var "IN=$input" --var "OUT=${output[b]}" ;;
    c) printf '%s\n' mpirun -n 2 --bind-to none -x OMP_NUM_THREADS=1 "$trellis" run "$job" --var "IN=$input" --var "OUT=${output[c]}" ;;
    d) printf '%s\n' gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE -co NUM_THREADS=2 "$input" "${output[d]}" ;;
  esac
}
for n in "${names[@]}"; do
  mapfile -t argv < <(command_of "$n")
  cmd_str[$n]=$(show "${argv[*]}")
done

# --- runs --------------------------------------------------------------------------------------------
busy_pct() {  # percentage of the machine's CPU time not idle over the next second (/proc/stat)
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2]
                                   printf "%.0f", (busy + idle > 0 ? 100 * busy / (busy + idle) : 0) }'
}
wait_quiet() {  # waits (at most quiet_wait s) until other processes use under quiet_pct % of the CPUs
  local waited=0 b
  b=$(busy_pct)
  while [ "$b" -ge "$quiet_pct" ] && [ "$waited" -lt "$quiet_wait" ]; do
    [ "$waited" = 0 ] && log "waiting for the machine to be quiet (busy $b %, waiting up to $quiet_wait s)"
    sleep 4
    waited=$((waited + 5))
    b=$(busy_pct)
  done
  printf '%s' "$b"
}

measure() {  # name, run number: runs the command once, appends "wall_s rss_kib run busy%" to logs/NAME.results
  local n=$1 i=$2 base t0 t1 wall rss=NA busy
  local -a argv timer=()
  base=$logs/$n.$i
  mapfile -t argv < <(command_of "$n")
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$base.time")
  rm -f "${output[$n]}"
  busy=$(wait_quiet)
  t0=$EPOCHREALTIME
  if ! "${timer[@]}" "${argv[@]}" >"$base.out" 2>"$base.err"; then
    tail -n 20 "$base.err" >&2
    die "($n) failed: $(show "${argv[*]}")"
  fi
  t1=$EPOCHREALTIME
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  [ -f "$base.time" ] && rss=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$base.time")
  printf '%s %s %s %s\n' "$wall" "${rss:-NA}" "$i" "$busy" >>"$logs/$n.results"
  log "($n) run $i: ${wall} s (machine $busy % busy just before)"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "input $(show "$input"); $runs run(s) of each command, interleaved"
cat "$input" >/dev/null  # the input in the page cache for every run, the first included
for ((i = 1; i <= runs; i++)); do
  for n in "${names[@]}"; do measure "$n" "$i"; done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
busy_max=$(cat "$logs"/*.results | awk '{ if ($4 > m) m = $4 } END { print m + 0 }')

median() {  # of column 1 of a results file
  sort -n -k1,1 "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
median_run() {  # the run number whose wall time is the (lower) median
  sort -n -k1,1 "$1" | awk '{ r[NR] = $3 } END { print r[int((NR + 1) / 2)] }'
}
declare -A med all rss ratio busy
for n in "${names[@]}"; do
  f=$logs/$n.results
  med[$n]=$(median "$f")
  all[$n]=$(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }' "$f")
  busy[$n]=$(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $4 }' "$f")
  rss[$n]=$(awk '$2 != "NA" { if ($2 > m) m = $2 } END { if (m) printf "%.0f", m / 1024; else print "n/a" }' "$f")
  ratio[$n]=$(awk -v x="${med[$n]}" -v a="${med[a]}" 'BEGIN { printf "%.2f", x / a }')
done

# --- check the outputs -------------------------------------------------------------------------------
signature() {  # grid, block size, cell type, NoData and checksum of a GeoTIFF
  gdalinfo -checksum "$1" | grep -E '^(Size is|Origin|Pixel Size)|Block=|NoData Value|Checksum='
}
ref_sig=$(signature "${output[a]}")
for n in b c d; do
  sig=$(signature "${output[$n]}")
  if [ "$sig" != "$ref_sig" ]; then
    diff <(printf '%s\n' "$ref_sig") <(printf '%s\n' "$sig") >&2 || true
    die "($n) wrote different cells or a different grid than gdal_translate; report not updated"
  fi
done
checksum=$(printf '%s\n' "$ref_sig" | sed -n 's/.*Checksum=//p')

# --- report ------------------------------------------------------------------------------------------
steps_of() {  # trellis' per-step table of the median run of command $1
  local r
  r=$(median_run "$logs/$1.results")
  sed -n '/^step  /,/^total /p' "$logs/$1.$r.err"
}
goal=$(awk -v c="${med[c]}" -v a="${med[a]}" 'BEGIN { print (c <= a ? "met" : "not met") }')

table=$(
  printf '| | what | wall s (median) | / (a) | runs, s | CPUs busy before each run, %% | peak RSS, MiB |\n'
  printf '|---|---|---:|---:|---|---|---:|\n'
  for n in "${names[@]}"; do
    printf '| (%s) | %s | %s | %s | %s | %s | %s |\n' "$n" "${what[$n]}" "${med[$n]}" "${ratio[$n]}" "${all[$n]}" \
      "${busy[$n]}" "${rss[$n]}"
  done
)
printf '\n%s\n\n' "$table"
printf 'trellis / gdal_translate: 1 rank x 2 threads %s, 2 ranks x 1 thread %s (goal <= 1: %s)\n' \
  "${ratio[b]}" "${ratio[c]}" "$goal"
printf 'all outputs identical to gdal_translate'"'"'s (gdalinfo -checksum %s)\n' "$checksum"
printf 'load average before %s, after %s; CPUs busy before a run: at most %s %%\n\n' "$load_before" "$load_after" "$busy_max"
printf '(b) per step:\n%s\n(c) per step:\n%s\n' "$(steps_of b)" "$(steps_of c)"

[ "$update_doc" = 1 ] || exit 0

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
ram=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$( (. /etc/os-release && printf '%s' "${PRETTY_NAME:-unknown}") 2>/dev/null || echo unknown)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain 2>/dev/null)" ] && rev="$rev + uncommitted changes"
label=$(gdalinfo "$input" | sed -n 's/^ *TRELLIS_BENCH_DATA=//p')
size=$(gdalinfo "$input" | sed -n 's/^Size is //p')
on_disk=$(du -m "$input" | cut -f1)

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  echo "### Latest run (written by \`bench/tile-write.sh\`; do not edit by hand)"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $(nproc) cores (nproc), $cpu, $ram RAM, $os, $(uname -r)."
  echo "  Load average (1, 5, 15 min) before: $load_before; after: $load_after. Before each run the script"
  echo "  waits (at most ${quiet_wait} s) for the CPUs to be less than ${quiet_pct} % busy; the table gives how busy they were."
  echo "- Software: trellis $("$trellis" --version | awk '{ print $NF }') (git $rev), $(gdalinfo --version | cut -d, -f1),"
  echo "  $(mpirun --version | head -n 1 | sed 's/mpirun (Open MPI)/Open MPI/')."
  echo "- Input: \`$(show "$input")\` made by \`bench/make-data.sh\`: $label."
  echo "  ${size/, /x} Float32, striped (one row per strip), LZW, $on_disk MB on disk."
  echo
  echo "$table"
  echo
  echo "trellis / gdal_translate: **${ratio[c]}** on 2 ranks x 1 thread (goal <= 1: **$goal**), ${ratio[b]} on 1 rank x 2 threads."
  echo "Wall clock of the whole command (mpirun included), median of $runs runs interleaved (a b c d, a b c d, ...);"
  echo "peak RSS of the largest process (one rank), the highest of the runs. Every output has the grid, block"
  echo "size, cell type, NoData and cells of gdal_translate's (\`gdalinfo -checksum\`: $checksum)."
  echo
  echo "Commands, from the repository root (environment: \`OMPI_MCA_pml=ob1\`, plus \`OMPI_ALLOW_RUN_AS_ROOT=1"
  echo "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1\`):"
  echo
  echo '```sh'
  for n in "${names[@]}"; do echo "${cmd_str[$n]}  # ($n)"; done
  echo '```'
  echo
  echo "trellis' per-step table (stderr) of the median run of (b) and (c):"
  echo
  echo '```'
  echo "(b) 1 rank x 2 threads"
  steps_of b
  echo
  echo "(c) 2 ranks x 1 thread"
  steps_of c
  echo '```'
} >"$section_file"

begin="<!-- BEGIN bench/tile-write.sh -->"
end="<!-- END bench/tile-write.sh -->"
if [ ! -f "$doc" ]; then
  cat >"$doc" <<'EOF'
# Benchmarks

Benchmarks are not tests: each script in `bench/` runs trellis and the tool a user would otherwise pick on
the same large input, in one run, and rewrites its section below (see [bench/README.md](../bench/README.md)).
EOF
fi
if ! grep -qF "$begin" "$doc"; then
  printf '\n## tile_to_layout + write_geotiff vs gdal_translate\n\n%s\n%s\n' "$begin" "$end" >>"$doc"
fi
awk -v b="$begin" -v e="$end" -v f="$section_file" '
  $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
  $0 == e { skip = 0 }
  !skip { print }
' "$doc" >"$doc.tmp"
mv "$doc.tmp" "$doc"
log "updated $doc"
