#!/usr/bin/env bash
# Benchmark: slope and hillshade of a DEM (bench/jobs/slope.yaml and hillshade.yaml: read, tile, slope or
# hillshade with gdaldem's edges and scale, write) against `gdaldem slope` and `gdaldem hillshade` with -compute_edges, on the
# same real DEM of 90 Mcells, in one run; and trellis' parallel efficiency from 1 to 2 ranks.
#
#   bench/terrain.sh              # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) gdaldem slope -compute_edges, tiled DEFLATE Float32            (the slope goal's reference)
#   (b) trellis slope on 1 rank,  OMP_NUM_THREADS=1
#   (c) trellis slope on 2 ranks, OMP_NUM_THREADS=1                 (goal: wall time <= 0.5 x (a))
#   (d) gdaldem hillshade -compute_edges, tiled DEFLATE Byte        (the hillshade goal's reference)
#   (e) trellis hillshade (scale: gdal) on 1 rank,  OMP_NUM_THREADS=1
#   (f) trellis hillshade (scale: gdal) on 2 ranks, OMP_NUM_THREADS=1  (goal: wall time <= 0.5 x (d))
#   (g) trellis slope on 1 rank,  OMP_NUM_THREADS=1, the same DEM in 3 m cells (361 Mcells)
#   (h) trellis slope on 2 ranks, OMP_NUM_THREADS=1, the same
#   (i) the start-up floor on 1 rank: bench/mpi-start.cpp under mpirun, a program that loads GDAL and MPI,
#       initialises MPI as trellis does, registers GDAL's drivers and ends
#   (j) the same on 2 ranks
# Parallel efficiency from 1 to 2 ranks: (b) / (2 x (c)) and (e) / (2 x (f)) (goal: >= 90 %), and
# (g) / (2 x (h)): the same command on four times the cells, where starting and ending the processes
# (mpirun, loading the libraries, MPI's initialisation and finalisation: (i) and (j)) weighs less. Two more
# figures separate trellis from that floor: the best efficiency any program paying it could reach, if all of
# the rest of its 1-rank time halved on 2 ranks, ((b)) / (2 x ((j) + ((b) - (i)) / 2)); and the efficiency of
# trellis' own time, everything above the floor, ((b) - (i)) / (2 x ((c) - (j))).
# Checks that every output has gdaldem's grid and block size, that trellis writes the same file on 1 and
# 2 ranks, and counts the cells where trellis and gdaldem differ by more than 1e-4 degrees (slope) or 1
# (hillshade) (bench/compare.py, which needs Debian's python3-gdal: installed when missing, as root).
# Environment: see bench/lib.sh; the input is bench/make-data.sh dem (made from ../shared).
section=terrain
# Five runs each by default: the 1-rank commands' times vary by up to 40 % between runs here.
BENCH_RUNS=${BENCH_RUNS:-5}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_setup gdaldem
input=$(bench/make-data.sh dem)
log "input $(show "$input")"
input3=$(bench/make-data.sh dem3)
log "input of (g) and (h) $(show "$input3")"

start_bin=$(bench_tool mpi-start -O2 src/mpi/sockets.cpp -Isrc $(mpicxx --showme:compile) $(gdal-config --cflags) \
  -lgdal $(mpicxx --showme:link)) || exit 1

names=(a b c d e f g h i j)
what[a]="gdaldem slope"
what[b]="trellis slope, 1 rank x 1 thread"
what[c]="trellis slope, 2 ranks x 1 thread"
what[d]="gdaldem hillshade"
what[e]="trellis hillshade, 1 rank x 1 thread"
what[f]="trellis hillshade, 2 ranks x 1 thread"
what[g]="trellis slope, 1 rank x 1 thread, 3 m DEM (4 x the cells)"
what[h]="trellis slope, 2 ranks x 1 thread, 3 m DEM (4 x the cells)"
what[i]="start-up floor (bench/mpi-start.cpp), 1 rank"
what[j]="start-up floor (bench/mpi-start.cpp), 2 ranks"
for n in "${names[@]}"; do output[$n]=$out/$n.tif; done
command_of() {
  case $1 in
    a | d)
      local op=slope
      [ "$1" = d ] && op=hillshade
      printf '%s\n' gdaldem "$op" -q -compute_edges -co TILED=YES -co COMPRESS=DEFLATE "$input" "${output[$1]}"
      ;;
    i | j)
      local np=1
      [ "$1" = j ] && np=2
      printf '%s\n' mpirun -n "$np" --bind-to core "$start_bin"
      ;;
    b | c | e | f | g | h)
      case $1 in b | e | g) trellis_on 1 1 ;; *) trellis_on 2 1 ;; esac
      case $1 in
        b | c) printf '%s\n' bench/jobs/slope.yaml --var "IN=$input" --var "OUT=${output[$1]}" ;;
        g | h) printf '%s\n' bench/jobs/slope.yaml --var "IN=$input3" --var "OUT=${output[$1]}" ;;
        *) printf '%s\n' bench/jobs/hillshade.yaml --var "IN=$input" --var "OUT=${output[$1]}" ;;
      esac
      ;;
  esac
}

run_all "$input"
summarize

# --- check the outputs -------------------------------------------------------------------------------
grid_of() { gdalinfo "$1" | grep -E '^(Size is|Origin|Pixel Size)|Block='; }
for n in b c e f; do
  ref=a
  case $n in e | f) ref=d ;; esac
  if [ "$(grid_of "${output[$n]}")" != "$(grid_of "${output[$ref]}")" ]; then
    diff <(grid_of "${output[$ref]}") <(grid_of "${output[$n]}") >&2 || true
    die "($n) has another grid or block size than gdaldem's; report not updated"
  fi
done
cmp -s "${output[b]}" "${output[c]}" || die "trellis wrote different slope files on 1 and 2 ranks; report not updated"
cmp -s "${output[e]}" "${output[f]}" || die "trellis wrote different hillshade files on 1 and 2 ranks; report not updated"
cmp -s "${output[g]}" "${output[h]}" || die "trellis wrote different 3 m slope files on 1 and 2 ranks; report not updated"
slope_cmp="not measured (bench/compare.py needs Debian's python3-gdal)"
hill_cmp=$slope_cmp
if python_gdal; then
  slope_cmp=$(bench/compare.py "${output[a]}" "${output[c]}" 1e-4) || die "bench/compare.py failed"
  hill_cmp=$(bench/compare.py "${output[d]}" "${output[f]}" 1) || die "bench/compare.py failed"
fi

# --- report ------------------------------------------------------------------------------------------
ratio_f=$(awk -v f="${med[f]}" -v d="${med[d]}" 'BEGIN { printf "%.2f", f / d }')
eff_slope=$(awk -v b="${med[b]}" -v c="${med[c]}" 'BEGIN { printf "%.0f", 100 * b / (2 * c) }')
eff_hill=$(awk -v e="${med[e]}" -v f="${med[f]}" 'BEGIN { printf "%.0f", 100 * e / (2 * f) }')
met_slope=$(awk -v c="${med[c]}" -v a="${med[a]}" 'BEGIN { print (c <= 0.5 * a ? "met" : "not met") }')
met_hill=$(awk -v f="${med[f]}" -v d="${med[d]}" 'BEGIN { print (f <= 0.5 * d ? "met" : "not met") }')
met_eff=$(awk -v s="$eff_slope" -v h="$eff_hill" 'BEGIN { print (s >= 90 && h >= 90 ? "met" : "not met") }')
eff_big=$(awk -v g="${med[g]}" -v h="${med[h]}" 'BEGIN { printf "%.0f", 100 * g / (2 * h) }')
met_big=$(awk -v e="$eff_big" 'BEGIN { print (e >= 90 ? "met" : "not met") }')
# The same for the terrain step alone (its wall time in trellis' step table of the median runs).
step_s() { steps_of "$1" | awk -v id="$2" '$1 == id { print $3 }'; }
step_eff() { awk -v one="$(step_s "$1" "$3")" -v two="$(step_s "$2" "$3")" 'BEGIN { printf "%.0f", 100 * one / (2 * two) }'; }
step_eff_slope=$(step_eff b c slope)
step_eff_hill=$(step_eff e f hillshade)
step_eff_big=$(step_eff g h slope)
# Against the start-up floor, (i) on 1 rank and (j) on 2: the best whole-command efficiency any program
# paying it could reach, and the efficiency of trellis' time above it.
best_eff() { awk -v one="${med[$1]}" -v i="${med[i]}" -v j="${med[j]}" 'BEGIN { printf "%.0f", 100 * one / (2 * (j + (one - i) / 2)) }'; }
own_eff() { awk -v one="${med[$1]}" -v two="${med[$2]}" -v i="${med[i]}" -v j="${med[j]}" 'BEGIN { printf "%.0f", 100 * (one - i) / (2 * (two - j)) }'; }
best_slope=$(best_eff b)
best_hill=$(best_eff e)
best_big=$(best_eff g)
own_slope=$(own_eff b c)
own_hill=$(own_eff e f)
own_big=$(own_eff g h)
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'slope: trellis 2 ranks / gdaldem %s (goal <= 0.5: %s); hillshade: %s (goal <= 0.5: %s)\n' \
  "${ratio[c]}" "$met_slope" "$ratio_f" "$met_hill"
printf 'parallel efficiency 1 -> 2 ranks: slope %s %%, hillshade %s %% (goal >= 90 %%: %s); the step alone: %s %%, %s %%\n' \
  "$eff_slope" "$eff_hill" "$met_eff" "$step_eff_slope" "$step_eff_hill"
printf 'parallel efficiency 1 -> 2 ranks, slope of the 3 m DEM: %s %% (goal >= 90 %%: %s); the step alone: %s %%\n' \
  "$eff_big" "$met_big" "$step_eff_big"
printf 'start-up floor %s s on 1 rank, %s s on 2: best efficiency possible above it: slope %s %%, hillshade %s %%, 3 m slope %s %%; trellis'"'"' own time: %s %%, %s %%, %s %%\n' \
  "${med[i]}" "${med[j]}" "$best_slope" "$best_hill" "$best_big" "$own_slope" "$own_hill" "$own_big"
printf 'slope (c) against gdaldem (a): %s\nhillshade (f) against gdaldem (d): %s\n\n' "$slope_cmp" "$hill_cmp"
steps_block c f h

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  report_header "$input"
  echo
  echo "$table"
  echo
  echo "- slope: trellis on 2 ranks x 1 thread / gdaldem: **${ratio[c]}** (goal <= 0.5: **$met_slope**)."
  echo "- hillshade: trellis on 2 ranks x 1 thread / gdaldem: **$ratio_f** (goal <= 0.5: **$met_hill**)."
  echo "- Parallel efficiency from 1 to 2 ranks, (b) / (2 x (c)) and (e) / (2 x (f)): slope **$eff_slope %**,"
  echo "  hillshade **$eff_hill %** (goal >= 90 %: **$met_eff**). The slope and hillshade steps alone (their wall"
  echo "  time in trellis' step tables of those runs): **$step_eff_slope %** and **$step_eff_hill %**; the rest of each"
  echo "  command (mpirun's start, reading, tiling, writing the DEFLATE GeoTIFF) scales less."
  echo "- The same slope command on the DEM in 3 m cells (\`$(show "$input3")\`, 4 x the cells), (g) / (2 x (h)):"
  echo "  **$eff_big %** (goal >= 90 %: **$met_big**); the slope step alone **$step_eff_big %**."
  echo "- The start and end of the processes do not shrink with more ranks. (i) and (j), a program that loads GDAL and"
  echo "  MPI, initialises MPI as trellis does, registers GDAL's drivers and ends (\`bench/mpi-start.cpp\`), take"
  echo "  **${med[i]} s** under \`mpirun -n 1\` and **${med[j]} s** under \`mpirun -n 2\`. If all the rest of a command's 1-rank"
  echo "  time halved on 2 ranks, its efficiency would be at most: slope **$best_slope %**, hillshade **$best_hill %**, 3 m slope"
  echo "  **$best_big %** ((b) / (2 x ((j) + ((b) - (i)) / 2))). trellis' own time, everything above that floor (reading"
  echo "  the job, planning, reading, tiling, the terrain step, writing, ending), scales from 1 to 2 ranks at: slope"
  echo "  **$own_slope %**, hillshade **$own_hill %**, 3 m slope **$own_big %** (((b) - (i)) / (2 x ((c) - (j))))."
  echo
  echo "Wall clock of the whole command (mpirun included; each reads the DEM, computes, and writes a tiled DEFLATE"
  echo "GeoTIFF), median of $runs runs interleaved (a b ... j, a b ... j, ...); peak RSS of the largest process"
  echo "(one rank), the highest of the runs. Every output has gdaldem's grid and block size; trellis writes the same"
  echo "file on 1 and 2 ranks. Cells of trellis against gdaldem's (\`bench/compare.py\`, NoData against data counts as"
  echo "differing): slope, differing by more than 1e-4 degrees: $slope_cmp; hillshade, differing by more than 1:"
  echo "$hill_cmp."
  echo
  commands_block
  echo
  steps_block b c e f g h
} >"$section_file"
write_section "slope and hillshade vs gdaldem" "$section_file"
