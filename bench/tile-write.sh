#!/usr/bin/env bash
# Benchmark: tile_to_layout + write_geotiff (bench/jobs/tile-write.yaml) against
# `gdal_translate -co TILED=YES -co COMPRESS=DEFLATE`, on the same large input, in one run.
#
#   bench/tile-write.sh           # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) gdal_translate -co TILED=YES -co COMPRESS=DEFLATE        (the goal's reference)
#   (b) trellis on 1 rank,  OMP_NUM_THREADS=2
#   (c) trellis on 2 ranks, OMP_NUM_THREADS=1                     (goal: wall time <= (a))
#   (d) gdal_translate as (a) plus -co NUM_THREADS=2              (for information: GDAL on both cores)
# Then checks that every output has the same grid, block size, cell type, NoData and cells
# (gdalinfo -checksum), prints the table and rewrites this benchmark's section of docs/benchmarks.md.
# Environment: see bench/lib.sh; TRELLIS_BENCH_SCALE (input size) in bench/make-data.sh.
section=tile-write
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
job=bench/jobs/tile-write.yaml

bench_setup
input=$(bench/make-data.sh)

names=(a b c d)
what[a]="gdal_translate"
what[b]="trellis, 1 rank x 2 threads"
what[c]="trellis, 2 ranks x 1 thread"
what[d]="gdal_translate, NUM_THREADS=2"
output[a]=$out/gdal_translate.tif
output[b]=$out/trellis-1rank.tif
output[c]=$out/trellis-2ranks.tif
output[d]=$out/gdal_translate-threads.tif
command_of() {
  case $1 in
    a) printf '%s\n' gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE "$input" "${output[a]}" ;;
    b) trellis_on 1 2 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[b]}" ;;
    c) trellis_on 2 1 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[c]}" ;;
    d) printf '%s\n' gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE -co NUM_THREADS=2 "$input" "${output[d]}" ;;
  esac
}

log "input $(show "$input")"
run_all "$input"
summarize

# --- check the outputs -------------------------------------------------------------------------------
signature() { # grid, block size, cell type, NoData and checksum of a GeoTIFF
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
# GDAL's checksum of float cells truncates them to integers: compare the cells themselves too.
cells="cells not compared (bench/compare.py needs Debian's python3-gdal)"
if python_gdal; then
  for n in b c; do
    cells=$(bench/compare.py "${output[a]}" "${output[$n]}") || die "bench/compare.py failed"
    case $cells in *" 0 differ"*) ;; *) die "($n) has other cells than gdal_translate's: $cells" ;; esac
  done
fi

# --- report ------------------------------------------------------------------------------------------
met=$(goal c a)
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'trellis / gdal_translate: 1 rank x 2 threads %s, 2 ranks x 1 thread %s (goal <= 1: %s)\n' \
  "${ratio[b]}" "${ratio[c]}" "$met"
printf 'all outputs identical to gdal_translate'"'"'s (gdalinfo -checksum %s; bench/compare.py: %s)\n' "$checksum" "$cells"
printf 'load average before %s, after %s; CPUs busy before a run: at most %s %%\n\n' "$load_before" "$load_after" "$busy_max"
steps_block b c

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  report_header "$input"
  echo "  Float32, striped (one row per strip), LZW."
  echo
  echo "$table"
  echo
  echo "trellis / gdal_translate: **${ratio[c]}** on 2 ranks x 1 thread (goal <= 1: **$met**), ${ratio[b]} on 1 rank x 2 threads."
  echo "Wall clock of the whole command (mpirun included), median of $runs runs interleaved (a b c d, a b c d, ...);"
  echo "peak RSS of the largest process (one rank), the highest of the runs. Every output has the grid, block"
  echo "size, cell type, NoData and checksum of gdal_translate's (\`gdalinfo -checksum\`: $checksum), and trellis' cells"
  echo "are gdal_translate's (\`bench/compare.py\`, (c) against (a): $cells)."
  echo
  commands_block
  echo
  steps_block b c
} >"$section_file"
write_section "tile_to_layout + write_geotiff vs gdal_translate" "$section_file"
