#!/usr/bin/env bash
# Installs the pinned front-end libraries from npm (package-lock.json) and
# copies their distribution files into internal/web/static/vendor, which the
# binary embeds. Nothing here is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/leaflet ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v npm >/dev/null; then
    scripts/apt.sh nodejs npm
  fi
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
out=internal/web/static/vendor
rm -rf "$out"
mkdir -p "$out/leaflet/images" "$out/htmx"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$out/leaflet/images/"
cp node_modules/leaflet/LICENSE "$out/leaflet/LICENSE.txt"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx/"
cp node_modules/htmx-ext-sse/dist/sse.min.js "$out/htmx/"
cp node_modules/htmx.org/LICENSE "$out/htmx/LICENSE.txt"
