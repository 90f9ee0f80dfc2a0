#!/usr/bin/env bash
# Creates the pinned reference venv (transformers + torch CPU) used only by Scripts/*.py.
# torch is installed without its CUDA wheels (CPU use only); its pure-Python deps come after.
# BENCH=1 also installs Scripts/requirements-bench.txt (ONNX Runtime + onnx, for Scripts/bench.py).
set -euo pipefail
VENV=${VENV:-"$(cd "$(dirname "$0")/.." && pwd)/.venv"}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q --no-deps "$(grep '^torch==' "$here/requirements.txt")"
"$VENV/bin/pip" install -q filelock typing-extensions sympy networkx jinja2 fsspec "setuptools>=77.0.3"
"$VENV/bin/pip" install -q -r "$here/requirements.txt"
"$VENV/bin/python" -c "import torch, transformers, PIL; print('torch', torch.__version__, 'transformers', transformers.__version__, 'Pillow', PIL.__version__)"
if [ "${BENCH:-0}" = 1 ]; then
  "$VENV/bin/pip" install -q -r "$here/requirements-bench.txt"
  "$VENV/bin/python" -c "import onnx, onnxruntime; print('onnx', onnx.__version__, 'onnxruntime', onnxruntime.__version__)"
fi
