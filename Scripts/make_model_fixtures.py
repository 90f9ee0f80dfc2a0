#!/usr/bin/env python3
"""Writes the tiny AltCLIP parity fixtures in Tests/Fixtures/models/.

Run with the pinned reference venv (Scripts/requirements.txt, transformers 5.24.0 + torch CPU):

    .venv/bin/python Scripts/make_model_fixtures.py [--out Tests/Fixtures/models] [--venv4 .venv4]

The two relative-position text fixtures need transformers 4.x (5.x removed `position_embedding_type`
and ignores `head_mask`): the script re-runs itself in the second pinned venv
(Scripts/requirements-4x.txt, created by Scripts/setup-venv4.sh) with `--part 4x`.

Every fixture is a folder with config.json, model.safetensors (as `save_pretrained` writes it, except
where a fixture deliberately rewrites keys into another published layout), inputs.safetensors and
outputs.safetensors. Tensor names in outputs follow transformers' attribute paths joined with `/`;
README.md in the output folder documents the schema, manifest.json the versions, seeds and hashes.
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import warnings

import torch

PINNED_5X = {"transformers": "5.24.0", "torch": "2.15.0", "safetensors": "0.8.0"}
PINNED_4X = {"transformers": "4.57.6", "torch": "2.15.0", "safetensors": "0.8.0"}
BASE_SEED = 20_240_611

# ---------------------------------------------------------------------------------------------
# Fixture definitions. Sizes are deliberately odd (head counts 3 and 6, intermediate 29/37/...),
# so a transposed weight or a wrong head split cannot cancel out.
# ---------------------------------------------------------------------------------------------

FIXTURES_5X = [
    {
        "name": "hub-gelu-quickgelu",
        "covers": [
            "BAAI/AltCLIP activations: text gelu (erf), vision quick_gelu",
            "hub key layout: vision_model.encoder.layers.N, plus position_ids buffers and an unused "
            "text_model.roberta.pooler.dense.* pair that a loader must skip",
            "published-style config.json: torch_dtype, _commit_hash, _name_or_path, FlagAI leftovers "
            "direct_kd / num_layers, full transformers-4.x sub-config dumps",
            "interpolate_pos_encoding at 48x48 (square, larger grid)",
            "AltCLIPTextModel without attention_mask (pads attended), explicit position_ids",
        ],
        "text": dict(vocab_size=61, hidden_size=24, num_hidden_layers=2, num_attention_heads=6,
                     intermediate_size=37, max_position_embeddings=20, hidden_act="gelu",
                     layer_norm_eps=1e-5, project_dim=20, type_vocab_size=1),
        "vision": dict(hidden_size=24, intermediate_size=29, num_hidden_layers=2, num_attention_heads=6,
                       image_size=32, patch_size=8, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                       projection_dim=13),
        "top": dict(projection_dim=16, logit_scale_init_value=2.6592),
        "batch": 3, "seq_len": 9, "lengths": [9, 6, 3],
        "hub_layout": True,
        "interpolate": (48, 48),
        "extra_text_cases": ["no_mask", "position_ids"],
    },
    {
        "name": "gelunew-relu-types",
        "covers": [
            "text gelu_new (tanh), vision relu",
            "layer_norm_eps 1e-6 (text) / 1e-3 (vision)",
            "type_vocab_size 2 with token_type_ids given",
            "small max_position_embeddings (12: longest usable text is 10 tokens)",
            "non-default logit_scale (4.1), 3 heads, intermediate 29",
            "transformers 5.24 save_pretrained layout (vision_model.encoder.layer.N)",
            "interpolate_pos_encoding at 40x24 (non-square, smaller grid)",
            "non-square logits (2 texts x 3 images, no loss)",
        ],
        "text": dict(vocab_size=47, hidden_size=15, num_hidden_layers=2, num_attention_heads=3,
                     intermediate_size=29, max_position_embeddings=12, hidden_act="gelu_new",
                     layer_norm_eps=1e-6, project_dim=11, type_vocab_size=2),
        "vision": dict(hidden_size=18, intermediate_size=37, num_hidden_layers=2, num_attention_heads=3,
                       image_size=24, patch_size=6, hidden_act="relu", layer_norm_eps=1e-3,
                       projection_dim=7),
        "top": dict(projection_dim=9, logit_scale_init_value=4.1),
        "batch": 3, "seq_len": 10, "lengths": [10, 4, 7],
        "token_types": True,
        "interpolate": (40, 24),
        "nonsquare": True,
    },
    {
        "name": "relu-gelu-pad3",
        "covers": [
            "text relu, vision gelu (erf; AltCLIP-m18's ViT-H uses gelu)",
            "pad_token_id 3 (positions start at 4), layer_norm_eps 1e-12 text / 1e-6 vision",
            "3 text layers, 1 vision layer, intermediate 31 / 41",
            "AltCLIPTextModel from inputs_embeds (positions arange from pad+1, pads not visible)",
            "logit_scale below zero (-0.7)",
        ],
        "text": dict(vocab_size=53, hidden_size=21, num_hidden_layers=3, num_attention_heads=3,
                     intermediate_size=31, max_position_embeddings=16, hidden_act="relu",
                     layer_norm_eps=1e-12, project_dim=17, type_vocab_size=1, pad_token_id=3,
                     bos_token_id=0, eos_token_id=2),
        "vision": dict(hidden_size=20, intermediate_size=41, num_hidden_layers=1, num_attention_heads=5,
                       image_size=20, patch_size=5, hidden_act="gelu", layer_norm_eps=1e-6,
                       projection_dim=10),
        "top": dict(projection_dim=12, logit_scale_init_value=-0.7),
        "batch": 2, "seq_len": 8, "lengths": [8, 5],
        "extra_text_cases": ["inputs_embeds"],
    },
    {
        "name": "quickgelu-gelunew-standalone",
        "covers": [
            "text quick_gelu, vision gelu_new",
            "1 text layer, 3 vision layers, 6 text heads / 2 vision heads, patch 4 on 12x12 images",
            "standalone folders as transformers 5.24 save_pretrained writes them: "
            "text_model/ (AltCLIPTextModel: roberta.encoder.layers.N - note 'layers') and "
            "vision_model/ (AltCLIPVisionModel: vision_model.encoder.layers.N)",
            "batch of 1 (loss of a 1x1 batch is 0)",
        ],
        "text": dict(vocab_size=40, hidden_size=12, num_hidden_layers=1, num_attention_heads=6,
                     intermediate_size=23, max_position_embeddings=14, hidden_act="quick_gelu",
                     layer_norm_eps=1e-5, project_dim=8, type_vocab_size=1),
        "vision": dict(hidden_size=16, intermediate_size=19, num_hidden_layers=3, num_attention_heads=2,
                       image_size=12, patch_size=4, hidden_act="gelu_new", layer_norm_eps=1e-5,
                       projection_dim=6),
        "top": dict(projection_dim=10, logit_scale_init_value=2.0),
        "batch": 1, "seq_len": 6, "lengths": [6],
        "standalone": True,
    },
    # The published variants, shrunk: same shape relations, same activations, hub checkpoint layout.
    {
        "name": "altclip-m9-shaped",
        "covers": [
            "BAAI/AltCLIP-m9 shape: as BAAI/AltCLIP (text gelu, vision quick_gelu, projection_dim equal to "
            "text project_dim, vision wider than the projection) with another vocabulary size",
            "hub key layout and published-style config.json (_name_or_path openai/clip-vit-large-patch14)",
        ],
        "text": dict(vocab_size=83, hidden_size=20, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=27, max_position_embeddings=16, hidden_act="gelu",
                     layer_norm_eps=1e-5, project_dim=14, type_vocab_size=1),
        "vision": dict(hidden_size=22, intermediate_size=31, num_hidden_layers=2, num_attention_heads=2,
                       image_size=8, patch_size=4, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                       projection_dim=14),
        "top": dict(projection_dim=14, logit_scale_init_value=2.6592),
        "batch": 2, "seq_len": 7, "lengths": [7, 4],
        "hub_layout": True, "name_or_path": "openai/clip-vit-large-patch14",
    },
    {
        "name": "altclip-m18-shaped",
        "covers": [
            "BAAI/AltCLIP-m18 shape: projection_dim (16, m18: 1024) differs from text project_dim (12, m18: 768); "
            "vision tower wider than both (24, m18: ViT-H 1280) with more layers than the text tower and "
            "hidden_act gelu (erf); text gelu",
            "hub key layout and published-style config.json",
        ],
        "text": dict(vocab_size=59, hidden_size=20, num_hidden_layers=1, num_attention_heads=4,
                     intermediate_size=27, max_position_embeddings=16, hidden_act="gelu",
                     layer_norm_eps=1e-5, project_dim=12, type_vocab_size=1),
        "vision": dict(hidden_size=24, intermediate_size=37, num_hidden_layers=3, num_attention_heads=4,
                       image_size=8, patch_size=4, hidden_act="gelu", layer_norm_eps=1e-5,
                       projection_dim=16),
        "top": dict(projection_dim=16, logit_scale_init_value=2.6592),
        "batch": 2, "seq_len": 7, "lengths": [7, 5],
        "hub_layout": True,
    },
]

FIXTURES_4X = [
    {
        "name": "text-relative-key",
        "covers": [
            "transformers 4.57.6 AltCLIPTextModel with position_embedding_type relative_key "
            "(no absolute position embeddings added; distance_embedding per layer)",
            "head_mask [layers, heads] with zeros and fractions (multiplies attention probabilities; "
            "returned attentions include it)",
            "standalone text layout written by 4.x: roberta.encoder.layer.N (transformers 5.24 cannot "
            "load it: its encoder is silently re-initialised), position_embedding_type and use_cache "
            "in config.json",
        ],
        "text": dict(vocab_size=37, hidden_size=18, num_hidden_layers=2, num_attention_heads=3,
                     intermediate_size=29, max_position_embeddings=13, hidden_act="gelu",
                     layer_norm_eps=1e-5, project_dim=10, type_vocab_size=1,
                     position_embedding_type="relative_key"),
        "batch": 2, "seq_len": 9, "lengths": [9, 5],
    },
    {
        "name": "text-relative-key-query",
        "covers": [
            "transformers 4.57.6 AltCLIPTextModel with position_embedding_type relative_key_query",
            "head_mask of shape [heads] (broadcast to every layer)",
            "type_vocab_size 2 with token_type_ids, gelu_new",
        ],
        "text": dict(vocab_size=41, hidden_size=20, num_hidden_layers=2, num_attention_heads=5,
                     intermediate_size=23, max_position_embeddings=11, hidden_act="gelu_new",
                     layer_norm_eps=1e-6, project_dim=9, type_vocab_size=2,
                     position_embedding_type="relative_key_query"),
        "batch": 3, "seq_len": 7, "lengths": [7, 3, 5],
        "token_types": True,
        "head_mask_1d": True,
    },
]


# ---------------------------------------------------------------------------------------------
# Helpers shared by both parts.
# ---------------------------------------------------------------------------------------------

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_versions(pinned):
    import safetensors
    import transformers
    found = {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0],
             "safetensors": safetensors.__version__}
    for name, want in pinned.items():
        if found[name] != want:
            sys.exit(f"{name} {found[name]} found, {want} pinned: use the pinned venv")
    return {**found, "python": sys.version.split()[0]}


MAIN = ("last_hidden_state", "pooler_output")
EMBEDDING_TABLES = {"word_embeddings", "position_embeddings", "token_type_embeddings", "position_embedding",
                    "distance_embedding"}


def perturb(model, seed):
    """Moves every parameter away from its structured init (0 biases, 1/0 LayerNorms, zero padding
    rows) with scales that keep activations O(1) and attention peaky, so a dropped term shows."""
    g = torch.Generator().manual_seed(seed)

    def normal(shape, std, mean=0.0):
        return torch.randn(shape, generator=g) * std + mean

    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            leaf = name.split(".")[-1]
            parent = name.split(".")[-2] if "." in name else ""
            lower = name.lower()
            if name == "logit_scale":
                continue
            if "layernorm" in lower or "layer_norm" in lower or "layrnorm" in lower or parent == "pre_LN":
                p.copy_(normal(p.shape, 0.25, 1.0) if leaf == "weight" else normal(p.shape, 0.2))
            elif leaf == "bias":
                p.copy_(normal(p.shape, 0.3))
            elif leaf == "class_embedding":
                p.copy_(normal(p.shape, 1.0))
            elif parent in EMBEDDING_TABLES:
                # lookup tables, padding rows included (nn.Embedding zeroes them at init)
                p.copy_(normal(p.shape, 1.0 if parent == "word_embeddings" else 0.6))
            elif p.dim() >= 2:
                fan_in = p[0].numel()
                # peaky attention; feed-forward inputs wide enough that the GELU variants differ
                gain = {"query": 1.6, "key": 1.6, "q_proj": 1.6, "k_proj": 1.6, "fc1": 2.5}.get(parent, 1.0)
                if name.endswith("intermediate.dense.weight"):
                    gain = 2.5
                p.copy_(normal(p.shape, gain / math.sqrt(fan_in)))
            else:
                raise RuntimeError(f"unhandled parameter {name}")


def make_text_inputs(fx, g, pad):
    b, L, vocab = fx["batch"], fx["seq_len"], fx["text"]["vocab_size"]
    ids = torch.full((b, L), pad, dtype=torch.long)
    mask = torch.zeros((b, L), dtype=torch.long)
    special = {0, 1, 2, pad}
    choices = torch.tensor([t for t in range(vocab) if t not in special])
    for row, n in enumerate(fx["lengths"]):
        body = choices[torch.randint(len(choices), (n - 2,), generator=g)]
        ids[row, :n] = torch.cat([torch.tensor([0]), body, torch.tensor([2])])
        mask[row, :n] = 1
    out = {"input_ids": ids, "attention_mask": mask}
    if fx.get("token_types"):
        tt = torch.zeros((b, L), dtype=torch.long)
        for row, n in enumerate(fx["lengths"]):
            tt[row, n // 2:n] = 1  # second "segment"
        out["token_type_ids"] = tt
    return out


def flatten_model_output(prefix, out, into, only=None):
    """Stores a transformers ModelOutput (nested, with tuples) under `prefix/attr/...`; `only` limits
    the top-level attributes kept."""
    for key, value in out.items():
        if only is not None and key not in only:
            continue
        name = f"{prefix}/{key}" if prefix else key
        if value is None:
            continue
        if isinstance(value, torch.Tensor):
            into[name] = value
        elif isinstance(value, (tuple, list)):
            if len(value) == 0:
                raise RuntimeError(f"{name} is empty (sdpa attention returns no weights: use eager)")
            for i, v in enumerate(value):
                into[f"{name}/{i}"] = v
        elif hasattr(value, "items"):
            flatten_model_output(name, value, into)
        else:
            raise RuntimeError(f"unexpected output {name}: {type(value)}")


def save_tensors(tensors, path):
    from safetensors.torch import save_file
    clean = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    # one metadata key only: safetensors writes a multi-key map in hash order, which would make the
    # bytes differ from run to run
    save_file(clean, path, metadata={"format": "pt"})


def record_modules(model, names, into, rename=lambda n: n):
    """Forward hooks that store the first tensor output of each named module as `modules/<name>`."""
    handles = []
    modules = dict(model.named_modules())
    for n in names:
        def hook(_m, _inp, out, n=n):
            t = out[0] if isinstance(out, tuple) else out
            into[f"modules/{rename(n)}"] = t.detach().clone()
        handles.append(modules[n].register_forward_hook(hook))
    return handles


# ---------------------------------------------------------------------------------------------
# transformers 5.24 part.
# ---------------------------------------------------------------------------------------------

def published_style_config(config_path, fx):
    """Rewrites config.json into the shape BAAI/AltCLIP's config has (transformers 4.26-era dump)."""
    with open(config_path) as f:
        cfg = json.load(f)
    cfg.pop("dtype", None)
    cfg["torch_dtype"] = "float32"
    cfg["transformers_version"] = "4.26.0.dev0"
    cfg["_commit_hash"] = "4d06f38b304fc2a331d9f3eab77a542afafc4ffb"
    cfg["_name_or_path"] = (fx or {}).get("name_or_path", "BAAI/AltCLIP")
    cfg["direct_kd"] = False
    cfg["num_layers"] = 3
    generic = {  # keys transformers 4.2x serialised in every sub-config
        "_name_or_path": "", "add_cross_attention": False, "architectures": None, "bad_words_ids": None,
        "begin_suppress_tokens": None, "chunk_size_feed_forward": 0, "cross_attention_hidden_size": None,
        "decoder_start_token_id": None, "diversity_penalty": 0.0, "do_sample": False, "early_stopping": False,
        "encoder_no_repeat_ngram_size": 0, "exponential_decay_length_penalty": None, "finetuning_task": None,
        "forced_bos_token_id": None, "forced_eos_token_id": None, "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
        "is_decoder": False, "is_encoder_decoder": False, "label2id": {"LABEL_0": 0, "LABEL_1": 1},
        "length_penalty": 1.0, "max_length": 20, "min_length": 0, "no_repeat_ngram_size": 0,
        "num_beam_groups": 1, "num_beams": 1, "num_return_sequences": 1, "output_attentions": False,
        "output_hidden_states": False, "output_scores": False, "prefix": None, "problem_type": None,
        "pruned_heads": {}, "remove_invalid_values": False, "repetition_penalty": 1.0, "return_dict": True,
        "return_dict_in_generate": False, "sep_token_id": None, "suppress_tokens": None,
        "task_specific_params": None, "temperature": 1.0, "tf_legacy_loss": False, "tie_encoder_decoder": False,
        "tie_word_embeddings": True, "tokenizer_class": None, "top_k": 50, "top_p": 1.0, "torch_dtype": None,
        "torchscript": False, "transformers_version": "4.26.0.dev0", "typical_p": 1.0, "use_bfloat16": False,
    }
    for sub in ("text_config", "vision_config"):
        merged = dict(generic)
        merged.update(cfg[sub])
        cfg[sub] = merged
    cfg["text_config"]["position_embedding_type"] = "absolute"
    cfg["text_config"]["use_cache"] = True
    cfg["text_config"]["attention_probs_dropout_prob"] = 0.1
    cfg["vision_config"]["dropout"] = 0.0
    with open(config_path, "w") as f:
        json.dump(dict(sorted(cfg.items())), f, indent=2, sort_keys=False)
        f.write("\n")


def rewrite_hub_layout(folder, model, seed):
    """Renames vision layers to the hub's `encoder.layers.N` and adds the buffers and the unused pooler
    that BAAI/AltCLIP's checkpoint carries."""
    from safetensors.torch import load_file, save_file
    path = os.path.join(folder, "model.safetensors")
    tensors = load_file(path)
    out = {}
    for k, v in tensors.items():
        out[k.replace("vision_model.encoder.layer.", "vision_model.encoder.layers.")] = v
    g = torch.Generator().manual_seed(seed + 7)
    tc, vc = model.config.text_config, model.config.vision_config
    h = tc.hidden_size
    out["text_model.roberta.embeddings.position_ids"] = torch.arange(tc.max_position_embeddings).unsqueeze(0)
    n_pos = (vc.image_size // vc.patch_size) ** 2 + 1
    out["vision_model.embeddings.position_ids"] = torch.arange(n_pos).unsqueeze(0)
    out["text_model.roberta.pooler.dense.weight"] = torch.randn((h, h), generator=g) / math.sqrt(h)
    out["text_model.roberta.pooler.dense.bias"] = torch.randn((h,), generator=g) * 0.1
    save_file(out, path, metadata={"format": "pt"})


def module_names(model):
    t, v = model.config.text_config, model.config.vision_config
    names = ["text_model.roberta.embeddings"]
    for i in range(t.num_hidden_layers):
        p = f"text_model.roberta.encoder.layers.{i}"
        names += [f"{p}.attention.self", f"{p}.attention", f"{p}.intermediate", p]
    names += ["text_model.pre_LN", "text_model.transformation", "text_projection",
              "vision_model.embeddings", "vision_model.pre_layrnorm"]
    for i in range(v.num_hidden_layers):
        p = f"vision_model.encoder.layers.{i}"
        names += [f"{p}.self_attn", f"{p}.mlp", p]
    names += ["vision_model.post_layernorm", "visual_projection"]
    return names


def checkpoint_name(n):
    # Report modules under checkpoint key names: the text encoder is `encoder.layer.N` on disk.
    return n.replace("text_model.roberta.encoder.layers.", "text_model.roberta.encoder.layer.")


def build_5x(fx, index, out_root):
    import transformers
    from transformers import AltCLIPConfig, AltCLIPModel, AltCLIPTextModel, AltCLIPVisionModel

    seed = BASE_SEED + index
    folder = os.path.join(out_root, fx["name"])
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)

    torch.manual_seed(seed)
    config = AltCLIPConfig(text_config=fx["text"], vision_config=fx["vision"], **fx["top"])
    model = AltCLIPModel(config).eval()
    perturb(model, seed)
    model.save_pretrained(folder)
    if fx.get("hub_layout"):
        rewrite_hub_layout(folder, model, seed)
        published_style_config(os.path.join(folder, "config.json"), fx)
    if fx.get("standalone"):
        model.text_model.save_pretrained(os.path.join(folder, "text_model"))
        model.vision_model.save_pretrained(os.path.join(folder, "vision_model"))

    # Reference outputs come from the files as saved, loaded by transformers itself, with eager
    # attention (the default sdpa returns no attention weights).
    ref = AltCLIPModel.from_pretrained(folder, attn_implementation="eager").eval()
    for (n1, p1), (n2, p2) in zip(sorted(model.state_dict().items()), sorted(ref.state_dict().items())):
        assert n1 == n2 and torch.equal(p1, p2), f"reload changed {n1}"

    g = torch.Generator().manual_seed(seed + 1)
    pad = config.text_config.pad_token_id
    inputs = make_text_inputs(fx, g, pad)
    tcfg, vcfg = config.text_config, config.vision_config
    b = fx["batch"]
    inputs["pixel_values"] = torch.randn((b, vcfg.num_channels, vcfg.image_size, vcfg.image_size), generator=g)
    text_kwargs = {k: inputs[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in inputs}

    outputs = {}
    with torch.no_grad():
        handles = record_modules(ref, module_names(ref), outputs, checkpoint_name)
        main = ref(**text_kwargs, pixel_values=inputs["pixel_values"], return_loss=True,
                   output_hidden_states=True, output_attentions=True)
        for h in handles:
            h.remove()
        flatten_model_output("", main, outputs)
        outputs["logit_scale"] = ref.logit_scale.detach().clone()
        outputs["stages/text_position_ids"] = ref.text_model.roberta.embeddings.create_position_ids_from_input_ids(
            inputs["input_ids"], pad)

        outputs["get_text_features"] = ref.get_text_features(**text_kwargs).pooler_output
        outputs["get_image_features"] = ref.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output

        # The towers alone (the AltCLIPTextModel / AltCLIPVisionModel instances inside AltCLIPModel).
        # Their hidden_states / attentions equal text_model_output/* and vision_model_output/* bit for
        # bit (checked here), so only the two main tensors are stored.
        alone_t = ref.text_model(**text_kwargs, output_hidden_states=True, output_attentions=True)
        alone_v = ref.vision_model(pixel_values=inputs["pixel_values"], output_hidden_states=True,
                                   output_attentions=True)
        for prefix, alone in (("text_model", alone_t), ("vision_model", alone_v)):
            for i, (a, b2) in enumerate(zip(alone.hidden_states + alone.attentions,
                                            main[f"{prefix}_output"].hidden_states
                                            + main[f"{prefix}_output"].attentions)):
                assert torch.equal(a, b2), f"{prefix} standalone differs at {i}"
            flatten_model_output(prefix, alone, outputs, only=MAIN)

        for case in fx.get("extra_text_cases", []):
            if case == "no_mask":
                kw = {"input_ids": inputs["input_ids"]}
            elif case == "position_ids":
                L = inputs["input_ids"].shape[1]
                # valid but unusual positions: descending from the top of the table
                top = tcfg.max_position_embeddings - 1
                pos = torch.stack([torch.arange(top, top - L, -1)] * b)
                inputs["position_ids"] = pos
                kw = {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"],
                      "position_ids": pos}
            elif case == "inputs_embeds":
                emb = torch.randn((b, inputs["input_ids"].shape[1], tcfg.hidden_size), generator=g)
                inputs["inputs_embeds"] = emb
                kw = {"inputs_embeds": emb, "attention_mask": inputs["attention_mask"]}
            else:
                raise ValueError(case)
            flatten_model_output(f"text_model_{case}", ref.text_model(**kw), outputs, only=MAIN)

        if fx.get("interpolate"):
            hh, ww = fx["interpolate"]
            pv = torch.randn((1, vcfg.num_channels, hh, ww), generator=g)
            inputs["pixel_values_interpolate"] = pv
            emb = ref.vision_model.embeddings
            patches = torch.zeros((1, (hh // vcfg.patch_size) * (ww // vcfg.patch_size) + 1, vcfg.hidden_size))
            outputs["stages/interpolated_position_embedding"] = emb.interpolate_pos_encoding(patches, hh, ww)
            flatten_model_output("vision_model_interpolated",
                                 ref.vision_model(pixel_values=pv, interpolate_pos_encoding=True,
                                                  output_hidden_states=True, output_attentions=True), outputs)
            outputs["get_image_features_interpolated"] = ref.get_image_features(
                pixel_values=pv, interpolate_pos_encoding=True).pooler_output
            try:
                ref.vision_model(pixel_values=pv)
                raise RuntimeError("expected a size mismatch error without interpolate_pos_encoding")
            except ValueError:
                pass

        if fx.get("nonsquare"):
            kw = {k: v[:2] for k, v in text_kwargs.items()}
            ns = ref(**kw, pixel_values=inputs["pixel_values"])
            outputs["nonsquare/logits_per_image"] = ns.logits_per_image
            outputs["nonsquare/logits_per_text"] = ns.logits_per_text

        # head_mask: transformers 5.24 accepts the keyword for AltCLIP and silently ignores it.
        hm = torch.ones((tcfg.num_hidden_layers, tcfg.num_attention_heads))
        hm[:, 0] = 0
        ignored = ref.text_model(**text_kwargs, head_mask=hm)
        head_mask_ignored = torch.equal(ignored.last_hidden_state, outputs["text_model/last_hidden_state"])

    if fx.get("standalone"):
        # The standalone folders must reproduce the combined model's tower outputs.
        with torch.no_grad():
            t = AltCLIPTextModel.from_pretrained(os.path.join(folder, "text_model"), attn_implementation="eager")
            v = AltCLIPVisionModel.from_pretrained(os.path.join(folder, "vision_model"),
                                                   attn_implementation="eager")
            assert torch.equal(t(**text_kwargs).last_hidden_state, outputs["text_model/last_hidden_state"])
            assert torch.equal(v(pixel_values=inputs["pixel_values"]).pooler_output,
                               outputs["vision_model/pooler_output"])

    save_tensors(inputs, os.path.join(folder, "inputs.safetensors"))
    save_tensors(outputs, os.path.join(folder, "outputs.safetensors"))
    return {
        "name": fx["name"], "generator": "transformers-5", "seed": seed, "covers": fx["covers"],
        "head_mask_ignored_by_transformers_5": head_mask_ignored,
        "outputs": sorted(outputs.keys()), "inputs": sorted(inputs.keys()),
    }


# ---------------------------------------------------------------------------------------------
# transformers 4.x part (relative positions, head_mask).
# ---------------------------------------------------------------------------------------------

def build_4x(fx, index, out_root):
    import transformers
    from transformers import AltCLIPTextConfig, AltCLIPTextModel

    seed = BASE_SEED + 100 + index
    folder = os.path.join(out_root, fx["name"])
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)

    torch.manual_seed(seed)
    config = AltCLIPTextConfig(**fx["text"])
    model = AltCLIPTextModel(config).eval()
    perturb(model, seed)
    model.save_pretrained(folder)
    ref = AltCLIPTextModel.from_pretrained(folder, attn_implementation="eager").eval()
    assert ref.config.position_embedding_type == fx["text"]["position_embedding_type"]

    g = torch.Generator().manual_seed(seed + 1)
    inputs = make_text_inputs(fx, g, config.pad_token_id)
    kw = {k: inputs[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in inputs}
    tc = config
    if fx.get("head_mask_1d"):
        hm = torch.rand((tc.num_attention_heads,), generator=g) + 0.25
        hm[1] = 0.0
    else:
        hm = torch.rand((tc.num_hidden_layers, tc.num_attention_heads), generator=g) + 0.25
        hm[0, 0] = 0.0
        hm[-1, -1] = 0.0
    inputs["head_mask"] = hm

    outputs = {}
    with torch.no_grad():
        flatten_model_output("text_model", ref(**kw, output_hidden_states=True, output_attentions=True,
                                               return_dict=True), outputs)
        flatten_model_output("text_model_head_mask", ref(**kw, head_mask=hm, output_hidden_states=True,
                                                         output_attentions=True, return_dict=True), outputs)
        outputs["stages/text_position_ids"] = \
            transformers.models.altclip.modeling_altclip.create_position_ids_from_input_ids(
                inputs["input_ids"], config.pad_token_id)
    for key in [k for k in outputs if k.endswith("projection_state")]:
        outputs.pop(key)  # 4.x's extra field of BaseModelOutputWithPoolingAndProjection, always None/duplicate

    save_tensors(inputs, os.path.join(folder, "inputs.safetensors"))
    save_tensors(outputs, os.path.join(folder, "outputs.safetensors"))
    return {
        "name": fx["name"], "generator": "transformers-4", "seed": seed, "covers": fx["covers"],
        "outputs": sorted(outputs.keys()), "inputs": sorted(inputs.keys()),
    }


# ---------------------------------------------------------------------------------------------

def write_config_samples(out_root, tag):
    """config.json files exactly as this transformers version writes them for default configs."""
    from transformers import AltCLIPConfig, AltCLIPTextConfig, AltCLIPVisionConfig
    folder = os.path.join(out_root, "configs")
    os.makedirs(folder, exist_ok=True)
    written = []
    samples = [("altclip", AltCLIPConfig(), True), ("altclip-text", AltCLIPTextConfig(), True),
               ("altclip-vision", AltCLIPVisionConfig(), True), ("altclip-full-dump", AltCLIPConfig(), False)]
    for stem, cfg, use_diff in samples:
        name = f"{stem}-default-{tag}.json"
        cfg.to_json_file(os.path.join(folder, name), use_diff=use_diff)
        written.append(name)
    return written


def file_entries(out_root, name):
    folder = os.path.join(out_root, name)
    entries = {}
    for dirpath, _, files in os.walk(folder):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, out_root)
            entries[rel] = {"sha256": sha256(p), "bytes": os.path.getsize(p)}
    return dict(sorted(entries.items()))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(repo, "Tests", "Fixtures", "models"))
    ap.add_argument("--venv4", default=os.environ.get("VENV4", os.path.join(repo, ".venv4")),
                    help="venv with Scripts/requirements-4x.txt (made by Scripts/setup-venv4.sh)")
    ap.add_argument("--part", choices=["all", "5x", "4x"], default="all")
    ap.add_argument("--report", help=argparse.SUPPRESS)  # where the 4x part writes its summary
    args = ap.parse_args()

    warnings.filterwarnings("ignore")
    import transformers
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)  # deterministic reductions
    os.makedirs(args.out, exist_ok=True)

    if args.part == "4x":
        versions = check_versions(PINNED_4X)
        summary = [build_4x(fx, i, args.out) for i, fx in enumerate(FIXTURES_4X)]
        configs = write_config_samples(args.out, "4.57")
        with open(args.report, "w") as f:
            json.dump({"versions": versions, "fixtures": summary, "configs": configs}, f)
        return

    versions5 = check_versions(PINNED_5X)
    shutil.rmtree(os.path.join(args.out, "configs"), ignore_errors=True)
    summary = [build_5x(fx, i, args.out) for i, fx in enumerate(FIXTURES_5X)]
    configs = write_config_samples(args.out, "5.24")

    report = os.path.join(args.out, ".report4x.json")
    py4 = os.path.join(args.venv4, "bin", "python")
    subprocess.run([py4, os.path.abspath(__file__), "--part", "4x", "--out", args.out, "--report", report],
                   check=True)
    with open(report) as f:
        r4 = json.load(f)
    os.remove(report)
    summary += r4["fixtures"]

    manifest = {
        "generator": "Scripts/make_model_fixtures.py",
        "generator_versions": {"transformers-5": versions5, "transformers-4": r4["versions"]},
        "requirements": {"transformers-5": "Scripts/requirements.txt", "transformers-4": "Scripts/requirements-4x.txt"},
        "base_seed": BASE_SEED,
        "attn_implementation": "eager",
        "tolerance": "|swift - ref| <= 1e-4 + 1e-3 * |ref|",
        "fixtures": [],
    }
    for s in summary:
        s["files"] = file_entries(args.out, s["name"])
        manifest["fixtures"].append(s)
    manifest["config_samples"] = {
        "what": "default configs as each transformers version writes them (to_json_file; full-dump "
                "with use_diff=False)",
        "files": {k: v for k, v in file_entries(args.out, "configs").items()},
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    total = sum(e["bytes"] for s in summary for e in s["files"].values())
    total += sum(e["bytes"] for e in manifest["config_samples"]["files"].values())
    for s in summary:
        size = sum(e["bytes"] for e in s["files"].values())
        print(f"{s['name']:32s} {size / 1024:8.1f} KiB  {len(s['outputs'])} output tensors")
    print(f"total {total / 1024:.1f} KiB in {args.out}")


if __name__ == "__main__":
    main()
