"""ONNX Runtime side of the benchmark: same interface and JSON line as `altclip-bench` and bench_torch.py.

    python Scripts/bench_ort.py --model ONNX_DIR --tower image|text [--batch B] [--tokens L] ...

ONNX_DIR is the output of Scripts/export_onnx.py (image.onnx, text.onnx, config.json). Imports neither
torch nor transformers, so `--repeats 1 --warmup 0` measures what a deployed ORT process pays from
start to the first embedding (Python + onnxruntime import, session creation, one forward), which is
what Scripts/bench.py's start-up row times. load_seconds is the session creation alone.
"""
import argparse
import json
import os
import resource
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, help="folder written by Scripts/export_onnx.py")
    p.add_argument("--tower", choices=["image", "text"], default="image")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--tokens", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    a = p.parse_args()

    import numpy as np
    import onnxruntime as ort

    with open(os.path.join(a.model, "config.json")) as f:
        config = json.load(f)
    threads = a.threads or os.cpu_count()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # bench.py gives the OpenMP engines OMP_WAIT_POLICY=PASSIVE (spinning idle threads distort timings
    # on a shared 2-core machine); ORT's own thread pool gets the same treatment.
    spinning = os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE"
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    provider = "CPUExecutionProvider"

    t0 = time.perf_counter()
    session = ort.InferenceSession(os.path.join(a.model, f"{a.tower}.onnx"), options, providers=[provider])
    load = time.perf_counter() - t0
    # Same kind of inputs as bench_torch.py (seeded normal pixels; <s> random body </s>), from numpy.
    rng = np.random.default_rng(0)
    if a.tower == "image":
        s = config["vision_config"]["image_size"]
        feeds = {"pixel_values": rng.standard_normal((a.batch, 3, s, s), dtype=np.float32)}
    else:
        vocab = config["text_config"]["vocab_size"]
        body = rng.integers(5, vocab - 5, (a.batch, a.tokens - 2), dtype=np.int64)
        ids = np.concatenate([np.zeros((a.batch, 1), np.int64), body, np.full((a.batch, 1), 2, np.int64)], axis=1)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    times = []
    for _ in range(a.warmup):
        session.run(None, feeds)
    for _ in range(a.repeats):
        t = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - t)
    print(json.dumps({"engine": "onnxruntime", "tower": a.tower, "batch": a.batch, "tokens": a.tokens,
                      "threads": threads, "times": times, "load_seconds": load,
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "backend": f"onnxruntime {ort.__version__} {provider}"
                                 f"{'' if spinning else ' (no spinning)'}"}))


if __name__ == "__main__":
    main()
