#!/usr/bin/env python3
"""Writes a full-size random AltCLIP checkpoint with BAAI/AltCLIP's shapes, plus reference outputs.

    .venv/bin/python Scripts/make_fullsize_checkpoint.py [OUT_DIR] [--max-shard-size 2GB]

OUT_DIR defaults to .build-fullsize/altclip-random (ignored by git; about 3.5 GB, never commit it).
Shapes: text XLM-R large (vocab 250002, 24 x 1024, 16 heads, ff 4096, 514 positions, project_dim 768),
vision ViT-L/14 at 224 (24 x 1024, 16 heads, ff 4096, quick_gelu), projection_dim 768.

The folder is laid out as the hub publishes it: config.json in the transformers 4.26-era published
style, model.safetensors (or shards + model.safetensors.index.json) with vision layers named
`vision_model.encoder.layers.N`, int64 `position_ids` buffers and an unused
`text_model.roberta.pooler.dense.*` pair. Weights are transformers' init, then perturbed like the tiny
fixtures (Scripts/make_model_fixtures.py). Written next to it:

  inputs.safetensors    input_ids/attention_mask [3, 64], pixel_values [3, 3, 224, 224] (synthetic
                        images normalised with CLIP's mean/std), input_ids_long/attention_mask_long [1, 512]
  outputs.safetensors   as in Tests/Fixtures/models/README.md: loss, logits_per_image/text, text_embeds,
                        image_embeds, text_model_output/* and vision_model_output/* (hidden_states/N all
                        layers; attentions only for the first and last layer: all 24 vision ones would be
                        300 MB), get_text_features, get_image_features, text_model_long/*
  reference.json        versions, seed, shapes, SHA-256 of every file, PyTorch timings and peak RSS.
"""

import argparse
import hashlib
import json
import math
import os
import resource
import struct
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as fixtures  # noqa: E402  (shared perturbation, config rewriting, checks)

SEED = 20_240_612

TEXT = dict(vocab_size=250002, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
            intermediate_size=4096, max_position_embeddings=514, hidden_act="gelu", layer_norm_eps=1e-5,
            type_vocab_size=1, project_dim=768, pad_token_id=1, bos_token_id=0, eos_token_id=2)
VISION = dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
              image_size=224, patch_size=14, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=768)
TOP = dict(projection_dim=768, logit_scale_init_value=2.6592)
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rewrite_safetensors(path, rename, extra):
    """Rewrites a safetensors file with renamed keys and `extra` tensors appended, streaming the data
    region instead of loading 3.5 GB into memory. Existing offsets are kept."""
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data_start = 8 + n
    meta = header.pop("__metadata__", None)
    end = max(v["data_offsets"][1] for v in header.values())
    new = {}
    for k, v in header.items():
        new[rename(k)] = v
    blobs = []
    for k, t in extra.items():
        raw = t.contiguous().numpy().tobytes()
        new[k] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [end, end + len(raw)]}
        blobs.append(raw)
        end += len(raw)
    ordered = {"__metadata__": meta} if meta is not None else {}
    ordered.update(sorted(new.items()))
    text = json.dumps(ordered, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        dst.write(struct.pack("<Q", len(text)))
        dst.write(text)
        src.seek(data_start)
        while chunk := src.read(64 << 20):
            dst.write(chunk)
        for raw in blobs:
            dst.write(raw)
    os.replace(tmp, path)
    return list(extra)


def to_hub_layout(folder, config, seed):
    rename = lambda k: k.replace("vision_model.encoder.layer.", "vision_model.encoder.layers.")  # noqa: E731
    g = torch.Generator().manual_seed(seed + 7)
    h = config.text_config.hidden_size
    n_pos = (config.vision_config.image_size // config.vision_config.patch_size) ** 2 + 1
    extra = {
        "text_model.roberta.embeddings.position_ids": torch.arange(config.text_config.max_position_embeddings)[None],
        "vision_model.embeddings.position_ids": torch.arange(n_pos)[None],
        "text_model.roberta.pooler.dense.weight": torch.randn((h, h), generator=g) / math.sqrt(h),
        "text_model.roberta.pooler.dense.bias": torch.randn((h,), generator=g) * 0.1,
    }
    index_path = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
        shards = sorted(set(index["weight_map"].values()))
        for i, shard in enumerate(shards):
            added = rewrite_safetensors(os.path.join(folder, shard), rename, extra if i == len(shards) - 1 else {})
            for k in added:
                index["weight_map"][k] = shard
        index["weight_map"] = dict(sorted((rename(k), v) for k, v in index["weight_map"].items()))
        with open(index_path, "w") as f:
            json.dump(index, f, indent=2)
            f.write("\n")
    else:
        rewrite_safetensors(os.path.join(folder, "model.safetensors"), rename, extra)


def synthetic_images(g, n, size):
    """Smooth colour gradients with blobs and noise in [0, 1], then CLIP-normalised like the processor."""
    ys, xs = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    images = []
    for _ in range(n):
        a = torch.rand(3, 3, generator=g)
        base = a[:, 0:1, None] * xs + a[:, 1:2, None] * ys + a[:, 2:3, None] * (xs * ys)
        cy, cx, r = torch.rand(3, generator=g)
        blob = ((ys - cy) ** 2 + (xs - cx) ** 2 < (0.1 + 0.3 * r) ** 2).float()
        img = (base / 3 + 0.5 * blob * torch.rand(3, 1, 1, generator=g) + 0.05 * torch.randn(3, size, size,
                                                                                             generator=g)).clamp(0, 1)
        img = (img * 255).round() / 255  # uint8 pixel grid, as decoded images are
        images.append((img - torch.tensor(CLIP_MEAN)[:, None, None]) / torch.tensor(CLIP_STD)[:, None, None])
    return torch.stack(images)


def text_ids(g, lengths, width, vocab, pad):
    ids = torch.full((len(lengths), width), pad, dtype=torch.long)
    mask = torch.zeros((len(lengths), width), dtype=torch.long)
    for row, n in enumerate(lengths):
        body = torch.randint(3, vocab, (n - 2,), generator=g)
        body[body == pad] = 5
        ids[row, :n] = torch.cat([torch.tensor([0]), body, torch.tensor([2])])
        mask[row, :n] = 1
    return ids, mask


def timed(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"median_s": times[len(times) // 2], "min_s": times[0], "runs": repeats}


def measure(ref, inputs, repeats):
    """PyTorch timings on this machine, all cores, eager and the default sdpa attention."""
    torch.set_num_threads(os.cpu_count())
    timing = {"threads": torch.get_num_threads(), "load_average": os.getloadavg()}
    one_image = inputs["pixel_values"][:1]
    one_text = {"input_ids": inputs["input_ids"][1:2, :17], "attention_mask": inputs["attention_mask"][1:2, :17]}
    with torch.no_grad():
        for impl in ("eager", "sdpa"):
            ref.set_attn_implementation(impl)
            timing[f"image_forward_1x224_{impl}"] = timed(
                lambda: ref.get_image_features(pixel_values=one_image), repeats)
            timing[f"text_forward_1x17_{impl}"] = timed(lambda: ref.get_text_features(**one_text), repeats)
    timing["load_average_after"] = os.getloadavg()
    return timing


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default=os.path.join(repo, ".build-fullsize", "altclip-random"))
    ap.add_argument("--max-shard-size", default=None,
                    help="e.g. 2GB to write shards + model.safetensors.index.json (default: one file, as the hub)")
    ap.add_argument("--timing-repeats", type=int, default=5)
    ap.add_argument("--timing-only", action="store_true",
                    help="load an existing OUT folder and only re-measure PyTorch timings (updates reference.json)")
    ap.add_argument("--smoke", action="store_true",
                    help="narrow, 2-layer model with the same vocabulary-free plumbing: checks this script quickly")
    args = ap.parse_args()
    if args.smoke:
        TEXT.update(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=96, project_dim=48)
        VISION.update(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                      projection_dim=48)
        TOP.update(projection_dim=32)

    warnings.filterwarnings("ignore")
    import transformers
    from transformers import AltCLIPConfig, AltCLIPModel
    transformers.logging.set_verbosity_error()
    versions = fixtures.check_versions(fixtures.PINNED_5X)
    if args.timing_only:
        from safetensors.torch import load_file
        ref = AltCLIPModel.from_pretrained(args.out).eval()
        timing = measure(ref, load_file(os.path.join(args.out, "inputs.safetensors")), args.timing_repeats)
        timing["peak_rss_mib"] = rss_mib()
        path = os.path.join(args.out, "reference.json")
        with open(path) as f:
            report = json.load(f)
        report["pytorch_timing"] = timing
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
        print(json.dumps(timing, indent=2))
        return
    os.makedirs(args.out, exist_ok=True)
    t_start = time.perf_counter()

    torch.manual_seed(SEED)
    config = AltCLIPConfig(text_config=TEXT, vision_config=VISION, **TOP)
    model = AltCLIPModel(config).eval()
    fixtures.perturb(model, SEED)
    n_params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(args.out, max_shard_size=args.max_shard_size or "20GB")
    del model
    to_hub_layout(args.out, config, SEED)
    fixtures.published_style_config(os.path.join(args.out, "config.json"), None)
    print(f"checkpoint written ({n_params / 1e6:.2f} M parameters) in {time.perf_counter() - t_start:.0f} s")

    ref = AltCLIPModel.from_pretrained(args.out, attn_implementation="eager").eval()
    rss_after_load = rss_mib()

    g = torch.Generator().manual_seed(SEED + 1)
    inputs = {}
    inputs["input_ids"], inputs["attention_mask"] = text_ids(g, [64, 17, 6], 64, TEXT["vocab_size"], 1)
    inputs["input_ids_long"], inputs["attention_mask_long"] = text_ids(g, [512], 512, TEXT["vocab_size"], 1)
    inputs["pixel_values"] = synthetic_images(g, 3, VISION["image_size"])

    torch.set_num_threads(1)  # deterministic reductions for the reference numbers
    outputs = {}
    keep_attention = {0, VISION["num_hidden_layers"] - 1}
    with torch.no_grad():
        main_out = ref(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                       pixel_values=inputs["pixel_values"], return_loss=True,
                       output_hidden_states=True, output_attentions=True)
        fixtures.flatten_model_output("", main_out, outputs)
        for k in [k for k in outputs if "/attentions/" in k and int(k.rsplit("/", 1)[1]) not in keep_attention]:
            del outputs[k]
        outputs["logit_scale"] = ref.logit_scale.detach().clone()
        outputs["get_text_features"] = ref.get_text_features(
            input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).pooler_output
        outputs["get_image_features"] = ref.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output
        fixtures.flatten_model_output("text_model_long", ref.text_model(
            input_ids=inputs["input_ids_long"], attention_mask=inputs["attention_mask_long"]), outputs,
            only=fixtures.MAIN)
    fixtures.save_tensors(inputs, os.path.join(args.out, "inputs.safetensors"))
    fixtures.save_tensors(outputs, os.path.join(args.out, "outputs.safetensors"))
    rss_after_reference = rss_mib()

    timing = measure(ref, inputs, args.timing_repeats)
    timing["peak_rss_mib_after_load"] = rss_after_load
    timing["peak_rss_mib_after_reference"] = rss_after_reference
    timing["peak_rss_mib_after_timing"] = rss_mib()

    files = {}
    for name in sorted(os.listdir(args.out)):
        p = os.path.join(args.out, name)
        if os.path.isfile(p) and name != "reference.json":
            files[name] = {"sha256": fixtures.sha256(p), "bytes": os.path.getsize(p)}
    report = {
        "generator": "Scripts/make_fullsize_checkpoint.py", "versions": versions, "seed": SEED,
        "parameters": n_params, "text_config": TEXT, "vision_config": VISION, "top": TOP,
        "attn_implementation_for_references": "eager",
        "tolerance": "|swift - ref| <= 1e-4 + 1e-3 * |ref|",
        "pytorch_timing": timing, "files": files, "outputs": sorted(outputs),
        "total_seconds": time.perf_counter() - t_start,
    }
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(json.dumps(timing, indent=2))
    print(f"done in {report['total_seconds']:.0f} s: {args.out}")


if __name__ == "__main__":
    main()
