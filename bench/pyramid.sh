#!/usr/bin/env bash
# Benchmark: a full pyramid (bench/jobs/pyramid.yaml: read a Web Mercator base level, tile it to its zoom,
# pyramid it down to zoom 1 with the average kernel, write every level as a tiled DEFLATE GeoTIFF) against
# what GDAL users run for the same product, on the same input, in one run.
#
#   bench/pyramid.sh              # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) gdal_translate (the base level, tiled DEFLATE, 2 compression threads), then gdaladdo -r average
#       2 4 8 16 32 (DEFLATE overviews, GDAL_NUM_THREADS=2): the same levels, as overviews of one file
#                                                                            (the goal's reference)
#   (b) trellis on 1 rank,  OMP_NUM_THREADS=2
#   (c) trellis on 2 ranks, OMP_NUM_THREADS=1                             (goal: faster than (a))
#   (d) gdal2tiles.py --processes=2 -r average -z 1-6 of the input scaled to 8 bits (gdal2tiles takes
#       only 8-bit rasters): a z/x/y tree of PNG tiles, another product, for information
# Checks that trellis writes the same files on 1 and 2 ranks, and compares every trellis level with the
# matching level of (a) (bench/compare.py, which needs Debian's python3-gdal). Environment: bench/lib.sh.
section=pyramid
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
job=bench/jobs/pyramid.yaml
zoom=6

bench_setup gdaladdo gdal2tiles.py
input=$(bench/make-data.sh webmercator)
log "input $(show "$input")"
python_gdal || die "gdal2tiles.py and bench/compare.py need Debian's python3-gdal: install it (as root)"
byte_vrt=$out/input-8bit.vrt
gdal_translate -q -of VRT -ot Byte -scale -0.1 0.9 1 255 "$input" "$byte_vrt"

names=(a b c d)
what[a]="gdal_translate + gdaladdo, 2 threads"
what[b]="trellis, 1 rank x 2 threads"
what[c]="trellis, 2 ranks x 1 thread"
what[d]="gdal2tiles.py --processes=2 (8-bit PNG tiles)"
output[a]=$out/gdal.tif
output[b]=$out/trellis-1rank
output[c]=$out/trellis-2ranks
output[d]=$out/gdal2tiles
factors=()
for ((f = 2; f < (1 << zoom); f *= 2)); do factors+=("$f"); done
command_of() {
  case $1 in
    a)
      printf '%s\n' sh -c "gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE -co NUM_THREADS=2 '$input' '${output[a]}' && \
gdaladdo -q -r average --config COMPRESS_OVERVIEW DEFLATE --config GDAL_NUM_THREADS 2 '${output[a]}' ${factors[*]}"
      ;;
    b) trellis_on 1 2 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[b]}" --var "ZOOM=$zoom" ;;
    c) trellis_on 2 1 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[c]}" --var "ZOOM=$zoom" ;;
    d) printf '%s\n' gdal2tiles.py --processes=2 -q -r average -w none --xyz -z "1-$zoom" "$byte_vrt" "${output[d]}" ;;
  esac
}

run_all "$input"
summarize

# --- check the outputs -------------------------------------------------------------------------------
for ((z = zoom; z >= 1; z--)); do
  cmp -s "${output[b]}/z$z.tif" "${output[c]}/z$z.tif" ||
    die "trellis wrote different files for zoom $z on 1 and 2 ranks; report not updated"
done
tiles=$(find "${output[d]}" -name '*.png' | wc -l)
comparison=""
for ((z = zoom - 1; z >= 1; z--)); do
  ovr=$out/gdal-z$z.vrt # overview z of (a) as a raster of its own
  gdal_translate -q -of VRT -ovr $((zoom - z - 1)) "${output[a]}" "$ovr"
  comparison+="$(printf '\n  - zoom %s: %s' "$z" "$(bench/compare.py "$ovr" "${output[c]}/z$z.tif")")"
done

# --- report ------------------------------------------------------------------------------------------
met=$(goal c a faster)
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'trellis / (gdal_translate + gdaladdo): 1 rank x 2 threads %s, 2 ranks x 1 thread %s (goal < 1: %s)\n' \
  "${ratio[b]}" "${ratio[c]}" "$met"
printf 'trellis (c) levels against gdaladdo'"'"'s overviews:%s\n' "$comparison"
printf 'load average before %s, after %s; CPUs busy before a run: at most %s %%\n\n' "$load_before" "$load_after" "$busy_max"
steps_block b c

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  report_header "$input"
  echo
  echo "$table"
  echo
  echo "trellis / (gdal_translate + gdaladdo): **${ratio[c]}** on 2 ranks x 1 thread (goal < 1: **$met**), ${ratio[b]} on"
  echo "1 rank x 2 threads. Each command makes zoom $zoom and every level down to zoom 1: trellis as one GeoTIFF per"
  echo "level, GDAL as one GeoTIFF with its overviews; gdal2tiles.py ($tiles PNG tiles of the input scaled to 8 bits)"
  echo "makes another product and is there for scale. Wall clock of the whole command (mpirun included), median of"
  echo "$runs runs interleaved; peak RSS of the largest process (one rank), the highest of the runs. trellis writes"
  echo "the same files on 1 and 2 ranks. Cells of trellis' levels (c) against gdaladdo's overviews (a),"
  echo "\`bench/compare.py\`:$comparison"
  echo
  commands_block
  echo
  steps_block b c
} >"$section_file"
write_section "pyramid vs gdaladdo and gdal2tiles" "$section_file"
