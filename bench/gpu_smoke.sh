#!/usr/bin/env bash
# The diffusion backend on an accelerator: tiny pipelines (and real model folders if given).
# Usage: bash bench/gpu_smoke.sh [--t2i DIR] [--t2v DIR] [--i2v DIR] [--steps N]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec timeout 300 "$PY" bench/gpu_smoke.py "$@"
