#!/usr/bin/env bash
# Benchmark: an XYZ tree of coloured PNG tiles, zooms 1 to 8, from a geographic Float32 raster: trellis
# (bench/jobs/render-xyz.yaml: tile, reproject to Web Mercator zoom 8, pyramid, render_png through a
# colour-relief file) against what a GDAL user runs: `gdaldem color-relief -alpha` then
# `gdal2tiles.py --processes=2 -z 1-8 --xyz`, on the same input, in one run. Then `trellis serve` of the
# same pyramid (written as a catalog by bench/jobs/render-catalog.yaml, not timed) under load.
#
#   bench/render.sh            # from anywhere; needs a built trellis (it does not build one)
#
# The input is Europe (12 W to 32 E, 34 N to 62 N) cut from the geographic NDVI input of make-data.sh
# (1/60 degree): the whole world at zoom 8 is 65,536 tiles, which gdal2tiles takes far too long for a
# benchmark on 2 cores.
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) gdaldem color-relief -alpha + gdal2tiles.py --processes=2 -z 1-8 --xyz -w none   (the reference)
#   (b) trellis on 2 ranks, OMP_NUM_THREADS=1                                     (goal: <= 0.2 x (a))
#   (c) trellis on 1 rank,  OMP_NUM_THREADS=2
# Then the server: `trellis serve --threads 2 --cache-mb 0` (no cache: every tile rendered on request)
# answers SERVE_REQUESTS (default 20,000) requests of the tiles of zooms 5-8 with a style needing the
# layer's histogram (ramp=viridis&quantiles=10), over 32 keep-alive connections (bench/serve-load.cpp,
# compiled into the cache): tiles/s, p50/p99/max latency, errors, the server's resident memory after a
# warm-up of 2,000 requests and at the end (goal: >= 500 tiles/s with p99 < 50 ms).
# Environment: see bench/lib.sh; TRELLIS_BENCH_SCALE (input size) in bench/make-data.sh.
section=render
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_setup gdaldem gdal2tiles.py c++
world=$(bench/make-data.sh)
input=$cache/render/europe.tif
if [ ! -f "$input" ]; then
  mkdir -p "$cache/render"
  gdal_translate -q -projwin -12 62 32 34 -co TILED=YES -co COMPRESS=DEFLATE "$world" "$input.part.tif"
  mv "$input.part.tif" "$input"
fi
colors=$out/ndvi-relief.txt
cat >"$colors" <<'TXT'
nv 0 0 0 0
-0.2 120 80 40
0 210 190 140
0.2 190 210 110
0.4 120 180 70
0.6 50 140 40
0.8 20 100 30
1 0 60 20
TXT

names=(a b c)
what[a]="gdaldem color-relief + gdal2tiles.py --processes=2"
what[b]="trellis, 2 ranks x 1 thread"
what[c]="trellis, 1 rank x 2 threads"
output[a]=$out/gdal2tiles
output[b]=$out/trellis-2ranks
output[c]=$out/trellis-1rank
command_of() {
  case $1 in
    a) printf '%s\n' sh -c "gdaldem color-relief -q -alpha '$input' '$colors' '$out/rgba.tif' && \
gdal2tiles.py -q --processes=2 -z 1-8 --xyz -w none '$out/rgba.tif' '${output[a]}'" ;;
    b) trellis_on 2 1 && printf '%s\n' bench/jobs/render-xyz.yaml --var "IN=$input" --var "COLORS=$colors" \
         --var "OUT=${output[b]}" ;;
    c) trellis_on 1 2 && printf '%s\n' bench/jobs/render-xyz.yaml --var "IN=$input" --var "COLORS=$colors" \
         --var "OUT=${output[c]}" ;;
  esac
}

log "input $(show "$input")"
run_all "$input"
summarize
count_pngs() { find "$1" -name '*.png' | wc -l; }
n_a=$(count_pngs "${output[a]}") n_b=$(count_pngs "${output[b]}")
diff -r -q "${output[b]}" "${output[c]}" >/dev/null || die "the trees of (b) and (c) differ"
met=$(awk -v r="${ratio[b]}" 'BEGIN { print (r <= 0.2 ? "met" : "not met") }')

# --- the server under load -----------------------------------------------------------------------------
catalog=$out/catalog
OMP_NUM_THREADS=1 mpirun -n 2 --bind-to none "$trellis" run bench/jobs/render-catalog.yaml --var "IN=$input" \
  --var "OUT=$catalog" --log-level warn || die "the catalog job failed"
# shellcheck disable=SC2046 # pkg-config's flags are words
load_bin=$(bench_tool serve-load -O2 -std=c++17 -pthread $(pkg-config --cflags --libs cpp-httplib)) || exit 1
requests=${SERVE_REQUESTS:-20000}
style='ramp=viridis&quantiles=10'
(cd "${output[b]}" && find 5 6 7 8 -name '*.png' | sort | awk -v s="$style" '{ print "/bench/" $0 "?" s }') >"$out/paths.txt"
start_serve "$catalog" --threads 2 --cache-mb 0
port=$serve_port
rss_of() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$serve_pid/status"; }
"$load_bin" 127.0.0.1 "$port" "$out/paths.txt" 2000 32 >"$logs/warmup.txt" || die "errors in the warm-up: $(cat "$logs/warmup.txt")"
rss_warm=$(rss_of)
"$load_bin" 127.0.0.1 "$port" "$out/paths.txt" "$requests" 32 >"$logs/load.txt" || true
"$load_bin" 127.0.0.1 "$port" "$out/paths.txt" "$((requests / 2))" 8 >"$logs/load8.txt" || true
"$load_bin" 127.0.0.1 "$port" "$out/paths.txt" "$((requests / 2))" 4 >"$logs/load4.txt" || true
rss_end=$(rss_of)
stop_serve
read -r _ l_req _ l_err _ l_sec _ l_rate _ l_p50 _ l_p99 _ l_max <"$logs/load.txt"
read -r _ m_req _ m_err _ m_sec _ m_rate _ m_p50 _ m_p99 _ m_max <"$logs/load8.txt"
read -r _ k_req _ k_err _ k_sec _ k_rate _ k_p50 _ k_p99 _ k_max <"$logs/load4.txt"
goal_of() { awk -v r="$1" -v p="$2" -v e="$3" 'BEGIN { print (r >= 500 && p < 50 && e == 0 ? "met" : "not met") }'; }
serve_met=$(goal_of "$l_rate" "$l_p99" "$l_err") serve_met8=$(goal_of "$m_rate" "$m_p99" "$m_err")
n_paths=$(wc -l <"$out/paths.txt")

# --- report ------------------------------------------------------------------------------------------
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'trellis / (gdaldem + gdal2tiles): 2 ranks %s (goal <= 0.2: %s), 1 rank %s; tiles: gdal2tiles %s, trellis %s\n' \
  "${ratio[b]}" "$met" "${ratio[c]}" "$n_a" "$n_b"
printf 'serve: %s requests of %s tiles, 32 connections: %s tiles/s, p50 %s ms, p99 %s ms, max %s ms, %s errors (goal: %s)\n' \
  "$l_req" "$n_paths" "$l_rate" "$l_p50" "$l_p99" "$l_max" "$l_err" "$serve_met"
printf 'serve, 8 connections: %s tiles/s, p99 %s ms, %s errors (goal: %s); 4 connections: %s tiles/s, p99 %s ms; RSS %s -> %s MiB\n\n' \
  "$m_rate" "$m_p99" "$m_err" "$serve_met8" "$k_rate" "$k_p99" "$rss_warm" "$rss_end"
steps_block b

section_file=$(mktemp)
trap 'rm -f "$section_file"; stop_serve' EXIT
{
  report_header "$input"
  echo "  Europe (12 W-32 E, 34-62 N) cut from the geographic NDVI input; a colour-relief file of 7 entries and \`nv\`."
  echo
  echo "$table"
  echo
  echo "trellis / (gdaldem color-relief + gdal2tiles.py): **${ratio[b]}** on 2 ranks x 1 thread (goal <= 0.2: **$met**),"
  echo "${ratio[c]} on 1 rank x 2 threads. gdal2tiles wrote $n_a PNG tiles, trellis $n_b (tiles with nothing to draw"
  echo "are not written; gdal2tiles writes the tiles its raster's bounds meet, transparent ones included)."
  echo "(b) and (c) wrote identical trees. Wall clock of the whole command (mpirun included), median of $runs runs"
  echo "interleaved; peak RSS of the largest process, the highest of the runs."
  echo
  echo "**Serving dynamic tiles**: \`trellis serve --threads 2 --cache-mb 0\` (no tile cache: every tile rendered"
  echo "on request: read from the catalog, coloured by viridis over the layer's 10 quantile breaks, encoded) on"
  echo "the same pyramid as a catalog, the $n_paths tiles of zooms 5-8 requested in turn over keep-alive connections by"
  echo "\`bench/serve-load.cpp\`, on the same 2 cores as the server (goal: >= 500 tiles/s with p99 < 50 ms):"
  echo
  echo "| connections | requests | tiles/s | p50 ms | p99 ms | max ms | errors | goal |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---|"
  echo "| 32 | $l_req | $l_rate | $l_p50 | $l_p99 | $l_max | $l_err | $serve_met |"
  echo "| 8 | $m_req | $m_rate | $m_p50 | $m_p99 | $m_max | $m_err | $serve_met8 |"
  echo "| 4 | $k_req | $k_rate | $k_p50 | $k_p99 | $k_max | $k_err | $(goal_of "$k_rate" "$k_p99" "$k_err") |"
  echo
  echo "With 32 connections every request waits behind the 31 others: by Little's law the mean latency is"
  echo "32 / throughput, which stays under 50 ms only above 640 tiles/s (and p99 is above the mean). The server's"
  echo "resident memory: $rss_warm MiB after a warm-up of 2,000 requests, $rss_end MiB after the $((l_req + m_req + k_req)) requests."
  echo
  commands_block
  echo
  steps_block b
} >"$section_file"
write_section "Rendering: XYZ PNG tiles, and serving them" "$section_file"
