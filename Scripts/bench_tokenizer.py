#!/usr/bin/env python3
"""Side-by-side tokenizer benchmark: transformers 5.24 (Rust tokenizers underneath) vs AltCLIPTokenizer (Swift).

Run from the repository root with the pinned venv:   /work/venv/bin/python Scripts/bench_tokenizer.py [--texts N]

Both sides encode the same large multilingual batch (seeded, built from Scripts/tokenizer_corpus.py and the golden
strings) with the fixture model Tests/Fixtures/tokenizer/xlmr-mini, single-threaded and on all cores; the ids must
agree (checksum). The Swift side runs as the gated test `BenchmarkTests` in a release build.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
from tokenizer_corpus import SENTENCES  # noqa: E402
from tokenizer_goldens import golden_texts  # noqa: E402

MODEL = os.path.join(ROOT, "Tests", "Fixtures", "tokenizer", "xlmr-mini")


def make_texts(n, seed=7):
    rng = random.Random(seed)
    pool = [s for sents in SENTENCES.values() for s in sents] + [t for t in golden_texts() if len(t) < 300]
    texts = []
    for _ in range(n):
        k = rng.randint(1, 3)
        texts.append(" ".join(rng.choice(pool) for _ in range(k)))
    return texts


def checksum(rows):
    h = 1469598103934665603
    mask = (1 << 64) - 1
    for row in rows:
        for i in row:
            h = ((h ^ (i + 1)) * 1099511628211) & mask
        h = ((h ^ 0xFFFF) * 1099511628211) & mask
    return h


PY_WORKER = r"""
import json, sys, time
from transformers import XLMRobertaTokenizer
texts = json.load(open(sys.argv[1]))
repeats = int(sys.argv[2])
t0 = time.perf_counter()
tok = XLMRobertaTokenizer.from_pretrained(sys.argv[3])
load = time.perf_counter() - t0
best_call = best_backend = float("inf")
for _ in range(repeats):
    t0 = time.perf_counter(); enc = tok(texts); best_call = min(best_call, time.perf_counter() - t0)
for _ in range(repeats):
    t0 = time.perf_counter(); raw = tok.backend_tokenizer.encode_batch(texts); best_backend = min(best_backend, time.perf_counter() - t0)
print(json.dumps({"load_seconds": load, "call_seconds": best_call, "encode_batch_seconds": best_backend,
                  "ids": enc["input_ids"]}))
"""


def run_python(texts_path, repeats, threads):
    env = dict(os.environ)
    env["TOKENIZERS_PARALLELISM"] = "true" if threads != 1 else "false"
    if threads == 1:
        env["RAYON_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", PY_WORKER, texts_path, str(repeats), MODEL], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_swift(texts, repeats, scratch):
    with tempfile.TemporaryDirectory() as work:
        request = os.path.join(work, "request.json")
        output = os.path.join(work, "result.json")
        json.dump({"model": MODEL, "texts": texts, "repeats": repeats, "output": output}, open(request, "w"))
        env = dict(os.environ, ALTCLIP_TOKENIZER_BENCH=request)
        subprocess.run(["swift", "build", "-c", "release", "--build-tests", "--scratch-path", scratch], cwd=ROOT,
                       check=True, capture_output=True)
        subprocess.run(["swift", "test", "-c", "release", "--skip-build", "--scratch-path", scratch,
                        "--filter", "BenchmarkTests"], cwd=ROOT, env=env, check=True, capture_output=True)
        return json.load(open(output))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scratch-path", default=os.path.join(ROOT, ".build-bench"))
    args = parser.parse_args()

    texts = make_texts(args.texts)
    chars = sum(len(t) for t in texts)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(texts, f)
        texts_path = f.name
    try:
        py1 = run_python(texts_path, args.repeats, 1)
        pyn = run_python(texts_path, args.repeats, 0)
    finally:
        os.unlink(texts_path)
    swift = run_swift(texts, args.repeats, args.scratch_path)

    expected = checksum(py1["ids"])
    assert checksum(pyn["ids"]) == expected
    same = str(expected) == swift["checksum"]
    n = len(texts)
    rows = [
        ("Rust tokenizers encode_batch, 1 thread", py1["encode_batch_seconds"]),
        ("transformers tok(texts), 1 thread", py1["call_seconds"]),
        ("Swift encode() loop, 1 thread", swift["single_thread_seconds"]),
        (f"Rust tokenizers encode_batch, all cores ({os.cpu_count()})", pyn["encode_batch_seconds"]),
        ("transformers tok(texts), all cores", pyn["call_seconds"]),
        (f"Swift tokenizer(texts), all cores ({swift['cores']})", swift["parallel_seconds"]),
        ("Swift tokenizer(texts, padding, truncation), all cores", swift["parallel_padded_truncated_seconds"]),
    ]
    print(f"{n} texts, {chars} characters, {swift['tokens']} tokens; model {os.path.relpath(MODEL, ROOT)}")
    print(f"ids identical (checksum): {same}")
    print(f"load: transformers {py1['load_seconds']*1000:.1f} ms, Swift {swift['load_seconds']*1000:.1f} ms")
    for name, seconds in rows:
        print(f"{name:58s} {seconds*1000:9.1f} ms  {n/seconds:10.0f} texts/s")
    print(f"Swift parallel run used {swift['parallel_cpu_seconds']*1000:.1f} ms CPU for "
          f"{swift['parallel_seconds']*1000:.1f} ms wall (machine load shows here)")
    if not same:
        sys.exit("Swift ids differ from transformers")


if __name__ == "__main__":
    main()
