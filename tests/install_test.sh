#!/usr/bin/env bash
# cmake --install BUILD --prefix PREFIX gives the program, the docs, the example jobs, the site
# configurations and the Slurm templates, and the installed trellis runs.
set -euo pipefail
build=$1 prefix=$2
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
fail() { echo "install_tree: $*" >&2; exit 1; }
for f in bin/trellis share/doc/trellis/README.md share/doc/trellis/adding-an-op.md share/doc/trellis/ops/reproject.md \
         share/trellis/jobs/quick-example.yaml share/trellis/configs/site.yaml share/trellis/slurm/trellis.sbatch; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
[ -x "$prefix/share/trellis/slurm/chain.sh" ] || fail "the Slurm scripts lost their execute bit"
"$prefix/bin/trellis" --version | grep -q trellis || fail "the installed trellis does not run"
"$prefix/bin/trellis" ops normalize | grep -q new_min || fail "the installed trellis has no ops"
rm -rf "$prefix"
