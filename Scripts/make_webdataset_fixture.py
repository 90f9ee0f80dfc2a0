"""Writes Tests/Fixtures/webdataset/made-by-webdataset.tar with the `webdataset` package's own TarWriter
(the writer img2dataset uses), and made-by-webdataset.json: for each sample, in order, its key and the
SHA-256 of each of its files, so the Swift reader's samples can be checked against the writer's.

Samples: four demo pictures (png, or jpg re-encoded by Pillow) with a txt caption and json metadata
(url, width, height, as img2dataset writes), one sample with only txt and json (no image), and a key in
a sub-folder with a two-part extension (`seg.png`).

Run (the pinned venv, `make venv`):  .venv/bin/python Scripts/make_webdataset_fixture.py
"""
import hashlib
import io
import json
import pathlib

import webdataset as wds
from PIL import Image

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "Tests/Fixtures/webdataset"
out.mkdir(parents=True, exist_ok=True)
captions = {"red_circle": "a red circle", "blue_triangle": "一个蓝色的三角形", "yellow_star": "une étoile jaune",
            "green_square": "ein grünes Quadrat"}
samples = []
for i, (name, caption) in enumerate(captions.items()):
    data = (root / f"Samples/{name}.png").read_bytes()
    image = Image.open(io.BytesIO(data))
    sample = {"__key__": f"{i:09d}", "txt": caption,
              "json": json.dumps({"url": f"https://example.com/{name}.png", "caption": caption,
                                  "width": image.width, "height": image.height, "status": "success"})}
    if name == "yellow_star":  # one JPEG, as img2dataset writes by default
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=95)
        sample["jpg"] = buffer.getvalue()
    else:
        sample["png"] = data
    samples.append(sample)
samples.insert(2, {"__key__": "000000099", "txt": "a caption whose image failed to download",
                   "json": json.dumps({"url": "https://example.com/gone.png", "status": "failed_to_download"})})
samples.append({"__key__": "extra/000000100", "seg.png": (root / "Samples/red_star.png").read_bytes(),
                "png": (root / "Samples/red_star.png").read_bytes(), "txt": "a red star"})

with wds.TarWriter(str(out / "made-by-webdataset.tar")) as sink:
    for sample in samples:
        sink.write(sample)

def digest(value):
    return hashlib.sha256(value if isinstance(value, bytes) else value.encode()).hexdigest()

expected = [{"key": s["__key__"], "files": {k: digest(v) for k, v in sorted(s.items()) if k != "__key__"}} for s in samples]
(out / "made-by-webdataset.json").write_text(json.dumps(expected, indent=1) + "\n")
print(f"wrote {len(samples)} samples to {out / 'made-by-webdataset.tar'}")
