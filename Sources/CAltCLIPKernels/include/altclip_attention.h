#ifndef ALTCLIP_ATTENTION_H
#define ALTCLIP_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

/// Attention for one (batch, head) with bfloat16 products on AMX tiles (Intel Sapphire Rapids and
/// later), for the reduced-precision paths: `out = softmax(Q·Kᵀ·scale + mask)·V` with Q·scale, K, V and
/// the softmax numerators rounded to bf16, fp32 accumulation, the softmax in fp32 (the library's exp).
///
/// q, k, v: rows `row_stride` floats apart, `d` wide (lq, lk, lk rows). mask: additive, row i at
/// `mask + i·mask_row_stride` (stride 0: one row for every query), or NULL. out: lq rows `out_stride`
/// apart. scratch: `altclip_attention_bf16_scratch_bytes(lq, lk, d)` bytes, any alignment.
/// Returns 0 (and writes nothing) when the CPU or OS lacks AMX-BF16 or d is not 32 or 64.
int altclip_attention_bf16(const float *q, const float *k, const float *v, size_t row_stride, size_t lq, size_t lk,
                           size_t d, float scale, const float *mask, size_t mask_row_stride, float *out,
                           size_t out_stride, void *scratch);

/// Whether `altclip_attention_bf16` runs for heads `d` wide on this machine.
int altclip_attention_bf16_available(size_t d);

size_t altclip_attention_bf16_scratch_bytes(size_t lq, size_t lk, size_t d);

/// AMX tiles with bf16 products and AVX-512 BF16, with the OS's permission to use the tile state
/// (requested once per process), unless the environment sets ALTCLIP_DISABLE_AMX (to anything but 0).
int altclip_has_amx_bf16(void);

#endif
