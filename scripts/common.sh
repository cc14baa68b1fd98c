# Shared by the set-up scripts: package list, idempotent install, build. Source it; don't run it.
# shellcheck shell=bash
set -euo pipefail

TRELLIS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TRELLIS_ROOT
export TRELLIS_DATA=${TRELLIS_DATA:-$TRELLIS_ROOT/data}
BUILD_DIR=${TRELLIS_BUILD_DIR:-$TRELLIS_ROOT/build/release}

# Debian 12 packages trellis builds and runs with (../shared/notes/toolchain.md).
TRELLIS_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libopenmpi-dev openmpi-bin
  libgdal-dev gdal-bin libtiff-dev libproj-dev proj-data libgeos-dev
  libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev zlib1g-dev libdeflate-dev libxbyak-dev
  libhdf5-openmpi-dev  # the hdf5:// catalog store (parallel HDF5)
  python3-h5py  # the HDF5 store's tests read its files with h5py
  libavro-dev  # Avro C: the catalog tests' independent decoder of tile files
  python3-numpy
  libpng-dev  # render_png and the tile server's PNGs
  libcpp-httplib-dev  # trellis serve
  chromium-headless-shell  # the viewer's test loads it in a headless browser
)

# Slurm and munge, for the Slurm tests (tests/slurm) and scripts/slurm-up.sh. Nothing starts on install
# (the daemons are started by hand, by scripts/slurm-up.sh).
TRELLIS_SLURM_PACKAGES=(slurm-wlm slurmctld slurmd slurm-client munge)

log() { printf '[trellis setup %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or install them)"; return 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ $apt_updated = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_packages() {
  apt_install "${TRELLIS_PACKAGES[@]}"
  # npm fetches Leaflet for the viewer of `trellis serve` at configure time (cmake/leaflet.cmake). A
  # Node.js installed otherwise (with its own npm) is used as it is.
  command -v npm >/dev/null || apt_install npm
  # mpirun must resolve this host's name locally, else start-up can stall for seconds.
  if [ "$(id -u)" = 0 ] && ! getent hosts "$(hostname)" >/dev/null; then
    echo "127.0.0.1 $(hostname)" >> /etc/hosts
  fi
}

# Installs Slurm and munge when they are missing (idempotent). Returns 1 without installing when that
# is not possible (not root, or no apt-get): the Slurm tests then skip.
install_slurm_packages() {
  local missing=()
  for p in "${TRELLIS_SLURM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "cannot install ${missing[*]} (needs root and apt-get): the Slurm tests will be skipped"; return 1
  fi
  apt_install "${TRELLIS_SLURM_PACKAGES[@]}"
}

# Open MPI defaults for a workstation or CI box (root, more ranks than cores).
mpi_env() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_pml=ob1
}

build() {
  local werror=${TRELLIS_WERROR:-ON}
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring in $BUILD_DIR"
    cmake -S "$TRELLIS_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRELLIS_WERROR="$werror" >/dev/null
  fi
  log "building"
  cmake --build "$BUILD_DIR" -- -j"$(nproc)" | { grep -v '^\[' || true; }
  test "${PIPESTATUS[0]}" = 0
}
