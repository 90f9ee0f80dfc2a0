"""Converts `altclip embed --layout clip-retrieval` metadata (OUT/metadata/metadata_{I}.jsonl) into the
Parquet files clip-retrieval's tools read (OUT/metadata/metadata_{I}.parquet, one row per embedding row,
columns image_path, caption, url, key, width, height; rows in the order of img_emb_{I}.npy).

    pip install pyarrow==17.0.0        # or Scripts/requirements-scale.txt
    python Scripts/metadata_to_parquet.py OUT
"""
import json
import pathlib
import sys

import pyarrow as pa
import pyarrow.parquet as pq

out = pathlib.Path(sys.argv[1])
for jsonl in sorted((out / "metadata").glob("metadata_*.jsonl")):
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines() if line]
    table = pa.table({
        "image_path": [r.get("path") or f"{r.get('shard', '')}:{r.get('key', '')}" for r in rows],
        "caption": [r.get("caption") for r in rows],
        "url": [r.get("url") for r in rows],
        "key": [r.get("key") for r in rows],
        "width": pa.array([r.get("width") for r in rows], type=pa.int32()),
        "height": pa.array([r.get("height") for r in rows], type=pa.int32()),
    })
    target = jsonl.with_suffix(".parquet")
    pq.write_table(table, target)
    print(f"{target}: {table.num_rows} rows")
