#include "altclip_kernels.h"

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

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

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
int altclip_has_avx512_bf16(void) { return 0; }

void altclip_f32_to_bf16(const float *source, uint16_t *target, size_t count) {
    convert_portable(source, target, count);
}
#endif
