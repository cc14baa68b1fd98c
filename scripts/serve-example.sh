#!/usr/bin/env bash
# Serves the quick example's catalog (run scripts/quick-example.sh first) with `trellis serve`, and opens
# the map viewer when this machine has a browser; otherwise open the printed address (on a cluster,
# through an SSH tunnel: ssh -L 8080:localhost:8080 login-node). Ctrl-C stops it.
#   PORT=8081 scripts/serve-example.sh
#   OUT=/path scripts/serve-example.sh   # where quick-example.sh wrote its results
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out=${OUT:-$TRELLIS_ROOT/out/quick-example}
port=${PORT:-8080}
if [ ! -f "$out/catalog/attributes/ndvi__.__4__.__metadata.json" ]; then
  log "no catalog in $out/catalog: run scripts/quick-example.sh first"; exit 2
fi
url="http://127.0.0.1:$port/"
log "viewer: $url"
if command -v xdg-open >/dev/null && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  (sleep 1; xdg-open "$url" >/dev/null 2>&1) &
fi
exec "$BUILD_DIR/trellis" serve "$out/catalog" --port "$port" --style "$TRELLIS_ROOT/jobs/serve-style.yaml"
