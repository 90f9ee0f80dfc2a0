#!/usr/bin/env python3
"""Reduced precision side by side (#16): Swift fp32 / bf16 / int8 vs ONNX Runtime fp32 and ORT's
`quantize_dynamic` int8 (QInt8 weights, per channel — the two lines a user would write), and PyTorch's
own options (fp32; bf16 autocast; `torch.ao.quantization.quantize_dynamic` int8 Linear), on the
full-size random checkpoint: time per case (fresh processes alternating, medians), peak memory, and the
accuracy of each engine against fp32 — the minimum cosine over 64 varied inputs per tower (texts of
different lengths and scripts, padded in one batch; natural-looking and random images).

    .venv/bin/python Scripts/bench_reduced.py [--rounds 3] [--repeats 3] [--threads 2] [--skip-speed]

Needs the release altclip and altclip-bench (.build-release), the full-size checkpoint
(Scripts/make_fullsize_checkpoint.py) and its ONNX export (Scripts/export_onnx.py MODEL MODEL-onnx).
The int8 ONNX models are made once next to the export (MODEL-onnx-int8). Not a test.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Scripts"))
from bench_serve import serving_folder  # noqa: E402

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)

TEXTS = [
    "a photo of a cat", "一只猫的照片", "фотография кошки", "صورة قطة", "ein Foto einer Katze", "猫の写真",
    "a red car parked in front of an old stone house, late afternoon light", "🐱🐶 pets!", "x",
    "Une vieille bicyclette bleue appuyée contre un mur couvert de lierre, sous la pluie fine d'automne.",
    "高速公路上行驶的红色跑车，背景是雪山和蓝天", "Λευκό σπίτι δίπλα στη θάλασσα", "हिमालय में बर्फ से ढकी चोटियाँ",
    "a diagram of the water cycle with arrows, clouds, rain, rivers and the sea, labelled in English " * 2,
]


def varied_texts(n):
    out = []
    for i in range(n):
        base = TEXTS[i % len(TEXTS)]
        out.append(base if i < len(TEXTS) else f"{base} {i}" + " and more" * (i % 7))
    return out


def varied_images(n, size, folder):
    """Half smooth colour fields with shapes (natural-looking), half uniform noise; already size x size,
    so CLIP preprocessing is only rescale and normalize (identical in every engine)."""
    rng = np.random.default_rng(7)
    pixels = []
    for i in range(n):
        if i % 2 == 0:
            small = rng.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
            image = Image.fromarray(small).resize((size, size), Image.BICUBIC)
            arr = np.array(image)
            cy, cx, r = rng.integers(30, size - 30, 2).tolist() + [int(rng.integers(10, 40))]
            yy, xx = np.mgrid[:size, :size]
            arr[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(0, 256, 3)
        else:
            arr = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        Image.fromarray(arr).save(folder / f"{i:03d}.png")
        pixels.append(((arr.astype(np.float32) / 255 - MEAN) / STD).transpose(2, 0, 1))
    return np.stack(pixels).astype(np.float32)


def cosines(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def quantized(onnx_dir):
    out = Path(str(onnx_dir) + "-int8")
    if (out / "done").exists():
        return out
    from onnxruntime.quantization import QuantType, quantize_dynamic
    out.mkdir(exist_ok=True)
    for tower in ("image", "text"):
        quantize_dynamic(str(onnx_dir / f"{tower}.onnx"), str(out / f"{tower}.onnx"), weight_type=QuantType.QInt8,
                         per_channel=True, use_external_data_format=True)
    (out / "config.json").write_text((onnx_dir / "config.json").read_text())
    (out / "done").write_text("quantize_dynamic(weight_type=QInt8, per_channel=True)\n")
    return out


def ort_embed(model_dir, tower, feeds, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model_dir / f"{tower}.onnx"), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / ".build-fullsize/altclip-random"))
    p.add_argument("--onnx", default=None)
    p.add_argument("--inputs", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--speed-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--build-dir", default=str(ROOT / ".build-release"))
    a = p.parse_args()
    model = Path(a.model)
    onnx = Path(a.onnx or str(model) + "-onnx")
    served = serving_folder(model)
    int8 = quantized(onnx)
    altclip = Path(a.build_dir) / "release/altclip"
    bench = Path(a.build_dir) / "release/altclip-bench"
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", ALTCLIP_PROGRESS="0")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"{cpu}, {os.cpu_count()} cores, {a.threads} threads; full-size random checkpoint")

    if a.speed_only:
        return speed(a, model, onnx, int8, bench, env)

    # ---- accuracy: min cosine to ORT fp32 (which matches transformers to 5e-6) over varied inputs ----
    from tokenizers import Tokenizer
    work = Path(tempfile.mkdtemp(prefix="altclip-reduced."))
    size = json.loads((model / "config.json").read_text())["vision_config"]["image_size"]
    pixels = varied_images(a.inputs, size, work)
    texts = varied_texts(a.inputs)
    (work / "texts.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    tokenizer = Tokenizer.from_file(str(served / "tokenizer.json"))
    # Pad to the longest text of the batch ourselves (the tokenizer file may carry a fixed padding).
    tokenizer.no_padding()
    tokenizer.no_truncation()
    encodings = tokenizer.encode_batch(texts)
    length = max(len(e.ids) for e in encodings)
    ids = np.array([e.ids + [1] * (length - len(e.ids)) for e in encodings], np.int64)
    mask = np.array([[1] * len(e.ids) + [0] * (length - len(e.ids)) for e in encodings], np.int64)
    print(f"texts: {len(texts)}, {min(len(e.ids) for e in encodings)}–{length} tokens, padded to {length}")
    reference = {"image": ort_embed(onnx, "image", {"pixel_values": pixels}, a.threads),
                 "text": ort_embed(onnx, "text", {"input_ids": ids, "attention_mask": mask}, a.threads)}
    accuracy = {}
    ort8 = {"image": ort_embed(int8, "image", {"pixel_values": pixels}, a.threads),
            "text": ort_embed(int8, "text", {"input_ids": ids, "attention_mask": mask}, a.threads)}
    accuracy["ORT int8"] = {t: float(cosines(ort8[t], reference[t]).min()) for t in ("image", "text")}
    np.savez(work / "image.npz", pixel_values=pixels)
    np.savez(work / "text.npz", input_ids=ids, attention_mask=mask)
    for precision in ("bf16", "int8"):
        got = {}
        for tower in ("image", "text"):
            subprocess.run([sys.executable, str(ROOT / "Scripts/bench_torch.py"), "--model", str(model), "--threads",
                            str(a.threads), "--precision", precision, "--embed-inputs", str(work / f"{tower}.npz"),
                            "--out", str(work / f"torch-{tower}-{precision}.npy")], check=True, capture_output=True)
            got[tower] = np.load(work / f"torch-{tower}-{precision}.npy")
        accuracy[f"PyTorch {precision}"] = {t: float(cosines(got[t], reference[t]).min()) for t in ("image", "text")}
    for dtype in ("fp32", "bf16", "int8"):
        got = {}
        for tower, inputs in (("image", [str(work / f"{i:03d}.png") for i in range(a.inputs)]),
                              ("text", ["--texts-file", str(work / "texts.txt")])):
            out = work / f"{tower}-{dtype}.npy"
            subprocess.run([str(altclip), "embed", "--model", str(served), "--dtype", dtype, "--threads", str(a.threads),
                            "--out", str(out)] + inputs, check=True, capture_output=True, env=env)
            got[tower] = np.load(out)
        accuracy[f"Swift {dtype}"] = {t: float(cosines(got[t], reference[t]).min()) for t in ("image", "text")}
        if dtype == "fp32":
            swift32 = got
        else:
            accuracy[f"Swift {dtype} vs Swift fp32"] = {t: float(cosines(got[t], swift32[t]).min()) for t in ("image", "text")}
    print(f"\nmin cosine to fp32 over {a.inputs} inputs per tower (reference: ORT fp32 unless named; Swift fp32 vs"
          " ORT fp32 shows the two pipelines' own difference, texts tokenized by each):")
    for engine, values in accuracy.items():
        print(f"  {engine:<24} image {values['image']:.6f}   text {values['text']:.6f}")

    if a.skip_speed:
        return
    # Timed from a fresh small process: Linux children inherit the parent's peak RSS (ru_maxrss) at fork,
    # and this one holds the accuracy arrays and sessions.
    subprocess.run([sys.executable, __file__, "--speed-only", "--model", str(model), "--onnx", str(onnx),
                    "--threads", str(a.threads), "--rounds", str(a.rounds), "--repeats", str(a.repeats),
                    "--build-dir", a.build_dir], check=True)


def speed(a, model, onnx, int8, bench, env):
    cases = [("image", ["--tower", "image", "--batch", "1"]), ("image b8", ["--tower", "image", "--batch", "8"]),
             ("text 1x16", ["--tower", "text", "--batch", "1", "--tokens", "16"]),
             ("text 64x16", ["--tower", "text", "--batch", "64", "--tokens", "16"])]
    engines = [("Swift fp32", lambda c: [str(bench), "--model", str(model), "--dtype", "fp32"] + c),
               ("Swift bf16", lambda c: [str(bench), "--model", str(model), "--dtype", "bf16"] + c),
               ("Swift int8", lambda c: [str(bench), "--model", str(model), "--dtype", "int8"] + c),
               ("ORT fp32", lambda c: [sys.executable, str(ROOT / "Scripts/bench_ort.py"), "--model", str(onnx)] + c),
               ("ORT int8", lambda c: [sys.executable, str(ROOT / "Scripts/bench_ort.py"), "--model", str(int8)] + c),
               ("PyTorch fp32", lambda c: [sys.executable, str(ROOT / "Scripts/bench_torch.py"), "--model", str(model)] + c),
               ("PyTorch bf16", lambda c: [sys.executable, str(ROOT / "Scripts/bench_torch.py"), "--model", str(model),
                                           "--precision", "bf16"] + c),
               ("PyTorch int8", lambda c: [sys.executable, str(ROOT / "Scripts/bench_torch.py"), "--model", str(model),
                                           "--precision", "int8"] + c)]
    print(f"\nmedian seconds per forward ({a.rounds} rounds of fresh processes, {a.repeats} timed runs each), peak RSS:")
    print(f"  {'case':<11}" + "".join(f"{name:>17}" for name, _ in engines) + "   Swift int8 / ORT int8, best Swift / ORT int8")
    for label, args in cases:
        times = {name: [] for name, _ in engines}
        peak = {}
        for _ in range(a.rounds):
            for name, make in engines:
                r = run_json(make(args + ["--repeats", str(a.repeats), "--warmup", "1", "--threads", str(a.threads)]), env)
                times[name] += r["times"]
                peak[name] = max(peak.get(name, 0), r["peak_rss_bytes"])
        med = {name: statistics.median(v) for name, v in times.items()}
        best = min(med["Swift bf16"], med["Swift int8"])
        print(f"  {label:<11}" + "".join(f"{med[n]:>10.3f}s {peak[n] / 2**30:4.1f}G" for n, _ in engines)
              + f"   {med['ORT int8'] / med['Swift int8']:.2f}x, {med['ORT int8'] / best:.2f}x", flush=True)


if __name__ == "__main__":
    main()
