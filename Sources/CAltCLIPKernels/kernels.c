#include "altclip_kernels.h"
#include "altclip_exp.h"

#include <string.h>

static uint16_t round_one(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40u);  /* quiet NaN */
    if ((bits & 0x7F800000u) == 0) bits &= 0x80000000u;                               /* subnormal → ±0 */
    return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

static void convert_portable(const float *source, uint16_t *target, size_t count) {
    for (size_t i = 0; i < count; i++) target[i] = round_one(source[i]);
}

static void softmax_portable(float *row, size_t count) {
    if (count == 0) return;
    float m = -__builtin_inff();
    int nan = 0;
    for (size_t i = 0; i < count; i++) {
        if (row[i] != row[i]) nan = 1;
        else if (row[i] > m) m = row[i];
    }
    float sum = 0;
    for (size_t i = 0; i < count; i++) { row[i] = altclip_exp(row[i] - m); sum += row[i]; }
    float inverse = nan ? __builtin_nanf("") : 1.0f / sum;
    for (size_t i = 0; i < count; i++) row[i] *= inverse;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "exp16_avx512.h"

__attribute__((target("avx512f")))
static void softmax_avx512(float *row, size_t count) {
    if (count == 0) return;
    size_t full = count / 16 * 16;
    __mmask16 tail = (__mmask16)((1u << (count - full)) - 1u);
    __m512 mx = _mm512_set1_ps(-__builtin_inff());
    __mmask16 nan = 0;
    for (size_t i = 0; i < full; i += 16) {
        __m512 v = _mm512_loadu_ps(row + i);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        mx = _mm512_max_ps(mx, v);
    }
    if (tail) {
        __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(-__builtin_inff()), tail, row + full);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        mx = _mm512_max_ps(mx, v);
    }
    float m = _mm512_reduce_max_ps(mx);
    __m512 vm = _mm512_set1_ps(m);
    __m512 acc = _mm512_setzero_ps();
    for (size_t i = 0; i < full; i += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(row + i), vm));
        _mm512_storeu_ps(row + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (tail) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, row + full), vm));
        e = _mm512_maskz_mov_ps(tail, e);
        _mm512_mask_storeu_ps(row + full, tail, e);
        acc = _mm512_add_ps(acc, e);
    }
    float inverse = nan ? __builtin_nanf("") : 1.0f / _mm512_reduce_add_ps(acc);
    __m512 vi = _mm512_set1_ps(inverse);
    for (size_t i = 0; i < full; i += 16) _mm512_storeu_ps(row + i, _mm512_mul_ps(_mm512_loadu_ps(row + i), vi));
    if (tail) _mm512_mask_storeu_ps(row + full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, row + full), vi));
}

int altclip_has_avx512f(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return cached;
}

void altclip_softmax_row(float *row, size_t count) {
    if (altclip_has_avx512f()) softmax_avx512(row, count);
    else softmax_portable(row, count);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void convert_avx512_bf16(const float *source, uint16_t *target, size_t count) {
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(source + i + 16), _mm512_loadu_ps(source + i));
        _mm512_storeu_si512((void *)(target + i), (__m512i)pair);
    }
    for (; i + 16 <= count; i += 16) {
        __m256bh half = _mm512_cvtneps_pbh(_mm512_loadu_ps(source + i));
        _mm256_storeu_si256((__m256i *)(target + i), (__m256i)half);
    }
    if (i < count) {
        __mmask16 mask = (__mmask16)((1u << (count - i)) - 1u);
        __m256bh half = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, source + i));
        _mm256_mask_storeu_epi16((void *)(target + i), mask, (__m256i)half);
    }
}

int altclip_has_avx512_bf16(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
    }
    return cached;
}

void altclip_f32_to_bf16(const float *source, uint16_t *target, size_t count) {
    if (altclip_has_avx512_bf16()) convert_avx512_bf16(source, target, count);
    else convert_portable(source, target, count);
}
#else
int altclip_has_avx512f(void) { return 0; }

int altclip_has_avx512_bf16(void) { return 0; }

void altclip_softmax_row(float *row, size_t count) { softmax_portable(row, count); }

void altclip_f32_to_bf16(const float *source, uint16_t *target, size_t count) {
    convert_portable(source, target, count);
}
#endif
