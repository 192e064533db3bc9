#!/usr/bin/env bash
# Set up (first time) and run the whole test suite on a virtual screen (Xvfb).
# Extra arguments go to pytest, e.g. ./test.sh -k validate
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
"$ROOT/scripts/setup.sh" test
cd "$ROOT"
exec xvfb-run -a -s "-screen 0 1920x1920x24" "$ROOT/.venv/bin/python" -m pytest "$@"
