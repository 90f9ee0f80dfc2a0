"""Export the two AltCLIP towers to ONNX for the ONNX Runtime column of Scripts/bench.py.

    python Scripts/export_onnx.py MODEL_DIR OUT_DIR [--opset 17]

Writes, in OUT_DIR:
  image.onnx + image.onnx.data   pixel_values [B,3,S,S] -> image_embeds [B,P]  (= get_image_features)
  text.onnx  + text.onnx.data    input_ids, attention_mask [B,L] (int64) -> text_embeds [B,P]  (= get_text_features)
  config.json                    copied from MODEL_DIR (bench_ort.py reads image_size / vocab_size from it)
  export.json                    versions, opset and the measured ORT-vs-torch parity; written last, so its
                                 presence marks a complete export (Scripts/bench.py reuses the folder then)

fp32, dynamic batch (and sequence) axes, weights as external data (the text tower alone is > 2 GB, the
protobuf limit). Uses the TorchScript exporter (`dynamo=False`), which needs no onnxscript.
After exporting, both graphs are run with ONNX Runtime on random inputs whose shapes differ from the
traced ones (and with a padded text row) and compared with transformers; a max |diff| above 1e-3 fails.
"""
import argparse
import json
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

TOLERANCE = 1e-3


def towers(model):
    """The two `get_*_features(...).pooler_output` calls as modules the tracer can export."""
    import torch

    class Image(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, pixel_values):
            return self.model.get_image_features(pixel_values=pixel_values).pooler_output

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask).pooler_output

    return Image().eval(), Text().eval()


def export_one(module, args, names, dynamic_axes, out_dir, stem, opset):
    """Trace to a scratch folder (the exporter writes one file per weight above 2 GB), then rewrite as
    `stem.onnx` with every initializer in a single `stem.onnx.data`."""
    import onnx
    import torch

    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".{stem}-") as scratch:
        raw = Path(scratch) / f"{stem}.onnx"
        with torch.no_grad():
            torch.onnx.export(module, args, str(raw), dynamo=False, opset_version=opset,
                              input_names=names[:-1], output_names=names[-1:], dynamic_axes=dynamic_axes,
                              do_constant_folding=True)
        proto = onnx.load(str(raw), load_external_data=True)
        for path in (out_dir / f"{stem}.onnx", out_dir / f"{stem}.onnx.data"):
            path.unlink(missing_ok=True)
        onnx.save_model(proto, str(out_dir / f"{stem}.onnx"), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=f"{stem}.onnx.data", size_threshold=1024)
        del proto
    onnx.checker.check_model(str(out_dir / f"{stem}.onnx"))


def max_diff(ort_out, torch_out):
    import numpy as np
    return float(np.max(np.abs(ort_out - torch_out.numpy())))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model_dir")
    p.add_argument("out_dir")
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args()

    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch
    import transformers
    from transformers import AltCLIPModel

    # The tracer's notes on Python-side shape checks (all fixed by the config, e.g. image size) and the
    # TorchScript exporter's deprecation notice: noise here, the parity check below is the real test.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    model_dir, out_dir = Path(a.model_dir), Path(a.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "export.json").unlink(missing_ok=True)
    # Eager attention: the exported graph then holds the plain MatMul/Softmax attention with the
    # additive padding mask, the same arithmetic the Swift port and the torch column do.
    model = AltCLIPModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    image, text = towers(model)
    size = model.config.vision_config.image_size
    vocab = model.config.text_config.vocab_size
    g = torch.Generator().manual_seed(0)

    t0 = time.perf_counter()
    export_one(image, (torch.randn(1, 3, size, size, generator=g),), ["pixel_values", "image_embeds"],
               {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}, out_dir, "image", a.opset)
    print(f"image tower exported ({time.perf_counter() - t0:.0f}s)", flush=True)
    t0 = time.perf_counter()
    ids = torch.randint(5, vocab - 5, (2, 16), generator=g)
    export_one(text, (ids, torch.ones_like(ids)), ["input_ids", "attention_mask", "text_embeds"],
               {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                "text_embeds": {0: "batch"}}, out_dir, "text", a.opset)
    print(f"text tower exported ({time.perf_counter() - t0:.0f}s)", flush=True)
    shutil.copyfile(model_dir / "config.json", out_dir / "config.json")

    # Parity on shapes other than the traced ones; the text batch has a padded second row
    # (<pad> = 1, mask 0), which catches a mask that the tracer froze.
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    pixels = torch.randn(3, 3, size, size, generator=g)
    body = torch.randint(5, vocab - 5, (2, 21), generator=g)
    ids = torch.cat([torch.zeros(2, 1, dtype=torch.long), body, torch.full((2, 1), 2)], dim=1)
    mask = torch.ones_like(ids)
    ids[1, 15:] = 1
    ids[1, 14] = 2
    mask[1, 15:] = 0
    with torch.inference_mode():
        want_image = model.get_image_features(pixel_values=pixels).pooler_output
        want_text = model.get_text_features(input_ids=ids, attention_mask=mask).pooler_output
    del model, image, text
    # Cross-check against the default attention implementation too (what bench_torch.py runs).
    with torch.inference_mode():
        default = AltCLIPModel.from_pretrained(str(model_dir)).eval()
        sdpa_image = default.get_image_features(pixel_values=pixels).pooler_output
        sdpa_text = default.get_text_features(input_ids=ids, attention_mask=mask).pooler_output
        del default
    session = ort.InferenceSession(str(out_dir / "image.onnx"), options, providers=["CPUExecutionProvider"])
    got_image = session.run(None, {"pixel_values": pixels.numpy()})[0]
    del session
    session = ort.InferenceSession(str(out_dir / "text.onnx"), options, providers=["CPUExecutionProvider"])
    got_text = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    del session
    diffs = {"image [3,3,%d,%d]" % (size, size): max_diff(got_image, want_image),
             "text [2,23] (row 1 padded)": max_diff(got_text, want_text),
             "image vs default attention": max_diff(got_image, sdpa_image),
             "text vs default attention": max_diff(got_text, sdpa_text)}
    for name, d in diffs.items():
        print(f"ORT vs torch max |diff| {name}: {d:.3e}")
    bad = {k: v for k, v in diffs.items() if not v <= TOLERANCE}
    if bad or got_image.shape != tuple(want_image.shape) or got_text.shape != tuple(want_text.shape):
        print(f"FAIL: ONNX Runtime disagrees with transformers beyond {TOLERANCE}: {bad} "
              f"(shapes {got_image.shape} / {got_text.shape})", file=sys.stderr)
        sys.exit(1)
    manifest = {"source": str(model_dir.resolve()), "opset": a.opset, "exporter": "torch.onnx.export(dynamo=False)",
                "attn_implementation": "eager", "max_abs_diff": diffs, "tolerance": TOLERANCE,
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                             "onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__}}
    (out_dir / "export.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {out_dir}")


if __name__ == "__main__":
    main()
