#!/usr/bin/env bash
# Benchmark: rasterize (bench/jobs/rasterize.yaml: Natural Earth's 4,556 states and provinces burnt with
# their feature ids onto a global 0.01 degree grid, int32, written as a tiled DEFLATE GeoTIFF) against
# `gdal_rasterize` making the same grid, on the same real vector data, in one run.
#
#   bench/rasterize.sh            # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) gdal_rasterize -a v (the SQLite dialect's `fid + 0 as v`) -te -180 -90 180 90 -ts COLS ROWS
#       -ot Int32, tiled DEFLATE output                                 (the goal's reference)
#   (b) trellis on 1 rank,  OMP_NUM_THREADS=2
#   (c) trellis on 2 ranks, OMP_NUM_THREADS=1                    (goal: wall time <= 0.5 x (a))
# Checks that every output has the same grid, block size, cell type and NoData, that (b) and (c) are the
# same file, and counts the cells where trellis and gdal_rasterize differ (bench/compare.py, which needs
# Debian's python3-gdal: installed when missing and run as root).
# Environment: see bench/lib.sh, and
#   RASTERIZE_COLS, RASTERIZE_ROWS  the grid over the whole world (default 36000 x 18000: 0.01 degree)
#   TRELLIS_DATA                    where the real sample data is (default: <repo>/data; world_map.gpkg
#                                   is fetched by scripts/fetch-data.sh when missing)
section=rasterize
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
job=bench/jobs/rasterize.yaml
grid_cols=${RASTERIZE_COLS:-36000}
grid_rows=${RASTERIZE_ROWS:-18000}
case $grid_cols$grid_rows in '' | *[!0-9]*) die "RASTERIZE_COLS and RASTERIZE_ROWS must be integers" ;; esac
data=${TRELLIS_DATA:-$repo/data}
layer=states_provinces

bench_setup gdal_rasterize ogrinfo
input=$data/world_map.gpkg
if [ ! -s "$input" ]; then
  log "fetching the real sample data (scripts/fetch-data.sh)"
  TRELLIS_DATA=$data scripts/fetch-data.sh
fi
input=$(cd "$(dirname "$input")" && pwd)/$(basename "$input")
features=$(ogrinfo -so "$input" "$layer" | sed -n 's/^Feature Count: //p')
[ -n "$features" ] || die "no layer $layer in $(show "$input")"
log "input $(show "$input"), layer $layer: $features features; grid ${grid_cols}x${grid_rows}"
cell_deg=$(awk -v c="$grid_cols" -v r="$grid_rows" 'BEGIN { printf (360 / c == 180 / r ? "%.6g degree" : "%.6g x %.6g degree"), 360 / c, 180 / r }')

names=(a b c)
what[a]="gdal_rasterize"
what[b]="trellis, 1 rank x 2 threads"
what[c]="trellis, 2 ranks x 1 thread"
output[a]=$out/gdal_rasterize.tif
output[b]=$out/trellis-1rank.tif
output[c]=$out/trellis-2ranks.tif
command_of() {
  case $1 in
    a)
      printf '%s\n' gdal_rasterize -q -a v -te -180 -90 180 90 -ts "$grid_cols" "$grid_rows" -ot Int32 \
        -a_nodata -2147483648 -init -2147483648 -dialect SQLite -sql "select fid + 0 as v, geom from $layer" \
        -co TILED=YES -co COMPRESS=DEFLATE "$input" "${output[a]}"
      ;;
    b | c)
      [ "$1" = b ] && trellis_on 1 2
      [ "$1" = c ] && trellis_on 2 1
      printf '%s\n' "$job" --var "GPKG=$input" --var "LAYER=$layer" --var "COLS=$grid_cols" --var "ROWS=$grid_rows" \
        --var "OUT=${output[$1]}"
      ;;
  esac
}

run_all "$input"
summarize

# --- check the outputs -------------------------------------------------------------------------------
grid_of() { gdalinfo "$1" | grep -E '^(Size is|Origin|Pixel Size)|Block=|NoData Value'; }
for n in b c; do
  if [ "$(grid_of "${output[$n]}")" != "$(grid_of "${output[a]}")" ]; then
    diff <(grid_of "${output[a]}") <(grid_of "${output[$n]}") >&2 || true
    die "($n) has another grid, block size, cell type or NoData than gdal_rasterize's; report not updated"
  fi
done
cmp -s "${output[b]}" "${output[c]}" || die "trellis wrote different files on 1 and 2 ranks; report not updated"
comparison="not measured (bench/compare.py needs Debian's python3-gdal)"
if python_gdal; then
  comparison=$(bench/compare.py "${output[a]}" "${output[c]}") || die "bench/compare.py failed"
  comparison+=$(printf '%s\n' "$comparison" | awk '{ printf " (%.3g %% of the cells)", 100 * $3 / $1 }')
fi

# --- report ------------------------------------------------------------------------------------------
met=$(awk -v c="${med[c]}" -v a="${med[a]}" 'BEGIN { print (c <= 0.5 * a ? "met" : "not met") }')
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'trellis / gdal_rasterize: 1 rank x 2 threads %s, 2 ranks x 1 thread %s (goal <= 0.5: %s)\n' \
  "${ratio[b]}" "${ratio[c]}" "$met"
printf 'trellis (c) against gdal_rasterize (a): %s\n' "$comparison"
printf 'load average before %s, after %s; CPUs busy before a run: at most %s %%\n\n' "$load_before" "$load_after" "$busy_max"
steps_block b c

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  report_header "$input" "Natural Earth's admin-1 states and provinces (real data, Debian package qgis-common), layer $layer: $features multipolygons in EPSG:4326"
  echo "- Grid: EPSG:4326, [-180, -90, 180, 90] in ${grid_cols}x${grid_rows} cells of $cell_deg, Int32, NoData -2147483648;"
  echo "  each feature burnt with its feature id (cells whose centre is inside; the later feature wins)."
  echo
  echo "$table"
  echo
  echo "trellis / gdal_rasterize: **${ratio[c]}** on 2 ranks x 1 thread (goal <= 0.5: **$met**), ${ratio[b]} on 1 rank x 2"
  echo "threads. Wall clock of the whole command (mpirun included; each reads the features, burns them and writes a"
  echo "tiled DEFLATE GeoTIFF), median of $runs runs interleaved (a b c, a b c, ...); peak RSS of the largest process (one"
  echo "rank), the highest of the runs. Every output has gdal_rasterize's grid, block size, cell type and NoData;"
  echo "trellis writes the same file on 1 and 2 ranks. Cells of trellis (c) against gdal_rasterize's (a),"
  echo "\`bench/compare.py\` (a NoData cell against a burnt one counts as differing): $comparison."
  echo
  commands_block
  echo
  steps_block b c
} >"$section_file"
write_section "rasterize vs gdal_rasterize" "$section_file"
