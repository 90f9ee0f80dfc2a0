"""Reduced-precision benchmark: Swift `--dtype int8` vs Swift fp32 vs transformers/PyTorch fp32.

    python Scripts/bench_precision.py [--model DIR] [--rounds 3] [--repeats 3] [--binary PATH]
                                      [--passive]

Needs the full-size random checkpoint (Scripts/make_fullsize_checkpoint.py) and a release
`altclip-bench` (`swift build -c release --product altclip-bench`). Every case runs the engines
alternately, each run a fresh process (1 warm-up + `--repeats` timed forwards), and prints medians,
spread, peak RSS and PyTorch/Swift ratios. `--passive` runs every engine with OMP_WAIT_POLICY=passive
(libgomp threads sleep instead of spinning: on a shared, loaded machine spinning threads of both
engines otherwise dominate the timings).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=str(ROOT / ".build-fullsize/altclip-random"))
    p.add_argument("--binary", default=str(ROOT / ".build/release/altclip-bench"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--passive", action="store_true")
    p.add_argument("--cases", default="image:1,image:8,text:1,text:64", help="tower:batch list (16 tokens)")
    a = p.parse_args()
    passive = dict(os.environ, OMP_WAIT_POLICY="passive")
    env = passive if a.passive else None
    engines = [("swift int8", [a.binary, "--dtype", "int8"], env),
               ("swift fp32", [a.binary, "--dtype", "fp32"], env),
               ("torch fp32", [sys.executable, str(ROOT / "Scripts/bench_torch.py")], env)]
    backends = {}
    print(f"{'case':14}" + "".join(f"{name:>22}" for name, _, _ in engines) + "   torch/int8  fp32/int8")
    for spec in a.cases.split(","):
        tower, batch = spec.split(":")
        args = ["--model", a.model, "--tower", tower, "--batch", batch, "--tokens", "16",
                "--repeats", str(a.repeats), "--warmup", "1"]
        times = {name: [] for name, _, _ in engines}
        rss = {name: 0 for name, _, _ in engines}
        for _ in range(a.rounds):
            for name, cmd, env in engines:
                r = run_json(cmd + args, env)
                times[name] += r["times"]
                rss[name] = max(rss[name], r["peak_rss_bytes"])
                backends[name] = r.get("backend")
        med = {n: statistics.median(t) for n, t in times.items()}
        cells = "".join(f"{med[n]:9.3f}s ±{(max(t) - min(t)) / med[n] * 100:3.0f}% {rss[n] / 1e9:4.2f}GB"
                        for n, t in times.items())
        print(f"{tower + ' b' + batch:14}{cells}   {med['torch fp32'] / med['swift int8']:9.2f}x"
              f" {med['swift fp32'] / med['swift int8']:9.2f}x", flush=True)
    print("backends:", json.dumps(backends, indent=1))


if __name__ == "__main__":
    main()
