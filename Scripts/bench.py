"""Side-by-side benchmark: Swift (release) vs transformers/PyTorch on the full-size random checkpoint.

    python Scripts/bench.py [--model DIR] [--rounds 3] [--quick] [--no-ort] [--onnx DIR]

Builds the checkpoint with Scripts/make_fullsize_checkpoint.py when it is missing, exports it to ONNX
once with Scripts/export_onnx.py (into DIR-onnx next to it, reused while its export.json exists),
builds the Swift release binaries (in $ALTCLIP_BUILD_DIR, default .build), then for every case runs
the engines alternately (`--rounds` times each, every run a fresh process with warm-up + repetitions)
and prints medians, spread and ratios to Swift. ONNX Runtime (Scripts/bench_ort.py) runs the fp32
cases only; its column shows "–" for the bf16 and int8 rows.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BUILD_DIR = Path(os.environ.get("ALTCLIP_BUILD_DIR", ROOT / ".build"))
# libgomp's spinning idle threads distort timings badly on a shared 2-core machine; both engines use
# OpenMP, so both get the passive policy (bench_ort.py turns ORT's thread-pool spinning off for it too).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def swift_cmd(args):
    return [str(BUILD_DIR / "release/altclip-bench")] + args


def torch_cmd(args):
    return [PY, str(ROOT / "Scripts/bench_torch.py")] + args


def ort_cmd(args):
    return [PY, str(ROOT / "Scripts/bench_ort.py")] + args


def engine_cmds(model, onnx, args, dtype=None, swift_only=()):
    """(engine, command) per engine; args lack --model. ORT only computes in fp32 (onnx None: skipped)."""
    with_model = ["--model", str(model)] + args
    swift_args = with_model + list(swift_only) + (["--dtype", dtype] if dtype else [])
    cmds = [("swift", swift_cmd(swift_args)), ("torch", torch_cmd(with_model))]
    if onnx is not None and dtype in (None, "fp32"):
        cmds.append(("ort", ort_cmd(["--model", str(onnx)] + args)))
    return cmds


def measure_case(model, onnx, case, rounds, repeats):
    args = ["--tower", case["tower"], "--batch", str(case["batch"]),
            "--tokens", str(case.get("tokens", 16)), "--repeats", str(repeats), "--warmup", "1"]
    if case.get("threads"):
        args += ["--threads", str(case["threads"])]
    cmds = engine_cmds(model, onnx, args, case.get("dtype"))
    per = {engine: [] for engine, _ in cmds}
    rss = {engine: 0 for engine, _ in cmds}
    backend = {}
    for _ in range(rounds):
        for engine, cmd in cmds:
            r = run_json(cmd)
            per[engine] += r["times"]
            rss[engine] = max(rss[engine], r["peak_rss_bytes"])
            backend[engine] = r.get("backend")
    return per, rss, backend


def startup(model, onnx, rounds, dtype="fp32"):
    """Process start to the first image embedding (load + one forward, no warm-up; Swift converts its
    weights lazily, as a one-shot command does)."""
    cmds = engine_cmds(model, onnx, ["--tower", "image", "--repeats", "1", "--warmup", "0"], dtype, ["--lazy"])
    per = {engine: [] for engine, _ in cmds}
    for _ in range(rounds):
        for engine, cmd in cmds:
            t = time.perf_counter()
            run_json(cmd)
            per[engine].append(time.perf_counter() - t)
    return per


def ensure_onnx(model, onnx):
    """Export both towers once (a few minutes, ~3.5 GB on disk); export.json marks a finished export,
    which is redone when the checkpoint is newer."""
    manifest = onnx / "export.json"
    newest = max(f.stat().st_mtime for f in model.iterdir() if f.suffix in (".json", ".safetensors"))
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        print(f"exporting {model} to ONNX in {onnx} (~3.5 GB, a few minutes)", flush=True)
        subprocess.run([PY, str(ROOT / "Scripts/export_onnx.py"), str(model), str(onnx)], check=True)


def row(name, per, rss):
    """One table line: medians (± spread), torch/swift, best of the peers / swift, peak RSS."""
    sm, s = fmt(per["swift"])
    tm, t = fmt(per["torch"])
    om, o = fmt(per["ort"]) if per.get("ort") else (None, "–")
    best = min(m for m in (tm, om) if m is not None)
    line = f"{name:22} {s:>16} {t:>16} {o:>16} {tm / sm:11.2f}x {best / sm:11.2f}x"
    if rss:
        line += "   " + " / ".join(f"{rss[e] / 1e9:.2f}" if e in rss else "–" for e in ("swift", "torch", "ort")) + " GB"
    return line


def fmt(xs):
    m = statistics.median(xs)
    spread = (max(xs) - min(xs)) / m * 100 if m else 0
    return m, f"{m:8.3f}s ±{spread:3.0f}%"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=str(ROOT / ".build-fullsize/altclip-random"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="only image b1 and text b1x16")
    p.add_argument("--cases", default=None, help="comma-separated case names to run (e.g. 'image b32,text b64 x77')")
    p.add_argument("--no-startup", action="store_true", help="skip the start-up rows")
    p.add_argument("--no-ort", action="store_true", help="skip the ONNX Runtime column (and the export)")
    p.add_argument("--onnx", default=None, help="ONNX export folder (default: the model folder's name + -onnx, beside it)")
    a = p.parse_args()
    model = Path(a.model)
    if not (model / "config.json").exists():
        print(f"building the full-size random checkpoint in {model} (~3.5 GB, a few minutes)", flush=True)
        subprocess.run([PY, str(ROOT / "Scripts/make_fullsize_checkpoint.py"), str(model)], check=True)
    onnx = None
    if not a.no_ort:
        onnx = Path(a.onnx) if a.onnx else model.resolve().parent / f"{model.resolve().name}-onnx"
        ensure_onnx(model, onnx)
    subprocess.run(["swift", "build", "-c", "release", "--product", "altclip-bench", "--scratch-path", str(BUILD_DIR)],
                   cwd=ROOT, check=True)

    cases = [dict(name="image b1", tower="image", batch=1), dict(name="image b8", tower="image", batch=8),
             dict(name="image b32", tower="image", batch=32),
             dict(name="text b1 x16", tower="text", batch=1, tokens=16),
             dict(name="text b1 x77", tower="text", batch=1, tokens=77),
             dict(name="text b64 x16", tower="text", batch=64, tokens=16),
             dict(name="text b64 x77", tower="text", batch=64, tokens=77),
             dict(name="image b1, 1 thread", tower="image", batch=1, threads=1),
             dict(name="image b1 bf16", tower="image", batch=1, dtype="bf16"),
             dict(name="image b8 bf16", tower="image", batch=8, dtype="bf16"),
             dict(name="text b1 x16 bf16", tower="text", batch=1, tokens=16, dtype="bf16"),
             dict(name="text b64 x16 bf16", tower="text", batch=64, tokens=16, dtype="bf16"),
             dict(name="image b1 int8", tower="image", batch=1, dtype="int8"),
             dict(name="image b8 int8", tower="image", batch=8, dtype="int8"),
             dict(name="text b1 x16 int8", tower="text", batch=1, tokens=16, dtype="int8"),
             dict(name="text b64 x16 int8", tower="text", batch=64, tokens=16, dtype="int8")]
    if a.quick:
        cases = [c for c in cases if c["name"] in ("image b1", "text b1 x16", "image b1 bf16", "text b1 x16 bf16")]
    if a.cases:
        wanted = [n.strip() for n in a.cases.split(",")]
        cases = [c for c in cases if c["name"] in wanted]
    print(f"{'case':22} {'swift median':>16} {'torch median':>16} {'ORT median':>16} {'torch/swift':>12} "
          f"{'best/swift':>12}   peak RSS swift / torch / ORT")
    backends = {}
    for case in cases:
        per, rss, backend = measure_case(model, onnx, case, a.rounds, a.repeats)
        for engine, name in backend.items():
            backends[engine + (" " + case["dtype"] if case.get("dtype") and engine == "swift" else "")] = name
        print(row(case["name"], per, rss), flush=True)
    for dtype in () if a.no_startup else ("fp32", "bf16"):
        print(row("start→image emb " + dtype, startup(model, onnx, a.rounds, dtype), None))
    print("best/swift: the faster of torch and ONNX Runtime over Swift (> 1: Swift is faster)")
    print("backends:", json.dumps(backends))


if __name__ == "__main__":
    main()
