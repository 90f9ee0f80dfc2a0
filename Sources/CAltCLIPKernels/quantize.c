#include "altclip_quantize.h"

#include <math.h>

static void min_max_portable(const float *x, size_t count, float *low, float *high) {
    float lo = *low, hi = *high;
    for (size_t i = 0; i < count; i++) {
        float v = x[i];
        lo = v < lo ? v : lo;  /* comparisons with NaN are false: NaN is skipped */
        hi = v > hi ? v : hi;
    }
    *low = lo;
    *high = hi;
}

static void quantize_portable(const float *x, size_t count, float inverse, int32_t zero_point, uint8_t *out) {
    for (size_t i = 0; i < count; i++) {
        float q = nearbyintf(x[i] * inverse) + (float)zero_point;  /* default rounding: nearest even */
        q = q >= 0.0f ? q : 0.0f;                                 /* NaN → 0 */
        q = q <= 255.0f ? q : 255.0f;
        out[i] = (uint8_t)q;
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx512f")))
static void min_max_avx512(const float *x, size_t count, float *low, float *high) {
    __m512 lo = _mm512_set1_ps(*low), hi = _mm512_set1_ps(*high);
    size_t i = 0;
    /* max_ps(a, b) returns b when either is NaN: keeping the accumulator as the second operand skips NaNs. */
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        lo = _mm512_min_ps(v, lo);
        hi = _mm512_max_ps(v, hi);
    }
    if (i < count) {
        __mmask16 tail = (__mmask16)((1u << (count - i)) - 1u);
        __m512 v = _mm512_maskz_loadu_ps(tail, x + i);
        lo = _mm512_mask_min_ps(lo, tail, v, lo);
        hi = _mm512_mask_max_ps(hi, tail, v, hi);
    }
    *low = _mm512_reduce_min_ps(lo);
    *high = _mm512_reduce_max_ps(hi);
}

__attribute__((target("avx512f")))
static void quantize_avx512(const float *x, size_t count, float inverse, int32_t zero_point, uint8_t *out) {
    __m512 scale = _mm512_set1_ps(inverse);
    __m512i zp = _mm512_set1_epi32(zero_point), zero = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        /* cvtps_epi32 rounds to nearest even (MXCSR default); NaN and overflow give INT32_MIN → 0. */
        __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + i), scale)), zp);
        q = _mm512_max_epi32(q, zero);
        _mm_storeu_si128((__m128i *)(out + i), _mm512_cvtusepi32_epi8(q));  /* saturates at 255 */
    }
    if (i < count) {
        __mmask16 tail = (__mmask16)((1u << (count - i)) - 1u);
        __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + i), scale)), zp);
        q = _mm512_max_epi32(q, zero);
        _mm512_mask_cvtusepi32_storeu_epi8(out + i, tail, q);
    }
}

static int has_avx512f(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return cached;
}

void altclip_min_max(const float *x, size_t count, float *low, float *high) {
    if (has_avx512f()) min_max_avx512(x, count, low, high);
    else min_max_portable(x, count, low, high);
}

void altclip_quantize_u8(const float *x, size_t count, float inverse, int32_t zero_point, uint8_t *out) {
    if (has_avx512f()) quantize_avx512(x, count, inverse, zero_point, out);
    else quantize_portable(x, count, inverse, zero_point, out);
}
#else
void altclip_min_max(const float *x, size_t count, float *low, float *high) { min_max_portable(x, count, low, high); }

void altclip_quantize_u8(const float *x, size_t count, float inverse, int32_t zero_point, uint8_t *out) {
    quantize_portable(x, count, inverse, zero_point, out);
}
#endif
