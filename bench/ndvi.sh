#!/usr/bin/env bash
# Benchmark: NDVI = (nir - red) / (nir + red) in float32 (bench/jobs/ndvi.yaml: read, tile, local, write)
# against `gdal_calc.py` computing the same in float32, on the same large two-band input, in one run; with
# the memory bandwidth the NDVI step reaches, and a reclassify against a one-operation local.
#
#   bench/ndvi.sh                 # from anywhere; needs a built trellis (it does not build one)
#
# Times, interleaved, BENCH_RUNS times each (the median is reported):
#   (a) gdal_calc.py --type=Float32 --co TILED=YES --co COMPRESS=DEFLATE      (the goal's reference)
#   (b) trellis on 1 rank,  OMP_NUM_THREADS=2
#   (c) trellis on 2 ranks, OMP_NUM_THREADS=1                    (goal: wall time <= 0.25 x (a))
#   (d) trellis on 2 ranks, OMP_NUM_THREADS=1, bench/jobs/ndvi-ops.yaml: the same NDVI, then `n + 1`
#       (local) and a four-break reclassify of it, nothing written; timed for its steps only (JSON log,
#       bench/jobs/json-log.yaml: their times in full)
# Then, once: the machine's memory bandwidth, STREAM's Copy kernel on 2 threads (bench/stream-copy.cpp,
# compiled here with `c++ -O3 -fopenmp` into the cache), and the least time any program needs to write
# (a)'s file: its blocks DEFLATE-compressed again with libdeflate, as GDAL does, on 2 threads, nothing
# else (bench/deflate-floor.cpp, compiled the same way). Reported besides the wall times:
#   - the NDVI step in memory touched before (`ndvi_warm` of (d), median of the runs; STREAM too excludes
#     the first touch) and in fresh memory (`ndvi` of (c)), in Gcell/s and in GB/s moved (1 byte of each
#     band read, 4 bytes written per cell), as a percentage of the STREAM Copy bandwidth (goal: >= 50 %);
#   - reclassify / local `n + 1`, the two steps' times in (d) (medians of the runs; goal: <= 1.5);
#   - that compression time against (a)'s: the lowest ratio to (a) that writing this file allows here.
# Checks that every output has the same grid, block size, cell type and NoData (NaN), that (b) and (c)
# are the same file, and that trellis' cells are gdal_calc's (bench/compare.py). gdal_calc.py and
# compare.py need Debian's python3-gdal (installed when missing and run as root).
# Environment: see bench/lib.sh; TRELLIS_BENCH_LANDSAT_SCALE (input size) in bench/make-data.sh;
#   STREAM_MIB     MiB of each of the two arrays STREAM's Copy copies (default 1024)
#   STREAM_COPIES  timed copies, the best is reported (default 10)
section=ndvi
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
job=bench/jobs/ndvi.yaml
ops_job=bench/jobs/ndvi-ops.yaml
json_log=bench/jobs/json-log.yaml # (d) logs JSON: its step times in full
stream_mib=${STREAM_MIB:-1024}
stream_copies=${STREAM_COPIES:-10}
case $stream_mib$stream_copies in '' | *[!0-9]*) die "STREAM_MIB and STREAM_COPIES must be integers" ;; esac

bench_setup gdal_calc.py c++
python_gdal || die "gdal_calc.py and bench/compare.py need Debian's python3-gdal: install it (as root)"
input=$(bench/make-data.sh landsat)
log "input $(show "$input")"
read -r cols rows < <(gdalinfo "$input" | sed -n 's/^Size is \([0-9]*\), \([0-9]*\)$/\1 \2/p')
cells=$((cols * rows))

# STREAM's Copy kernel and the compression floor (against GDAL and libdeflate).
stream_bin=$(bench_tool stream-copy -O3 -fopenmp) || exit 1
# shellcheck disable=SC2046 # gdal-config's flags are words
deflate_bin=$(bench_tool deflate-floor -O3 -fopenmp $(gdal-config --cflags) -lgdal -ldeflate) || exit 1

names=(a b c d)
what[a]="gdal_calc.py"
what[b]="trellis, 1 rank x 2 threads"
what[c]="trellis, 2 ranks x 1 thread"
what[d]="trellis, 2 ranks x 1 thread: NDVI, n + 1, reclassify; no output (step times only)"
output[a]=$out/gdal_calc.tif
output[b]=$out/trellis-1rank.tif
output[c]=$out/trellis-2ranks.tif
output[d]=$out/none # (d) writes nothing
command_of() {
  case $1 in
    a)
      # (the spaces in the expression make the report show it quoted, ready to paste)
      printf '%s\n' gdal_calc.py --quiet -A "$input" --A_band=2 -B "$input" --B_band=1 \
        "--calc=(A.astype(numpy.float32) - B) / (A.astype(numpy.float32) + B)" --type=Float32 --NoDataValue=nan \
        --co TILED=YES --co COMPRESS=DEFLATE "--outfile=${output[a]}"
      ;;
    b) trellis_on 1 2 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[b]}" ;;
    c) trellis_on 2 1 && printf '%s\n' "$job" --var "IN=$input" --var "OUT=${output[c]}" ;;
    d) trellis_on 2 1 && printf '%s\n' --config "$json_log" "$ops_job" --var "IN=$input" ;;
  esac
}

run_all "$input"
summarize

# --- the machine's memory bandwidth ------------------------------------------------------------------
stream_busy=$(wait_quiet)
stream_line=$(OMP_NUM_THREADS=2 "$stream_bin" "$stream_mib" "$stream_copies") || die "stream-copy failed"
printf '%s\n' "$stream_line" >"$logs/stream.out"
stream_gbs=$(printf '%s\n' "$stream_line" | awk '{ for (i = 2; i <= NF; i++) if ($i == "GB/s") print $(i - 1) }')
[ -n "$stream_gbs" ] || die "cannot read the bandwidth in: $stream_line"
log "$stream_line (machine $stream_busy % busy just before)"

# --- the least time writing (a)'s file takes: compressing its blocks, on 2 threads ----------------------
deflate_busy=$(wait_quiet)
deflate_line=$(OMP_NUM_THREADS=2 "$deflate_bin" "${output[a]}") || die "deflate-floor failed"
printf '%s\n' "$deflate_line" >"$logs/deflate-floor.out"
deflate_s=$(printf '%s\n' "$deflate_line" | sed -n 's/.*passes: \([0-9.]*\) s;.*/\1/p')
[ -n "$deflate_s" ] || die "cannot read the time in: $deflate_line"
read -r deflate_bytes file_bytes < <(printf '%s\n' "$deflate_line" | sed -n 's/.*compressed \([0-9]*\) bytes, the file.s blocks \([0-9]*\) bytes.*/\1 \2/p')
[ "$deflate_bytes" = "$file_bytes" ] ||
  die "libdeflate did not reproduce gdal_calc's blocks ($deflate_line): not the same encoder or level"
log "$deflate_line (machine $deflate_busy % busy just before)"

# --- check the outputs -------------------------------------------------------------------------------
# Size, block size, cell type and NoData must be equal; origin and cell size equal to a millionth of a
# cell over the whole raster (trellis derives the cell size from the layout's extent, so it may differ
# from the input's in the last digits).
grid_of() { gdalinfo "$1" | grep -E '^Size is|Block=|NoData Value'; }
geo_of() { gdalinfo "$1" | sed -n 's/^Origin = (\(.*\),\(.*\))$/\1 \2/p; s/^Pixel Size = (\(.*\),\(.*\))$/\1 \2/p' | tr '\n' ' '; }
grid_gap() { # how far apart the grids of $1 and $2 are at worst (the far corner), in cells
  awk -v a="$(geo_of "$1")" -v b="$(geo_of "$2")" -v c="$cols" -v r="$rows" '
    function abs(v) { return v < 0 ? -v : v }
    BEGIN {
      split(a, x, " "); split(b, y, " ")
      gx = (abs(x[1] - y[1]) + c * abs(x[3] - y[3])) / abs(x[3])
      gy = (abs(x[2] - y[2]) + r * abs(x[4] - y[4])) / abs(x[4])
      printf "%.3g", (gx > gy ? gx : gy) }'
}
for n in b c; do
  [ "$(grid_of "${output[$n]}")" = "$(grid_of "${output[a]}")" ] ||
    die "($n) has another size, block size, cell type or NoData than gdal_calc's; report not updated"
  gap=$(grid_gap "${output[a]}" "${output[$n]}")
  awk -v g="$gap" 'BEGIN { exit !(g <= 1e-6) }' ||
    die "($n) is $gap cells off gdal_calc's grid; report not updated"
done
cmp -s "${output[b]}" "${output[c]}" || die "trellis wrote different files on 1 and 2 ranks; report not updated"
cells_cmp=$(bench/compare.py "${output[a]}" "${output[c]}") || die "bench/compare.py failed"
case $cells_cmp in *" 0 differ"*) ;; *) die "(c) has other cells than gdal_calc's: $cells_cmp" ;; esac
if [ "$(geo_of "${output[a]}")" = "$(geo_of "${output[c]}")" ]; then
  grid_note="the same origin and cell size"
else
  size_of() { gdalinfo "$1" | sed -n 's/^Pixel Size = (\(.*\),-*\(.*\))$/\1 x \2/p'; }
  grid_note="the same grid to $gap cells at the far corner (cell size: gdal_calc $(size_of "${output[a]}"), trellis $(size_of "${output[c]}"))"
fi

# --- the NDVI step's bandwidth, reclassify against local -----------------------------------------------
step_s() { # the median over the runs of command $1 of step $2's wall time (bench/lib.sh: step_rows)
  local i
  for ((i = 1; i <= runs; i++)); do
    step_rows "$logs/$1.$i.err" | awk -v s="$2" '$1 == s { print $3 }'
  done >"$logs/$1.$2.steps"
  [ -s "$logs/$1.$2.steps" ] || die "no step '$2' in the step tables of ($1)"
  median "$logs/$1.$2.steps"
}
ndvi_s=$(step_s c ndvi)
warm_s=$(step_s d ndvi_warm)
plus1_s=$(step_s d plus1)
classes_s=$(step_s d classes)
bandwidth() { # Gcell/s, GB/s moved, % of STREAM and the goal of a step taking $1 s
  awk -v s="$1" -v n="$cells" -v m="$stream_gbs" 'BEGIN {
    if (s <= 0) { print "n/a n/a n/a n/a"; exit }
    g = 6 * n / s / 1e9; printf "%.2f %.2f %.0f %s\n", n / s / 1e9, g, 100 * g / m, (100 * g / m >= 50 ? "met" : "not_met") }'
}
read -r cold_gcells cold_gbs cold_pct _ < <(bandwidth "$ndvi_s")
read -r gcells gbs pct bw_met < <(bandwidth "$warm_s")
bw_met=${bw_met/_/ }
read -r ops_ratio ops_met < <(awk -v r="$classes_s" -v l="$plus1_s" 'BEGIN {
  if (l <= 0) { print "n/a n/a"; exit }
  printf "%.2f %s\n", r / l, (r / l <= 1.5 ? "met" : "not_met") }')
ops_met=${ops_met/_/ }
met=$(awk -v c="${med[c]}" -v a="${med[a]}" 'BEGIN { print (c <= 0.25 * a ? "met" : "not met") }')
floor_ratio=$(awk -v f="$deflate_s" -v a="${med[a]}" 'BEGIN { printf "%.2f", f / a }')

# --- report ------------------------------------------------------------------------------------------
table=$(results_table)
printf '\n%s\n\n' "$table"
printf 'trellis / gdal_calc.py: 1 rank x 2 threads %s, 2 ranks x 1 thread %s (goal <= 0.25: %s)\n' \
  "${ratio[b]}" "${ratio[c]}" "$met"
printf 'NDVI step in touched memory, ndvi_warm of (d): %s s (median of %s runs), %s Gcell/s, %s GB/s moved = %s %% of STREAM Copy %s GB/s (goal >= 50 %%: %s)\n' \
  "$warm_s" "$runs" "$gcells" "$gbs" "$pct" "$stream_gbs" "$bw_met"
printf 'NDVI step in fresh memory, ndvi of (c): %s s, %s Gcell/s, %s GB/s = %s %% of STREAM Copy\n' \
  "$ndvi_s" "$cold_gcells" "$cold_gbs" "$cold_pct"
printf '(d): reclassify %s s, local n + 1 %s s (medians): reclassify / local %s (goal <= 1.5: %s)\n' \
  "$classes_s" "$plus1_s" "$ops_ratio" "$ops_met"
printf '%s\n' "$stream_line"
printf 'compressing (a)'"'"'s blocks alone, 2 threads: %s s = %s of (a)\n%s\n' "$deflate_s" "$floor_ratio" "$deflate_line"
printf 'trellis (c) against gdal_calc.py (a): %s; %s\n' "$cells_cmp" "$grid_note"
printf 'load average before %s, after %s; CPUs busy before a run: at most %s %%\n\n' "$load_before" "$load_after" "$busy_max"
steps_block b c d

section_file=$(mktemp)
trap 'rm -f "$section_file"' EXIT
{
  report_header "$input"
  echo "  2 bands of Byte (red, near infrared), tiled 256x256, DEFLATE, INTERLEAVE=BAND."
  echo
  echo "$table"
  echo
  echo "trellis / gdal_calc.py: **${ratio[c]}** on 2 ranks x 1 thread (goal <= 0.25: **$met**), ${ratio[b]} on 1 rank x 2"
  echo "threads. Wall clock of the whole command (mpirun included; trellis reads, tiles, computes and writes), median of"
  echo "$runs runs interleaved (a b c d, a b c d, ...); peak RSS of the largest process (one rank), the highest of the runs."
  echo "(d) runs another job (bench/jobs/ndvi-ops.yaml: the same NDVI, then two steps on it, nothing written): its"
  echo "wall time is not comparable with (a)'s; only its step table is used. Every output has gdal_calc's size, block"
  echo "size, Float32 cells and NoData (NaN: 0 / 0 is NaN in both), $grid_note; trellis writes the same file on 1 and 2 ranks,"
  echo "and its cells are gdal_calc's (\`bench/compare.py\`, (c) against (a): $cells_cmp)."
  echo
  echo "- **NDVI step** in memory the process has touched before (\`ndvi_warm\` of (d), median of the runs): $warm_s s for"
  echo "  $cells cells: $gcells Gcell/s, or $gbs GB/s moved (1 byte of each band read and 4 bytes written per cell),"
  echo "  **$pct %** of the machine's memory bandwidth (goal >= 50 %: **$bw_met**). In fresh memory (\`ndvi\` of (c), the"
  echo "  first touch of 4 bytes per cell included): $ndvi_s s, $cold_gcells Gcell/s, $cold_pct %. The bandwidth is STREAM's Copy kernel on 2 threads"
  echo "  (\`bench/stream-copy.cpp\`, \`c++ -O3 -fopenmp\`; bytes read + written, best of $stream_copies copies of 2 x"
  echo "  $stream_mib MiB, run once after the runs, machine $stream_busy % busy just before): $stream_gbs GB/s."
  echo "  The step table gives wall times to 0.01 s."
  echo "- **reclassify against local** (steps \`classes\` and \`plus1\` of (d), medians of the runs): a reclassify"
  echo "  with four breaks (\`{0: 1, 0.2: 2, 0.5: 3, 1: 4}\`, \`data_type: float\`) $classes_s s, the local \`n + 1\`"
  echo "  $plus1_s s on the same NDVI layer: **$ops_ratio** (goal <= 1.5: **$ops_met**)."
  echo "- **The least time writing this file takes here:** compressing gdal_calc's $file_bytes bytes of blocks again"
  echo "  from their decoded cells, on 2 threads, and nothing else (\`bench/deflate-floor.cpp\`: libdeflate at level 7,"
  echo "  which is what libtiff asks for GDAL's default ZLEVEL=6; the compressed blocks have exactly the file's"
  echo "  size; best of 3, machine $deflate_busy % busy just before): **$deflate_s s, $floor_ratio of (a)**. Any program writing"
  echo "  this DEFLATE file on these 2 cores, trellis included, takes at least that, so a ratio under $floor_ratio cannot be"
  echo "  reached here."
  echo
  commands_block
  echo
  steps_block b c d
} >"$section_file"
write_section "NDVI (local) vs gdal_calc.py" "$section_file"
