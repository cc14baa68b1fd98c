#!/usr/bin/env bash
# Benchmark: focal mean and median over 31x31 squares of a DEM (bench/jobs/focal.yaml: read, tile, focal,
# write) against GRASS' r.neighbors (Debian's grass-core, with nprocs=2) on the same real DEM, in one run:
# the mean on the 90 Mcell DEM (bench/make-data.sh dem, 6 m cells), the median on the 3.6 Mcell one
# (dem30, 30 m cells: GRASS sorts every window, about 6 us a cell, so 90 Mcells would take 10 minutes a run).
#
#   bench/focal.sh                # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) GRASS r.neighbors method=average size=31 nprocs=2 (bench/grass-neighbors.sh: r.external, g.region,
#       r.neighbors, r.out.gdal to a tiled DEFLATE Float32 GeoTIFF)       (the mean goal's reference)
#   (b) trellis focal mean, square extent 15, on 2 ranks, OMP_NUM_THREADS=1   (goal: <= 0.1 x (a))
#   (c) trellis focal mean on 1 rank, OMP_NUM_THREADS=1        (parallel efficiency (c) / (2 x (b)))
#   (d) GRASS r.neighbors method=median size=31 nprocs=2                  (the median goal's reference)
#   (e) trellis focal median on 2 ranks, OMP_NUM_THREADS=1                    (goal: <= 0.1 x (d))
# Checks that every output has the same grid and block size, and compares the cells (bench/compare.py,
# Debian's python3-gdal): the means must agree within 1e-3; the medians differ by definition (GeoTrellis'
# median reads cells as integers and halves even counts in integer division; GRASS' is the float median).
# Environment: see bench/lib.sh; the inputs are bench/make-data.sh dem and dem30 (made from ../shared).
section=focal
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
job=bench/jobs/focal.yaml

if ! command -v grass >/dev/null; then
  [ "$(id -u)" = 0 ] || die "GRASS is missing: install Debian's grass-core (as root)"
  log "installing GRASS (Debian package grass-core)"
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends grass-core >/dev/null
fi
bench_setup grass
input=$(bench/make-data.sh dem)
input30=$(bench/make-data.sh dem30)
log "inputs $(show "$input") (mean), $(show "$input30") (median)"

names=(a b c d e)
what[a]="GRASS r.neighbors average, nprocs=2"
what[b]="trellis focal mean, 2 ranks x 1 thread"
what[c]="trellis focal mean, 1 rank x 1 thread"
what[d]="GRASS r.neighbors median, nprocs=2"
what[e]="trellis focal median, 2 ranks x 1 thread"
for n in "${names[@]}"; do output[$n]=$out/$n.tif; done
command_of() {
  case $1 in
    a) printf '%s\n' grass --tmp-location "$input" --exec bench/grass-neighbors.sh "$input" "${output[a]}" average 31 2 ;;
    d) printf '%s\n' grass --tmp-location "$input30" --exec bench/grass-neighbors.sh "$input30" "${output[d]}" median 31 2 ;;
    b) trellis_on 2 1 && printf '%s\n' "$job" --var "IN=$input" --var OP=mean --var EXTENT=15 --var "OUT=${output[b]}" ;;
    c) trellis_on 1 1 && printf '%s\n' "$job" --var "IN=$input" --var OP=mean --var EXTENT=15 --var "OUT=${output[c]}" ;;
    e) trellis_on 2 1 && printf '%s\n' "$job" --var "IN=$input30" --var OP=median --var EXTENT=15 --var "OUT=${output[e]}" ;;
  esac
}

run_all "$input" "$input30"
summarize

# --- check the outputs -------------------------------------------------------------------------------
grid_of() { gdalinfo "$1" | grep -E '^(Size is|Origin|Pixel Size)|Block='; }
for n in b c e; do
  ref=a
  [ "$n" = e ] && ref=d
  if [ "$(grid_of "${output[$n]}")" != "$(grid_of "${output[$ref]}")" ]; then
    diff <(grid_of "${output[$ref]}") <(grid_of "${output[$n]}") >&2 || true
    die "($n) has another grid or block size than GRASS'; report not updated"
  fi
done
cmp -s "${output[b]}" "${output[c]}" || die "trellis wrote different files on 1 and 2 ranks; report not updated"
mean_cmp="not measured (bench/compare.py needs Debian's python3-gdal)"
median_cmp=$mean_cmp
if python_gdal; then
  mean_cmp=$(bench/compare.py "${output[a]}" "${output[b]}" 1e-3) || die "bench/compare.py failed"
  median_cmp=$(bench/compare.py "${output[d]}" "${output[e]}" 1) || die "bench/compare.py failed"
fi

# --- report ------------------------------------------------------------------------------------------
ratio_e=$(awk -v e="${med[e]}" -v d="${med[d]}" 'BEGIN { printf "%.3f", e / d }')
ratio_b=$(awk -v b="${med[b]}" -v a="${med[a]}" 'BEGIN { printf "%.3f", b / a }')
eff=$(awk -v c="${med[c]}" -v b="${med[b]}" 'BEGIN { printf "%.0f", 100 * c / (2 * b) }')
met_mean=$(awk -v x="$ratio_b" 'BEGIN { print (x <= 0.1 ? "met" : "not met") }')
met_median=$(awk -v x="$ratio_e" 'BEGIN { print (x <= 0.1 ? "met" : "not met") }')
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'mean: trellis 2 ranks / GRASS %s (goal <= 0.1: %s); median: %s (goal <= 0.1: %s); efficiency 1 -> 2 ranks %s %%\n' \
  "$ratio_b" "$met_mean" "$ratio_e" "$met_median" "$eff"
printf 'mean (b) against GRASS (a): %s\nmedian (e) against GRASS (d): %s\n\n' "$mean_cmp" "$median_cmp"
steps_block b e

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  report_header "$input"
  echo "- The median's input: \`$(show "$input30")\`: $(gdalinfo "$input30" | sed -n 's/^ *TRELLIS_BENCH_DATA=//p')."
  echo "  $(gdalinfo "$input30" | sed -n 's/^Size is //p' | sed 's/, /x/') cells."
  echo "- GRASS: $(grass --version 2>/dev/null | head -n 1), r.neighbors with nprocs=2 (its threads)."
  echo
  echo "$table"
  echo
  echo "- focal mean 31x31: trellis on 2 ranks x 1 thread / GRASS: **$ratio_b** (goal <= 0.1: **$met_mean**)."
  echo "- focal median 31x31: trellis on 2 ranks x 1 thread / GRASS: **$ratio_e** (goal <= 0.1: **$met_median**)."
  echo "- Parallel efficiency of the mean from 1 to 2 ranks, (c) / (2 x (b)): **$eff %**."
  echo
  echo "Wall clock of the whole command (GRASS: starting a temporary location, linking the GeoTIFF, r.neighbors,"
  echo "r.out.gdal; trellis: mpirun, read, tile, focal, write), median of $runs runs interleaved; peak RSS of the"
  echo "largest process, the highest of the runs. Every output has the same grid and block size; trellis writes the"
  echo "same file on 1 and 2 ranks. Cells against GRASS' (\`bench/compare.py\`): mean, differing by more than 1e-3:"
  echo "$mean_cmp; median, differing by more than 1 (GeoTrellis' integer median against GRASS' float median):"
  echo "$median_cmp."
  echo
  commands_block
  echo
  steps_block b e
} >"$section_file"
write_section "focal mean and median vs GRASS r.neighbors" "$section_file"
