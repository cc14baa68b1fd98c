#!/usr/bin/env bash
# Benchmark: reproject (bench/jobs/reproject.yaml: read, tile, reproject to EPSG:3857 bilinear, write)
# against `gdalwarp -multi -wo NUM_THREADS=2` to the same grid, on the same large input, in one run.
#
#   bench/reproject.sh            # from anywhere; needs a built trellis (it does not build one)
#
# First one untimed trellis run gives the target grid (GeoTrellis' floating layout at the resolution
# GDALSuggestedWarpOutput2 picks); gdalwarp is then given that grid (-te, -ts). Then, interleaved,
# BENCH_RUNS times each (the median is reported):
#   (a) gdalwarp -multi -wo NUM_THREADS=2 -r bilinear, tiled DEFLATE output   (the goal's reference)
#   (b) trellis on 1 rank,  OMP_NUM_THREADS=2
#   (c) trellis on 2 ranks, OMP_NUM_THREADS=1                 (goal: faster than (a))
#   (d) (a) plus -co NUM_THREADS=2: GDAL compressing on both cores too (for information)
# Checks that every output has the same grid, that (b) and (c) are the same file, and how far trellis'
# cells are from gdalwarp's (bench/compare.py, which needs Debian's python3-gdal: installed when missing
# and run as root). Environment: see bench/lib.sh.
section=reproject
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
job=bench/jobs/reproject.yaml

bench_setup gdalwarp
input=$(bench/make-data.sh)
log "input $(show "$input")"

# --- the target grid ---------------------------------------------------------------------------------
grid_file=$out/grid.tif
log "untimed trellis run for the target grid"
mapfile -t argv < <(trellis_on 2 1)
"${argv[@]}" "$job" --var "IN=$input" --var "OUT=$grid_file" >"$logs/grid.out" 2>"$logs/grid.err" ||
  die "the trellis run for the grid failed: $(tail -n 3 "$logs/grid.err")"
# -te xmin ymin xmax ymax and -ts cols rows of the file, at full precision.
read -r -a te_ts < <(gdalinfo "$grid_file" | awk -F'[(), ]+' '
  /^Size is/ { cols = $3; rows = $4 }
  /^Origin =/ { ox = $3; oy = $4 }
  /^Pixel Size =/ { px = $4; py = $5 }
  END { printf "%.17g %.17g %.17g %.17g %d %d\n", ox, oy + rows * py, ox + cols * px, oy, cols, rows }')
[ "${#te_ts[@]}" = 6 ] || die "cannot read the grid of $grid_file"

names=(a b c d)
what[a]="gdalwarp -multi, 2 warp threads"
what[b]="trellis, 1 rank x 2 threads"
what[c]="trellis, 2 ranks x 1 thread"
what[d]="gdalwarp -multi, 2 warp + 2 compression threads"
output[a]=$out/gdalwarp.tif
output[b]=$out/trellis-1rank.tif
output[c]=$out/trellis-2ranks.tif
output[d]=$out/gdalwarp-threads.tif
gdalwarp_argv() {
  printf '%s\n' gdalwarp -q -multi -wo NUM_THREADS=2 -t_srs EPSG:3857 -r bilinear -te "${te_ts[@]:0:4}" \
    -ts "${te_ts[@]:4:2}" -co TILED=YES -co COMPRESS=DEFLATE "$@"
}
command_of() {
  case $1 in
    a) gdalwarp_argv "$input" "${output[a]}" ;;
    b) trellis_on 1 2 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[b]}" ;;
    c) trellis_on 2 1 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[c]}" ;;
    d) gdalwarp_argv -co NUM_THREADS=2 "$input" "${output[d]}" ;;
  esac
}

run_all "$input"
summarize

# --- check the outputs -------------------------------------------------------------------------------
grid_of() { gdalinfo "$1" | grep -E '^(Size is|Origin|Pixel Size)|Block=|Type='; }
for n in b c d; do
  [ "$(grid_of "${output[$n]}")" = "$(grid_of "${output[a]}")" ] ||
    die "($n) has another grid than gdalwarp's; report not updated"
done
cmp -s "${output[b]}" "${output[c]}" || die "trellis wrote different files on 1 and 2 ranks; report not updated"
comparison="not measured (bench/compare.py needs Debian's python3-gdal)"
if python_gdal; then
  comparison=$(bench/compare.py "${output[a]}" "${output[c]}") || die "bench/compare.py failed"
fi

# --- report ------------------------------------------------------------------------------------------
met=$(goal c a faster)
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'trellis / gdalwarp: 1 rank x 2 threads %s, 2 ranks x 1 thread %s (goal < 1: %s)\n' "${ratio[b]}" "${ratio[c]}" "$met"
printf 'trellis (c) against gdalwarp (a): %s\n' "$comparison"
printf 'load average before %s, after %s; CPUs busy before a run: at most %s %%\n\n' "$load_before" "$load_after" "$busy_max"
steps_block b c

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  report_header "$input"
  echo "- Target grid: EPSG:3857, ${te_ts[4]}x${te_ts[5]} cells, extent ${te_ts[*]:0:4} (trellis' floating layout;"
  echo "  gdalwarp is given the same -te and -ts)."
  echo
  echo "$table"
  echo
  echo "trellis / gdalwarp: **${ratio[c]}** on 2 ranks x 1 thread (goal < 1: **$met**), ${ratio[b]} on 1 rank x 2 threads."
  echo "Wall clock of the whole command (mpirun included; trellis reads, tiles, reprojects and writes), median of $runs"
  echo "runs interleaved; peak RSS of the largest process (one rank), the highest of the runs. Every output has the"
  echo "same grid, block size and type; trellis writes the same file on 1 and 2 ranks. Cells of trellis (c) against"
  echo "gdalwarp's (a), \`bench/compare.py\`: $comparison (NDVI ranges over -0.1 to 0.9)."
  echo
  commands_block
  echo
  steps_block b c
} >"$section_file"
write_section "reproject vs gdalwarp" "$section_file"
