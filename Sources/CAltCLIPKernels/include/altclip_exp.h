#ifndef ALTCLIP_EXP_H
#define ALTCLIP_EXP_H

#include <stdint.h>
#include <string.h>

/* The one definition of the library's Float32 eˣ approximation: Swift's FastMath.exp calls
   `altclip_exp` (inlined into its loops, which still vectorize: no libm call, no branch, only
   arithmetic, bit casts and selects), the C softmax calls it, and the AVX-512 softmax applies the same
   constants and polynomial to 16 lanes (`ALTCLIP_EXP_POLYNOMIAL`).

   x = n·ln2 + r with |r| ≤ ln2/2; eʳ by a degree-7 Taylor polynomial; 2ⁿ from exponent bits, as two
   factors so n can span the subnormal results down to 2⁻¹⁵⁰ and up to 2¹²⁸. ≤ 2 ulp over the normal
   range, 0 below −104, +∞ above ln(FLT_MAX), NaN passes through. */

/* Arguments outside [MIN, MAX] give 0 and +∞. */
#define ALTCLIP_EXP_MIN_ARG (-104.0f)
#define ALTCLIP_EXP_MAX_ARG 88.72284f
/* log₂e, and 1.5·2²³: adding it rounds to the nearest integer (left in the low mantissa bits) without
   a call to rintf, which would stop vectorization. */
#define ALTCLIP_EXP_LOG2E 1.44269504f
#define ALTCLIP_EXP_ROUNDER 12582912.0f
/* The rounder's bit pattern, subtracted to read n. */
#define ALTCLIP_EXP_ROUNDER_BITS 0x4B400000
/* ln2 split in two so n·LN2_HI is exact. */
#define ALTCLIP_EXP_LN2_HI 0.693145751953125f
#define ALTCLIP_EXP_LN2_LO 1.428606765330187e-6f

/* eʳ ≈ Σₖ₌₀⁷ rᵏ/k! by Horner's rule, written once for every form: MADD(a, b, c) is a·b + c and C(v)
   makes the constant v (a float, or a vector of it). */
#define ALTCLIP_EXP_POLYNOMIAL(MADD, C, r)                                                              \
    MADD(MADD(MADD(MADD(MADD(MADD(MADD(C(1.0f / 5040), r, C(1.0f / 720)), r, C(1.0f / 120)), r,         \
                            C(1.0f / 24)), r, C(1.0f / 6)), r, C(0.5f)), r, C(1.0f)), r, C(1.0f))

#define ALTCLIP_EXP_SCALAR_MADD(a, b, c) ((a) * (b) + (c))
#define ALTCLIP_EXP_SCALAR_CONSTANT(v) (v)

static inline __attribute__((always_inline)) float altclip_exp(float x) {
    /* Separate roundings for every product and sum (no fused multiply-add), the same on every CPU. */
#pragma STDC FP_CONTRACT OFF
    float c = x > ALTCLIP_EXP_MIN_ARG ? x : ALTCLIP_EXP_MIN_ARG;
    c = c < ALTCLIP_EXP_MAX_ARG ? c : ALTCLIP_EXP_MAX_ARG;
    float shifted = c * ALTCLIP_EXP_LOG2E + ALTCLIP_EXP_ROUNDER;
    float n = shifted - ALTCLIP_EXP_ROUNDER;
    float r = (c - n * ALTCLIP_EXP_LN2_HI) - n * ALTCLIP_EXP_LN2_LO;
    float p = ALTCLIP_EXP_POLYNOMIAL(ALTCLIP_EXP_SCALAR_MADD, ALTCLIP_EXP_SCALAR_CONSTANT, r);
    uint32_t shiftedBits;
    memcpy(&shiftedBits, &shifted, sizeof shiftedBits);
    int32_t k = (int32_t)(shiftedBits - (uint32_t)ALTCLIP_EXP_ROUNDER_BITS);
    int32_t half = k >> 1;
    uint32_t bits1 = (uint32_t)(half + 127) << 23, bits2 = (uint32_t)(k - half + 127) << 23;
    float scale1, scale2;
    memcpy(&scale1, &bits1, sizeof scale1);
    memcpy(&scale2, &bits2, sizeof scale2);
    float y = (p * scale1) * scale2;
    y = x < ALTCLIP_EXP_MIN_ARG ? 0.0f : y;
    y = x > ALTCLIP_EXP_MAX_ARG ? __builtin_inff() : y;
    return x != x ? x : y;
}

#endif
