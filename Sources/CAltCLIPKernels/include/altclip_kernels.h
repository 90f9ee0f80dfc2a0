#ifndef ALTCLIP_KERNELS_H
#define ALTCLIP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Small vector kernels that need instructions Swift cannot name (AVX-512 BF16). Each picks its
/// implementation at run time from the CPU's features, so the binary still runs on any x86-64 (or
/// other) CPU; the portable paths give identical results.

/// Rounds `count` floats to bfloat16 bits, nearest even. NaN stays a (quiet) NaN; subnormal inputs
/// become zero of the same sign, as the CPU's bfloat16 conversion and dot products treat them.
void altclip_f32_to_bf16(const float *source, uint16_t *target, size_t count);

/// Softmax of one row in place: exp(x − max) / Σ, with the library's exp approximation
/// (`altclip_exp` in altclip_exp.h, which Swift's FastMath.exp calls too; ≤ 2 ulp). A row of −∞ gives NaN (as torch); a NaN anywhere makes the
/// row NaN. AVX-512 where available.
void altclip_softmax_row(float *row, size_t count);

/// Whether `altclip_f32_to_bf16` runs on the CPU's AVX-512 BF16 conversion instruction.
int altclip_has_avx512_bf16(void);
/// Whether the CPU has AVX-512F (the kernels' wide paths; cached after the first call).
int altclip_has_avx512f(void);

#endif
