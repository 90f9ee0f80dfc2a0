"""Builds a FAISS index with autofaiss from an `altclip embed --layout clip-retrieval` folder, as from
clip-retrieval's output, and checks that every stored vector's nearest neighbour is itself and that the
metadata rows line up with the vectors. Opt-in (Scripts/check_scale_out.sh runs it in .venv-scale).

    .venv-scale/bin/python Scripts/check_autofaiss.py OUT
"""
import json
import pathlib
import sys
import tempfile

import faiss
import numpy as np
from autofaiss import build_index

out = pathlib.Path(sys.argv[1])
files = sorted((out / "img_emb").glob("img_emb_*.npy"), key=lambda p: int(p.stem.split("_")[-1]))
vectors = np.concatenate([np.load(f) for f in files]).astype("float32")
rows = [json.loads(l) for f in sorted((out / "metadata").glob("metadata_*.jsonl"), key=lambda p: int(p.stem.split("_")[-1]))
        for l in f.read_text(encoding="utf-8").splitlines() if l]
assert len(rows) == len(vectors), (len(rows), len(vectors))
work = pathlib.Path(tempfile.mkdtemp())
index, infos = build_index(embeddings=str(out / "img_emb"), index_path=str(work / "knn.index"),
                           index_infos_path=str(work / "infos.json"), metric_type="ip", max_index_memory_usage="1G",
                           current_memory_available="2G", verbose=30)
index = faiss.read_index(str(work / "knn.index"))
_, found = index.search(vectors, 1)
# The nearest neighbour of each stored vector is a row with that same vector (itself, or a copy of the
# same picture), and its metadata names the same picture.
same = np.abs(vectors[found[:, 0]] - vectors).max(axis=1) < 1e-3
assert same.all(), np.nonzero(~same)
captions = [r.get("caption") for r in rows]
assert all(captions[j] == captions[i] for i, j in enumerate(found[:, 0])), "metadata rows do not line up"
print(f"autofaiss built {type(index).__name__} over {index.ntotal} vectors from {len(files)} shard files; "
      f"each vector's nearest neighbour holds the same picture; {len(rows)} metadata rows line up")
