#ifndef ALTCLIP_EXP16_AVX512_H
#define ALTCLIP_EXP16_AVX512_H

/* Private to the C kernels (x86-64 only; include after <immintrin.h>). */
#include "altclip_exp.h"

/* altclip_exp on 16 lanes: the same constants and polynomial (with fused multiply-adds), 2ⁿ by scalef. */
#define ALTCLIP_EXP16_CONSTANT(v) _mm512_set1_ps(v)

__attribute__((target("avx512f")))
static inline __m512 exp16(__m512 x) {
    __m512 c = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(ALTCLIP_EXP_MIN_ARG)), _mm512_set1_ps(ALTCLIP_EXP_MAX_ARG));
    __m512 shifted = _mm512_fmadd_ps(c, _mm512_set1_ps(ALTCLIP_EXP_LOG2E), _mm512_set1_ps(ALTCLIP_EXP_ROUNDER));
    __m512 n = _mm512_sub_ps(shifted, _mm512_set1_ps(ALTCLIP_EXP_ROUNDER));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ALTCLIP_EXP_LN2_HI), c);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ALTCLIP_EXP_LN2_LO), r);
    __m512 p = ALTCLIP_EXP_POLYNOMIAL(_mm512_fmadd_ps, ALTCLIP_EXP16_CONSTANT, r);
    __m512 y = _mm512_scalef_ps(p, n);  /* p · 2ⁿ, subnormal results included */
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, _mm512_set1_ps(ALTCLIP_EXP_MIN_ARG), _CMP_LT_OQ), _mm512_setzero_ps());
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, _mm512_set1_ps(ALTCLIP_EXP_MAX_ARG), _CMP_GT_OQ),
                           _mm512_set1_ps(__builtin_inff()));
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

#endif
