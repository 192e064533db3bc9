#!/usr/bin/env bash
# Set up (first time) and run the display on the bundled sample feed, in a window.
# Extra arguments go to `kiosk run`, e.g. ./run.sh --size 1080x1920
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
"$ROOT/scripts/setup.sh" app
exec "$ROOT/.venv/bin/kiosk" run --windowed "$@"
