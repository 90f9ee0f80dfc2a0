#!/usr/bin/env python3
"""Side-by-side tokenizer benchmark: transformers 5.24 (Rust tokenizers underneath) vs AltCLIPTokenizer (Swift).

Run from the repository root with the pinned venv:   .venv/bin/python Scripts/bench_tokenizer.py [--texts N]

Also a differential fuzzer: `--fuzz [--seed S]` encodes random Unicode strings (every script block the goldens
touch, combining marks, emoji, controls, whitespace, special tokens) and fails on the first text whose ids differ;
`--added-tokens-config` uses the fixture's added-token configuration instead of AltCLIP's.

Both sides encode the same large multilingual batch (seeded, built from Scripts/tokenizer_corpus.py and the golden
strings) with the fixture model Tests/Fixtures/tokenizer/xlmr-mini, single-threaded and on all cores; the ids must
agree (checksum). The Swift side runs as the gated test `BenchmarkTests` in a release build.
"""

import argparse
import json
import os
import random
import shutil
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


def fuzz_texts(n, seed=11):
    """Random strings mixing scripts, combining marks, emoji, controls, every whitespace and special tokens."""
    rng = random.Random(seed)
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
              (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x1E00, 0x1EFF), (0x2000, 0x206F),
              (0x2100, 0x24FF), (0x3000, 0x30FF), (0x3130, 0x318F), (0x3200, 0x33FF), (0x4E00, 0x4FFF),
              (0xAC00, 0xAD00), (0xF900, 0xFAFF), (0xFB00, 0xFDFF), (0xFE00, 0xFFFF), (0x1D400, 0x1D7FF),
              (0x1F1E6, 0x1F1FF), (0x1F300, 0x1F6FF), (0x1F900, 0x1F9FF), (0xE0000, 0xE007F), (0x0, 0x1F)]
    extras = ["<s>", "</s>", "<pad>", "<unk>", "<mask>", " <mask> ", "\u200d", "\ufe0f", "\u3000", "\u00a0",
              "\u0085", "\r\n", "  ", "\u2581", "\U0001F3FB", "\U0001F1EB\U0001F1F7",
              "[LANG]", " [LANG] ", "ｘｙ", "xy", "hello", " hello ", "<ent>", "<ent> "]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 30)):
            if rng.random() < 0.15:
                parts.append(rng.choice(extras))
            else:
                lo, hi = rng.choice(ranges)
                cp = rng.randint(lo, hi)
                if 0xD800 <= cp <= 0xDFFF:
                    continue
                parts.append(chr(cp))
        texts.append("".join(parts))
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


def run_python(texts_path, repeats, threads, model):
    env = dict(os.environ)
    env["TOKENIZERS_PARALLELISM"] = "true" if threads != 1 else "false"
    if threads == 1:
        env["RAYON_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", PY_WORKER, texts_path, str(repeats), model], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_swift(texts, repeats, scratch, model):
    with tempfile.TemporaryDirectory() as work:
        request = os.path.join(work, "request.json")
        output = os.path.join(work, "result.json")
        json.dump({"model": model, "texts": texts, "repeats": repeats, "output": output}, open(request, "w"))
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
    parser.add_argument("--fuzz", action="store_true", help="random Unicode strings instead of sentences")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--added-tokens-config", action="store_true",
                        help="use Tests/Fixtures/tokenizer/added-tokens/tokenizer_config.json with the fixture model")
    args = parser.parse_args()

    texts = fuzz_texts(args.texts, args.seed) if args.fuzz else make_texts(args.texts, args.seed)
    chars = sum(len(t) for t in texts)
    folder = tempfile.mkdtemp()
    model = MODEL
    if args.added_tokens_config:
        for name in ("tokenizer.json", "sentencepiece.bpe.model"):
            shutil.copy(os.path.join(MODEL, name), folder)
        shutil.copy(os.path.join(os.path.dirname(MODEL), "added-tokens", "tokenizer_config.json"), folder)
        model = folder
    texts_path = os.path.join(folder, "texts.json")
    with open(texts_path, "w") as f:
        json.dump(texts, f)
    try:
        py1 = run_python(texts_path, args.repeats, 1, model)
        pyn = run_python(texts_path, args.repeats, 0, model)
        swift = run_swift(texts, args.repeats, args.scratch_path, model)
    finally:
        shutil.rmtree(folder)

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
    print(f"{n} texts, {chars} characters, {swift['tokens']} tokens; model {os.path.relpath(MODEL, ROOT)}"
          + (" with added-tokens/tokenizer_config.json" if args.added_tokens_config else ""))
    print(f"ids identical (checksum): {same}")
    print(f"load: transformers {py1['load_seconds']*1000:.1f} ms, Swift {swift['load_seconds']*1000:.1f} ms")
    for name, seconds in rows:
        print(f"{name:58s} {seconds*1000:9.1f} ms  {n/seconds:10.0f} texts/s")
    print(f"Swift CPU time: 1 thread {swift['single_thread_cpu_seconds']*1000:.1f} ms CPU for "
          f"{swift['single_thread_seconds']*1000:.1f} ms wall; all cores {swift['parallel_cpu_seconds']*1000:.1f} ms CPU "
          f"for {swift['parallel_seconds']*1000:.1f} ms wall (CPU < cores x wall means other load on the machine)")
    if not same:
        for text, ids, row in zip(texts, py1["ids"], swift["row_checksums"]):
            if str(checksum([ids])) != row:
                print("first mismatch:", repr(text), ids)
                break
        sys.exit("Swift ids differ from transformers")


if __name__ == "__main__":
    main()
