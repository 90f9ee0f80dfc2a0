"""Writes Tests/Fixtures/activations.json: every activation of transformers' ACT2FN (the pinned venv,
`make venv`) applied in float32 to a grid of inputs, for Tests/AltCLIPTensorTests/ActivationParityTests.swift.

Run: .venv/bin/python Scripts/make_activation_fixtures.py
"""
import json
import pathlib

import torch
import transformers
from transformers.activations import ACT2CLS, ACT2FN

root = pathlib.Path(__file__).resolve().parent.parent
xs = torch.linspace(-12, 12, 481, dtype=torch.float32).tolist()
xs += [-30.0, -20.5, -1e-4, 1e-4, 0.707107, 19.9, 20.5, 30.0]
x = torch.tensor(xs, dtype=torch.float32)
outputs = {}
learned = []
for name in sorted(ACT2CLS):
    module = ACT2FN[name]
    if any(True for _ in module.parameters()):
        learned.append(name)  # prelu, xielu: weights of their own
        continue
    with torch.no_grad():
        outputs[name] = module(x).tolist()
out = {
    "transformers": transformers.__version__,
    "torch": torch.__version__,
    "x": x.tolist(),
    "outputs": outputs,
    "learned_parameters": learned,
}
path = root / "Tests/Fixtures/activations.json"
path.write_text(json.dumps(out, indent=0) + "\n")
print(f"wrote {path} ({len(outputs)} activations; with parameters: {learned})")
