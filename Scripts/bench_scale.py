#!/usr/bin/env python3
"""Scale-out benchmark (#15): images/second of one `altclip embed --layout clip-retrieval` worker on the
full-size checkpoint from WebDataset shards vs the same images as loose files vs altclip-bench's bare
image tower rate (the I/O path should cost <= 5 %); two workers with one thread each (two shards of the
same input, side by side) vs one worker with two threads; and the PostgreSQL work queue's overhead per
batch (claim + write + mark done, beside the embedding work).

    .venv/bin/python Scripts/bench_scale.py [--images 64] [--batch 8] [--no-postgres]

Needs the release build (`swift build -c release --scratch-path .build-release --product altclip --product
altclip-bench`) and the full-size random checkpoint (Scripts/make_fullsize_checkpoint.py; served with the
demo tokenizer as Scripts/bench_serve.py does). Images: 640x480 JPEGs of smooth random colour fields.
Not a test.
"""
import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Scripts"))
from bench_serve import serving_folder  # noqa: E402


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        small = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
        image = Image.fromarray(small).resize((640, 480), Image.BICUBIC)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def run(cmd, env=None):
    t = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    elapsed = time.perf_counter() - t
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {result.stderr[-800:]}")
    return elapsed, result.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / ".build-fullsize/altclip-random"))
    p.add_argument("--images", type=int, default=64)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--build-dir", default=str(ROOT / ".build-release"))
    args = p.parse_args()
    altclip = Path(args.build_dir) / "release/altclip"
    bench = Path(args.build_dir) / "release/altclip-bench"
    model = serving_folder(Path(args.model))
    work = Path(tempfile.mkdtemp(prefix="altclip-scale."))
    os.chmod(work, 0o755)
    data = images(args.images)
    loose = work / "loose"
    loose.mkdir()
    for i, jpeg in enumerate(data):
        (loose / f"{i:06d}.jpg").write_bytes(jpeg)
    shards = work / "shards"
    shards.mkdir()
    per = max(1, args.images // 4)
    for s in range(0, args.images, per):
        with tarfile.open(shards / f"{s // per:05d}.tar", "w") as tar:
            for i in range(s, min(s + per, args.images)):
                for ext, payload in (("jpg", data[i]), ("txt", f"picture {i}".encode())):
                    info = tarfile.TarInfo(f"{i:06d}.{ext}")
                    info.size = len(payload)
                    tar.addfile(info, io.BytesIO(payload))
    pattern = str(shards) + "/{%05d..%05d}.tar" % (0, len(list(shards.iterdir())) - 1)
    common = ["embed", "--model", str(model), "--layout", "clip-retrieval", "--batch-size", str(args.batch), "--json"]
    env = {"ALTCLIP_PROGRESS": "0"}

    # Model load and first-call costs apart: an embed of one image, timed, is subtracted per process.
    one = work / "one"
    one.mkdir()
    (one / "0.jpg").write_bytes(data[0])
    rows = {}
    for threads in (2, 1):
        startup, _ = run([str(altclip)] + common + ["--threads", str(threads), str(one), "--out", str(work / f"o1-{threads}")], env)
        rows[f"startup_{threads}"] = startup
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"{cpu}, {os.cpu_count()} cores; {args.images} JPEGs 640x480, batches of {args.batch}; full-size checkpoint, fp32")

    t, out = run([str(bench), "--model", str(model), "--tower", "image", "--batch", str(args.batch), "--repeats", "3", "--threads", "2"])
    tower = json.loads(out)
    tower_rate = args.batch / sorted(tower["times"])[len(tower["times"]) // 2]
    print(f"altclip-bench image tower, batch {args.batch}, 2 threads: {tower_rate:.3f} images/s")

    t_loose, _ = run([str(altclip)] + common + ["--threads", "2", str(loose), "--out", str(work / "o-loose")], env)
    rate_loose = args.images / (t_loose - rows["startup_2"])
    t_wds, _ = run([str(altclip)] + common + ["--threads", "2", "--webdataset", pattern, "--out", str(work / "o-wds")], env)
    rate_wds = args.images / (t_wds - rows["startup_2"])
    print(f"1 worker x 2 threads, loose files:       {rate_loose:.3f} images/s  ({rate_loose / tower_rate:.3f} of the tower rate)")
    print(f"1 worker x 2 threads, WebDataset shards: {rate_wds:.3f} images/s  ({rate_wds / tower_rate:.3f} of the tower rate,"
          f" {rate_wds / rate_loose:.3f} of loose files)")

    # Two workers, one thread each, on two shards of the same input, at the same time.
    t = time.perf_counter()
    procs = [subprocess.Popen([str(altclip)] + common + ["--threads", "1", "--webdataset", pattern, "--out", str(work / "o-two"),
                                                         "--shard-index", str(i), "--shard-count", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, **env)) for i in range(2)]
    for proc in procs:
        proc.communicate()
        if proc.returncode != 0:
            sys.exit("a worker failed")
    t_two = time.perf_counter() - t
    rate_two = args.images / (t_two - rows["startup_1"])
    print(f"2 workers x 1 thread, WebDataset shards: {rate_two:.3f} images/s in all  ({rate_two / rate_wds:.3f} of 1 worker x 2 threads)")

    result = {"tower": tower_rate, "loose": rate_loose, "webdataset": rate_wds, "two_workers": rate_two}
    if not args.no_postgres:
        started = subprocess.run(["bash", str(ROOT / "Scripts/pg-test-server.sh"), "start"], capture_output=True, text=True)
        if started.returncode != 0:
            print(f"PostgreSQL could not be started: {started.stderr[-300:]}")
        else:
            pg = dict(item.split("=", 1) for item in started.stdout.replace("export ", "").split())
            url = pg["ALTCLIP_TEST_POSTGRES_URL"] + "?sslmode=disable"
            try:
                run([str(altclip), "index", "--db", url, "--register", str(loose), "--json"])
                t_q, out = run([str(altclip), "index", "--db", url, "--model", str(model), "--worker", "--threads", "2",
                                "--commit-every", str(args.batch), "--json"], env)
                report = json.loads(out)
                _, status = run([str(altclip), "index", "--db", url, "--status", "--json"])
                worker = json.loads(status)["workers"][0]
                overhead = (report["seconds"] - worker["busy_seconds"]) / max(1, report["batches"])
                rate_q = report["done"] / report["seconds"]
                print(f"1 queue worker x 2 threads (PostgreSQL):  {rate_q:.3f} images/s ({rate_q / rate_loose:.3f} of loose files);"
                      f" queue overhead {1000 * overhead:.1f} ms per batch of {args.batch}"
                      f" ({overhead / (worker['busy_seconds'] / max(1, report['batches'])) * 100:.2f} % of the batch's embedding time)")
                result.update(queue=rate_q, queue_overhead_seconds_per_batch=overhead)
            finally:
                subprocess.run(["bash", str(ROOT / "Scripts/pg-test-server.sh"), "stop", pg["ALTCLIP_TEST_POSTGRES_DIR"]], capture_output=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
