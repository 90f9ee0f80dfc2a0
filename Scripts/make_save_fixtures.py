"""Checks that a model folder written by the Swift `AltCLIPPipeline.save(to:)` loads in transformers, and
records what transformers computes with it: Tests/Fixtures/models/saved-by-swift.json (the SHA-256 of
each file Swift wrote, so the Swift test can tell it still writes those bytes) and
Tests/Fixtures/models/saved-by-swift.safetensors (transformers' outputs on fixed texts and the samples).

Run (the pinned venv, `make venv`):
    swift run altclip convert --model Models/altclip-demo --out .build/saved-demo   # or save(to:)
    .venv/bin/python Scripts/make_save_fixtures.py .build/saved-demo
"""
import hashlib
import json
import pathlib
import sys

import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import AltCLIPModel, AltCLIPProcessor

root = pathlib.Path(__file__).resolve().parent.parent
folder = pathlib.Path(sys.argv[1])
model = AltCLIPModel.from_pretrained(folder).eval()
processor = AltCLIPProcessor.from_pretrained(folder)
texts = ["a red circle", "紫色的三角形", "un carré jaune"]
names = ["red_circle", "purple_triangle", "yellow_square"]
images = [Image.open(root / f"Samples/{n}.png") for n in names]
inputs = processor(text=texts, images=images, return_tensors="pt", padding=True)
with torch.no_grad():
    out = model(**inputs)
save_file({
    "input_ids": inputs["input_ids"].contiguous(),
    "text_embeds": out.text_embeds.contiguous(),
    "image_embeds": out.image_embeds.contiguous(),
    "logits_per_image": out.logits_per_image.contiguous(),
}, str(root / "Tests/Fixtures/models/saved-by-swift.safetensors"))
hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}
(root / "Tests/Fixtures/models/saved-by-swift.json").write_text(json.dumps({"texts": texts, "images": names, "sha256": hashes}, indent=1) + "\n")
print("transformers loaded", folder, "->", sorted(hashes))
