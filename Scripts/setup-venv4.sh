#!/usr/bin/env bash
# Creates the second pinned reference venv (transformers 4.57.6 + the same torch), used only by
# Scripts/make_model_fixtures.py for the relative-position text fixture. Default: ../venv4 of the repo.
set -euo pipefail
VENV=${VENV4:-"$(cd "$(dirname "$0")/.." && pwd)/.venv4"}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --upgrade pip
# torch without its CUDA wheels (CPU use only), then its pure-Python deps, as Scripts/setup-venv.sh does.
"$VENV/bin/pip" install -q --no-deps "$(grep '^torch==' "$here/requirements-4x.txt")"
"$VENV/bin/pip" install -q filelock typing-extensions sympy networkx jinja2 fsspec "setuptools>=77.0.3"
"$VENV/bin/pip" install -q -r "$here/requirements-4x.txt"
"$VENV/bin/python" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
