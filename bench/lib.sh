# Shared by the benchmark scripts in bench/: source it, don't run it.
#
# A benchmark script sets `section` (its name in docs/benchmarks.md), then defines
#   names=(a b ...)            the commands, in run order; (a) is the reference the ratios divide by
#   what[n], output[n]         a label and the output path of each
#   command_of n               prints the argv of command n, one word a line
# and calls, in order: bench_setup; run_all; summarize; (its own checks); then report_header,
# results_table, steps_of and write_section to build and store its report.
#
# Environment (every benchmark):
#   TRELLIS_BIN          the trellis binary (default: ${TRELLIS_BUILD_DIR:-build/release}/trellis)
#   TRELLIS_BENCH_CACHE  inputs, outputs and logs (default: $HOME/.cache/trellis-bench); see make-data.sh
#   BENCH_RUNS           runs of each command (default 3); the median is reported
#   BENCH_UPDATE_DOC     1 (default) to rewrite the benchmark's section of docs/benchmarks.md, 0 to only print
#   BENCH_QUIET_PCT      before each run, wait until the CPUs are less than this % busy (default 20)...
#   BENCH_QUIET_WAIT     ... but at most this many seconds (default 300); the busy % is reported
# shellcheck shell=bash
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

log() { printf '[trellis bench] %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

case $runs in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer, not '$runs'" ;; esac
case $quiet_pct$quiet_wait in '' | *[!0-9]*) die "BENCH_QUIET_PCT and BENCH_QUIET_WAIT must be integers" ;; esac

declare -A what output cmd_str med all rss ratio busy

# --- tools -------------------------------------------------------------------------------------------
# Finds trellis and the tools (GNU time is installed when missing and run as root), sets Open MPI up
# for a workstation, and makes $out/ (outputs) and $logs/ (one log per run) for the section.
bench_setup() {
  local tool
  if [ -n "${TRELLIS_BIN:-}" ]; then
    trellis=$TRELLIS_BIN
  else
    trellis=${TRELLIS_BUILD_DIR:-build/release}/trellis
    [ -x "$trellis" ] ||
      die "no $trellis: build it (scripts/quick-example.sh), or set TRELLIS_BIN (one of: $(echo build/*/trellis))"
  fi
  [ -x "$trellis" ] || die "$trellis is not an executable"
  for tool in gdal_translate gdalinfo mpirun awk "$@"; do
    command -v "$tool" >/dev/null || die "$tool is missing"
  done
  if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then
      log "installing GNU time (Debian package time) for the peak RSS"
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        time >/dev/null || log "could not install time: peak RSS will not be measured"
    else
      log "/usr/bin/time is missing (Debian package time): peak RSS will not be measured"
    fi
  fi
  # Open MPI on a workstation or as root; the caller's settings win.
  export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
  export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1} OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
  out=$cache/out/$section
  logs=$out/logs
  mkdir -p "$out"
  rm -rf "$logs"
  mkdir -p "$logs"
}

bench_tool() { # compiles bench/$1.cpp (not part of the build) once per version of its source into the
  # cache, with the options after $1; prints the binary's path
  local name=$1 bin
  shift
  bin=$cache/bin/$name-$(cksum <"bench/$name.cpp" | cut -d' ' -f1)
  if [ ! -x "$bin" ]; then
    mkdir -p "$cache/bin"
    c++ -o "$bin.part" "bench/$name.cpp" "$@" || die "cannot compile bench/$name.cpp"
    mv "$bin.part" "$bin"
  fi
  printf '%s\n' "$bin"
}

# bench/compare.py (and gdal2tiles.py) need GDAL's Python bindings: Debian's python3-gdal (with numpy),
# installed when missing and run as root. Returns 1 when they are still missing.
python_gdal() {
  /usr/bin/python3 -c 'import osgeo, numpy' 2>/dev/null && return 0
  [ "$(id -u)" = 0 ] || return 1
  log "installing python3-gdal (Debian) for bench/compare.py and gdal2tiles.py"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    python3-gdal >/dev/null || return 1
  /usr/bin/python3 -c 'import osgeo, numpy' 2>/dev/null
}

# Paths as they are shown in the report: relative to the repository, or under $TRELLIS_BENCH_CACHE / ~.
show() {
  local s=$1
  # shellcheck disable=SC2016  # the literal name of the variable, not its value
  s=${s//"$cache"/'$TRELLIS_BENCH_CACHE'}
  s=${s//"$repo/"/}
  s=${s//"$HOME"/'~'}
  printf '%s' "$s"
}

# An argv as a shell would read it back: words with spaces or quotes in double quotes.
shown_argv() {
  local w out=()
  for w in "$@"; do
    case $w in *[[:space:]\'\"]*) out+=("\"$w\"") ;; *) out+=("$w") ;; esac
  done
  printf '%s' "${out[*]}"
}

# trellis on N ranks x T threads (the argv prefix of a command). Ranks of one thread are bound to a core
# each, as mpirun does by default and `srun --cpu-bind=cores` does under Slurm; a rank of several
# threads is left unbound so that its threads spread over the cores.
trellis_on() {
  local bind=none
  [ "$2" = 1 ] && bind=core
  printf '%s\n' mpirun -n "$1" --bind-to "$bind" -x "OMP_NUM_THREADS=$2" "$trellis" run
}

# --- runs --------------------------------------------------------------------------------------------
busy_pct() { # percentage of the machine's CPU time not idle over the next second (/proc/stat)
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2]
                                   printf "%.0f", (busy + idle > 0 ? 100 * busy / (busy + idle) : 0) }'
}
wait_quiet() { # waits (at most quiet_wait s) until other processes use under quiet_pct % of the CPUs
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

# Runs command $1 once (run number $2): appends "wall_s rss_kib run busy%" to $logs/NAME.results.
measure() {
  local n=$1 i=$2 base t0 t1 wall rss=NA b
  local -a argv timer=()
  base=$logs/$n.$i
  mapfile -t argv < <(command_of "$n")
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$base.time")
  rm -rf "${output[$n]}"
  # No run pays for writing back the dirty pages an earlier command left (outputs not synced).
  sync
  b=$(wait_quiet)
  t0=$EPOCHREALTIME
  if ! "${timer[@]}" "${argv[@]}" >"$base.out" 2>"$base.err"; then
    tail -n 20 "$base.err" >&2
    die "($n) failed: $(show "${argv[*]}")"
  fi
  t1=$EPOCHREALTIME
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  [ -f "$base.time" ] && rss=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$base.time")
  printf '%s %s %s %s\n' "$wall" "${rss:-NA}" "$i" "$b" >>"$logs/$n.results"
  log "($n) run $i: ${wall} s (machine $b % busy just before)"
}

# Every command BENCH_RUNS times, interleaved (a b c, a b c, ...); the inputs ($@) read once first, so
# that every run, the first included, finds them in the page cache.
run_all() {
  local i n argv
  for n in "${names[@]}"; do
    mapfile -t argv < <(command_of "$n")
    cmd_str[$n]=$(show "$(shown_argv "${argv[@]}")")
  done
  [ $# -gt 0 ] && cat "$@" >/dev/null
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  log "$runs run(s) of each command, interleaved"
  for ((i = 1; i <= runs; i++)); do
    for n in "${names[@]}"; do measure "$n" "$i"; done
  done
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  busy_max=$(cat "$logs"/*.results | awk '{ if ($4 > m) m = $4 } END { print m + 0 }')
}

median() { # of column 1 of a results file: to 0.01, or to 3 digits below 1 (steps of a few hundredths)
  sort -n -k1,1 "$1" |
    awk 'function show(x) { printf (x < 1 ? "%.3g" : "%.2f"), x }
      { v[NR] = $1 } END { if (NR % 2) show(v[(NR + 1) / 2]); else show((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
median_run() { # the run number whose wall time is the (lower) median
  sort -n -k1,1 "$1" | awk '{ r[NR] = $3 } END { print r[int((NR + 1) / 2)] }'
}

# Fills med, all, busy, rss and ratio (to the first command) for every command.
summarize() {
  local n f ref=${names[0]}
  for n in "${names[@]}"; do
    f=$logs/$n.results
    med[$n]=$(median "$f")
    all[$n]=$(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }' "$f")
    busy[$n]=$(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $4 }' "$f")
    rss[$n]=$(awk '$2 != "NA" { if ($2 > m) m = $2 } END { if (m) printf "%.0f", m / 1024; else print "n/a" }' "$f")
  done
  for n in "${names[@]}"; do
    ratio[$n]=$(awk -v x="${med[$n]}" -v a="${med[$ref]}" 'BEGIN { printf "%.2f", x / a }')
  done
}

# "met" when command $1's median wall time is at most command $2's (strictly less with a third
# argument "faster").
goal() {
  awk -v x="${med[$1]}" -v y="${med[$2]}" -v strict="${3:-}" \
    'BEGIN { ok = strict == "faster" ? x < y : x <= y; print (ok ? "met" : "not met") }'
}

# --- report ------------------------------------------------------------------------------------------
# The steps of trellis' stderr $1, a line each: step, op, wall s, tiles, MiB moved, peak MiB per rank. From
# its table (wall times to 0.01 s), or in full from its job_done event when it logged JSON (--config
# with log_format: json; bench/jobs/json-log.yaml), for steps of a few hundredths of a second.
step_rows() {
  if grep -q '"event":"job_done"' "$1"; then
    python3 -c 'import json, sys
for line in sys.stdin:
    if line.startswith("{") and "\"job_done\"" in line:
        for s in json.loads(line)["steps"]:
            print(s["step"], s["op"], "%.4f" % s["wall_s"], s["tiles"], "%.1f" % (s["bytes_moved"] / 1048576),
                  "%.1f" % (s["peak_rss_bytes"] / 1048576))' <"$1"
  else
    sed -n '/^step  /,/^total /p' "$1" | sed '1d;$d'
  fi
}

# trellis' per-step table of the median run of command $1 (of a run that logged JSON, the same table
# made from step_rows).
steps_of() {
  local r
  r=$(median_run "$logs/$1.results")
  if grep -q '"event":"job_done"' "$logs/$1.$r.err"; then
    step_rows "$logs/$1.$r.err" | awk '
      BEGIN { printf "%-20s %-18s %10s %10s %12s %14s\n", "step", "op", "wall s", "tiles", "moved MiB", "peak MiB/rank" }
      { printf "%-20s %-18s %10.4f %10d %12.1f %14.1f\n", $1, $2, $3, $4, $5, $6; t += $3 }
      END { printf "%-20s %-18s %10.4f\n", "total", "", t }'
  else
    sed -n '/^step  /,/^total /p' "$logs/$1.$r.err"
  fi
}

# trellis' per-step tables of the median runs of the commands given (markdown).
steps_block() {
  local n
  echo "trellis' per-step table (stderr) of the median run of $(printf '(%s) ' "$@" | sed 's/ $//; s/) (/) and (/g'):"
  echo
  echo '```'
  for n in "$@"; do
    [ "$n" = "$1" ] || echo
    echo "($n) ${what[$n]#trellis, }"
    steps_of "$n"
  done
  echo '```'
}

results_table() {
  local n
  printf '| | what | wall s (median) | / (%s) | runs, s | CPUs busy before each run, %% | peak RSS, MiB |\n' "${names[0]}"
  printf '|---|---|---:|---:|---|---|---:|\n'
  for n in "${names[@]}"; do
    printf '| (%s) | %s | %s | %s | %s | %s | %s |\n' "$n" "${what[$n]}" "${med[$n]}" "${ratio[$n]}" "${all[$n]}" \
      "${busy[$n]}" "${rss[$n]}"
  done
}

# The first lines of a report: the script, date, machine, software and input ($1: the input file, a
# raster labelled by make-data.sh; or, with $2, any file, described by $2).
report_header() {
  local input=$1 cpu ram os rev label
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  ram=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  os=$( (. /etc/os-release && printf '%s' "${PRETTY_NAME:-unknown}") 2>/dev/null || echo unknown)
  rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  # (docs/benchmarks.md itself is rewritten by the benchmarks: not a change of what they measure)
  [ -n "$(git status --porcelain -- . ':!docs/benchmarks.md' 2>/dev/null)" ] && rev="$rev + uncommitted changes"
  echo "### Latest run (written by \`bench/$section.sh\`; do not edit by hand)"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $(nproc) cores (nproc), $cpu, $ram RAM, $os, $(uname -r)."
  echo "  Load average (1, 5, 15 min) before: $load_before; after: $load_after. Before each run the script"
  echo "  waits (at most ${quiet_wait} s) for the CPUs to be less than ${quiet_pct} % busy; the table gives how busy they were."
  echo "- Software: trellis $("$trellis" --version | awk '{ print $NF }') (git $rev), $(gdalinfo --version | cut -d, -f1),"
  echo "  $(mpirun --version | head -n 1 | sed 's/mpirun (Open MPI)/Open MPI/')."
  if [ $# -gt 1 ]; then
    echo "- Input: \`$(show "$input")\`: $2, $(du -m "$input" | cut -f1) MB on disk."
    return 0
  fi
  label=$(gdalinfo "$input" | sed -n 's/^ *TRELLIS_BENCH_DATA=//p')
  echo "- Input: \`$(show "$input")\`: $label."
  echo "  $(gdalinfo "$input" | sed -n 's/^Size is //p' | sed 's/, /x/') cells, $(du -m "$input" | cut -f1) MB on disk."
}

# The commands, from the repository root.
commands_block() {
  local n
  echo "Commands, from the repository root (environment: \`OMPI_MCA_pml=ob1\`, plus \`OMPI_ALLOW_RUN_AS_ROOT=1"
  echo "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1\`):"
  echo
  echo '```sh'
  for n in "${names[@]}"; do echo "${cmd_str[$n]}  # ($n)"; done
  echo '```'
}

# Starts `trellis serve CATALOG ARGS... --port 0` in the background, its stderr in $logs/serve.err, and
# sets serve_pid and serve_port once it listens (dies when it does not start within 10 s). The server is
# stopped when the script exits: a script that sets its own EXIT trap calls stop_serve in it.
start_serve() {
  local catalog=$1
  shift
  "$trellis" serve "$catalog" --port 0 "$@" 2>"$logs/serve.err" &
  serve_pid=$!
  trap stop_serve EXIT
  serve_port=
  for _ in $(seq 100); do
    serve_port=$(sed -n 's|.*at http://[^:]*:\([0-9]*\)/.*|\1|p' "$logs/serve.err")
    [ -n "$serve_port" ] && return 0
    sleep 0.1
  done
  die "trellis serve did not start: $(cat "$logs/serve.err")"
}
stop_serve() {
  [ -n "${serve_pid:-}" ] || return 0
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=
}

# Replaces the section of docs/benchmarks.md between this benchmark's markers by the file $2 (the
# markers and a heading $1 are added at the end the first time); nothing when BENCH_UPDATE_DOC=0.
write_section() {
  local title=$1 file=$2 begin end
  [ "$update_doc" = 1 ] || return 0
  begin="<!-- BEGIN bench/$section.sh -->"
  end="<!-- END bench/$section.sh -->"
  if [ ! -f "$doc" ]; then
    printf '# Benchmarks\n\nBenchmarks are not tests: each script in `bench/` runs trellis and the tool a user would otherwise\npick on the same large input, in one run, and rewrites its section below (see [bench/README.md](../bench/README.md)).\n' >"$doc"
  fi
  if ! grep -qF "$begin" "$doc"; then
    printf '\n## %s\n\n%s\n%s\n' "$title" "$begin" "$end" >>"$doc"
  fi
  awk -v b="$begin" -v e="$end" -v f="$file" '
    $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }
  ' "$doc" >"$doc.tmp"
  mv "$doc.tmp" "$doc"
  log "updated $doc"
}
