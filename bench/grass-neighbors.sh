#!/usr/bin/env bash
# GRASS' side of bench/focal.sh, what a GRASS user runs for a focal statistic of a GeoTIFF: link it
# (r.external), set the region to it, r.neighbors, write a tiled DEFLATE GeoTIFF (r.out.gdal; -f: the
# statistic is computed in double and written as Float32, which GRASS would otherwise refuse as lossy).
#   grass --tmp-location IN.tif --exec bench/grass-neighbors.sh IN.tif OUT.tif METHOD SIZE NPROCS
set -euo pipefail
in=$1 out=$2 method=$3 size=$4 nprocs=$5
r.external --quiet input="$in" output=dem
g.region raster=dem
r.neighbors --quiet input=dem output=result method="$method" size="$size" nprocs="$nprocs"
r.out.gdal -f --quiet input=result output="$out" format=GTiff type=Float32 createopt="TILED=YES,COMPRESS=DEFLATE" \
  nodata=-9999
