#ifndef ALTCLIP_QUANTIZE_H
#define ALTCLIP_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/// The int8 products' activation kernels (see `Ops.linear` with an int8 `MatmulWeight`). AVX-512 where
/// the CPU has it, else portable loops with identical results.

/// The smallest and largest of `count` floats, folded into `*low` / `*high` (which the caller
/// initialises, e.g. to 0 so the range always contains zero). NaNs are ignored.
void altclip_min_max(const float *x, size_t count, float *low, float *high);

/// `out[i] = clamp(round_to_nearest_even(x[i] · inverse) + zero_point, 0, 255)`; NaN gives 0 + clamp.
void altclip_quantize_u8(const float *x, size_t count, float inverse, int32_t zero_point, uint8_t *out);

/// Symmetric int8 quantization of one weight row: `scale = max|x| / 127`, `out[i] = round(x[i] / scale)`
/// (nearest even, clamped to ±127; an all-zero row gets scale 0 and codes 0; NaN gives 0). Stores the
/// scale and the codes' sum.
void altclip_quantize_row_s8(const float *x, size_t count, int8_t *out, float *scale, int32_t *sum);

#endif
