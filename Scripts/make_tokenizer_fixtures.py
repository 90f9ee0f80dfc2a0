#!/usr/bin/env python3
"""Generates Tests/Fixtures/tokenizer/: a small XLM-R-style SentencePiece model and transformers goldens.

Run with the pinned reference venv:  .venv/bin/python Scripts/make_tokenizer_fixtures.py

1. Expands the seed sentences of `tokenizer_corpus.py` into a training corpus (seeded).
2. Trains a SentencePiece unigram model (nmt_nfkc, no byte fallback; XLM-R's id layout unk=0, <s>=1, </s>=2).
3. Writes the model folder `xlmr-mini/` the way BAAI/AltCLIP publishes it: `sentencepiece.bpe.model`, a
   `tokenizer.json` in the 2022 converter format (Precompiled + Replace normalizer, Metaspace with
   add_prefix_space, <mask> with lstrip), and AltCLIP's `tokenizer_config.json` / `special_tokens_map.json`.
4. Loads the folder with transformers' XLMRobertaTokenizer (which rebuilds its pipeline in code) and stores the
   goldens in `goldens.json`, plus `manifest.json` (versions, seed, SHA-256 per file).
"""

import base64
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tempfile

import sentencepiece as spm
import tokenizers
import transformers
from transformers import XLMRobertaTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_corpus import SENTENCES  # noqa: E402
from tokenizer_goldens import golden_texts, batch_cases, pair_cases, decode_cases, added_token_texts  # noqa: E402

SEED = 20240611
VOCAB_SIZE = 3000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "tokenizer")
MODEL_DIR = os.path.join(OUT, "xlmr-mini")
ADDED_DIR = os.path.join(OUT, "added-tokens")
MODEL_MAX_LENGTH = 64  # small so that "longer than model_max_length" goldens stay small


# --- corpus -----------------------------------------------------------------------------------------------------

def corpus_lines(rng):
    spaced = {k for k in SENTENCES if k not in ("zh", "zh_tw", "ja", "th")}
    lines = []
    for lang, sents in SENTENCES.items():
        lines.extend(sents)
        for _ in range(400):
            k = rng.randint(1, 3)
            picked = [rng.choice(sents) for _ in range(k)]
            if lang in spaced and rng.random() < 0.5:
                words = " ".join(picked).split()
                rng.shuffle(words)
                lines.append(" ".join(words))
            elif lang not in spaced and rng.random() < 0.5:
                text = "".join(picked)
                cut = sorted(rng.sample(range(len(text) + 1), 4))
                parts = [text[: cut[0]], text[cut[0]:cut[1]], text[cut[1]:cut[2]], text[cut[2]:cut[3]], text[cut[3]:]]
                rng.shuffle(parts)
                lines.append("".join(parts))
            else:
                lines.append(" ".join(picked))
    rng.shuffle(lines)
    return lines


def train_model(workdir, rng):
    # Relative paths: the trainer stores them in the model, which must not depend on the temp dir name.
    os.chdir(workdir)
    corpus = "corpus.txt"
    with open(corpus, "w", encoding="utf-8") as f:
        for line in corpus_lines(rng):
            f.write(line + "\n")
    prefix = "spm"
    spm.SentencePieceTrainer.train(
        input=corpus,
        model_prefix=prefix,
        model_type="unigram",
        vocab_size=VOCAB_SIZE,
        normalization_rule_name="nmt_nfkc",
        character_coverage=0.9995,
        byte_fallback=False,
        hard_vocab_limit=False,
        num_threads=1,
        seed_sentencepiece_size=100000,
        shuffle_input_sentence=False,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    return os.path.join(workdir, prefix + ".model")


# --- minimal protobuf reader (keeps the venv free of `protobuf`) -------------------------------------------------

def _varint(buf, pos):
    result, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def read_model_proto(path):
    import struct
    data = open(path, "rb").read()
    pieces, charsmap = [], b""
    for number, _, value in _fields(data):
        if number == 1:
            piece = {"piece": "", "score": 0.0, "type": 1}
            for n, _, v in _fields(value):
                if n == 1:
                    piece["piece"] = v.decode("utf-8")
                elif n == 2:
                    piece["score"] = struct.unpack("<f", v)[0]
                elif n == 3:
                    piece["type"] = v
            pieces.append(piece)
        elif number == 3:
            for n, _, v in _fields(value):
                if n == 2:
                    charsmap = bytes(v)
    return pieces, charsmap


# --- model folder -----------------------------------------------------------------------------------------------

def special(content, id_, lstrip=False, normalized=False):
    return {"id": id_, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": False,
            "normalized": normalized, "special": True}


def write_tokenizer_json(path, pieces, charsmap):
    # The layout XLMRobertaConverter produces: fairseq specials, spm pieces from 3 on, <mask> last.
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[p["piece"], p["score"]] for p in pieces[3:]]
    vocab.append(["<mask>", 0.0])
    mask_id = len(vocab) - 1
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special("<s>", 0), special("<pad>", 1), special("</s>", 2), special("<unk>", 3),
                         special("<mask>", mask_id, lstrip=True, normalized=True)],
        # 2022 SpmConverter output (what BAAI/AltCLIP's tokenizer.json was written with).
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode("ascii")},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
        f.write("\n")


def write_configs(folder):
    # BAAI/AltCLIP's tokenizer_config.json (REFERENCE-NOTES §2.1) with a small model_max_length.
    config = {
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>",
        "mask_token": {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "normalized": True,
                       "rstrip": False, "single_word": False},
        "model_max_length": MODEL_MAX_LENGTH, "name_or_path": "xlmr-mini", "pad_token": "<pad>",
        "processor_class": "AltCLIPProcessor", "sep_token": "</s>", "sp_model_kwargs": {},
        "special_tokens_map_file": None, "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>",
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    special_map = {
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>",
        "mask_token": {"content": "<mask>", "lstrip": True, "normalized": True, "rstrip": False,
                       "single_word": False},
        "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>",
    }
    with open(os.path.join(folder, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(special_map, f, indent=2)
        f.write("\n")


def added_tokens_config(mask_id):
    """A transformers-5-style tokenizer_config.json with `added_tokens_decoder`: every flag combination."""
    def tok(content, special, lstrip=False, rstrip=False, single_word=False, normalized=False):
        return {"content": content, "lstrip": lstrip, "normalized": normalized, "rstrip": rstrip,
                "single_word": single_word, "special": special}
    return {
        "added_tokens_decoder": {
            "0": tok("<s>", True), "1": tok("<pad>", True), "2": tok("</s>", True), "3": tok("<unk>", True),
            str(mask_id): tok("<mask>", True, lstrip=True),
            str(mask_id + 1): tok("<ent>", True, rstrip=True),
            str(mask_id + 2): tok("[LANG]", False, single_word=True, normalized=True),
            str(mask_id + 3): tok("ｘｙ", False, normalized=True),
            str(mask_id + 4): tok("hello", False, lstrip=True, rstrip=True),
        },
        "additional_special_tokens": ["<ent>"],
        "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>", "pad_token": "<pad>",
        "sep_token": "</s>", "unk_token": "<unk>", "model_max_length": 32, "clean_up_tokenization_spaces": True,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def added_tokens_goldens(mask_id):
    os.makedirs(ADDED_DIR)
    config = added_tokens_config(mask_id)
    with open(os.path.join(ADDED_DIR, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with tempfile.TemporaryDirectory() as folder:
        for name in ("tokenizer.json", "sentencepiece.bpe.model"):
            shutil.copy(os.path.join(MODEL_DIR, name), folder)
        shutil.copy(os.path.join(ADDED_DIR, "tokenizer_config.json"), folder)
        tok = XLMRobertaTokenizer.from_pretrained(folder)
        singles = []
        for text in added_token_texts():
            enc = tok(text)
            singles.append({"text": text, "input_ids": enc["input_ids"], "tokens": enc.tokens(),
                            "decoded": tok.decode(enc["input_ids"]),
                            "decoded_skip_special": tok.decode(enc["input_ids"], skip_special_tokens=True)})
        return {"info": {"vocab_size": tok.vocab_size, "length": len(tok), "model_max_length": tok.model_max_length,
                         "all_special_ids": sorted(set(tok.all_special_ids))},
                "added_tokens": [{"id": i, "content": t.content, "lstrip": t.lstrip, "rstrip": t.rstrip,
                                  "single_word": t.single_word, "normalized": t.normalized, "special": t.special}
                                 for i, t in sorted(tok.added_tokens_decoder.items())],
                "ids_to_tokens": {"ids": list(range(mask_id - 1, mask_id + 6)),
                                  "tokens": tok.convert_ids_to_tokens(list(range(mask_id - 1, mask_id + 6)))},
                "tokens_to_ids": {"tokens": ["ｘｙ", "xy", "[LANG]", "<ent>", "hello", "<mask>"],
                                  "ids": tok.convert_tokens_to_ids(["ｘｙ", "xy", "[LANG]", "<ent>", "hello", "<mask>"])},
                "singles": singles}


# --- goldens ----------------------------------------------------------------------------------------------------

SWEEP_BLOCK = 4096


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def sweep_hashes(normalize, suffix):
    """FNV-1a 64 of the normalized text of every scalar value (one grapheme each, `suffix` attached), per block."""
    hashes = []
    for base in range(0, 0x110000, SWEEP_BLOCK):
        parts = []
        for cp in range(base, base + SWEEP_BLOCK):
            if 0xD800 <= cp <= 0xDFFF or cp == 0x0D:  # surrogates; CR would join the LF separator
                continue
            parts.append(chr(cp) + suffix + "\n")
        hashes.append(fnv1a64(normalize("".join(parts)).encode("utf-8")))
    return hashes


def batch_golden(tok, case):
    kwargs = {"padding": case["padding"] or False}
    if case["truncation"] is not None:
        kwargs["truncation"] = case["truncation"]
    if case["max_length"] is not None:
        kwargs["max_length"] = case["max_length"]
    if "pad_to_multiple_of" in case:
        kwargs["pad_to_multiple_of"] = case["pad_to_multiple_of"]
    if "add_special_tokens" in case:
        kwargs["add_special_tokens"] = case["add_special_tokens"]
    if "pairs" in case:
        enc = tok(case["texts"], case["pairs"], **kwargs)
    else:
        enc = tok(case["texts"], **kwargs)
    out = dict(case)
    out["input_ids"] = enc["input_ids"]
    out["attention_mask"] = enc["attention_mask"]
    out["tokens"] = [enc.tokens(i) for i in range(len(case["texts"]))]
    return out


def make_goldens(tok, folder):
    normalize = tok.backend_tokenizer.normalizer.normalize_str
    singles = []
    for text in golden_texts():
        enc = tok(text)
        ids = enc["input_ids"]
        singles.append({
            "text": text,
            "normalized": normalize(text),
            "input_ids": ids,
            "tokens": enc.tokens(),
            "ids_without_special": tok(text, add_special_tokens=False)["input_ids"],
            "id_tokens": tok.convert_ids_to_tokens(ids),
            "decoded": tok.decode(ids),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    mask_id = tok.mask_token_id
    probe_tokens = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "▁", "▁the", "the", "not-a-piece", "", "▁東京",
                    "☃"]
    info = {
        "vocab_size": tok.vocab_size,
        "length": len(tok),
        "model_max_length": tok.model_max_length,
        "special_ids": {"bos": tok.bos_token_id, "pad": tok.pad_token_id, "eos": tok.eos_token_id,
                        "unk": tok.unk_token_id, "mask": mask_id, "cls": tok.cls_token_id, "sep": tok.sep_token_id},
        "all_special_ids": sorted(tok.all_special_ids),
    }
    return {
        "info": info,
        "singles": singles,
        "batches": [batch_golden(tok, c) for c in batch_cases()],
        "pairs": [batch_golden(tok, c) for c in pair_cases()],
        "decodes": [{"ids": ids, "text": tok.decode(ids), "text_skip_special": tok.decode(ids, skip_special_tokens=True)}
                    for ids in decode_cases(mask_id, tok.vocab_size)],
        "tokens_to_ids": {"tokens": probe_tokens, "ids": tok.convert_tokens_to_ids(probe_tokens)},
        "ids_to_tokens": {"ids": list(range(0, 40)) + [mask_id - 1, mask_id],
                          "tokens": tok.convert_ids_to_tokens(list(range(0, 40)) + [mask_id - 1, mask_id])},
        "normalizer_sweep": {"block": SWEEP_BLOCK, "separator": "\n", "skipped": "U+D800-U+DFFF, U+000D",
                             "plain": sweep_hashes(normalize, ""),
                             "combining_acute": sweep_hashes(normalize, "\u0301")},
    }


README = """# Tokenizer fixtures

Generated by `Scripts/make_tokenizer_fixtures.py` (pinned venv; see `manifest.json` for versions, seed and
SHA-256 of every file). Do not edit by hand; rerun the script.

## `xlmr-mini/` — a model folder laid out like BAAI/AltCLIP's
- `sentencepiece.bpe.model`: SentencePiece unigram model trained by the script on its own multilingual corpus
  (`Scripts/tokenizer_corpus.py`), `nmt_nfkc` normalization (the real precompiled charsmap), no byte fallback,
  ids unk=0, `<s>`=1, `</s>`=2 like XLM-R.
- `tokenizer.json`: the same model in the 2022 `XLMRobertaConverter` format (fairseq id layout, `<mask>` last,
  normalizer `Sequence[Precompiled, Replace(" {2,}")]`, Metaspace `add_prefix_space`), as on the Hub.
- `tokenizer_config.json`, `special_tokens_map.json`: AltCLIP's (`<mask>` with `lstrip`, `normalized`), with
  `model_max_length` 64 so over-long goldens stay small.

## `added-tokens/tokenizer_config.json`
A transformers-5-style config with `added_tokens_decoder` covering lstrip, rstrip, single_word, normalized and
non-special added tokens (some absent from the vocabulary), `additional_special_tokens` and
`clean_up_tokenization_spaces`; used with `xlmr-mini/tokenizer.json`. Its goldens are `added_tokens_config` in
`goldens.json` (`info`, `added_tokens`, `singles` with ids, tokens and both decodes).

## `goldens.json` — outputs of transformers' `XLMRobertaTokenizer.from_pretrained("xlmr-mini")`
- `info`: `vocab_size`, `length` (`len(tokenizer)`), `model_max_length`, `special_ids`, `all_special_ids`.
- `singles[]`: `text`, `normalized` (backend normalizer alone), `input_ids`, `tokens` (`encoding.tokens()`),
  `ids_without_special` (`add_special_tokens=False`), `id_tokens` (`convert_ids_to_tokens`), `decoded`,
  `decoded_skip_special`.
- `batches[]`, `pairs[]`: call arguments (`texts`, `pairs`, `padding` null|"longest"|"max_length",
  `truncation` null|true, `max_length`, optional `pad_to_multiple_of`, `add_special_tokens`) and the resulting `input_ids`, `attention_mask`, `tokens` per row.
- `decodes[]`: `ids`, `text`, `text_skip_special`.
- `tokens_to_ids`, `ids_to_tokens`: conversion probes (null = no token for that id).
- `normalizer_sweep`: for each block of 4096 scalar values, FNV-1a 64 (hex) of the normalized UTF-8 of
  `"".join(chr(cp) + suffix + "\\n")` over the block (surrogates and U+000D skipped), suffix "" (`plain`) and
  U+0301 (`combining_acute`).
"""


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    rng = random.Random(SEED)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(MODEL_DIR)
    with tempfile.TemporaryDirectory() as work:
        model_path = train_model(work, rng)
        shutil.copy(model_path, os.path.join(MODEL_DIR, "sentencepiece.bpe.model"))
        os.chdir(ROOT)
    pieces, charsmap = read_model_proto(os.path.join(MODEL_DIR, "sentencepiece.bpe.model"))
    write_tokenizer_json(os.path.join(MODEL_DIR, "tokenizer.json"), pieces, charsmap)
    write_configs(MODEL_DIR)

    tok = XLMRobertaTokenizer.from_pretrained(MODEL_DIR)
    goldens = make_goldens(tok, MODEL_DIR)
    goldens["added_tokens_config"] = added_tokens_goldens(tok.mask_token_id)
    with open(os.path.join(OUT, "goldens.json"), "w", encoding="utf-8") as f:
        json.dump(goldens, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write(README)

    files = sorted(os.path.relpath(os.path.join(d, n), OUT) for d, _, ns in os.walk(OUT) for n in ns)
    manifest = {
        "generator": "Scripts/make_tokenizer_fixtures.py",
        "versions": {"python": sys.version.split()[0], "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__, "sentencepiece": spm.__version__},
        "seed": SEED,
        "vocab_size_requested": VOCAB_SIZE,
        "model_max_length": MODEL_MAX_LENGTH,
        "tokenizer_class": type(tok).__name__,
        "files": {name: sha256(os.path.join(OUT, name)) for name in files},
    }
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {len(files)} files to {OUT}")


if __name__ == "__main__":
    main()
