#include "altclip_quantize.h"
#include "altclip_kernels.h"

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

static float abs_max_portable(const float *x, size_t count) {
    float largest = 0.0f;
    for (size_t i = 0; i < count; i++) {
        float a = fabsf(x[i]);
        largest = a > largest ? a : largest;  /* NaN is skipped */
    }
    return largest;
}

static int32_t quantize_s8_portable(const float *x, size_t count, float inverse, int8_t *out) {
    int32_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        float q = nearbyintf(x[i] * inverse);
        q = q >= -127.0f ? q : -127.0f;  /* NaN → −127 then… */
        q = q <= 127.0f ? q : 127.0f;
        if (x[i] != x[i]) q = 0.0f;      /* …0 */
        out[i] = (int8_t)q;
        sum += (int32_t)q;
    }
    return sum;
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

__attribute__((target("avx512f")))
static float abs_max_avx512(const float *x, size_t count) {
    __m512 largest = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) largest = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + i)), largest);
    if (i < count) {
        __mmask16 tail = (__mmask16)((1u << (count - i)) - 1u);
        largest = _mm512_mask_max_ps(largest, tail, _mm512_abs_ps(_mm512_maskz_loadu_ps(tail, x + i)), largest);
    }
    return _mm512_reduce_max_ps(largest);
}

__attribute__((target("avx512f")))
static int32_t quantize_s8_avx512(const float *x, size_t count, float inverse, int8_t *out) {
    __m512 scale = _mm512_set1_ps(inverse);
    __m512i low = _mm512_set1_epi32(-127), high = _mm512_set1_epi32(127), sums = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(v, scale));  /* nearest even; NaN → INT32_MIN */
        q = _mm512_min_epi32(_mm512_max_epi32(q, low), high);
        q = _mm512_maskz_mov_epi32(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), q);  /* NaN → 0 */
        sums = _mm512_add_epi32(sums, q);
        _mm_storeu_si128((__m128i *)(out + i), _mm512_cvtsepi32_epi8(q));
    }
    int32_t sum = _mm512_reduce_add_epi32(sums);
    if (i < count) sum += quantize_s8_portable(x + i, count - i, inverse, out + i);
    return sum;
}

void altclip_min_max(const float *x, size_t count, float *low, float *high) {
    if (altclip_has_avx512f()) min_max_avx512(x, count, low, high);
    else min_max_portable(x, count, low, high);
}

void altclip_quantize_u8(const float *x, size_t count, float inverse, int32_t zero_point, uint8_t *out) {
    if (altclip_has_avx512f()) quantize_avx512(x, count, inverse, zero_point, out);
    else quantize_portable(x, count, inverse, zero_point, out);
}
void altclip_quantize_row_s8(const float *x, size_t count, int8_t *out, float *scale, int32_t *sum) {
    int wide = altclip_has_avx512f();
    float largest = wide ? abs_max_avx512(x, count) : abs_max_portable(x, count);
    float s = largest / 127.0f;
    float inverse = s > 0.0f ? 1.0f / s : 0.0f;
    *scale = s;
    *sum = wide ? quantize_s8_avx512(x, count, inverse, out) : quantize_s8_portable(x, count, inverse, out);
}
#else
void altclip_quantize_row_s8(const float *x, size_t count, int8_t *out, float *scale, int32_t *sum) {
    float largest = abs_max_portable(x, count);
    float s = largest / 127.0f;
    *scale = s;
    *sum = quantize_s8_portable(x, count, s > 0.0f ? 1.0f / s : 0.0f, out);
}

void altclip_min_max(const float *x, size_t count, float *low, float *high) { min_max_portable(x, count, low, high); }

void altclip_quantize_u8(const float *x, size_t count, float inverse, int32_t zero_point, uint8_t *out) {
    quantize_portable(x, count, inverse, zero_point, out);
}
#endif
