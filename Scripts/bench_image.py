#!/usr/bin/env python3
"""Side-by-side benchmark of the image pipeline (run with the pinned venv from the repo root):

    .venv/bin/python Scripts/bench_image.py [--images 64] [--repeats 5]

Writes N synthetic 640x480 JPEG "photos" to a scratch folder, then times files -> pixel_values for
  * transformers 5.24 CLIPImageProcessorPil (PIL.Image.open + processor, one process, as transformers runs),
  * the same spread over all cores with multiprocessing (a generous Python baseline),
  * altclip-swift (release build, all cores; and pinned to one core with taskset when available),
and checks that the Swift pixel_values equal transformers' (max abs diff printed).
"""
import argparse
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image
import transformers
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def photo(rng, w=640, h=480):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([
        128 + 100 * np.sin(x / (23 + rng.uniform(0, 40)) + rng.uniform(0, 6)),
        128 + 100 * np.cos(y / (17 + rng.uniform(0, 40)) + x / 97),
        128 + 90 * np.sin((x + y) / (31 + rng.uniform(0, 30))),
    ], -1)
    for _ in range(12):  # a few blobs for edges
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(10, 120)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        img[mask] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 10, img.shape)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8))


_PROC = None


def _init():
    global _PROC
    _PROC = CLIPImageProcessorPil()


def _one(path):
    return _PROC(Image.open(path), return_tensors="np")["pixel_values"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="altclip-image-bench-")
    rng = np.random.default_rng(7)
    paths = []
    for i in range(args.images):
        p = os.path.join(work, f"photo{i:03d}.jpg")
        photo(rng).save(p, quality=90)
        paths.append(p)
    cores = os.cpu_count()

    proc = CLIPImageProcessorPil()
    best_py = best_py_cpu = float("inf")
    for _ in range(args.repeats):
        t, c = time.perf_counter(), time.process_time()
        ref = proc([Image.open(p) for p in paths], return_tensors="np")["pixel_values"]
        best_py = min(best_py, time.perf_counter() - t)
        best_py_cpu = min(best_py_cpu, time.process_time() - c)

    best_pool = float("inf")
    with mp.Pool(cores, initializer=_init) as pool:
        pool.map(_one, paths[:cores])
        for _ in range(args.repeats):
            t = time.perf_counter()
            pool_out = np.concatenate(pool.map(_one, paths))
            best_pool = min(best_pool, time.perf_counter() - t)
    assert pool_out.tobytes() == ref.tobytes()

    scratch = os.path.join(ROOT, ".build-bench")
    # `swift test` (not `swift build`) keeps testable imports in release; this builds once, listing only.
    build = ["swift", "test", "list", "-c", "release", "--scratch-path", scratch]
    subprocess.run(build, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out_file = os.path.join(work, "swift.f32")

    def swift_run(prefix):
        env = dict(os.environ, ALTCLIP_IMAGE_BENCH_DIR=work, ALTCLIP_IMAGE_BENCH_OUT=out_file,
                   ALTCLIP_IMAGE_BENCH_REPEATS=str(args.repeats))
        cmd = prefix + ["swift", "test", "-c", "release", "--skip-build", "--scratch-path", scratch,
                        "--filter", "ImageBenchmark"]
        text = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
        line = next(l for l in text.splitlines() if "ALTCLIP_IMAGE_BENCH " in l)
        return json.loads(line.split("ALTCLIP_IMAGE_BENCH ", 1)[1])

    swift_all = swift_run([])
    mine = np.fromfile(out_file, dtype="<f4").reshape(ref.shape)
    diff = float(np.abs(mine - ref).max())
    swift_one = swift_run(["taskset", "-c", "0"]) if shutil.which("taskset") else None

    n = args.images
    rows = [
        ("transformers CLIPImageProcessorPil, 1 process", best_py),
        (f"transformers CLIPImageProcessorPil, {cores} processes", best_pool),
        (f"altclip-swift, all cores ({swift_all['cores']})", swift_all["best_seconds"]),
    ]
    if swift_one:
        rows.append(("altclip-swift, pinned to 1 core", swift_one["best_seconds"]))
    print(f"{n} JPEG photos 640x480 -> pixel_values {list(ref.shape)}; best of {args.repeats}; "
          f"Pillow {Image.__version__}, transformers {transformers.__version__}, {cores} cores")
    for name, sec in rows:
        print(f"  {name:52s} {sec * 1000:8.1f} ms  {n / sec:7.1f} img/s  {best_py / sec:5.2f}x")
    for label, run in (("all cores", swift_all), ("1 core", swift_one)):
        if run:
            print(f"  swift per image ({label}): decode {run['decode_ms']:.2f} ms, resize {run['resize_ms']:.2f} ms, "
                  f"resize+crop+normalize {run['preprocess_ms']:.2f} ms")
    print(f"  max |swift - transformers| over all pixel_values: {diff}")
    # CPU time per image is what the other processes on a shared machine cannot take away; with
    # independent images spread over all cores, throughput on an idle machine is cores / CPU per image.
    py_cpu = best_py_cpu / n * 1000
    sw_cpu = swift_all["best_cpu_seconds"] / n * 1000
    print(f"  CPU per image: transformers {py_cpu:.2f} ms, altclip-swift {sw_cpu:.2f} ms "
          f"({py_cpu / sw_cpu:.2f}x less); idle-machine estimate with {cores} cores: "
          f"{cores * 1000 / sw_cpu:.0f} img/s = {cores * py_cpu / sw_cpu:.2f}x transformers")
    load = os.getloadavg()
    print(f"  load average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other jobs compete for the cores)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
