#!/usr/bin/env python3
"""Vector store benchmark: altclip's stores (SQLite exact scan, PostgreSQL + pgvector HNSW and exact) vs
FAISS (IndexFlatIP, IndexHNSWFlat) and sqlite-vec, on the same random unit vectors, side by side.

    .venv/bin/python Scripts/bench_store.py [--sizes 100000,1000000] [--dimension 768] [--queries 100]
                                           [--kind uniform|embedding-like] [--hnsw-max 100000] [--threads 2]

For each size: vectors ingested per second, top-10 query latency (p50/p99 over one query at a time,
after a first query that also loads what needs loading), recall@10 against exact search (numpy), and
memory (resident memory the engine holds beyond the input vectors; PostgreSQL: table + index size).
Graph indexes (pgvector HNSW, FAISS HNSW) are built only up to --hnsw-max vectors: building pgvector's
HNSW one batch at a time over 1M vectors takes hours on 2 cores.

Needs the release altclip-bench (`swift build -c release --scratch-path .build-release --product
altclip-bench`), the bench venv with faiss-cpu, sqlite-vec and apsw (Scripts/requirements-bench.txt; the
venv's Python has no loadable-extension support, apsw brings an SQLite that has), and for PostgreSQL
Scripts/pg-test-server.sh (pgserver from PyPI; skipped with a note when it cannot start). pgvector's
HNSW uses its defaults (m 16, ef_construction 64, ef_search 40), FAISS's HNSW the same. Not a test.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def make_vectors(n, d, kind, seed):
    rng = np.random.default_rng(seed)
    out = np.empty((n, d), dtype=np.float32)
    basis = np.random.default_rng(99).standard_normal((16, d)).astype(np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        if kind == "uniform":
            out[start:start + m] = unit(rng.standard_normal((m, d), dtype=np.float32))
        else:  # 16 random directions plus a little noise: a low intrinsic dimension, like real embeddings
            z = rng.standard_normal((m, 16), dtype=np.float32)
            out[start:start + m] = unit(z @ basis + 0.05 * rng.standard_normal((m, d), dtype=np.float32))
    return out


# ---- workers (each engine runs in its own process, so memory is its own) ----

def worker(args):
    d = args.dimension
    base = np.fromfile(args.vectors, dtype=np.float32).reshape(-1, d)
    queries = np.fromfile(args.query_file, dtype=np.float32).reshape(-1, d)
    inputs_rss = resident_bytes()
    k = 10
    if args.worker.startswith("faiss"):
        import faiss
        faiss.omp_set_num_threads(args.threads)
        if args.worker == "faiss-flat":
            index = faiss.IndexFlatIP(d)
        else:
            index = faiss.IndexHNSWFlat(d, 16, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 64
            index.hnsw.efSearch = 40
        t = time.perf_counter()
        for start in range(0, len(base), 10_000):
            index.add(base[start:start + 10_000])
        ingest = time.perf_counter() - t

        def search(q):
            return index.search(q[None, :], k)[1][0]
    else:  # sqlite-vec through apsw
        import apsw
        import sqlite_vec
        path = os.path.join(args.workdir, "vec.sqlite")
        if os.path.exists(path):
            os.remove(path)
        db = apsw.Connection(path)
        db.enable_load_extension(True)
        db.load_extension(sqlite_vec.loadable_path())
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"CREATE VIRTUAL TABLE items USING vec0(embedding float[{d}])")
        t = time.perf_counter()
        for start in range(0, len(base), 10_000):
            with db:
                db.executemany("INSERT INTO items(rowid, embedding) VALUES (?, ?)",
                               ((start + i, row.tobytes()) for i, row in enumerate(base[start:start + 10_000])))
        ingest = time.perf_counter() - t

        def search(q):
            rows = db.execute("SELECT rowid FROM items WHERE embedding MATCH ? AND k = ? ORDER BY distance",
                              (q.tobytes(), k)).fetchall()
            return [r[0] for r in rows]
    times, hits, first = [], [], 0.0
    for i, q in enumerate(queries):
        t = time.perf_counter()
        found = list(search(q))
        elapsed = time.perf_counter() - t
        if i == 0:
            first = elapsed
        else:
            times.append(elapsed)
        hits.append((found + [-1] * k)[:k])
    np.asarray(hits, dtype=np.int32).tofile(args.hits_out)
    print(json.dumps({
        "engine": args.worker, "count": len(base), "ingest_seconds": ingest,
        "vectors_per_second": len(base) / ingest, "first_query_seconds": first, "query_seconds": times,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "store_rss_bytes": resident_bytes() - inputs_rss,
    }))


# ---- driver ----

def postgres_server():
    try:
        out = subprocess.run(["bash", os.path.join(ROOT, "Scripts/pg-test-server.sh"), "start"], check=True,
                             capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        print(f"PostgreSQL could not be started, its rows are skipped: {e.stderr.strip()[-300:]}")
        return None, None
    env = dict(item.split("=", 1) for item in out.replace("export ", "").split())
    return env["ALTCLIP_TEST_POSTGRES_URL"], env["ALTCLIP_TEST_POSTGRES_DIR"]


def psql(url, sql):
    import glob
    venv = os.path.join(ROOT, ".venv-pg")
    binary = glob.glob(os.path.join(venv, "lib/python*/site-packages/pgserver/pginstall/bin/psql"))[0]
    return subprocess.run([binary, url, "-At", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--dimension", type=int, default=768)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--kind", default="uniform", choices=["uniform", "embedding-like"])
    p.add_argument("--hnsw-max", type=int, default=100_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--engines", default="swift-sqlite,swift-sqlite-f16,postgres-hnsw,postgres-exact,faiss-flat,faiss-hnsw,sqlite-vec")
    p.add_argument("--build-dir", default=os.environ.get("ALTCLIP_BUILD_DIR", os.path.join(ROOT, ".build-release")))
    p.add_argument("--json-out")
    # worker mode
    p.add_argument("--worker")
    p.add_argument("--vectors")
    p.add_argument("--query-file")
    p.add_argument("--hits-out")
    p.add_argument("--workdir")
    args = p.parse_args()
    if args.worker:
        return worker(args)

    bench = os.path.join(args.build_dir, "release", "altclip-bench")
    if not os.path.exists(bench):
        sys.exit(f"{bench} is missing: swift build -c release --scratch-path {args.build_dir} --product altclip-bench")
    engines = args.engines.split(",")
    work = tempfile.mkdtemp(prefix="altclip-store-bench.")
    os.chmod(work, 0o755)
    url, pgdir = (None, None)
    if any(e.startswith("postgres") for e in engines):
        url, pgdir = postgres_server()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    results = []
    filled = None
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"{cpu}, {os.cpu_count()} cores, {args.threads} threads; {args.kind} unit vectors of dimension {args.dimension}; "
          f"{args.queries} queries, top 10")
    try:
        for n in [int(s) for s in args.sizes.split(",")]:
            d = args.dimension
            base = make_vectors(n, d, args.kind, seed=1)
            queries = make_vectors(args.queries, d, args.kind, seed=2)
            vec_path, q_path = os.path.join(work, "base.f32"), os.path.join(work, "queries.f32")
            base.tofile(vec_path)
            queries.tofile(q_path)
            truth = []
            for start in range(0, len(queries), 10):
                scores = queries[start:start + 10] @ base.T
                top = np.argpartition(-scores, 10, axis=1)[:, :10]
                truth += [set(row) for row in top]
            del base
            for engine in engines:
                if ("hnsw" in engine or engine.startswith("postgres")) and n > args.hnsw_max:
                    continue  # pgvector keeps its HNSW index up to date on every insert: hours at 1M here
                if engine.startswith("postgres") and url is None:
                    continue
                hits = os.path.join(work, "hits.i32")
                extra = {}
                if engine.startswith("swift") or engine.startswith("postgres"):
                    if engine.startswith("postgres"):
                        # postgres-exact queries the database postgres-hnsw filled (same rows, index ignored):
                        # filling it means maintaining the HNSW index, the slow part.
                        name = f"bench_postgres_{n}"
                        db = url.rsplit("/", 1)[0] + f"/{name}?sslmode=disable"
                        if engine == "postgres-exact" and filled == name:
                            opts = ["--exact", "--skip-ingest"]
                        else:
                            psql(url, f"DROP DATABASE IF EXISTS {name}")
                            psql(url, f"CREATE DATABASE {name}")
                            opts = ["--exact"] if engine == "postgres-exact" else []
                            filled = name
                    else:
                        db = os.path.join(work, f"{engine}.sqlite")
                        opts = ["--encoding", "float16" if engine.endswith("f16") else "float32"]
                    cmd = [bench, "store", "--db", db, "--vectors", vec_path, "--queries", q_path, "--dimension", str(d),
                           "--threads", str(args.threads), "--hits-out", hits] + opts
                else:
                    cmd = [sys.executable, __file__, "--worker", engine, "--vectors", vec_path, "--query-file", q_path,
                           "--dimension", str(d), "--threads", str(args.threads), "--hits-out", hits, "--workdir", work]
                t = time.perf_counter()
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if out.returncode != 0:
                    print(f"{engine} at {n}: failed: {out.stderr.strip()[-500:]}")
                    continue
                r = json.loads(out.stdout.strip().splitlines()[-1])
                r["engine"] = engine
                if engine.startswith("postgres"):
                    r["store_rss_bytes"] = None
                    extra["disk_bytes"] = int(psql(db.split("?")[0], "SELECT pg_total_relation_size('embeddings')"))
                elif engine.startswith("swift") or engine == "sqlite-vec":
                    files = [f for f in os.listdir(work) if f.endswith(".sqlite") or ".sqlite-" in f]
                    extra["disk_bytes"] = sum(os.path.getsize(os.path.join(work, f)) for f in files)
                got = np.fromfile(hits, dtype=np.int32).reshape(-1, 10)
                r["recall_at_10"] = float(np.mean([len(truth[i] & set(got[i].tolist())) / 10 for i in range(len(truth))]))
                r.update(extra, size=n, wall_seconds=time.perf_counter() - t)
                results.append(r)
                qs = sorted(r["query_seconds"])
                p99 = qs[min(len(qs) - 1, int(round(0.99 * (len(qs) - 1))))]
                mem = r.get("store_rss_bytes")
                ingest = "(same rows)" if r["vectors_per_second"] == 0 else f"{r['vectors_per_second']:>9.0f} vec/s"
                print(f"{n:>8} {engine:<18} ingest {ingest:>13}   query p50 {1000 * statistics.median(qs):8.2f} ms"
                      f"  p99 {1000 * p99:8.2f} ms  first {1000 * r['first_query_seconds']:8.1f} ms  recall@10 {r['recall_at_10']:.3f}"
                      f"  mem {'-' if mem is None else f'{mem / 2**20:.0f} MB'}  disk {extra.get('disk_bytes', 0) / 2**20:.0f} MB",
                      flush=True)
                for f in os.listdir(work):
                    if f.endswith(".sqlite") or ".sqlite-" in f:
                        os.remove(os.path.join(work, f))
                if engine == "postgres-exact":
                    psql(url, f"DROP DATABASE IF EXISTS {name}")
    finally:
        if pgdir:
            subprocess.run(["bash", os.path.join(ROOT, "Scripts/pg-test-server.sh"), "stop", pgdir], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
