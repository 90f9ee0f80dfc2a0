#!/usr/bin/env bash
# Opt-in (not CI): the scale-out output in the tools it is made for (start a one-node Slurm first with
# Scripts/slurm-single-node.sh to run the sbatch script for real). Embeds the demo samples as WebDataset
# shards with a 3-task array (the Slurm script when a single-node Slurm is running here, else the same
# command per task with SLURM_* set by hand), converts the metadata to Parquet, and builds a FAISS index
# with autofaiss from the output folder.
#
#   bash Scripts/check_scale_out.sh            # needs the debug build (swift build) and PyPI for .venv-scale
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=$here/.venv-scale
if ! "$venv/bin/python" -c "import autofaiss, pyarrow, yaml" 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$here/Scripts/requirements-scale.txt"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shards" "$work/staging"
i=0
for shard in 0 1 2 3 4 5; do
  members=()
  for name in red_circle blue_triangle yellow_star green_square purple_circle red_star yellow_square purple_triangle; do
    key=$(printf '%04d%04d' "$shard" "$i"); i=$((i + 1))
    cp "$here/Samples/$name.png" "$work/staging/$key.png"
    echo "${name//_/ }" > "$work/staging/$key.txt"
    members+=("$key.png" "$key.txt")
  done
  tar -cf "$work/shards/$(printf '%05d' "$shard").tar" -C "$work/staging" "${members[@]}"
done
export ALTCLIP=$here/.build/debug/altclip MODEL=$here/Models/altclip-demo
if command -v sbatch >/dev/null && sinfo >/dev/null 2>&1; then
  echo "Slurm is running here: sbatch --array=0-2 --wait"
  (cd "$work" && sbatch --wait --array=0-2 "$here/examples/slurm/embed-array.sbatch" "$work/shards/{00000..00005}.tar" "$work/out")
else
  echo "no Slurm here: running the array's three tasks with SLURM_ARRAY_TASK_* set as Slurm would"
  for task in 0 1 2; do
    SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=2 \
      bash "$here/examples/slurm/embed-array.sbatch" "$work/shards/{00000..00005}.tar" "$work/out"
  done
fi
ls "$work/out/_SUCCESS"
"$venv/bin/python" "$here/Scripts/metadata_to_parquet.py" "$work/out"
"$venv/bin/python" "$here/Scripts/check_autofaiss.py" "$work/out"

# The Kubernetes Indexed Job's container command, taken from the manifest as written (its /data paths
# mapped into the work folder, its image's altclip to this build), run once per completion index with
# JOB_COMPLETION_INDEX set as Kubernetes sets it; the result must equal the Slurm array's, row for row.
echo "the Kubernetes manifest's command, per completion index:"
mkdir -p "$work/data/models" && ln -s "$MODEL" "$work/data/models/AltCLIP" && ln -s "$work/shards" "$work/data/shards"
"$venv/bin/python" - "$here/examples/kubernetes/embed-indexed-job.yaml" "$work" "$ALTCLIP" <<'PY'
import os, subprocess, sys, yaml
manifest, work, altclip = sys.argv[1:]
job = yaml.safe_load(open(manifest))
completions = job["spec"]["completions"]
command = job["spec"]["template"]["spec"]["containers"][0]["command"]
command = [altclip if c == "altclip" else c.replace("/data/", f"{work}/data/").replace("{00000..00099}", "{00000..00005}")
           for c in command]
for index in range(completions):
    subprocess.run(command, check=True, env=dict(os.environ, JOB_COMPLETION_INDEX=str(index), ALTCLIP_PROGRESS="0"),
                   stdout=subprocess.DEVNULL)
print(f"{completions} completions done: {len(os.listdir(f'{work}/data/embeddings/_SUCCESS'))} shard markers")
PY
"$venv/bin/python" - "$work" <<'PY'
import numpy as np, pathlib, sys
work = pathlib.Path(sys.argv[1])
def rows(folder):
    files = sorted((folder / "img_emb").glob("img_emb_*.npy"), key=lambda p: int(p.stem.split("_")[-1]))
    return np.concatenate([np.load(f) for f in files])
a, b = rows(work / "out"), rows(work / "data/embeddings")
assert a.shape == b.shape and (a == b).all(), (a.shape, b.shape)
print(f"the Indexed Job's {b.shape[0]} rows equal the Slurm array's")
PY
