#!/usr/bin/env python3
"""Serving benchmark: `altclip serve` vs transformers behind a minimal batching uvicorn app
(Scripts/serve_py_peer.py), on the full-size random checkpoint, driven by wrk on loopback.

    .venv/bin/python Scripts/bench_serve.py [--model .build-fullsize/altclip-random] [--duration 20] [--image-duration 60]
                                           [--concurrency 1,8,32] [--threads 2] [--no-python]

Needs the release build (`swift build -c release`), Debian's wrk, and the bench venv (`make bench`
installs it; uvicorn/starlette are in Scripts/requirements-bench.txt). The full-size folder has no
tokenizer: the served folder next to it links its weights and takes the demo model's tokenizer files
(ids stay in the big vocabulary) and CLIP's 224-pixel preprocessor config.

For texts of 16 tokens and 640x480 JPEG images, at each concurrency: requests/s and p50/p99 latency
(wrk's closed loop: every connection sends its next request when the last answer arrives). Then
altclip-bench times the bare towers (text 1x16, image batch 1 and --max-batch-images) and the script
prints the targets: text throughput at the top concurrency vs one at a time (>= 1.5x), image
throughput vs the tower rate at the batch size (within 10%), p99 at concurrency 1 vs the bare tower
latency (within 15%). Not a test: CI never runs it.
"""
import argparse
import base64
import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("ALTCLIP_BUILD_DIR", ROOT / ".build")) / "release"
PY = sys.executable
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
CLIP_PREPROCESSOR = {
    "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True, "do_normalize": True,
    "do_rescale": True, "do_resize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_processor_type": "CLIPImageProcessor", "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224},
}


def serving_folder(model: Path) -> Path:
    out = model.parent / (model.name + "-serve")
    out.mkdir(exist_ok=True)
    for name in ["config.json", "model.safetensors", "model.safetensors.index.json"]:
        if (model / name).exists() and not (out / name).exists():
            (out / name).symlink_to((model / name).resolve())
    for shard in model.glob("model-*.safetensors"):
        if not (out / shard.name).exists():
            (out / shard.name).symlink_to(shard.resolve())
    demo = ROOT / "Models/altclip-demo"
    for name in ["sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]:
        shutil.copy(demo / name, out / name)
    (out / "preprocessor_config.json").write_text(json.dumps(CLIP_PREPROCESSOR, indent=2))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base, proc, seconds=600):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            if urllib.request.urlopen(base + "/health", timeout=2).status == 200:
                return
        except Exception:
            time.sleep(0.2)
    sys.exit("server did not become healthy")


def post(base, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=600).read())


def text_of_tokens(base, n):
    """A natural-looking text that the served tokenizer turns into exactly n tokens (with <s>, </s>)."""
    words = "a photo of a red circle next to a small green square on a white table in the morning light".split()
    for end in range(1, len(words) + 1):
        for cut in range(len(" ".join(words[:end])), 0, -1):
            text = " ".join(words[:end])[:cut]
            if len(post(base, "/tokenize", {"inputs": text})[0]) == n:
                return text
    sys.exit(f"no text of {n} tokens found")


def jpeg_data_uri():
    from PIL import Image
    import numpy as np
    y, x = np.mgrid[0:480, 0:640]
    rgb = np.stack([(x * 255 // 640), (y * 255 // 480), ((x + y) * 255 // 1120)], axis=-1).astype("uint8")
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def wrk(base, body, connections, duration):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        f.write("wrk.body = " + json.dumps(json.dumps(body)) + "\n")
        script = f.name
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "300s", "--latency",
                          "-s", script, base + "/v1/embeddings"], capture_output=True, text=True, check=True).stdout
    os.unlink(script)

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": ms(50), "p99_ms": ms(99), "requests": requests, "errors": errors.group(0) if errors else ""}


def run_engine(name, cmd, base, cases, duration, warmup_bodies, image_duration=None):
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_healthy(base, proc)
        for body in warmup_bodies:
            post(base, "/v1/embeddings", body)
        results = {}
        for kind, body, conc in cases:
            # An image request takes a second or more: a window of many batches is needed before the
            # closed loop's start-up (every connection's first answer comes after a full batch) stops
            # dominating the rate.
            results[(kind, conc)] = r = wrk(base, body, conc, image_duration if kind == "image" and image_duration else duration)
            print(f"  {name:6s} {kind:5s} c={conc:<3d} {r['rps']:8.2f} req/s  p50 {r['p50_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms"
                  f"  ({r['requests']} requests{', ' + r['errors'] if r['errors'] else ''})", flush=True)
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def tower(model, tower, batch, threads, repeats=5):
    """Median and 99th percentile (nearest rank) of the bare tower's forward time, in seconds."""
    out = subprocess.run([str(BUILD / "altclip-bench"), "--model", str(model), "--tower", tower, "--batch", str(batch),
                          "--tokens", "16", "--repeats", str(repeats), "--warmup", "1", "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    times = sorted(json.loads(out.strip().splitlines()[-1])["times"])
    return statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / ".build-fullsize/altclip-random"))
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--image-duration", type=int, default=60, help="seconds per image case (default 60)")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-batch-images", type=int, default=8)
    ap.add_argument("--no-python", action="store_true")
    args = ap.parse_args()
    model = Path(args.model)
    if not (model / "config.json").exists():
        subprocess.run([PY, str(ROOT / "Scripts/make_fullsize_checkpoint.py"), str(model)], check=True)
    folder = serving_folder(model)
    levels = [int(c) for c in args.concurrency.split(",")]
    threads = str(args.threads)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    swift_cmd = [str(BUILD / "altclip"), "serve", "--model", str(folder), "--port", str(port), "--threads", threads,
                 "--max-batch-images", str(args.max_batch_images)]
    # Find the 16-token text with the server itself.
    probe = subprocess.Popen(swift_cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(base, probe)
        text = text_of_tokens(base, 16)
    finally:
        probe.terminate()
        probe.wait()
    image = jpeg_data_uri()
    bodies = {"text": {"input": text}, "image": {"input": [{"image": image}]}}
    cases = [(kind, bodies[kind], c) for kind in ("text", "image") for c in levels]
    print(f"texts of 16 tokens ({text!r}), 640x480 JPEG images; {args.duration} s per text case, "
          f"{args.image_duration} s per image case, {threads} threads")

    results = {"swift": run_engine("swift", swift_cmd, base, cases, args.duration, list(bodies.values()), args.image_duration)}
    if not args.no_python:
        py_port = free_port()
        py_cmd = [PY, str(ROOT / "Scripts/serve_py_peer.py"), "--model", str(folder), "--port", str(py_port),
                  "--threads", threads, "--max-batch-images", str(args.max_batch_images)]
        results["python"] = run_engine("python", py_cmd, f"http://127.0.0.1:{py_port}", cases, args.duration, list(bodies.values()),
                                       args.image_duration)

    text1, text1_p99 = tower(folder, "text", 1, args.threads, 200)
    image1, image1_p99 = tower(folder, "image", 1, args.threads, 30)
    imageB, _ = tower(folder, "image", args.max_batch_images, args.threads, 3)
    s = results["swift"]
    top = max(levels)
    print("\nbare towers (altclip-bench): text 1x16 %.1f ms (p99 %.1f), image b1 %.1f ms (p99 %.1f), image b%d %.2f s (%.2f images/s)"
          % (text1 * 1e3, text1_p99 * 1e3, image1 * 1e3, image1_p99 * 1e3, args.max_batch_images, imageB,
             args.max_batch_images / imageB))
    print("targets:")
    print("  text throughput c=%d / c=1:            %.2fx (>= 1.5x)" % (top, s[("text", top)]["rps"] / s[("text", 1)]["rps"]))
    print("  image throughput c=%d / tower b%d rate: %.2f (within 10%%)" % (top, args.max_batch_images,
          s[("image", top)]["rps"] / (args.max_batch_images / imageB)))
    print("  text p99 c=1 / bare text 1x16 p99:     %.2f (<= 1.15; p50 / median %.2f)"
          % (s[("text", 1)]["p99_ms"] / (text1_p99 * 1e3), s[("text", 1)]["p50_ms"] / (text1 * 1e3)))
    print("  image p99 c=1 / bare image b1 p99:     %.2f (<= 1.15; p50 / median %.2f)"
          % (s[("image", 1)]["p99_ms"] / (image1_p99 * 1e3), s[("image", 1)]["p50_ms"] / (image1 * 1e3)))
    if "python" in results:
        print("swift / python throughput:")
        for kind, _, c in cases:
            print("  %s c=%d: %.2fx" % (kind, c, s[(kind, c)]["rps"] / results["python"][(kind, c)]["rps"]))
    out = ROOT / ".build-fullsize/bench_serve.json"
    out.write_text(json.dumps({f"{e}/{k}/{c}": v for e, r in results.items() for (k, c), v in r.items()}, indent=1))


if __name__ == "__main__":
    main()
