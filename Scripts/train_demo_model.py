#!/usr/bin/env python3
"""Train the tiny multilingual demo AltCLIP on synthetic shapes and write its hub-layout folder.

Run from the repository root with the pinned venv:

    .venv/bin/python Scripts/train_demo_model.py

Outputs (all regenerated from scratch; nothing is downloaded):
  Models/altclip-demo/   config.json, model.safetensors, sentencepiece.bpe.model, tokenizer.json,
                         tokenizer_config.json, special_tokens_map.json, preprocessor_config.json, README.md
  Samples/               sample PNGs, expected.json (labels, probabilities, ids), reference.safetensors,
                         manifest.json (versions, seeds, SHA-256), README.md (schema)

Everything is seeded, and training runs on the CPU in one thread by default (--threads). Re-running on the
same stack reproduces the pictures, the vocabulary and the tokenizer byte for byte; the weights are
reproduced exactly on the same machine and thread count, and up to float rounding elsewhere.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Two threads only help if they do not spin on a busy machine; see --threads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import PIL  # noqa: E402
import safetensors  # noqa: E402
import sentencepiece as spm  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from transformers import (  # noqa: E402
    AddedToken,
    AltCLIPConfig,
    AltCLIPModel,
    AltCLIPProcessor,
    CLIPImageProcessorPil,
    XLMRobertaTokenizer,
)
from transformers.convert_slow_tokenizer import XLMRobertaConverter  # noqa: E402

# ---------------------------------------------------------------------------------------------------
# Vocabulary of the toy world
# ---------------------------------------------------------------------------------------------------

SHAPES = ["circle", "square", "triangle", "star"]
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 175, 60),
    "blue": (45, 85, 225),
    "yellow": (235, 210, 35),
    "purple": (150, 55, 190),
}
COLOUR_NAMES = list(COLOURS)
CLASSES = [(s, c) for s in SHAPES for c in COLOUR_NAMES]  # class index = shape index * 5 + colour index

LANGUAGES = ["en", "zh", "fr", "es", "de", "ja"]

ZH_COLOUR = {"red": "红色", "green": "绿色", "blue": "蓝色", "yellow": "黄色", "purple": "紫色"}
ZH_SHAPE = {"circle": "圆形", "square": "正方形", "triangle": "三角形", "star": "星形"}

# French and Spanish adjectives agree with the noun's gender.
FR_SHAPE = {"circle": ("cercle", "m"), "square": ("carré", "m"), "triangle": ("triangle", "m"),
            "star": ("étoile", "f")}
FR_COLOUR = {"red": ("rouge", "rouge"), "green": ("vert", "verte"), "blue": ("bleu", "bleue"),
             "yellow": ("jaune", "jaune"), "purple": ("violet", "violette")}
ES_SHAPE = {"circle": ("círculo", "m"), "square": ("cuadrado", "m"), "triangle": ("triángulo", "m"),
            "star": ("estrella", "f")}
ES_COLOUR = {"red": ("rojo", "roja"), "green": ("verde", "verde"), "blue": ("azul", "azul"),
             "yellow": ("amarillo", "amarilla"), "purple": ("morado", "morada")}
# German: mixed declension after "ein" (nominative) and "einem" (dative).
DE_SHAPE = {"circle": ("Kreis", "m"), "square": ("Quadrat", "n"), "triangle": ("Dreieck", "n"),
            "star": ("Stern", "m")}
DE_COLOUR = {"red": "rot", "green": "grün", "blue": "blau", "yellow": "gelb", "purple": "violett"}
# Japanese: i-adjectives attach directly, the others take の.
JA_COLOUR = {"red": "赤い", "green": "緑の", "blue": "青い", "yellow": "黄色い", "purple": "紫の"}
JA_SHAPE = {"circle": "円", "square": "正方形", "triangle": "三角形", "star": "星"}


def captions(lang: str, shape: str, colour: str) -> list[str]:
    """All caption templates of one class in one language; the first one is the zero-shot label."""
    if lang == "en":
        base = f"{colour} {shape}"
        return [f"a {base}", f"a picture of a {base}", f"a {base} on a noisy background", base]
    if lang == "zh":
        c, s = ZH_COLOUR[colour], ZH_SHAPE[shape]
        return [f"{c}的{s}", f"一个{c}的{s}", f"一张{c}{s}的图片", f"{c}{s}"]
    if lang == "fr":
        noun, g = FR_SHAPE[shape]
        adj = FR_COLOUR[colour][g == "f"]
        art = "une" if g == "f" else "un"
        return [f"{art} {noun} {adj}", f"une image d'{art} {noun} {adj}", f"{art} {noun} {adj} sur un fond bruité"]
    if lang == "es":
        noun, g = ES_SHAPE[shape]
        adj = ES_COLOUR[colour][g == "f"]
        art = "una" if g == "f" else "un"
        return [f"{art} {noun} {adj}", f"una imagen de {art} {noun} {adj}", f"{art} {noun} {adj} sobre un fondo ruidoso"]
    if lang == "de":
        noun, g = DE_SHAPE[shape]
        stem = DE_COLOUR[colour]
        nom = f"ein {stem}{'er' if g == 'm' else 'es'} {noun}"
        return [nom, f"ein Bild mit einem {stem}en {noun}", f"{nom} auf verrauschtem Hintergrund"]
    if lang == "ja":
        base = f"{JA_COLOUR[colour]}{JA_SHAPE[shape]}"
        return [base, f"{base}の画像", f"{base}の絵"]
    raise ValueError(lang)


def label_list(lang: str) -> list[str]:
    return [captions(lang, s, c)[0] for s, c in CLASSES]


# ---------------------------------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------------------------------

SUPERSAMPLE = 4
SHAPE_RADIUS = (0.24, 0.38)  # fraction of the picture side
NOISE_SIGMA = (6.0, 22.0)  # per-pixel Gaussian noise, 8-bit units


def shape_polygon(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    """Vertices of a shape of 'radius' r (roughly half its extent), rotated by angle (radians)."""
    if shape == "square":
        h = 0.82 * r
        pts = [(-h, -h), (h, -h), (h, h), (-h, h)]
    elif shape == "triangle":
        R = 1.1 * r
        pts = [(R * math.sin(a), -R * math.cos(a)) for a in (0.0, 2 * math.pi / 3, 4 * math.pi / 3)]
        pts = [(x, y + 0.2 * R) for x, y in pts]  # centre the bounding box, not the centroid
    elif shape == "star":
        R, q = 1.1 * r, 0.45 * 1.1 * r
        pts = [((R if k % 2 == 0 else q) * math.sin(k * math.pi / 5), -(R if k % 2 == 0 else q) * math.cos(k * math.pi / 5))
               for k in range(10)]
    else:
        raise ValueError(shape)
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in pts]


def render(rng: np.random.Generator, shape: str, colour: str, width: int = 64, height: int = 64) -> Image.Image:
    """One shape on a noisy, tinted, gradient background.

    The shape lies inside the centred min(width, height) square, so CLIP's centre crop keeps all of it.
    """
    side = min(width, height)
    ox, oy = (width - side) / 2, (height - side) / 2
    # background: grey level with a slight tint and a linear gradient
    base = rng.uniform(55, 195)
    tint = rng.uniform(-18, 18, size=3)
    gx, gy = rng.uniform(-40, 40, size=2)
    ys = (np.arange(height, dtype=np.float64)[:, None] + 0.5) / height - 0.5
    xs = (np.arange(width, dtype=np.float64)[None, :] + 0.5) / width - 0.5
    background = (base + gx * xs + gy * ys)[:, :, None] + tint[None, None, :]
    # shape mask, anti-aliased by supersampling
    r = rng.uniform(*SHAPE_RADIUS) * side
    extent = 1.12 * r + 1.5
    cx = ox + rng.uniform(extent, side - extent)
    cy = oy + rng.uniform(extent, side - extent)
    angle = 0.0 if shape == "circle" else math.radians(rng.uniform(-20, 20))
    ss = SUPERSAMPLE
    mask_img = Image.new("L", (width * ss, height * ss), 0)
    draw = ImageDraw.Draw(mask_img)
    if shape == "circle":
        rr = 0.95 * r
        draw.ellipse([(cx - rr) * ss, (cy - rr) * ss, (cx + rr) * ss, (cy + rr) * ss], fill=255)
    else:
        draw.polygon([(x * ss, y * ss) for x, y in shape_polygon(shape, cx, cy, r, angle)], fill=255)
    mask = np.asarray(mask_img.resize((width, height), Image.Resampling.BOX), dtype=np.float64)[:, :, None] / 255.0
    fill = np.array(COLOURS[colour], dtype=np.float64) + rng.uniform(-25, 25, size=3)
    pixels = background * (1.0 - mask) + fill[None, None, :] * mask
    pixels += rng.normal(0.0, rng.uniform(*NOISE_SIGMA), size=pixels.shape)
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), mode="RGB")


# ---------------------------------------------------------------------------------------------------
# Tokenizer: own SentencePiece unigram model, converted to the XLM-R layout the way transformers does
# ---------------------------------------------------------------------------------------------------


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _proto_fields(data: bytes):
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        elif wire == 2:
            n, i = _varint(data, i)
            value, i = data[i:i + n], i + n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


def precompiled_charsmap(model_file: Path) -> bytes:
    """ModelProto.normalizer_spec (field 3) .precompiled_charsmap (field 2).

    transformers reads it with the protobuf package (SentencePieceExtractor); the pinned venv has no
    protobuf, so the two fields are read by hand here.
    """
    for number, value in _proto_fields(model_file.read_bytes()):
        if number == 3:
            for inner, blob in _proto_fields(value):
                if inner == 2:
                    return bytes(blob)
    raise ValueError(f"{model_file}: no precompiled_charsmap")


def train_sentencepiece(corpus: list[str], out_file: Path, vocab_size: int) -> None:
    writer = io.BytesIO()  # in memory, so no temporary path ends up inside the model's trainer_spec
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=writer,
        model_prefix="",
        model_type="unigram",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        normalization_rule_name="nmt_nfkc",
        byte_fallback=False,
        character_coverage=1.0,
        # every ASCII letter and digit gets a piece, so unseen Latin words never become <unk>
        required_chars="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,  # XLM-R's spm layout
        num_threads=1,
        shuffle_input_sentence=False,
        minloglevel=2,
    )
    out_file.write_bytes(writer.getvalue())


def build_tokenizer(model_file: Path, model_max_length: int) -> XLMRobertaTokenizer:
    """The steps of XLMRobertaTokenizer.from_pretrained on a folder holding only sentencepiece.bpe.model.

    (SentencePieceExtractor.extract -> XLMRobertaConverter.convert_from_spm -> XLMRobertaTokenizer(...)),
    with the proto read by sentencepiece itself plus the charsmap reader above instead of protobuf.
    """
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    pieces = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    kwargs = {
        "unk_id": sp.unk_id(),
        "vocab": pieces,
        "additional_special_tokens": [AddedToken(sp.id_to_piece(i), normalized=False, special=True)
                                      for i in range(sp.get_piece_size()) if sp.is_control(i)],
        "_spm_precompiled_charsmap": precompiled_charsmap(model_file),
        "model_max_length": model_max_length,
    }
    kwargs = XLMRobertaConverter.convert_from_spm(**kwargs)
    tokenizer = XLMRobertaTokenizer(vocab_file=str(model_file), **kwargs)
    # transformers' fairseq offset: HF id = spm id + 1, spm <unk> -> 3, <mask> last
    for text in ["a red circle", "红色的圆形", "ein grünes Quadrat", "緑の星の絵"]:
        spm_ids = [i + 1 if i != sp.unk_id() else 3 for i in sp.encode(text)]
        assert tokenizer(text)["input_ids"] == [0] + spm_ids + [2], text
    assert tokenizer.convert_tokens_to_ids("<mask>") == sp.get_piece_size() + 1
    return tokenizer


# ---------------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------------

# In trials a 32-pixel input in 4-pixel patches learned shapes at random positions clearly faster than
# 64 pixels in 8-pixel patches (the same 64 tokens, the same cost). Pictures are drawn larger and
# shrunk by the processor's bicubic resize, so every picture goes through the whole image pipeline.
IMAGE_SIZE = 32
PATCH_SIZE = 4
RENDER_SIZES = (32, 96)  # training pictures are squares of a random side in this range


def make_config(vocab_size: int, args) -> AltCLIPConfig:
    text = dict(
        vocab_size=vocab_size, hidden_size=args.text_hidden, num_hidden_layers=args.text_layers,
        num_attention_heads=4, intermediate_size=4 * args.text_hidden, max_position_embeddings=args.max_positions,
        type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2, project_dim=args.text_hidden,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, layer_norm_eps=1e-5, hidden_act="gelu",
    )
    vision = dict(
        hidden_size=args.vision_hidden, intermediate_size=4 * args.vision_hidden, num_hidden_layers=args.vision_layers,
        num_attention_heads=4, num_channels=3, image_size=IMAGE_SIZE, patch_size=PATCH_SIZE, hidden_act="quick_gelu",
        layer_norm_eps=1e-5, attention_dropout=0.0, projection_dim=args.projection_dim,
    )
    return AltCLIPConfig(text_config=text, vision_config=vision, projection_dim=args.projection_dim,
                         logit_scale_init_value=2.6592)


def widen_text_init(model: AltCLIPModel) -> None:
    """Re-draw the text tower's matrices with std 1/sqrt(fan_in) (word embeddings with std 1).

    With transformers' default std of 0.02 a tiny post-LN text tower starts out giving almost the same
    <s> output for every caption, and contrastive training sits at the symmetric saddle (every caption
    of a group equally likely) for hundreds of steps before it finds the words. Only the starting point
    changes; architecture and loss are transformers' own.
    """
    generator = torch.Generator().manual_seed(12345)
    with torch.no_grad():
        for module in model.text_model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(0.0, module.in_features ** -0.5, generator=generator)
                module.bias.zero_()
        emb = model.text_model.roberta.embeddings.word_embeddings
        emb.weight.normal_(0.0, 1.0, generator=generator)
        emb.weight[emb.padding_idx].zero_()


def make_image_processor() -> CLIPImageProcessorPil:
    return CLIPImageProcessorPil(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                                 resample=3)


def render_pool(seed: int, per_class: int, image_processor, sizes=RENDER_SIZES) -> tuple[torch.Tensor, np.ndarray]:
    """per_class pictures of every class at random square sizes, as the processor's pixel_values."""
    rng = np.random.default_rng(seed)
    pixels, labels = [], []
    for _ in range(per_class):
        batch = []
        for k, (s, c) in enumerate(CLASSES):
            side = int(rng.integers(sizes[0], sizes[1] + 1))
            batch.append(render(rng, s, c, side, side))
            labels.append(k)
        pixels.append(image_processor(images=batch, return_tensors="pt")["pixel_values"])
    return torch.cat(pixels), np.array(labels)


def train(model: AltCLIPModel, tokenizer, image_processor, args, log) -> dict:
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed + 1)
    t0 = time.time()
    pool, pool_labels = render_pool(args.seed + 2, args.pool_per_class, image_processor)
    by_class = [np.flatnonzero(pool_labels == k) for k in range(len(CLASSES))]
    log(f"rendered {len(pool)} training pictures in {time.time() - t0:.1f}s")

    # every caption variant of every class, tokenized once (padding to the longest; trimmed per batch)
    variants = [[captions(lang, s, c) for lang in LANGUAGES] for s, c in CLASSES]
    flat = [t for per_class in variants for per_lang in per_class for t in per_lang]
    enc = tokenizer(flat, padding=True, return_tensors="pt")
    index, pos = {}, 0
    for k, per_class in enumerate(variants):
        for li, per_lang in enumerate(per_class):
            for ti in range(len(per_lang)):
                index[(k, li, ti)] = pos
                pos += 1

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, args.steps // 20)

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        t = (step - warmup) / max(1, args.steps - warmup)
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))

    n_classes = len(CLASSES)
    model.train()
    t_start = time.time()
    history = []
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        total = 0.0
        # A group never holds a class twice, so the CLIP loss has no false negatives. "All" groups hold
        # every class once; "same colour" groups hold the shapes of one colour, whose only difference is
        # the shape: hard negatives that push shape learning past the early colour-only plateau.
        groups = [list(rng.permutation(n_classes)) for _ in range(args.groups)]
        for _ in range(args.colour_sets):
            groups += [[CLASSES.index((s, c)) for s in SHAPES] for c in COLOUR_NAMES]
        # English-only warm-up: while the image tower has no notion of shape yet, one language gives it
        # consistent targets; the other languages then align to an image space that already exists.
        languages = 1 if step < args.english_warmup * args.steps else len(LANGUAGES)
        for group in groups:
            img_idx = [by_class[k][rng.integers(len(by_class[k]))] for k in group]
            rows = []
            for k in group:
                li = int(rng.integers(languages))
                ti = int(rng.integers(len(variants[k][li])))
                rows.append(index[(k, li, ti)])
            ids = enc["input_ids"][rows]
            mask = enc["attention_mask"][rows]
            width = int(mask.sum(1).max())
            pixels = pool[img_idx]
            # light augmentation: random horizontal flips (every shape stays what it is)
            flip = torch.from_numpy(rng.random(len(group)) < 0.5)[:, None, None, None]
            pixels = torch.where(flip, pixels.flip(-1), pixels)
            out = model(input_ids=ids[:, :width], attention_mask=mask[:, :width], pixel_values=pixels,
                        return_loss=True)
            (out.loss / len(groups)).backward()
            total += float(out.loss.detach()) / len(groups)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))  # as CLIP training does
        history.append(total)
        if (step + 1) % args.log_every == 0 or step == 0:
            recent = np.mean(history[-args.log_every:])
            log(f"step {step + 1:5d}/{args.steps}  loss {recent:.4f}  lr {lr_at(step):.2e}  "
                f"scale {float(model.logit_scale.detach().exp()):.1f}  {time.time() - t_start:.0f}s")
    return {"train_seconds": time.time() - t_start, "final_loss": float(np.mean(history[-args.log_every:])),
            "pool_pictures": int(len(pool))}


# ---------------------------------------------------------------------------------------------------
# Saving, evaluation, samples
# ---------------------------------------------------------------------------------------------------


def save_folder(model: AltCLIPModel, tokenizer, image_processor, spm_file: Path, out: Path) -> None:
    """Write the hub layout of BAAI/AltCLIP (same file names), with transformers' own writers."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model.save_pretrained(out)
    # AltCLIPProcessor.save_pretrained would write what its parts write, except that transformers 5
    # bundles the image processor into processor_config.json; the hub folders use preprocessor_config.json.
    tokenizer._set_processor_class("AltCLIPProcessor")  # as AltCLIPProcessor.save_pretrained does
    tokenizer.save_pretrained(out)
    image_processor.save_pretrained(out)
    # transformers 5 no longer copies the spm model nor writes special_tokens_map.json; the hub folders have both.
    shutil.copyfile(spm_file, out / "sentencepiece.bpe.model")
    special = {k: str(v) for k, v in sorted(tokenizer.special_tokens_map.items())}
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                                 encoding="utf-8")


@torch.no_grad()
def evaluate(model, processor, images: list[Image.Image], truth: np.ndarray, batch: int = 250) -> dict:
    model.eval()
    pixels = [processor(images=images[i:i + batch], return_tensors="pt")["pixel_values"]
              for i in range(0, len(images), batch)]
    result = {}
    for lang in LANGUAGES:
        text = processor(text=label_list(lang), padding=True, return_tensors="pt")
        pred = np.concatenate([model(**text, pixel_values=px).logits_per_image.argmax(1).numpy() for px in pixels])
        result[lang] = float((pred == truth).mean())
    return result


SAMPLE_SPECS = [  # (file stem, shape, colour, width, height)
    ("red_circle", "circle", "red", 96, 96),
    ("green_square", "square", "green", 128, 128),
    ("blue_triangle", "triangle", "blue", 80, 80),
    ("yellow_star", "star", "yellow", 112, 112),
    ("purple_circle", "circle", "purple", 128, 96),
    ("red_star", "star", "red", 64, 64),
    ("yellow_square", "square", "yellow", 96, 120),
    ("purple_triangle", "triangle", "purple", 100, 100),
]


@torch.no_grad()
def make_samples(model, processor, out: Path, seed: int, log) -> dict:
    """Render the sample pictures and store transformers' outputs for them.

    A sample candidate is kept only if every language ranks its true label first by a clear logit margin,
    so a port that matches transformers within tolerance cannot flip the ranking; the held-out accuracy,
    not these samples, is the honest measure of the model.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model.eval()
    texts = {lang: processor(text=label_list(lang), padding=True, return_tensors="pt") for lang in LANGUAGES}
    rng = np.random.default_rng(seed)
    files, images, tries = [], [], []
    for stem, shape, colour, w, h in SAMPLE_SPECS:
        k = CLASSES.index((shape, colour))
        for attempt in range(1, 101):
            img = render(rng, shape, colour, w, h)
            px = processor(images=[img], return_tensors="pt")["pixel_values"]
            ok = True
            for lang in LANGUAGES:
                logits = model(**texts[lang], pixel_values=px).logits_per_image[0]
                top2 = torch.topk(logits, 2)
                if int(top2.indices[0]) != k or float(top2.values[0] - top2.values[1]) < 1.0:
                    ok = False
                    break
            if ok:
                break
        else:
            raise RuntimeError(f"no clear sample for {stem} in 100 tries")
        tries.append(attempt)
        name = f"{stem}.png"
        img.save(out / name, format="PNG", optimize=True)
        files.append(name)
        images.append(Image.open(out / name).convert("RGB"))  # exactly what a user loading the file sees
    log(f"samples: candidates tried per sample {tries}")

    pixel_values = processor(images=images, return_tensors="pt")["pixel_values"]
    tensors = {"pixel_values": pixel_values.numpy().astype(np.float32)}
    expected = {"labels": {lang: label_list(lang) for lang in LANGUAGES}, "languages": LANGUAGES, "samples": []}
    per_lang = {}
    for lang in LANGUAGES:
        enc = processor(text=label_list(lang), images=images, padding=True, return_tensors="pt")
        assert torch.equal(enc["pixel_values"], pixel_values)
        o = model(**enc)
        probs = o.logits_per_image.softmax(dim=1)
        tensors[f"{lang}.input_ids"] = enc["input_ids"].numpy().astype(np.int64)
        tensors[f"{lang}.attention_mask"] = enc["attention_mask"].numpy().astype(np.int64)
        tensors[f"{lang}.text_embeds"] = o.text_embeds.numpy().astype(np.float32)
        tensors[f"{lang}.logits_per_image"] = o.logits_per_image.numpy().astype(np.float32)
        tensors["image_embeds"] = o.image_embeds.numpy().astype(np.float32)
        per_lang[lang] = {"probs": probs.numpy(), "ids": enc["input_ids"].tolist(), "mask": enc["attention_mask"].tolist()}
        expected.setdefault("input_ids", {})[lang] = per_lang[lang]["ids"]
        expected.setdefault("attention_mask", {})[lang] = per_lang[lang]["mask"]
    expected["logit_scale"] = float(model.logit_scale.exp())
    for i, (stem, shape, colour, w, h) in enumerate(SAMPLE_SPECS):
        k = CLASSES.index((shape, colour))
        entry = {"file": files[i], "width": w, "height": h, "shape": shape, "colour": colour, "class_index": k,
                 "true_label": {lang: label_list(lang)[k] for lang in LANGUAGES}, "probs": {}, "predicted": {}}
        for lang in LANGUAGES:
            p = per_lang[lang]["probs"][i]
            entry["probs"][lang] = [float(f"{v:.7g}") for v in p.tolist()]
            entry["predicted"][lang] = label_list(lang)[int(p.argmax())]
            assert int(p.argmax()) == k
        expected["samples"].append(entry)
    (out / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    # logits_per_image is a transposed view; safetensors would write its memory order, not its index order
    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    save_file(tensors, str(out / "reference.safetensors"),
              metadata={"generator": "Scripts/train_demo_model.py", "transformers": transformers.__version__,
                        "torch": torch.__version__})
    return {"files": files, "tries": tries}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def versions() -> dict:
    return {"python": platform.python_version(), "transformers": transformers.__version__, "torch": torch.__version__,
            "tokenizers": tokenizers.__version__, "sentencepiece": spm.__version__, "safetensors": safetensors.__version__,
            "numpy": np.__version__, "Pillow": PIL.__version__}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", type=Path, default=root / "Models" / "altclip-demo")
    p.add_argument("--samples-dir", type=Path, default=root / "Samples")
    p.add_argument("--seed", type=int, default=20260905)
    p.add_argument("--eval-seed", type=int, default=777)
    p.add_argument("--sample-seed", type=int, default=4242)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--groups", type=int, default=1, help="groups holding every class once, per optimizer step")
    p.add_argument("--colour-sets", type=int, default=1,
                   help="sets of same-colour groups (one group of all shapes per colour) per optimizer step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--english-warmup", type=float, default=0.25, help="fraction of the steps with English captions only")
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--pool-per-class", type=int, default=1000)
    p.add_argument("--eval-per-class", type=int, default=50)
    p.add_argument("--text-hidden", type=int, default=64)
    p.add_argument("--text-layers", type=int, default=2)
    p.add_argument("--vision-hidden", type=int, default=96)
    p.add_argument("--vision-layers", type=int, default=2)
    p.add_argument("--projection-dim", type=int, default=64)
    p.add_argument("--max-positions", type=int, default=66)
    p.add_argument("--vocab-size", type=int, default=400)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads; the model is so small that one thread is as fast as two")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--min-accuracy", type=float, default=0.90)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    t_all = time.time()

    # 1. vocabulary and tokenizer
    corpus = [t for s, c in CLASSES for lang in LANGUAGES for t in captions(lang, s, c)]
    work = Path(tempfile.mkdtemp(prefix="altclip-demo-"))
    spm_file = work / "sentencepiece.bpe.model"
    train_sentencepiece(corpus, spm_file, args.vocab_size)
    tokenizer = build_tokenizer(spm_file, model_max_length=args.max_positions - 2)
    log(f"tokenizer: {len(tokenizer)} ids ({len(corpus)} captions)")

    # 2. model
    config = make_config(len(tokenizer), args)
    model = AltCLIPModel(config)
    widen_text_init(model)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params} parameters")
    image_processor = make_image_processor()

    # 3. training
    stats = train(model, tokenizer, image_processor, args, log)
    log(f"trained in {stats['train_seconds']:.0f}s, final loss {stats['final_loss']:.4f}")

    # 4. save in hub layout, reload through the public API, evaluate on fresh pictures
    save_folder(model, tokenizer, image_processor, spm_file, args.model_dir)
    model = AltCLIPModel.from_pretrained(args.model_dir)
    processor = AltCLIPProcessor.from_pretrained(args.model_dir)
    assert type(processor.image_processor).__name__ == "CLIPImageProcessorPil", type(processor.image_processor)
    rng = np.random.default_rng(args.eval_seed)
    eval_images = [render(rng, s, c, 64, 64) for _ in range(args.eval_per_class) for s, c in CLASSES]
    truth = np.array([k for _ in range(args.eval_per_class) for k in range(len(CLASSES))])
    accuracy = evaluate(model, processor, eval_images, truth)
    # the same classes at other picture sizes, through the processor's resize and centre crop
    rng = np.random.default_rng(args.eval_seed + 1)
    sizes = [(96, 96), (128, 96), (80, 112), (150, 150)]
    other, other_truth = [], []
    for j in range(args.eval_per_class // 2):
        for k, (s, c) in enumerate(CLASSES):
            w, h = sizes[(j + k) % len(sizes)]
            other.append(render(rng, s, c, w, h))
            other_truth.append(k)
    accuracy_sizes = evaluate(model, processor, other, np.array(other_truth))
    for lang in LANGUAGES:
        log(f"zero-shot top-1 {lang}: {accuracy[lang]:.4f}  (other sizes: {accuracy_sizes[lang]:.4f})")
    failed = [lang for lang in LANGUAGES if accuracy[lang] < args.min_accuracy]

    # 5. samples and reference outputs
    samples = make_samples(model, processor, args.samples_dir, args.sample_seed, log)

    result = {
        "parameters": n_params, "vocab_size": len(tokenizer), "steps": args.steps, "groups": args.groups,
        "colour_sets": args.colour_sets, "batch": (args.groups + args.colour_sets) * len(CLASSES),
        "english_warmup": args.english_warmup, "lr": args.lr, "logit_scale": float(model.logit_scale.detach().exp()),
        "seed": args.seed, "eval_seed": args.eval_seed,
        "sample_seed": args.sample_seed, "eval_pictures": len(eval_images), "eval_pictures_other_sizes": len(other),
        "accuracy": accuracy, "accuracy_other_sizes": accuracy_sizes, "threads": args.threads,
        "sample_candidates_tried": samples["tries"], "total_seconds": time.time() - t_all, **stats,
    }
    write_model_card(args.model_dir, result, config)
    write_samples_docs(args, result)
    shutil.rmtree(work)
    print(json.dumps(result, indent=1))
    if failed:
        log(f"FAILED: accuracy below {args.min_accuracy} for {failed}")
        return 1
    return 0


# ---------------------------------------------------------------------------------------------------
# Documentation written next to the outputs
# ---------------------------------------------------------------------------------------------------

LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "fr": "French", "es": "Spanish", "de": "German", "ja": "Japanese"}


def write_model_card(folder: Path, r: dict, config: AltCLIPConfig) -> None:
    t, v = config.text_config, config.vision_config
    rows = "\n".join(
        f"| {LANGUAGE_NAMES[lang]} (`{lang}`) | `{label_list(lang)[0]}` | {100 * r['accuracy'][lang]:.1f}% | "
        f"{100 * r['accuracy_other_sizes'][lang]:.1f}% |" for lang in LANGUAGES)
    files = "\n".join(f"| `{f.name}` | {f.stat().st_size:,} |" for f in sorted(folder.iterdir()) if f.name != "README.md")
    r0, r1 = (round(100 * x) for x in SHAPE_RADIUS)
    card = f"""---
license: apache-2.0
library_name: transformers
pipeline_tag: zero-shot-image-classification
language: [en, zh, fr, es, de, ja]
tags: [altclip, toy, synthetic]
---

# altclip-demo: a toy AltCLIP trained on synthetic shapes

**This is not BAAI's AltCLIP and carries none of its weights.** It is a tiny model with the
architecture of transformers' `AltCLIPModel` (an XLM-R-style text tower and a CLIP ViT image tower),
trained from scratch in a few minutes on a CPU by `Scripts/train_demo_model.py` in the altclip-swift
repository. It knows one toy world only: a single {", ".join(SHAPES)} in {", ".join(COLOUR_NAMES)},
on a noisy background, described in English, Chinese, French, Spanish, German or Japanese. Its purpose
is to let the project's tools and tests run end to end, with meaningful output and no download. On
real photographs it gives confident nonsense.

The folder has the file layout of `BAAI/AltCLIP` on the Hugging Face Hub, so the same loaders read
both; `AltCLIPModel.from_pretrained(folder)` and `AltCLIPProcessor.from_pretrained(folder)` work in
transformers {transformers.__version__}.

| file | bytes |
|---|---|
{files}

`config.json` and `model.safetensors` come from `AltCLIPModel.save_pretrained`, `tokenizer.json` and
`tokenizer_config.json` from `XLMRobertaTokenizer.save_pretrained`, `preprocessor_config.json` from
`CLIPImageProcessor.save_pretrained` (transformers 5 would fold it into a `processor_config.json`; the
hub folders have this name). transformers 5 writes neither `sentencepiece.bpe.model` nor
`special_tokens_map.json`; the script copies the trained SentencePiece model and writes the special
tokens map in the hub's format. `tokenizer_config.json` carries `"unk_id": 0` (the SentencePiece id,
left there by transformers' conversion); the id of `<unk>` in this vocabulary is 3, as `tokenizer.json`
says.

## Data

* Pictures, drawn by the script with Pillow and NumPy from fixed seeds: one shape ({len(SHAPES)} kinds) in one
  colour ({len(COLOUR_NAMES)} kinds, jittered), so {len(CLASSES)} classes; random size (radius {r0}–{r1} % of the side),
  random position, rotation within ±20°, over a tinted grey gradient with Gaussian pixel noise;
  anti-aliased by drawing at 4× and box-filtering down. Training used a pool of {r['pool_pictures']:,} squares of
  random side {RENDER_SIZES[0]}–{RENDER_SIZES[1]} px, passed through the image processor below, with random horizontal flips.
* Captions, 3–4 templates per language, e.g. `a red circle`, `a picture of a red circle`, `红色的圆形`,
  `一张红色圆形的图片`, `un cercle rouge`, `une étoile verte`, `un círculo rojo`, `ein roter Kreis`,
  `ein Bild mit einem roten Kreis`, `赤い円の画像`. French, Spanish and German adjectives agree with the noun.

## Training

The CLIP loss of `AltCLIPModel(..., return_loss=True)`, nothing else. Each optimizer step averages it
over {r['groups']} group(s) holding every class once and {r['colour_sets']} set(s) of "same colour" groups (the {len(SHAPES)} shapes of one
colour, for each colour): no group holds a class twice, so there are no false negatives, and the
same-colour groups are hard negatives that make shape, not just colour, pay off. {r['batch']} pairs per step,
{r['steps']:,} steps; the first {round(100 * r['english_warmup'])} % with English captions only, so the image tower gets
consistent targets before the other languages join. The text tower's matrices start from std
1/√fan-in instead of transformers' 0.02, which lets the tiny post-LN tower tell captions apart from the
first step. AdamW (peak lr {r['lr']}, linear warm-up, cosine decay, weight decay 0.05 on matrices),
gradient clipping 1.0, logit scale clamped at 100, dropout off (stored as 0.0), seed {r['seed']},
{r['threads']} CPU thread(s). Training took {r['train_seconds'] / 60:.1f} minutes ({r['total_seconds'] / 60:.1f} for the whole script) on a
shared 2-core machine; final training loss {r['final_loss']:.3f}, learned logit scale {r['logit_scale']:.2f}.

| | text tower | image tower |
|---|---|---|
| hidden size | {t.hidden_size} | {v.hidden_size} |
| layers / heads | {t.num_hidden_layers} / {t.num_attention_heads} | {v.num_hidden_layers} / {v.num_attention_heads} |
| MLP | {t.intermediate_size}, `{t.hidden_act}` | {v.intermediate_size}, `{v.hidden_act}` |
| input | {t.vocab_size} ids, {t.max_position_embeddings} positions | {v.image_size}×{v.image_size}, patch {v.patch_size} |
| projection | `transformation` → {t.project_dim}, `text_projection` → {config.projection_dim} | `visual_projection` → {config.projection_dim} |

{r['parameters']:,} parameters, float32. Tokenizer: a SentencePiece unigram model trained on the captions
(`nmt_nfkc` normalization, no byte fallback, every ASCII letter and digit included), turned into the
XLM-R layout exactly as transformers does it (`<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, pieces +1,
`<mask>` last: {r['vocab_size']} ids). Image processor: `CLIPImageProcessor` (PIL backend), shortest edge {IMAGE_SIZE},
centre crop {IMAGE_SIZE}×{IMAGE_SIZE}, bicubic, CLIP mean and std, so every picture is resized. A {IMAGE_SIZE}-pixel input in
{PATCH_SIZE}-pixel patches learned shapes at random positions clearly faster in trials than 64 pixels in 8-pixel
patches, at the same cost.

## Zero-shot accuracy

Top-1 over the {len(CLASSES)} labels of one language (its first template, e.g. `a red circle`), through
`AltCLIPProcessor(text=labels, images=pictures, padding=True)`, on {r['eval_pictures']:,} freshly drawn 64×64 pictures
(seed {r['eval_seed']}, never seen in training), and on {r['eval_pictures_other_sizes']:,} more at 96×96, 128×96, 80×112 and 150×150 (seed
{r['eval_seed'] + 1}; the 128×96 and 80×112 ones are centre-cropped).

| language | first label | top-1, 64×64 | top-1, other sizes |
|---|---|---|---|
{rows}

## Limits

A toy: {len(SHAPES)} shapes × {len(COLOUR_NAMES)} colours, one object per picture, synthetic backgrounds, a vocabulary
made of the captions (other scripts map to `<unk>`). Captions outside the templates, other objects
and real photographs are out of distribution. Text longer than {t.max_position_embeddings - 2} tokens does not fit the
position table.

## License

Apache-2.0, like the altclip-swift code that generated it. Weights, vocabulary and pictures come from
nothing but that script: no third-party data or weights went in. The architecture is transformers'
`AltCLIPModel` (Apache-2.0); BAAI's AltCLIP checkpoints have their own license and are not part of this.
"""
    (folder / "README.md").write_text(card, encoding="utf-8")


def write_samples_docs(args, r: dict) -> None:
    folder, model_dir = args.samples_dir, args.model_dir
    manifest = {
        "generator": "Scripts/train_demo_model.py",
        "versions": versions(),
        "image_processor_class": "CLIPImageProcessorPil",
        "seeds": {"training": r["seed"], "evaluation": r["eval_seed"], "samples": r["sample_seed"]},
        "accuracy": r["accuracy"],
        "accuracy_other_sizes": r["accuracy_other_sizes"],
        "files": {f.name: sha256(f) for f in sorted(folder.iterdir()) if f.name not in ("manifest.json", "README.md")},
        "model_files": {f.name: sha256(f) for f in sorted(model_dir.iterdir())},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    names = ", ".join(f"`{s[0]}.png` ({s[3]}×{s[4]})" for s in SAMPLE_SPECS)
    doc = f"""# Sample pictures for the demo model

Generated with the demo model by `Scripts/train_demo_model.py` (pinned venv; see `manifest.json` for
versions, seeds and SHA-256 of every file here and in `Models/altclip-demo/`). Do not edit by hand.

Pictures: {names}. RGB PNG, one shape each, inside the centred square so the centre crop keeps it.
Each is the first candidate (drawn from seed {r['sample_seed']}) that transformers ranks correctly in every
language by a logit margin of at least 1, so a port within tolerance predicts the true label
(candidates drawn per sample: {r['sample_candidates_tried']}; the held-out accuracy in the model card is
the measure of the model, not these pictures).

## `expected.json`
* `languages`: `["en", "zh", "fr", "es", "de", "ja"]`.
* `labels[lang]`: the {len(CLASSES)} zero-shot labels of that language, in class order
  (class index = shape index × {len(COLOUR_NAMES)} + colour index; shapes {SHAPES}, colours {COLOUR_NAMES}).
* `input_ids[lang]`, `attention_mask[lang]`: `AltCLIPProcessor(text=labels[lang], padding=True)`.
* `logit_scale`: `exp(logit_scale)` of the model.
* `samples[i]`: `file`, `width`, `height`, `shape`, `colour`, `class_index`, `true_label[lang]`,
  `probs[lang]` (softmax over `logits_per_image` for that sample against `labels[lang]`, same order, 7
  significant digits), `predicted[lang]` (always equal to `true_label[lang]`).

## `reference.safetensors` (written with the safetensors package)
| key | dtype | shape | meaning |
|---|---|---|---|
| `pixel_values` | F32 | [{len(SAMPLE_SPECS)}, 3, {IMAGE_SIZE}, {IMAGE_SIZE}] | processor output for the samples, in `samples` order |
| `image_embeds` | F32 | [{len(SAMPLE_SPECS)}, {args.projection_dim}] | L2-normalised image embeddings (`AltCLIPModel` output) |
| `<lang>.input_ids` | I64 | [{len(CLASSES)}, L_lang] | tokenized labels, padded with 1 |
| `<lang>.attention_mask` | I64 | [{len(CLASSES)}, L_lang] | 1 for tokens, 0 for padding |
| `<lang>.text_embeds` | F32 | [{len(CLASSES)}, {args.projection_dim}] | L2-normalised text embeddings |
| `<lang>.logits_per_image` | F32 | [{len(SAMPLE_SPECS)}, {len(CLASSES)}] | `exp(logit_scale) · image_embeds · text_embedsᵀ` |

Model parity tests feed `pixel_values` and `input_ids`/`attention_mask` straight into the model, so
tokenizer or resize differences cannot hide inside the model tolerance.
"""
    (folder / "README.md").write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
