"""PyTorch side of the benchmark: same interface and JSON as `altclip-bench` (see Scripts/bench.py).

--precision picks PyTorch's own reduced-precision options (Scripts/bench_reduced.py): `bf16` runs the
forward under `torch.autocast("cpu", dtype=torch.bfloat16)`, `int8` replaces every nn.Linear with
`torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`; `--embed-inputs F.npz`
embeds given `pixel_values` / `input_ids` + `attention_mask` and writes them to `--out` (accuracy runs)."""
import argparse
import json
import resource
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--tower", choices=["image", "text"], default="image")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--tokens", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--precision", choices=["fp32", "bf16", "int8"], default="fp32")
    p.add_argument("--embed-inputs", default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--startup-image", default=None,
                   help="time process start to first image embedding instead (processor + model load)")
    a = p.parse_args()

    import torch
    from transformers import AltCLIPModel

    if a.threads:
        torch.set_num_threads(a.threads)
    if a.startup_image:
        from PIL import Image
        from transformers import AltCLIPProcessor
        processor = AltCLIPProcessor.from_pretrained(a.model)
        model = AltCLIPModel.from_pretrained(a.model).eval()
        with torch.inference_mode():
            inputs = processor(images=Image.open(a.startup_image), return_tensors="pt")
            model.get_image_features(**inputs)
        print(json.dumps({"engine": "torch", "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
        return
    import contextlib
    t0 = time.perf_counter()
    model = AltCLIPModel.from_pretrained(a.model).eval()
    if a.precision == "int8":
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    load = time.perf_counter() - t0
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.precision == "bf16" else contextlib.nullcontext
    features = lambda o: (o if isinstance(o, torch.Tensor) else o.pooler_output).float()
    if a.embed_inputs:
        import numpy as np
        inputs = np.load(a.embed_inputs)
        with torch.inference_mode(), autocast():
            if "pixel_values" in inputs:
                out = torch.cat([features(model.get_image_features(pixel_values=torch.from_numpy(inputs["pixel_values"][i:i + 8])))
                                 for i in range(0, len(inputs["pixel_values"]), 8)])
            else:
                out = features(model.get_text_features(input_ids=torch.from_numpy(inputs["input_ids"]),
                                                       attention_mask=torch.from_numpy(inputs["attention_mask"])))
        np.save(a.out, out.numpy())
        return
    g = torch.Generator().manual_seed(0)
    if a.tower == "image":
        s = model.config.vision_config.image_size
        pixels = torch.randn(a.batch, 3, s, s, generator=g)
        run = lambda: model.get_image_features(pixel_values=pixels)
    else:
        vocab = model.config.text_config.vocab_size
        body = torch.randint(5, vocab - 5, (a.batch, a.tokens - 2), generator=g)
        ids = torch.cat([torch.zeros(a.batch, 1, dtype=torch.long), body, torch.full((a.batch, 1), 2)], dim=1)
        mask = torch.ones_like(ids)
        run = lambda: model.get_text_features(input_ids=ids, attention_mask=mask)
    times = []
    with torch.inference_mode(), autocast():
        for _ in range(a.warmup):
            run()
        for _ in range(a.repeats):
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
    print(json.dumps({"engine": "torch", "tower": a.tower, "batch": a.batch, "tokens": a.tokens,
                      "threads": torch.get_num_threads(), "times": times, "load_seconds": load,
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "backend": f"torch {torch.__version__} {a.precision} ({torch.backends.mkldnn.is_available() and 'oneDNN/MKL'})"}))


if __name__ == "__main__":
    main()
