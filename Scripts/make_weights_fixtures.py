#!/usr/bin/env python3
"""Writes the checkpoint-reader fixtures in Tests/Fixtures/weights/ (see README.md there).

Run with the pinned reference venv:  .venv/bin/python Scripts/make_weights_fixtures.py
(transformers 5.24.0, torch 2.15.0, safetensors 0.8.0; see Scripts/requirements.txt).

transformers 5.x writes only safetensors (`save_pretrained` has no `safe_serialization` switch any
more), so the `.bin` twins are written the way transformers 4.x did: `torch.save` of the state dict,
an `OrderedDict` with `_metadata` for a single file (as the published BAAI/AltCLIP file was made) and
plain dicts of contiguous tensors for shards plus a `pytorch_model.bin.index.json`.
"""
import collections
import hashlib
import io
import json
import os
import pickle
import shutil
import struct
import sys
import zipfile

import numpy as np
import safetensors
import safetensors.torch
import torch
import transformers
from huggingface_hub import split_torch_state_dict_into_shards
from transformers import AltCLIPConfig, AltCLIPModel

SEED = 20240611
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "weights")


def tiny_model():
    torch.manual_seed(SEED)
    text = dict(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=24,
                max_position_embeddings=20, type_vocab_size=1, project_dim=12, pad_token_id=1)
    vision = dict(hidden_size=16, intermediate_size=20, num_hidden_layers=1, num_attention_heads=2, image_size=8,
                  patch_size=4, projection_dim=12)
    model = AltCLIPModel(AltCLIPConfig(text_config=text, vision_config=vision, projection_dim=8)).eval()
    with torch.no_grad():
        for parameter in model.parameters():  # away from 0/1 so a wrong offset cannot read a plausible value
            parameter.add_(torch.randn_like(parameter) * 0.5 + 0.25)
    return model


def write_tiny_models():
    model = tiny_model()
    single = os.path.join(ROOT, "tiny")
    model.save_pretrained(single)
    reference = safetensors.torch.load_file(os.path.join(single, "model.safetensors"))

    # Single .bin: OrderedDict with the `_metadata` attribute nn.Module.state_dict() attaches.
    bin_dir = os.path.join(ROOT, "tiny-bin")
    os.makedirs(bin_dir, exist_ok=True)
    state = collections.OrderedDict((k, v.contiguous()) for k, v in reference.items())
    state._metadata = model.state_dict()._metadata
    torch.save(state, os.path.join(bin_dir, "pytorch_model.bin"))
    shutil.copy(os.path.join(single, "config.json"), bin_dir)

    # Sharded safetensors, by transformers itself.
    model.save_pretrained(os.path.join(ROOT, "tiny-sharded-safetensors"), max_shard_size="12KB")

    # Sharded .bin, as transformers 4.x `save_pretrained(safe_serialization=False, max_shard_size=...)`.
    sharded_bin = os.path.join(ROOT, "tiny-sharded-bin")
    os.makedirs(sharded_bin, exist_ok=True)
    split = split_torch_state_dict_into_shards(reference, filename_pattern="pytorch_model{suffix}.bin",
                                               max_shard_size="12KB")
    for filename, names in split.filename_to_tensors.items():
        torch.save({name: reference[name].contiguous() for name in names}, os.path.join(sharded_bin, filename))
    index = {"metadata": {"total_size": sum(t.numel() * t.element_size() for t in reference.values())},
             "weight_map": split.tensor_to_filename}
    with open(os.path.join(sharded_bin, "pytorch_model.bin.index.json"), "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    shutil.copy(os.path.join(single, "config.json"), sharded_bin)
    assert split.is_sharded and len(split.filename_to_tensors) >= 2

    # The .bin twins must load in torch exactly as the safetensors file does.
    for path in [os.path.join(bin_dir, "pytorch_model.bin")]:
        loaded = torch.load(path, weights_only=True)
        assert loaded.keys() == reference.keys()
        assert all(torch.equal(loaded[k], reference[k]) for k in reference)


def special_floats():
    values = [0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, float("inf"), float("-inf"), float("nan"),
              2.0 ** -24, 2.0 ** -14, 3.0e-39, 1.0e38, -1.0e-5, 0.1, 1.0 / 3.0]
    return torch.tensor(values, dtype=torch.float32)


def narrowing_sources():
    """F32 values that exercise every rounding path of F32 -> F16 / BF16."""
    generator = np.random.default_rng(SEED)
    edges = [1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1.0 + 2.0 ** -11 + 2.0 ** -23, 65519.0, 65520.0, 65535.0,
             2.0 ** -25, 2.0 ** -25 * 1.0001, 3 * 2.0 ** -26, 2.0 ** -15 + 2.0 ** -25, 2.0 ** -14 - 2.0 ** -25,
             1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 1.0 + 2.0 ** -8 + 2.0 ** -20, 3.3895314e38, 3.4028235e38,
             float("inf"), float("-inf"), float("nan"), -float("nan"), 0.0, -0.0, 1e-45, -1e-45]
    bits = generator.integers(0, 2 ** 32, size=1500, dtype=np.uint64).astype(np.uint32)
    random_any = bits.view(np.float32)
    random_normal = generator.normal(0.0, 1.0, size=500).astype(np.float32)
    random_small = (generator.normal(0.0, 1.0, size=300) * 2.0 ** -16).astype(np.float32)
    values = np.concatenate([np.array(edges, dtype=np.float32), -np.array(edges, dtype=np.float32),
                             random_any, random_normal, random_small])
    return torch.from_numpy(values.copy())


def dtype_tensors():
    """One tensor per dtype, plus the exact widening torch computes for each."""
    generator = torch.Generator().manual_seed(SEED)
    out = {}
    out["f32"] = torch.cat([special_floats(), torch.randn(8, generator=generator)]).reshape(4, 6)
    f16 = torch.cat([special_floats().half(), torch.randn(8, generator=generator).half(),
                     torch.tensor([6.0e-8, -6.0e-8, 1.0e-6], dtype=torch.float16)])
    out["f16"] = f16[:27].reshape(3, 9)
    out["f16_as_f32"] = out["f16"].float()
    bf16 = torch.cat([special_floats().bfloat16(), torch.randn(8, generator=generator).bfloat16(),
                      torch.tensor([1.0e-40, -9.0e-41], dtype=torch.bfloat16)])
    out["bf16"] = bf16[:26].reshape(2, 13)
    out["bf16_as_f32"] = out["bf16"].float()
    out["f64"] = torch.tensor([0.1, -1.0e300, 1.0e-300, 3.141592653589793, float("nan"), 1.0 + 2.0 ** -30],
                              dtype=torch.float64)
    out["f64_as_f32"] = out["f64"].float()
    ints = {
        "i64": torch.tensor([-2 ** 63, 2 ** 63 - 1, 0, -1, 123456789012], dtype=torch.int64),
        "i32": torch.tensor([-2 ** 31, 2 ** 31 - 1, 0, -7], dtype=torch.int32),
        "i16": torch.tensor([-2 ** 15, 2 ** 15 - 1, 0, -3], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0, -1], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True, True]),
        "u16": torch.tensor([0, 65535, 300], dtype=torch.uint16),
        "u32": torch.tensor([0, 2 ** 32 - 1, 70000], dtype=torch.uint32),
        "u64": torch.tensor([0, 2 ** 63 - 1, 5], dtype=torch.uint64),
    }
    for name, tensor in ints.items():
        out[name] = tensor
        out[name + "_as_i64"] = torch.tensor([int(v) for v in tensor.tolist()], dtype=torch.int64)
    out["u64_big"] = torch.tensor([1, 2 ** 63], dtype=torch.uint64)
    out["scalar"] = torch.tensor(-1.75)
    out["empty"] = torch.zeros(0, 3)
    source = narrowing_sources()
    out["narrow_source"] = source
    out["narrow_f16"] = source.half()
    out["narrow_bf16"] = source.bfloat16()
    return out


def view_tensors():
    """Tensors whose pickles exercise offsets, strides, shared storages, parameters and _rebuild_tensor_v3."""
    generator = torch.Generator().manual_seed(SEED + 1)
    base = torch.randn(3, 4, generator=generator)
    shared = torch.randn(10, generator=generator)
    half = torch.randn(4, 5, generator=generator).half()
    wide = torch.arange(24, dtype=torch.int64).reshape(2, 3, 4)
    u16 = torch.tensor([1, 2, 3, 65535, 9], dtype=torch.uint16)
    views = {
        "view_transposed": base.t(),
        "view_offset": base[1:],
        "view_strided": base[:, ::2],
        "view_expanded": torch.arange(3.0).expand(2, 3),
        "view_shared_a": shared[:4],
        "view_shared_b": shared[4:].view(2, 3),
        "view_f16_transposed": half.t(),
        "view_i64_permuted": wide.permute(2, 0, 1),
        "view_u16_offset": u16[1:],
        "view_scalar_offset": shared[7],
        "param": torch.nn.Parameter(torch.randn(2, 2, generator=generator)),
    }
    return views


def write_dtype_fixtures():
    tensors = dtype_tensors()
    safetensors.torch.save_file(tensors, os.path.join(ROOT, "dtypes.safetensors"),
                                metadata={"format": "pt"})  # one key: the crate writes several in hash order

    views = view_tensors()
    in_bin = {k: v for k, v in tensors.items() if not k.startswith("narrow_")}
    in_bin.update(views)
    torch.save(in_bin, os.path.join(ROOT, "dtypes.bin"))
    # Protocol 4 brings FRAME, MEMOIZE, SHORT_BINUNICODE and STACK_GLOBAL.
    torch.save({k: in_bin[k] for k in ("f16", "i64", "view_transposed", "view_u16_offset", "param")},
               os.path.join(ROOT, "protocol4.bin"), pickle_protocol=4)
    expected = {k: v.detach().contiguous().clone() for k, v in in_bin.items()}
    safetensors.torch.save_file(expected, os.path.join(ROOT, "dtypes_expected.safetensors"))
    loaded = torch.load(os.path.join(ROOT, "dtypes.bin"), weights_only=True)
    for key, value in expected.items():
        assert torch.equal(loaded[key].contiguous(), value) or key in ("f32", "f16", "bf16", "f64", "f16_as_f32",
                                                                      "bf16_as_f32", "f64_as_f32")  # NaN != NaN

    legacy = os.path.join(ROOT, "legacy.bin")
    torch.save({"weight": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)


def write_zip64_copy(source, target):
    """Rewrites a torch archive with every zip64 record forced (as torch does for files over 4 GB)."""
    with zipfile.ZipFile(source) as archive:
        records = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    out = bytearray()
    central = bytearray()
    for name, data in records:
        encoded = name.encode()
        offset = len(out)
        crc = zipfile.crc32(data)
        zip64_local = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        fixed = 30 + len(encoded) + len(zip64_local)
        padding = (-(offset + fixed + 4)) % 64  # torch pads to 64-byte data alignment with an extra field
        extra = zip64_local + struct.pack("<HH", 0x4246, padding) + b"Z" * padding
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                           len(encoded), len(extra))
        out += encoded + extra
        assert len(out) % 64 == 0
        out += data
        zip64_central = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF,
                               0xFFFFFFFF, len(encoded), len(zip64_central), 0, 0, 0, 0, 0xFFFFFFFF)
        central += encoded + zip64_central
    directory_offset = len(out)
    out += central
    end64_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(records), len(records), len(central),
                       directory_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, end64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(target, "wb") as f:
        f.write(out)
    with zipfile.ZipFile(target) as check:  # Python's own reader agrees
        assert [(i.filename, check.read(i.filename)) for i in check.infolist()] == records


def write_hostile():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    payload = pickle.dumps({"weight": Evil()}, protocol=2)
    path = os.path.join(ROOT, "os_system.bin")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
    try:
        torch.load(path, weights_only=True)
        raise AssertionError("torch accepted the os.system pickle")
    except pickle.UnpicklingError:
        pass


def write_manifest():
    files = {}
    for folder, _, names in os.walk(ROOT):
        for name in names:
            if name in ("manifest.json", "README.md"):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, ROOT)] = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "generator": "Scripts/make_weights_fixtures.py",
        "seed": SEED,
        "python": sys.version.split()[0],
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "safetensors": safetensors.__version__, "numpy": np.__version__},
        "sha256": dict(sorted(files.items())),
    }
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")


def main():
    readme = os.path.join(ROOT, "README.md")
    kept = open(readme).read() if os.path.exists(readme) else None
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    if kept is not None:
        with open(readme, "w") as f:
            f.write(kept)
    write_tiny_models()
    write_dtype_fixtures()
    write_zip64_copy(os.path.join(ROOT, "dtypes.bin"), os.path.join(ROOT, "zip64.bin"))
    loaded = torch.load(os.path.join(ROOT, "zip64.bin"), weights_only=True)
    assert torch.equal(loaded["view_transposed"], view_tensors()["view_transposed"])
    write_hostile()
    write_manifest()


if __name__ == "__main__":
    main()
