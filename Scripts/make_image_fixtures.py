#!/usr/bin/env python3
"""Generate the image-pipeline fixtures in Tests/Fixtures/image/ (run with the pinned venv:
.venv/bin/python Scripts/make_image_fixtures.py).

References come from the pinned Python stack: Pillow 13.0.0 decodes (`Image.open` + transformers'
`convert_to_rgb`, or `load_image` for the EXIF cases), Pillow resizes, and transformers 5.24's
PIL-backed `CLIPImageProcessorPil` (pinned explicitly, never the torchvision class) produces
pixel_values. Images are generated from a fixed seed; PNG, GIF and BMP files are written by hand so
every bit depth, colour type, palette, transparency and header variant is covered exactly.

Outputs (schema in README.md):
  sources/*            input files (good ones), sources/bad/* inputs that must fail
  configs/<name>/      preprocessor_config.json (or processor_config.json) per processor config
  decoded.safetensors  uint8 HWC RGB that Pillow hands the processor, one tensor per source file
  resize.safetensors   uint8 HWC results of PIL Image.resize for every filter and shape class
  pipeline.safetensors per (config, image): resized uint8 HWC, crop uint8 CHW, and pixel_values
  manifest.json        versions, seed, processor class, per-case metadata, SHA-256 of every file
"""
import hashlib
import io
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image, ImageOps
import safetensors
from safetensors.numpy import save_file
import transformers
from transformers.image_transforms import convert_to_rgb
from transformers.image_utils import load_image
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

SEED = 20240613
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "image")
RNG = np.random.default_rng(SEED)

assert PIL.__version__ == "13.0.0", PIL.__version__
assert transformers.__version__ == "5.24.0", transformers.__version__


# ----------------------------------------------------------------------------------------------
# Synthetic content


def smooth_rgb(w, h, noise=24):
    """Gradients, a few sinusoids and noise: enough structure for resampling to matter."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    fx, fy = x / max(w - 1, 1), y / max(h - 1, 1)
    r = 255 * fx
    g = 127 + 120 * np.sin(6.0 * fy + 3.0 * fx)
    b = 127 + 120 * np.cos(9.0 * fx * fy + 1.0)
    img = np.stack([r, g, b], -1) + RNG.normal(0, noise, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def noise(shape, lo=0, hi=256, dtype=np.uint8):
    return RNG.integers(lo, hi, shape).astype(dtype)


# ----------------------------------------------------------------------------------------------
# Hand-written containers


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def pack_rows(samples, bitdepth):
    """samples: (h, w*channels) integer array -> list of row byte strings (without filter byte)."""
    rows = []
    for row in samples:
        if bitdepth == 16:
            rows.append(row.astype(">u2").tobytes())
        elif bitdepth == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            per = 8 // bitdepth
            padded = np.concatenate([row, np.zeros((-len(row)) % per, dtype=row.dtype)]).astype(np.uint8)
            out = bytearray()
            for i in range(0, len(padded), per):
                v = 0
                for s in padded[i:i + per]:
                    v = (v << bitdepth) | int(s)
                out.append(v)
            rows.append(bytes(out))
    return rows


def write_png(path, samples, w, h, bitdepth, colortype, plte=None, trns=None, interlace=False,
              before_idat=(), after_idat=(), corrupt_idat_crc=False, corrupt_ihdr_crc=False):
    """samples: (h, w, c) array of raw sample values."""
    channels = samples.shape[2]
    flat = samples.reshape(h, w * channels)
    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b""
        for x0, y0, dx, dy in passes:
            sub = samples[y0::dy, x0::dx]
            if sub.size == 0:
                continue
            raw += b"".join(b"\x00" + r for r in pack_rows(sub.reshape(sub.shape[0], -1), bitdepth))
    else:
        raw = b"".join(b"\x00" + r for r in pack_rows(flat, bitdepth))
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bitdepth, colortype, 0, 0, 1 if interlace else 0))
    if corrupt_ihdr_crc:
        ihdr = ihdr[:-1] + bytes([ihdr[-1] ^ 0x55])
    body = ihdr
    if plte is not None:
        body += png_chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).tobytes()))
    if trns is not None:
        body += png_chunk(b"tRNS", trns)
    for tag, data in before_idat:
        body += png_chunk(tag, data)
    idat = png_chunk(b"IDAT", zlib.compress(raw, 9))
    if corrupt_idat_crc:
        idat = idat[:-4] + bytes(b ^ 0xFF for b in idat[-4:])
    body += idat
    for tag, data in after_idat:
        body += png_chunk(tag, data)
    data = b"\x89PNG\r\n\x1a\n" + body + png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
    return data


def lzw_uncompressed(indices, min_code_size):
    """A valid GIF LZW stream that never grows the code width: a clear code every 2^n - 2 literals."""
    clear, eoi = 1 << min_code_size, (1 << min_code_size) + 1
    width = min_code_size + 1
    codes = [clear]
    run = 0
    for v in indices:
        if run == (1 << min_code_size) - 2:
            codes.append(clear)
            run = 0
        codes.append(int(v))
        run += 1
    codes.append(eoi)
    bits, nbits, out = 0, 0, bytearray()
    for c in codes:
        bits |= c << nbits
        nbits += width
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    blocks = bytearray([min_code_size])
    for i in range(0, len(out), 255):
        chunk = out[i:i + 255]
        blocks.append(len(chunk))
        blocks += chunk
    blocks.append(0)
    return bytes(blocks)


def gif_frame(indices, left, top, transparency=None, local_palette=None, interlace=False, bits=8):
    h, w = indices.shape
    out = b""
    if transparency is not None:
        out += b"!\xf9\x04" + bytes([0x01]) + b"\x00\x00" + bytes([transparency]) + b"\x00"
    flags = 0
    if interlace:
        flags |= 0x40
    if local_palette is not None:
        flags |= 0x80 | (bits - 1)
    out += b"," + struct.pack("<HHHH", left, top, w, h) + bytes([flags])
    if local_palette is not None:
        out += bytes(np.asarray(local_palette, dtype=np.uint8).tobytes())
    rows = indices
    if interlace:
        order = [r for start, step in ((0, 8), (4, 8), (2, 4), (1, 2)) for r in range(start, h, step)]
        rows = indices[order]
    out += lzw_uncompressed(rows.flatten(), max(2, bits))
    return out


def write_gif(path, screen_w, screen_h, frames, global_palette=None, bits=8, background=0):
    flags = 0
    if global_palette is not None:
        flags = 0x80 | ((bits - 1) << 4) | (bits - 1)
    data = b"GIF89a" + struct.pack("<HH", screen_w, screen_h) + bytes([flags, background, 0])
    if global_palette is not None:
        data += bytes(np.asarray(global_palette, dtype=np.uint8).tobytes())
    for fr in frames:
        data += fr
    data += b";"
    with open(path, "wb") as f:
        f.write(data)
    return data


def write_bmp(path, w, h, bits, rows, header_size=40, palette=None, compression=0, masks=None,
              top_down=False, colors_used=0, pixel_data=None):
    """rows: list of raw row bytes top-to-bottom (unpadded) unless pixel_data is given."""
    if pixel_data is None:
        stride = ((w * bits + 31) >> 3) & ~3
        ordered = rows if top_down else rows[::-1]
        pixel_data = b"".join(r + b"\x00" * (stride - len(r)) for r in ordered)
    pal = b""
    if palette is not None:
        pad = 3 if header_size == 12 else 4
        pal = b"".join(bytes([b, g, r]) + (b"\x00" if pad == 4 else b"") for r, g, b in palette)
    if header_size == 12:
        header = struct.pack("<IHHHH", 12, w, h, 1, bits)
    else:
        header = struct.pack("<IiiHHIIiiII", header_size, w, -h if top_down else h, 1, bits, compression,
                             len(pixel_data), 2835, 2835, colors_used, 0)
        extra = b""
        if masks is not None and header_size >= 52:
            extra = struct.pack("<IIII", *masks)[: (header_size - 40)]
        header += extra + b"\x00" * (header_size - len(header) - len(extra))
    trailing_masks = b""
    if masks is not None and header_size == 40:
        trailing_masks = struct.pack("<III", *masks[:3])
    offset = 14 + len(header) + len(trailing_masks) + len(pal)
    data = b"BM" + struct.pack("<IHHI", offset + len(pixel_data), 0, 0, offset) + header + trailing_masks + pal + pixel_data
    with open(path, "wb") as f:
        f.write(data)
    return data


def exif_bytes(orientation, prefix=True):
    """EXIF block with only the orientation tag; PNG's eXIf chunk holds it without `Exif\\0\\0`."""
    e = Image.Exif()
    e[0x0112] = orientation
    data = e.tobytes()
    assert data.startswith(b"Exif\x00\x00")
    return data if prefix else data[6:]


# ----------------------------------------------------------------------------------------------
# Sources


def make_sources(src):
    """Writes every good input; returns {file name: {format, mode, exact, ...}}."""
    cases = {}

    def add(name, fmt, mode, exact=True, **extra):
        cases[name] = dict(format=fmt, mode=mode, exact=exact, **extra)

    W, H = 23, 17
    rgb = smooth_rgb(W, H)

    # JPEG (Pillow's encoder)
    base = Image.fromarray(rgb)
    base.save(os.path.join(src, "jpeg_baseline.jpg"), quality=90)
    add("jpeg_baseline.jpg", "JPEG", "RGB", exact=False)
    base.save(os.path.join(src, "jpeg_444.jpg"), quality=95, subsampling=0)
    add("jpeg_444.jpg", "JPEG", "RGB", exact=False)
    base.save(os.path.join(src, "jpeg_progressive.jpg"), quality=85, progressive=True)
    add("jpeg_progressive.jpg", "JPEG", "RGB", exact=False)
    base.convert("L").save(os.path.join(src, "jpeg_gray.jpg"), quality=90)
    add("jpeg_gray.jpg", "JPEG", "L", exact=False)
    cmyk = np.concatenate([noise((H, W, 3)), noise((H, W, 1), 0, 120)], -1)
    Image.fromarray(cmyk, "CMYK").save(os.path.join(src, "jpeg_cmyk.jpg"), quality=95)
    add("jpeg_cmyk.jpg", "JPEG", "CMYK", exact=False)
    Image.fromarray(smooth_rgb(64, 48)).save(os.path.join(src, "jpeg_photo.jpg"), quality=88)
    add("jpeg_photo.jpg", "JPEG", "RGB", exact=False)

    # PNG (hand-written: every colour type and bit depth)
    write_png(os.path.join(src, "png_rgb8.png"), rgb, W, H, 8, 2)
    add("png_rgb8.png", "PNG", "RGB")
    write_png(os.path.join(src, "png_rgb8_interlaced.png"), rgb, W, H, 8, 2, interlace=True)
    add("png_rgb8_interlaced.png", "PNG", "RGB")
    rgba = np.concatenate([rgb, noise((H, W, 1))], -1)
    rgba[0, :, 3] = 0
    rgba[1, :, 3] = 255
    write_png(os.path.join(src, "png_rgba8.png"), rgba, W, H, 8, 6)
    add("png_rgba8.png", "PNG", "RGBA")
    rgb16 = noise((H, W, 3), 0, 65536, np.uint32)
    write_png(os.path.join(src, "png_rgb16.png"), rgb16, W, H, 16, 2)
    add("png_rgb16.png", "PNG", "RGB;16B")
    rgba16 = noise((H, W, 4), 0, 65536, np.uint32)
    write_png(os.path.join(src, "png_rgba16.png"), rgba16, W, H, 16, 6)
    add("png_rgba16.png", "PNG", "RGBA;16B")
    gray = noise((H, W, 1))
    write_png(os.path.join(src, "png_gray8.png"), gray, W, H, 8, 0)
    add("png_gray8.png", "PNG", "L")
    gray16 = np.concatenate([noise((H, W // 2, 1), 0, 300, np.uint32), noise((H, W - W // 2, 1), 0, 65536, np.uint32)], 1)
    write_png(os.path.join(src, "png_gray16.png"), gray16, W, H, 16, 0)
    add("png_gray16.png", "PNG", "I;16")
    for bd in (1, 2, 4):
        g = noise((H, W, 1), 0, 1 << bd)
        write_png(os.path.join(src, f"png_gray{bd}.png"), g, W, H, bd, 0)
        add(f"png_gray{bd}.png", "PNG", "1" if bd == 1 else f"L;{bd}")
    gtr = noise((H, W, 1), 0, 4)
    write_png(os.path.join(src, "png_gray2_trns.png"), gtr, W, H, 2, 0, trns=struct.pack(">H", 0))
    add("png_gray2_trns.png", "PNG", "L;2+tRNS")
    g8 = noise((H, W, 1), 0, 8) * 30
    write_png(os.path.join(src, "png_gray8_trns.png"), g8, W, H, 8, 0, trns=struct.pack(">H", 60))
    add("png_gray8_trns.png", "PNG", "L+tRNS")
    g16 = noise((H, W, 1), 0, 4, np.uint32) * 100
    write_png(os.path.join(src, "png_gray16_trns.png"), g16, W, H, 16, 0, trns=struct.pack(">H", 200))
    add("png_gray16_trns.png", "PNG", "I;16+tRNS")
    rgbk = (noise((H, W, 3), 0, 3) * 100).astype(np.uint8)
    write_png(os.path.join(src, "png_rgb8_trns.png"), rgbk, W, H, 8, 2, trns=struct.pack(">HHH", 100, 0, 200))
    add("png_rgb8_trns.png", "PNG", "RGB+tRNS")
    la = np.concatenate([noise((H, W, 1)), noise((H, W, 1))], -1)
    write_png(os.path.join(src, "png_la8.png"), la, W, H, 8, 4)
    add("png_la8.png", "PNG", "LA")
    la16 = noise((H, W, 2), 0, 65536, np.uint32)
    write_png(os.path.join(src, "png_la16.png"), la16, W, H, 16, 4)
    add("png_la16.png", "PNG", "LA;16B")
    plte = noise((40, 3))
    idx = noise((H, W, 1), 0, 40)
    idx[0, 0, 0] = 45  # past the PLTE: black in Pillow
    write_png(os.path.join(src, "png_p8.png"), idx, W, H, 8, 3, plte=plte)
    add("png_p8.png", "PNG", "P")
    write_png(os.path.join(src, "png_p8_trns1.png"), idx, W, H, 8, 3, plte=plte, trns=b"\xff" * 7 + b"\x00")
    add("png_p8_trns1.png", "PNG", "P+tRNS(index)")
    write_png(os.path.join(src, "png_p8_trnsn.png"), idx, W, H, 8, 3, plte=plte, trns=bytes(noise(20).tolist()))
    add("png_p8_trnsn.png", "PNG", "P+tRNS(bytes)")
    idx4 = noise((H, W, 1), 0, 16)
    write_png(os.path.join(src, "png_p4.png"), idx4, W, H, 4, 3, plte=noise((16, 3)))
    add("png_p4.png", "PNG", "P;4")
    write_png(os.path.join(src, "png_idat_badcrc.png"), rgb, W, H, 8, 2, corrupt_idat_crc=True)
    add("png_idat_badcrc.png", "PNG", "RGB (IDAT CRC wrong; Pillow decodes it)")

    # WebP (Pillow's encoder)
    base.save(os.path.join(src, "webp_lossy.webp"), quality=80)
    add("webp_lossy.webp", "WebP", "RGB", exact=False)
    base.save(os.path.join(src, "webp_lossless.webp"), lossless=True)
    add("webp_lossless.webp", "WebP", "RGB")
    Image.fromarray(rgba, "RGBA").save(os.path.join(src, "webp_alpha_lossy.webp"), quality=80)
    add("webp_alpha_lossy.webp", "WebP", "RGBA", exact=False)
    Image.fromarray(rgba, "RGBA").save(os.path.join(src, "webp_alpha_lossless.webp"), lossless=True)
    add("webp_alpha_lossless.webp", "WebP", "RGBA")
    frames = [Image.fromarray(smooth_rgb(W, H)) for _ in range(2)]
    frames[0].save(os.path.join(src, "webp_animated.webp"), save_all=True, append_images=frames[1:], lossless=True, duration=100)
    add("webp_animated.webp", "WebP", "RGB (animated, first frame)")

    # GIF (hand-written)
    gpal = noise((256, 3))
    gidx = noise((H, W), 0, 256)
    write_gif(os.path.join(src, "gif_p.gif"), W, H, [gif_frame(gidx, 0, 0)], global_palette=gpal)
    add("gif_p.gif", "GIF", "P")
    write_gif(os.path.join(src, "gif_p_trns.gif"), W, H, [gif_frame(gidx, 0, 0, transparency=int(gidx[2, 3]))], global_palette=gpal)
    add("gif_p_trns.gif", "GIF", "P+transparency")
    ident = np.repeat(np.arange(256)[:, None], 3, 1)
    write_gif(os.path.join(src, "gif_gray_identity.gif"), W, H, [gif_frame(gidx, 0, 0, transparency=7)], global_palette=ident)
    add("gif_gray_identity.gif", "GIF", "L (identity palette) + transparency")
    small = noise((9, 11), 0, 16)
    lpal = noise((16, 3))
    write_gif(os.path.join(src, "gif_offset_local.gif"), W, H,
              [gif_frame(small, 5, 4, local_palette=lpal, bits=4)], global_palette=gpal)
    add("gif_offset_local.gif", "GIF", "P (frame smaller than screen, local palette)")
    write_gif(os.path.join(src, "gif_offset_trns.gif"), W, H,
              [gif_frame(small, 15, 10, transparency=3, local_palette=lpal, bits=4)], global_palette=gpal)
    add("gif_offset_trns.gif", "GIF", "P (frame past the screen edge, transparency)")
    write_gif(os.path.join(src, "gif_interlaced.gif"), W, H, [gif_frame(gidx, 0, 0, interlace=True)], global_palette=gpal)
    add("gif_interlaced.gif", "GIF", "P interlaced")
    write_gif(os.path.join(src, "gif_animated.gif"), W, H,
              [gif_frame(gidx, 0, 0), gif_frame(noise((H, W), 0, 256), 0, 0)], global_palette=gpal)
    add("gif_animated.gif", "GIF", "P (animated, first frame)")

    # BMP (hand-written)
    bgr = rgb[:, :, ::-1]
    write_bmp(os.path.join(src, "bmp_24.bmp"), W, H, 24, [r.tobytes() for r in bgr])
    add("bmp_24.bmp", "BMP", "RGB")
    write_bmp(os.path.join(src, "bmp_24_topdown.bmp"), W, H, 24, [r.tobytes() for r in bgr], top_down=True)
    add("bmp_24_topdown.bmp", "BMP", "RGB top-down")
    write_bmp(os.path.join(src, "bmp_24_core.bmp"), W, H, 24, [r.tobytes() for r in bgr], header_size=12)
    add("bmp_24_core.bmp", "BMP", "RGB (OS/2 core header)")
    bgrx = np.concatenate([bgr, noise((H, W, 1))], -1)
    write_bmp(os.path.join(src, "bmp_32.bmp"), W, H, 32, [r.tobytes() for r in bgrx])
    add("bmp_32.bmp", "BMP", "RGB (BGRX)")
    bgra = np.concatenate([bgr, noise((H, W, 1))], -1)
    write_bmp(os.path.join(src, "bmp_32_bitfields_alpha.bmp"), W, H, 32, [r.tobytes() for r in bgra], header_size=124,
              compression=3, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000))
    add("bmp_32_bitfields_alpha.bmp", "BMP", "RGBA (V5 BITFIELDS)")
    p16 = noise((H, W), 0, 65536, np.uint32).astype("<u2")
    write_bmp(os.path.join(src, "bmp_16_555.bmp"), W, H, 16, [r.tobytes() for r in p16])
    add("bmp_16_555.bmp", "BMP", "RGB (BGR;15)")
    write_bmp(os.path.join(src, "bmp_16_565.bmp"), W, H, 16, [r.tobytes() for r in p16], compression=3,
              masks=(0xF800, 0x7E0, 0x1F, 0))
    add("bmp_16_565.bmp", "BMP", "RGB (BGR;16 bitfields)")
    bpal = [tuple(int(v) for v in c) for c in noise((256, 3))]
    i8 = noise((H, W), 0, 256)
    write_bmp(os.path.join(src, "bmp_8.bmp"), W, H, 8, [r.tobytes() for r in i8], palette=bpal)
    add("bmp_8.bmp", "BMP", "P")
    write_bmp(os.path.join(src, "bmp_8_gray.bmp"), W, H, 8, [r.tobytes() for r in i8],
              palette=[(i, i, i) for i in range(256)])
    add("bmp_8_gray.bmp", "BMP", "L (identity palette)")
    i4 = noise((H, W), 0, 16)
    rows4 = [bytes((int(r[i]) << 4) | (int(r[i + 1]) if i + 1 < W else 0) for i in range(0, W, 2)) for r in i4]
    write_bmp(os.path.join(src, "bmp_4.bmp"), W, H, 4, rows4, palette=bpal[:16])
    add("bmp_4.bmp", "BMP", "P;4")
    i1 = noise((H, W), 0, 2)
    rows1 = [np.packbits(r.astype(np.uint8)).tobytes() for r in i1]
    write_bmp(os.path.join(src, "bmp_1.bmp"), W, H, 1, rows1, palette=[(0, 0, 0), (255, 255, 255)])
    add("bmp_1.bmp", "BMP", "1 (black/white palette)")
    write_bmp(os.path.join(src, "bmp_1_color.bmp"), W, H, 1, rows1, palette=[(200, 30, 40), (10, 220, 90)])
    add("bmp_1_color.bmp", "BMP", "P;1")
    # RLE8: runs, an absolute run, end-of-line, delta, end-of-bitmap
    rle8 = bytearray()
    for y in range(H):
        if y == 5:
            rle8 += bytes([0, 2, 4, 1])  # delta: 4 right, 1 down (skips a row)
            rle8 += bytes([W - 4, 77, 0, 0])
            continue
        if y == 6:
            continue
        rle8 += bytes([7, (y * 13) % 256])
        rle8 += bytes([0, 5]) + bytes([9, 8, 7, 6, 5]) + b"\x00"  # absolute run of 5, padded
        rle8 += bytes([W - 12, (y * 29) % 256, 0, 0])
    rle8 += bytes([0, 1])
    write_bmp(os.path.join(src, "bmp_rle8.bmp"), W, H, 8, None, palette=bpal, compression=1, pixel_data=bytes(rle8))
    add("bmp_rle8.bmp", "BMP", "P (RLE8)")
    rle4 = bytearray()
    for y in range(H):
        rle4 += bytes([9, 0x3A])
        rle4 += bytes([0, 5, 0x12, 0x34, 0x50, 0])  # absolute 5 nibbles (3 bytes) + pad
        rle4 += bytes([W - 14, (y % 16) << 4 | 7, 0, 0])
    rle4 += bytes([0, 1])
    write_bmp(os.path.join(src, "bmp_rle4.bmp"), W, H, 4, None, palette=bpal[:16], compression=2, pixel_data=bytes(rle4))
    add("bmp_rle4.bmp", "BMP", "P;4 (RLE4)")
    return cases


def make_exif_sources(src):
    """Orientation cases; references are `load_image` (exif_transpose + convert("RGB"))."""
    cases = {}
    W, H = 13, 7
    rgb = smooth_rgb(W, H, noise=60)
    for o in range(1, 9):
        name = f"exif_png_o{o}.png"
        write_png(os.path.join(src, name), rgb, W, H, 8, 2, before_idat=[(b"eXIf", exif_bytes(o, prefix=False))])
        cases[name] = dict(format="PNG", orientation=o)
    name = "exif_png_after_idat_o6.png"
    write_png(os.path.join(src, name), rgb, W, H, 8, 2, after_idat=[(b"eXIf", exif_bytes(6, prefix=False))])
    cases[name] = dict(format="PNG", orientation=6)
    name = "xmp_png_o8.png"
    xmp = b'<x:xmpmeta><rdf:Description tiff:Orientation="8"/></x:xmpmeta>'
    itxt = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp
    write_png(os.path.join(src, name), rgb, W, H, 8, 2, before_idat=[(b"iTXt", itxt)])
    cases[name] = dict(format="PNG", orientation=8)
    name = "exif_jpeg_o6.jpg"
    Image.fromarray(rgb).save(os.path.join(src, name), quality=95, exif=exif_bytes(6))
    cases[name] = dict(format="JPEG", orientation=6)
    name = "exif_webp_o3.webp"
    Image.fromarray(rgb).save(os.path.join(src, name), lossless=True, exif=exif_bytes(3))
    cases[name] = dict(format="WebP", orientation=3)
    name = "exif_rgba_o5.png"
    rgba = np.concatenate([rgb, noise((H, W, 1))], -1)
    write_png(os.path.join(src, name), rgba, W, H, 8, 6, before_idat=[(b"eXIf", exif_bytes(5, prefix=False))])
    cases[name] = dict(format="PNG", orientation=5, alpha="discarded by load_image")
    return cases


def make_bad_sources(bad):
    """Inputs that must fail; records what Pillow does with each."""
    cases = {}

    def add(name, data, expected):
        with open(os.path.join(bad, name), "wb") as f:
            f.write(data)
        try:
            Image.open(os.path.join(bad, name)).load()
            pillow = "decodes"
        except Exception as e:  # noqa: BLE001 - we only record the outcome
            pillow = f"{type(e).__name__}: {e}".replace(os.path.join(bad, ""), "")
        cases[name] = dict(expected=expected, pillow=pillow)

    rgb = smooth_rgb(40, 30)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    png = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "WEBP", quality=80)
    webp = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "TIFF")
    tiff = buf.getvalue()
    gif = write_gif(os.path.join(bad, "_tmp.gif"), 40, 30, [gif_frame(noise((30, 40), 0, 256), 0, 0)], global_palette=noise((256, 3)))
    os.remove(os.path.join(bad, "_tmp.gif"))
    bmp = write_bmp(os.path.join(bad, "_tmp.bmp"), 40, 30, 24, [r.tobytes() for r in rgb])
    os.remove(os.path.join(bad, "_tmp.bmp"))

    add("empty.png", b"", "emptyFile")
    add("text.jpg", b"This is not a JPEG file, just some text.\n", "unrecognizedFormat")
    ihdr_bad = png[:29] + bytes([png[29] ^ 0xFF]) + png[30:]  # flip a byte of the IHDR CRC
    add("broken_header.png", ihdr_bad, "corruptData")
    add("truncated.jpg", jpeg[: len(jpeg) // 2], "truncated")
    add("truncated.png", png[: len(png) // 2], "truncated")
    add("truncated.gif", gif[: len(gif) // 2], "truncated")
    add("truncated.webp", webp[: len(webp) // 2], "truncated")
    add("truncated.bmp", bmp[: len(bmp) // 2], "truncated")
    add("unsupported.tif", tiff, "unsupportedFormat")
    bomb = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)) \
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 301)) + png_chunk(b"IEND", b"")
    add("bomb.png", bomb, "tooManyPixels")
    bomb_gif = b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\x00\x00\x00" + gif_frame(np.zeros((2, 2), np.uint8), 0, 0, bits=2) + b";"
    add("bomb.gif", bomb_gif, "tooManyPixels")
    zero = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 5, 8, 2, 0, 0, 0)) + png_chunk(b"IEND", b"")
    add("zero_width.png", zero, "corruptData")
    return cases


# ----------------------------------------------------------------------------------------------
# References


def pillow_rgb(path):
    """What CLIPImageProcessorPil converts a PIL.Image.open(path) into (transformers' convert_to_rgb)."""
    with Image.open(path) as im:
        im.load()
        return np.asarray(convert_to_rgb(im, return_numpy=True), dtype=np.uint8)


FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5, "mks2013": 6, "mks2021": 7}

CONFIGS = {
    # the real AltCLIP / CLIP settings
    "clip": {"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224}, "resample": 3,
             "do_resize": True, "do_center_crop": True, "do_rescale": True, "rescale_factor": 0.00392156862745098,
             "do_normalize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
             "image_std": [0.26862954, 0.26130258, 0.27577711], "do_convert_rgb": True,
             "image_processor_type": "CLIPImageProcessor", "processor_class": "AltCLIPProcessor"},
    "clip_small": {"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}, "resample": 3,
                   "image_processor_type": "CLIPImageProcessor"},
    "bilinear_hw": {"size": {"height": 20, "width": 28}, "resample": 2, "do_center_crop": False},
    "crop_bigger": {"size": {"shortest_edge": 16}, "crop_size": {"height": 25, "width": 21}, "resample": 3},
    "noresize_mean": {"do_resize": False, "crop_size": {"height": 18, "width": 18},
                      "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]},
    "lanczos_legacy": {"size": 24, "crop_size": 20, "resample": 1, "image_mean": 0.45, "image_std": 0.22},
    "box_hw": {"size": {"height": 13, "width": 40}, "resample": 4, "do_center_crop": False},
    "hamming_se": {"size": {"shortest_edge": 20}, "crop_size": {"height": 20, "width": 20}, "resample": 5},
    "nearest_hw": {"size": {"height": 17, "width": 23}, "resample": 0, "do_center_crop": False},
    "mks2013_hw": {"size": {"height": 19, "width": 15}, "resample": 6, "do_center_crop": False},
    "mks2021_hw": {"size": {"height": 15, "width": 19}, "resample": 7, "do_center_crop": False},
    "longest_edge": {"size": {"shortest_edge": 20, "longest_edge": 30}, "resample": 3, "do_center_crop": False},
    "max_hw": {"size": {"max_height": 20, "max_width": 25}, "resample": 2, "do_center_crop": False},
    "norescale": {"size": {"shortest_edge": 16}, "crop_size": 16, "do_rescale": False,
                  "image_mean": [127.5, 120.0, 110.25], "image_std": [64.0, 60.5, 70.0]},
    "nonorm": {"size": {"shortest_edge": 16}, "crop_size": 16, "do_normalize": False, "rescale_factor": 0.5},
    "pad": {"size": {"height": 10, "width": 12}, "do_center_crop": False, "do_pad": True,
            "pad_size": {"height": 14, "width": 16}},
    # processor_config.json's image_processor entry must win over preprocessor_config.json
    "nested": {"size": {"shortest_edge": 16}, "crop_size": {"height": 16, "width": 16}, "resample": 2},
}
# configs whose pixel_values are stored as float32 directly (the rest: crop uint8 + level table)
DIRECT = {"clip_small", "pad"}

PIPELINE_IMAGES = {
    "p1x1": (1, 1), "p7x300": (7, 300), "p300x7": (300, 7), "sq64": (64, 64),
    "land97x61": (97, 61), "port61x97": (61, 97), "wide1030x24": (1030, 24), "photo160x120": (160, 120),
}
CLIP_IMAGES = ["photo160x120"]


def write_configs(cfg_root):
    for name, cfg in CONFIGS.items():
        d = os.path.join(cfg_root, name)
        os.makedirs(d, exist_ok=True)
        if name == "nested":
            with open(os.path.join(d, "processor_config.json"), "w") as f:
                json.dump({"image_processor": cfg, "processor_class": "AltCLIPProcessor"}, f, indent=2, sort_keys=True)
            decoy = dict(cfg, size={"shortest_edge": 99}, resample=0)
            with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
                json.dump(decoy, f, indent=2, sort_keys=True)
        else:
            with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
                json.dump(cfg, f, indent=2, sort_keys=True)


def level_table(proc):
    """Every 8-bit level through transformers' own rescale/normalize: shape (3, 256) float32."""
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    img = Image.fromarray(np.stack([levels, levels, levels], -1))
    pv = proc(img, do_resize=False, do_center_crop=False, do_pad=False, return_tensors="np")["pixel_values"][0]
    return pv.reshape(3, 256).astype(np.float32)


def run_pipeline(cfg_root, src, tensors, meta):
    images = {}
    for name, (w, h) in PIPELINE_IMAGES.items():
        path = os.path.join(src, f"{name}.png")
        Image.fromarray(smooth_rgb(w, h, noise=6)).save(path)
        images[name] = Image.open(path).convert("RGB")
    for cfg_name in CONFIGS:
        proc = CLIPImageProcessorPil.from_pretrained(os.path.join(cfg_root, cfg_name))
        assert type(proc).__name__ == "CLIPImageProcessorPil"
        table = level_table(proc)
        if cfg_name not in DIRECT:
            tensors[f"{cfg_name}/table"] = table
        names = CLIP_IMAGES if cfg_name == "clip" else list(PIPELINE_IMAGES)
        for name in names:
            img = images[name]
            key = f"{cfg_name}/{name}"
            try:
                pv = proc(img, return_tensors="np")["pixel_values"]
            except ValueError as e:  # e.g. a computed size of 0: transformers refuses, so must we
                meta[key] = dict(error=str(e))
                continue
            assert pv.dtype == np.float32 and pv.ndim == 4
            entry = dict(shape=list(pv.shape))
            if proc.do_resize:
                resized = proc(img, do_center_crop=False, do_rescale=False, do_normalize=False, do_pad=False,
                               return_tensors="np")["pixel_values"][0]
                entry["resized_hw"] = [int(resized.shape[1]), int(resized.shape[2])]
                if resized.size <= 12000:
                    tensors[f"{key}/resized"] = np.ascontiguousarray(resized.transpose(1, 2, 0)).astype(np.uint8)
            if cfg_name in DIRECT:
                tensors[f"{key}/pixel_values"] = pv
            else:
                crop = proc(img, do_rescale=False, do_normalize=False, do_pad=False, return_tensors="np")["pixel_values"][0]
                crop = crop.astype(np.uint8)
                rebuilt = np.stack([table[c][crop[c]] for c in range(3)])[None]
                assert rebuilt.tobytes() == pv.tobytes(), f"level-table factorization differs for {key}"
                tensors[f"{key}/crop"] = crop
            meta[key] = entry
        if cfg_name == "clip_small":
            batch = [images[n] for n in ("sq64", "land97x61", "photo160x120")]
            pv = proc(batch, return_tensors="np")["pixel_values"]
            singles = np.concatenate([proc(im, return_tensors="np")["pixel_values"] for im in batch])
            assert pv.tobytes() == singles.tobytes()
            meta["clip_small/batch"] = dict(images=["sq64", "land97x61", "photo160x120"], shape=list(pv.shape))


RESIZE_SOURCE = (37, 29)
RESIZE_TARGETS = [(16, 16), (50, 40), (20, 45), (37, 10), (11, 29), (30, 6), (33, 20), (1, 1)]


def run_resize(src, tensors, meta):
    w, h = RESIZE_SOURCE
    base = smooth_rgb(w, h, noise=40)
    Image.fromarray(base).save(os.path.join(src, "resize_source.png"))
    tall = smooth_rgb(7, 300, noise=40)
    Image.fromarray(tall).save(os.path.join(src, "resize_tall.png"))
    for fname, code in FILTERS.items():
        for tw, th in RESIZE_TARGETS:
            out = np.asarray(Image.fromarray(base).resize((tw, th), resample=code))
            tensors[f"resize_source/{fname}/{tw}x{th}"] = out
            dh, dw = h - th, w - tw
            meta[f"resize_source/{fname}/{tw}x{th}"] = dict(vertical_first=bool(dh > 0 and dh > dw * 2))
        out = np.asarray(Image.fromarray(tall).resize((5, 100), resample=code))
        tensors[f"resize_tall/{fname}/5x100"] = out
        meta[f"resize_tall/{fname}/5x100"] = dict(vertical_first=True)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    if os.path.isdir(ROOT):
        for entry in ("sources", "configs"):
            shutil.rmtree(os.path.join(ROOT, entry), ignore_errors=True)
    src = os.path.join(ROOT, "sources")
    bad = os.path.join(src, "bad")
    cfg_root = os.path.join(ROOT, "configs")
    for d in (src, bad, cfg_root):
        os.makedirs(d, exist_ok=True)

    cases = make_sources(src)
    exif_cases = make_exif_sources(src)
    bad_cases = make_bad_sources(bad)

    decoded = {}
    for name in sorted(cases):
        decoded[name] = pillow_rgb(os.path.join(src, name))
    for name in sorted(exif_cases):
        decoded[f"load_image/{name}"] = np.asarray(load_image(os.path.join(src, name)), dtype=np.uint8)
        decoded[f"open/{name}"] = pillow_rgb(os.path.join(src, name))
    for name in ("png_rgba8.png", "png_p8_trnsn.png", "gif_p_trns.gif", "webp_alpha_lossless.webp"):
        with Image.open(os.path.join(src, name)) as im:
            decoded[f"discard/{name}"] = np.asarray(im.convert("RGB"), dtype=np.uint8)

    resize_tensors, resize_meta = {}, {}
    run_resize(src, resize_tensors, resize_meta)
    write_configs(cfg_root)
    pipe_tensors, pipe_meta = {}, {}
    run_pipeline(cfg_root, src, pipe_tensors, pipe_meta)

    # One metadata key only: safetensors writes the metadata map in hash order, which varies per run.
    metadata = {"generator": f"Scripts/make_image_fixtures.py seed={SEED}"}
    save_file({k: np.ascontiguousarray(v) for k, v in decoded.items()}, os.path.join(ROOT, "decoded.safetensors"), metadata)
    save_file({k: np.ascontiguousarray(v) for k, v in resize_tensors.items()}, os.path.join(ROOT, "resize.safetensors"), metadata)
    save_file({k: np.ascontiguousarray(v) for k, v in pipe_tensors.items()}, os.path.join(ROOT, "pipeline.safetensors"), metadata)

    files = {}
    for dirpath, _, filenames in os.walk(ROOT):
        for fn in sorted(filenames):
            if fn == "manifest.json":
                continue
            path = os.path.join(dirpath, fn)
            files[os.path.relpath(path, ROOT)] = sha256(path)
    manifest = {
        "generator": "Scripts/make_image_fixtures.py",
        "seed": SEED,
        "versions": {
            "python": sys.version.split()[0], "numpy": np.__version__, "Pillow": PIL.__version__,
            "transformers": transformers.__version__, "safetensors": safetensors.__version__,
        },
        "image_processor_class": "transformers.models.clip.image_processing_pil_clip.CLIPImageProcessorPil",
        "sources": cases,
        "exif_sources": exif_cases,
        "bad_sources": bad_cases,
        "configs": CONFIGS,
        "direct_pixel_values": sorted(DIRECT),
        "pipeline_images": {k: list(v) for k, v in PIPELINE_IMAGES.items()},
        "clip_images": CLIP_IMAGES,
        "pipeline": pipe_meta,
        "resize": {"source": list(RESIZE_SOURCE), "targets": [list(t) for t in RESIZE_TARGETS], "filters": FILTERS,
                   "cases": resize_meta},
        "files": dict(sorted(files.items())),
    }
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(ROOT, p)) for p in files) + os.path.getsize(os.path.join(ROOT, "manifest.json"))
    print(f"wrote {len(files) + 1} files, {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
