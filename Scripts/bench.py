"""Side-by-side benchmark: Swift (release) vs transformers/PyTorch on the full-size random checkpoint.

    python Scripts/bench.py [--model DIR] [--rounds 3] [--quick]

Builds the checkpoint with Scripts/make_fullsize_checkpoint.py when it is missing, builds the Swift
release binaries, then for every case runs the two engines alternately (`--rounds` times each, every
run a fresh process with warm-up + repetitions) and prints medians, spread and Swift/PyTorch ratios.
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
# libgomp's spinning idle threads distort timings badly on a shared 2-core machine; both engines use
# OpenMP, so both get the passive policy.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def swift_cmd(args):
    return [str(ROOT / ".build/release/altclip-bench")] + args


def torch_cmd(args):
    return [PY, str(ROOT / "Scripts/bench_torch.py")] + args


def measure_case(model, case, rounds, repeats):
    args = ["--model", str(model), "--tower", case["tower"], "--batch", str(case["batch"]),
            "--tokens", str(case.get("tokens", 16)), "--repeats", str(repeats), "--warmup", "1"]
    if case.get("threads"):
        args += ["--threads", str(case["threads"])]
    swift_args = args + (["--dtype", case["dtype"]] if case.get("dtype") else [])
    per = {"swift": [], "torch": []}
    rss = {"swift": 0, "torch": 0}
    backend = {}
    for _ in range(rounds):
        for engine, cmd in (("swift", swift_cmd(swift_args)), ("torch", torch_cmd(args))):
            r = run_json(cmd)
            per[engine] += r["times"]
            rss[engine] = max(rss[engine], r["peak_rss_bytes"])
            backend[engine] = r.get("backend")
    return per, rss, backend


def startup(model, rounds, dtype="fp32"):
    """Process start to the first image embedding (load + one forward, no warm-up; Swift converts its
    weights lazily, as a one-shot command does)."""
    per = {"swift": [], "torch": []}
    args = ["--model", str(model), "--tower", "image", "--repeats", "1", "--warmup", "0"]
    swift_args = args + ["--lazy", "--dtype", dtype]
    for _ in range(rounds):
        for engine, cmd in (("swift", swift_cmd(swift_args)), ("torch", torch_cmd(args))):
            t = time.perf_counter()
            run_json(cmd)
            per[engine].append(time.perf_counter() - t)
    return per


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
    a = p.parse_args()
    model = Path(a.model)
    if not (model / "config.json").exists():
        print(f"building the full-size random checkpoint in {model} (~3.5 GB, a few minutes)", flush=True)
        subprocess.run([PY, str(ROOT / "Scripts/make_fullsize_checkpoint.py"), str(model)], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "altclip-bench"], cwd=ROOT, check=True)

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
    print(f"{'case':22} {'swift median':>16} {'torch median':>16} {'torch/swift':>12}   peak RSS swift / torch")
    rows = []
    backends = {}
    for case in cases:
        per, rss, backend = measure_case(model, case, a.rounds, a.repeats)
        backends.update(backend)
        sm, s = fmt(per["swift"])
        tm, t = fmt(per["torch"])
        rows.append((case["name"], sm, tm))
        print(f"{case['name']:22} {s:>16} {t:>16} {tm / sm:11.2f}x   {rss['swift'] / 1e9:.2f} / {rss['torch'] / 1e9:.2f} GB",
              flush=True)
    for dtype in ("fp32", "bf16"):
        per = startup(model, a.rounds, dtype)
        sm, s = fmt(per["swift"])
        tm, t = fmt(per["torch"])
        print(f"{'start→image emb ' + dtype:22} {s:>16} {t:>16} {tm / sm:11.2f}x")
    print("backends:", json.dumps(backends))


if __name__ == "__main__":
    main()
