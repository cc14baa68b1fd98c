#!/usr/bin/env bash
# Benchmark: tile_to_layout + write_catalog (bench/jobs/catalog-write.yaml) against tile_to_layout +
# write_geotiff (bench/jobs/tile-write.yaml) and `gdal_translate -co TILED=YES -co COMPRESS=DEFLATE`, on
# the same large input, in one run; then one-tile queries of the catalog written.
#
#   bench/catalog.sh           # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) gdal_translate -co TILED=YES -co COMPRESS=DEFLATE        (the goal's reference)
#   (b) trellis on 2 ranks, OMP_NUM_THREADS=1: write_catalog     (goal: wall time <= (a))
#   (c) trellis on 2 ranks, OMP_NUM_THREADS=1: write_geotiff     (for comparison: the same tiles, one file)
#   (d) trellis on 1 rank,  OMP_NUM_THREADS=2: write_catalog
#   (e) trellis on 2 ranks, OMP_NUM_THREADS=1: write_catalog to hdf5:// (deflate 6)
#   (f) trellis on 2 ranks, OMP_NUM_THREADS=1: write_catalog to hdf5:// with deflate_level 0
#   (g) dd of as many bytes as (f)'s file (bs=4M, conv=fdatasync): the disk's sequential write
# HDF5 write throughput = (f)'s file bytes / its write_catalog step's time; goal >= 70 % of (g)'s.
# Then, on the catalog (b) wrote, QUERY_RUNS one-tile queries (read_value of a tile near the middle)
# with trellis as one process (no mpirun): the whole command's wall time and the step's own time
# (goal: under 100 ms), and 10 x QUERY_RUNS one-tile queries answered by `trellis serve` (/values/, one
# curl each: the request's wall time). Checks that the catalog holds every tile of gdal_translate's file (the tile read
# back equals the same window of (a)), prints the tables and rewrites this section of docs/benchmarks.md.
# Environment: see bench/lib.sh; TRELLIS_BENCH_SCALE (input size) in bench/make-data.sh.
section=catalog
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_setup
input=$(bench/make-data.sh)
query_runs=${QUERY_RUNS:-11}

names=(a b c d e f g)
what[a]="gdal_translate"
what[b]="trellis write_catalog, 2 ranks x 1 thread"
what[c]="trellis write_geotiff, 2 ranks x 1 thread"
what[d]="trellis write_catalog, 1 rank x 2 threads"
what[e]="trellis write_catalog hdf5://, 2 ranks x 1 thread"
what[f]="trellis write_catalog hdf5:// deflate_level 0, 2 ranks x 1 thread"
what[g]="dd of (f)'s bytes, conv=fdatasync"
output[a]=$out/gdal_translate.tif
output[b]=$out/catalog-2ranks
output[c]=$out/trellis-2ranks.tif
output[d]=$out/catalog-1rank
output[e]=$out/catalog.h5
output[f]=$out/catalog-raw.h5
output[g]=$out/dd.bin
command_of() {
  case $1 in
    a) printf '%s\n' gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE "$input" "${output[a]}" ;;
    b) trellis_on 2 1 && printf '%s\n' bench/jobs/catalog-write.yaml --var "IN=$input" --var "OUT=${output[b]}" ;;
    c) trellis_on 2 1 && printf '%s\n' bench/jobs/tile-write.yaml --var "IN=$input" --var "OUT=${output[c]}" ;;
    d) trellis_on 1 2 && printf '%s\n' bench/jobs/catalog-write.yaml --var "IN=$input" --var "OUT=${output[d]}" ;;
    e) trellis_on 2 1 && printf '%s\n' bench/jobs/catalog-write.yaml --var "IN=$input" --var "OUT=hdf5://${output[e]}" ;;
    f) trellis_on 2 1 && printf '%s\n' bench/jobs/catalog-write.yaml --var "IN=$input" --var "OUT=hdf5://${output[f]}" \
         --var DEFLATE=0 ;;
    g) printf '%s\n' dd if=/dev/zero "of=${output[g]}" bs=4M "count=$(dd_count)" conv=fdatasync status=none ;;
  esac
}

# (g) writes as many 4 MiB blocks as (f)'s file holds (before (f) has run once: an estimate, the input's
# cells as Float32).
dd_count() {
  local bytes
  if [ -f "${output[f]}" ]; then bytes=$(stat -c %s "${output[f]}"); else
    bytes=$(gdalinfo "$input" | sed -n 's/^Size is \([0-9]*\), \([0-9]*\)/\1 \2/p' | awk '{ print $1 * $2 * 4 }')
  fi
  echo $(((bytes + 4194303) / 4194304))
}

log "input $(show "$input")"
run_all "$input"
summarize
# HDF5 throughput: (f)'s bytes over its write step (median run), against dd's bytes over its wall time.
h5_bytes=$(stat -c %s "${output[f]}")
h5_step=$(steps_of f | awk '$2 == "write_catalog" { print $3 }')
h5_mbs=$(awk -v b="$h5_bytes" -v t="$h5_step" 'BEGIN { printf "%.0f", b / 1048576 / t }')
dd_mbs=$(awk -v b="$(stat -c %s "${output[g]}")" -v t="${med[g]}" 'BEGIN { printf "%.0f", b / 1048576 / t }')
h5_pct=$(awk -v a="$h5_mbs" -v b="$dd_mbs" 'BEGIN { printf "%.0f", 100 * a / b }')
h5_met=$(awk -v p="$h5_pct" 'BEGIN { print (p >= 70 ? "met" : "not met") }')

# --- one-tile queries ----------------------------------------------------------------------------------
cols=$(gdalinfo "$input" | sed -n 's/^Size is \([0-9]*\), .*/\1/p')
rows=$(gdalinfo "$input" | sed -n 's/^Size is [0-9]*, \([0-9]*\)/\1/p')
qc=$((cols / 256 / 2)) qr=$((rows / 256 / 2))
files=$(find "${output[b]}/bench/0" -type f | wc -l)
cat >"$out/query.yaml" <<JOB
version: 1
steps:
  - op: read_value
    uri: ${output[b]}
    layer_name: bench
    col: $qc
    row: $qr
  - op: write_geotiff
    uri: $out/query.tif
    compression: none
JOB
: >"$logs/query.results"
for ((i = 1; i <= query_runs; i++)); do
  t0=$EPOCHREALTIME
  "$trellis" run "$out/query.yaml" >"$logs/query.$i.out" 2>"$logs/query.$i.err" || die "the query failed"
  t1=$EPOCHREALTIME
  step=$(awk '$2 == "read_value" { print $3 }' "$logs/query.$i.err")
  awk -v a="$t0" -v b="$t1" -v s="$step" 'BEGIN { printf "%.3f %s\n", b - a, s }' >>"$logs/query.results"
done
q_wall=$(sort -n -k1,1 "$logs/query.results" | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }')
q_step=$(sort -n -k2,2 "$logs/query.results" | awk '{ v[NR] = $2 } END { printf "%.2f", v[int((NR + 1) / 2)] }')
q_met=$(awk -v w="$q_wall" 'BEGIN { print (w < 0.1 ? "met" : "not met") }')

# --- the same queries from a running server: /values/ of `trellis serve`, one curl (connection) each ----
command -v curl >/dev/null || die "curl is needed for the served queries"
start_serve "${output[b]}" --threads 2 --cache-mb 0
served_runs=$((query_runs * 10))
tiles_x=$((cols / 256)) tiles_y=$((rows / 256))
: >"$logs/served.results"
for ((i = 0; i < served_runs; i++)); do
  # Keys spread over the layer (a different tile file each time), then the checked one.
  c=$(((i * 37 + qc) % tiles_x)) r=$(((i * 17 + qr) % tiles_y))
  ((i == served_runs - 1)) && c=$qc r=$qr
  curl -s -f -o "$out/served.json" -w '%{time_total}\n' "http://127.0.0.1:$serve_port/values/bench/0/$c/$r.json" \
    >>"$logs/served.results" || die "the served query of ($c, $r) failed"
done
stop_serve
s_med=$(sort -n "$logs/served.results" | awk '{ v[NR] = $1 } END { printf "%.4f", v[int((NR + 1) / 2)] }')
s_max=$(sort -n "$logs/served.results" | tail -1 | awk '{ printf "%.4f", $1 }')
s_met=$(awk -v w="$s_max" 'BEGIN { print (w < 0.1 ? "met" : "not met") }')

# --- check: the tile read back is the same window of gdal_translate's file -----------------------------
check="not compared (bench/compare.py needs Debian's python3-gdal)"
if python_gdal; then
  gdal_translate -q -srcwin $((qc * 256)) $((qr * 256)) 256 256 "${output[a]}" "$out/window.tif"
  check=$(bench/compare.py "$out/window.tif" "$out/query.tif") || die "bench/compare.py failed"
  case $check in *" 0 differ"*) ;; *) die "the tile read back differs from gdal_translate's window: $check" ;; esac
  # The served JSON of the same tile, against the same window (NoData is null).
  served_check=$(/usr/bin/python3 - "$out/window.tif" "$out/served.json" <<'PY'
import json, sys
import numpy as np
from osgeo import gdal
ds = gdal.Open(sys.argv[1])  # kept: a band outliving its dataset crashes GDAL's bindings
band = ds.GetRasterBand(1)
ref, nd = band.ReadAsArray().astype(np.float64), band.GetNoDataValue()
got = np.array([[np.nan if v is None else v for v in row] for row in json.load(open(sys.argv[2]))["bands"][0]])
if nd is not None:
    ref[ref == nd] = np.nan
same = (ref == got) | (np.isnan(ref) & np.isnan(got))
print(f"{ref.size} cells, {int((~same).sum())} differ")
PY
  ) || die "the served tile could not be compared"
  case $served_check in *" 0 differ"*) ;; *) die "the served tile differs from gdal_translate's window: $served_check" ;; esac
  check="$check; the served JSON: $served_check"
fi

# --- report ------------------------------------------------------------------------------------------
met=$(goal b a)
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'write_catalog / gdal_translate: 2 ranks %s (goal <= 1: %s); write_geotiff %s\n' "${ratio[b]}" "$met" "${ratio[c]}"
printf 'HDF5 write, deflate 0: %s MiB in %s s = %s MiB/s; dd %s MiB/s: %s %% (goal >= 70 %%: %s)\n' \
  "$((h5_bytes / 1048576))" "$h5_step" "$h5_mbs" "$dd_mbs" "$h5_pct" "$h5_met"
printf 'one-tile query of %s tile files: %s s wall (the read_value step %s s); goal < 0.1 s: %s\n' "$files" "$q_wall" "$q_step" "$q_met"
printf 'served one-tile queries (/values/, curl): median %s s, slowest %s s of %s; goal < 0.1 s: %s\n' "$s_med" "$s_max" "$served_runs" "$s_met"
printf 'tile (%s, %s) read back against the same window of (a): %s\n\n' "$qc" "$qr" "$check"
steps_block b c e f

section_file=$(mktemp)
trap 'rm -f "$section_file"; stop_serve' EXIT
{
  report_header "$input"
  echo "  Float32, striped (one row per strip), LZW."
  echo
  echo "$table"
  echo
  echo "write_catalog / gdal_translate: **${ratio[b]}** on 2 ranks x 1 thread (goal <= 1: **$met**), ${ratio[d]} on 1 rank x"
  echo "2 threads; write_geotiff of the same tiles: ${ratio[c]}. The catalog is $(du -sm "${output[b]}" | cut -f1) MB in $files tile files"
  echo "(zlib level 6, as GeoTrellis writes them); gdal_translate's file is $(du -m "${output[a]}" | cut -f1) MB (DEFLATE)."
  echo "Wall clock of the whole command (mpirun included), median of $runs runs interleaved; peak RSS of the"
  echo "largest process (one rank), the highest of the runs."
  echo
  echo "**HDF5 store**: (e) writes the layer as one HDF5 file ($(du -m "${output[e]}" | cut -f1) MB, deflate 6) in ${ratio[e]} of (a)'s time."
  echo "Without compression (f), the write_catalog step wrote $((h5_bytes / 1048576)) MiB in $h5_step s: **$h5_mbs MiB/s**, against $dd_mbs MiB/s"
  echo "for \`dd\` of the same bytes (g): **$h5_pct %** (goal >= 70 %: **$h5_met**)."
  echo
  echo "**One-tile query**: \`trellis run\` of read_value (tile ($qc, $qr)) + write_geotiff, one process, on the"
  echo "catalog of (b): **$q_wall s** wall for the whole command, the read_value step ${q_step} s (median of $query_runs; goal"
  echo "< 0.1 s: **$q_met**). Served by \`trellis serve\` (\`/values/bench/0/{col}/{row}.json\`, 256x256 cells as JSON, one"
  echo "\`curl\` and connection per query, $served_runs keys spread over the layer): median **$s_med s**, slowest **$s_max s**"
  echo "(goal < 0.1 s: **$s_met**). The tile read back equals the same window of (a) (\`bench/compare.py\`: $check)."
  echo
  commands_block
  echo
  steps_block b c e f
} >"$section_file"
write_section "write_catalog vs write_geotiff and gdal_translate; one-tile queries" "$section_file"
