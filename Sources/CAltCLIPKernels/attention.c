#include "altclip_attention.h"
#include "amx_tiles.h"
#include "altclip_exp.h"

#include <stdlib.h>
#include <string.h>

/* Scaled dot-product attention for one (batch, head) in bfloat16 on AMX tiles (see the header).

   Per block of 16 queries: S = Q·Kᵀ (fp32 accumulators, 16 × 16 tiles, four key blocks at a time), a
   softmax over each row in fp32 with the library's exp, the unnormalised exps rounded to bf16 as the
   next product's A operand, O = P·V (fp32 accumulators), then O's rows divided by their sums. Q is
   scaled before rounding (1/8 for 64-wide heads: exact). K and V are packed once per call in the
   layout AMX's B operand wants ("VNNI": element pairs along the reduction dimension side by side). */


static size_t scratch_parts(size_t lq, size_t lk, size_t d, size_t *q_off, size_t *k_off, size_t *v_off,
                            size_t *s_off, size_t *p_off, size_t *o_off) {
    size_t lq16 = altclip_round_up(lq, 16), lk16 = altclip_round_up(lk, 16), lk32 = altclip_round_up(lk, 32);
    size_t at = 0;
    *q_off = at; at += altclip_round_up(lq16 * d * 2, 64);
    *k_off = at; at += altclip_round_up(lk16 * d * 2, 64);
    *v_off = at; at += altclip_round_up(lk32 * d * 2, 64);
    *s_off = at; at += 2 * altclip_round_up(16 * lk32 * 4, 64);  /* two blocks' scores */
    *p_off = at; at += 2 * altclip_round_up(16 * lk32 * 2, 64);  /* two blocks' P */
    *o_off = at; at += altclip_round_up(16 * d * 4, 64);
    return at + 64;  /* room to align the start */
}

size_t altclip_attention_bf16_scratch_bytes(size_t lq, size_t lk, size_t d) {
    size_t a, b, c, e, f, g;
    return scratch_parts(lq, lk, d, &a, &b, &c, &e, &f, &g);
}

#if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALTCLIP_ARCH_REQ_XCOMP_PERM 0x1023
#define ALTCLIP_XFEATURE_XTILEDATA 18

int altclip_has_amx_bf16(void) {
    static int cached = -1;
    if (cached < 0) {
        unsigned a = 0, b = 0, c = 0, d = 0;
        int cpu = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 24)) && (d & (1u << 22)) && (b & (1u << 16));
        int avx512bf16 = 0;
        if (cpu) {
            unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
            avx512bf16 = __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && (a1 & (1u << 5));
        }
        /* ALTCLIP_DISABLE_AMX=1 runs the other paths on an AMX machine (oneDNN's int8, Float32
           attention), e.g. to test them. Linux hands out the tile registers' state only on request
           (once per process). */
        const char *disabled = getenv("ALTCLIP_DISABLE_AMX");
        cpu = cpu && !(disabled && disabled[0] && strcmp(disabled, "0") != 0);
        cached = cpu && avx512bf16 &&
                 syscall(SYS_arch_prctl, ALTCLIP_ARCH_REQ_XCOMP_PERM, ALTCLIP_XFEATURE_XTILEDATA) == 0 ? 1 : 0;
    }
    return cached;
}


#include "exp16_avx512.h"

/* eˣ for the softmax's x − max ≤ 0 (NaN passes through), to ~2e-6 relative: far inside the bf16
   rounding (2⁻⁹) its results get. e^x = 2ⁿ · 2ᶠ with n = round(x·log₂e), |f| ≤ ½, 2ᶠ by a degree-5
   polynomial (Taylor of e^(f·ln2)), 2ⁿ by scalef. Below −80 (e⁻⁸⁰ ≈ 2e-35 of the row's largest term)
   the result is 0: computing it would make subnormals, which cost a microcode assist each. (max(−80,
   x) returns x when x is NaN, so NaN reaches the result without a separate test.) */
__attribute__((target("avx512f")))
static inline __m512 exp_nonpositive16(__m512 x) {
    __m512 t = _mm512_mul_ps(_mm512_max_ps(_mm512_set1_ps(-80.0f), x), _mm512_set1_ps(ALTCLIP_EXP_LOG2E));
    __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_mul_ps(_mm512_sub_ps(t, n), _mm512_set1_ps(0.693147180559945f));
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 120), f, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_mask_mov_ps(_mm512_scalef_ps(p, n), _mm512_cmp_ps_mask(x, _mm512_set1_ps(-80.0f), _CMP_LT_OQ),
                              _mm512_setzero_ps());
}

#define ALTCLIP_AMX_TARGET "amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16"

/* r[i][j] → r[j][i] for a 16 × 16 block of 32-bit elements. */
__attribute__((target(ALTCLIP_AMX_TARGET)))
static inline void transpose16x16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    /* u[4i + c]: element c (+4, +8, +12 in the upper 128-bit lanes) of rows 4i … 4i+3 */
    for (int i = 0; i < 4; i++) {
        u[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int c = 0; c < 4; c++) {
        __m512i v0 = _mm512_shuffle_i32x4(u[c], u[c + 4], 0x88), v1 = _mm512_shuffle_i32x4(u[c], u[c + 4], 0xDD);
        __m512i v2 = _mm512_shuffle_i32x4(u[c + 8], u[c + 12], 0x88), v3 = _mm512_shuffle_i32x4(u[c + 8], u[c + 12], 0xDD);
        r[c] = _mm512_shuffle_i32x4(v0, v2, 0x88);
        r[c + 8] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
        r[c + 4] = _mm512_shuffle_i32x4(v1, v3, 0x88);
        r[c + 12] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
    }
}

/* K (lk × d, rows `stride` apart) to B operand blocks of 16 keys: [key block][d/2 pairs][16 keys] of
   32-bit (k[2p], k[2p+1]) pairs; padded keys are zero. Each 16 keys × 16 pairs is converted row by row
   and transposed in registers (a scatter per key and 16 pairs cost ~15 % of the attention). */
__attribute__((target(ALTCLIP_AMX_TARGET)))
static void pack_keys(const float *k, size_t stride, size_t lk, size_t d, uint32_t *out) {
    size_t lk16 = altclip_round_up(lk, 16), pairs = d / 2;
    for (size_t n0 = 0; n0 < lk16; n0 += 16) {
        uint32_t *block = out + (n0 / 16) * pairs * 16;
        for (size_t p0 = 0; p0 < pairs; p0 += 16) {
            __m512i r[16];
            for (int i = 0; i < 16; i++) {
                size_t n = n0 + (size_t)i;
                if (n < lk) {
                    /* 32 floats → 32 bf16 = 16 pairs. */
                    __m512 lo = _mm512_loadu_ps(k + n * stride + 2 * p0), hi = _mm512_loadu_ps(k + n * stride + 2 * p0 + 16);
                    r[i] = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
                } else {
                    r[i] = _mm512_setzero_si512();
                }
            }
            transpose16x16(r);
            for (int j = 0; j < 16; j++) _mm512_storeu_si512(block + (p0 + (size_t)j) * 16, r[j]);
        }
    }
}

/* V (lk × d) to B operand rows of key pairs: [lk32/2 pairs][d] of 32-bit (v[2r][c], v[2r+1][c]):
   two rows' 16 columns converted together, then interleaved. */
__attribute__((target(ALTCLIP_AMX_TARGET)))
static void pack_values(const float *v, size_t stride, size_t lk, size_t d, uint32_t *out) {
    size_t lk32 = altclip_round_up(lk, 32);
    static const uint16_t order[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                       8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    __m512i interleave = _mm512_loadu_si512(order);
    for (size_t r = 0; r < lk32 / 2; r++) {
        for (size_t c = 0; c < d; c += 16) {
            __m512 a = 2 * r < lk ? _mm512_loadu_ps(v + 2 * r * stride + c) : _mm512_setzero_ps();
            __m512 b = 2 * r + 1 < lk ? _mm512_loadu_ps(v + (2 * r + 1) * stride + c) : _mm512_setzero_ps();
            _mm512_storeu_si512(out + r * d + c, _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(b, a)));
        }
    }
}

/* Q·scale (lq × d) to bf16 rows, padded with zero rows to a multiple of 16. */
__attribute__((target(ALTCLIP_AMX_TARGET)))
static void pack_queries(const float *q, size_t stride, size_t lq, size_t d, float scale, uint16_t *out) {
    size_t lq16 = altclip_round_up(lq, 16);
    __m512 s = _mm512_set1_ps(scale);
    for (size_t i = 0; i < lq16; i++) {
        for (size_t c = 0; c < d; c += 32) {
            __m512i w = _mm512_setzero_si512();
            if (i < lq) {
                __m512 lo = _mm512_mul_ps(_mm512_loadu_ps(q + i * stride + c), s);
                __m512 hi = _mm512_mul_ps(_mm512_loadu_ps(q + i * stride + c + 16), s);
                w = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
            }
            _mm512_storeu_si512(out + i * d + c, w);
        }
    }
}

/* The 16 × 16 fp32 score tiles for one query block against key blocks kb0 … kb0+count−1 (count ≤ 4). A
   tiles 4 (and 5 for the second 32 of d = 64) hold the queries. */
#define SCORE_STEP(T, A, B, KC)                                                                          \
    if ((T) < count) {                                                                                  \
        _tile_loadd(B, kpack + ((kb0 + (T)) * pairs + (KC) * 16) * 16, 64);                            \
        _tile_dpbf16ps(T, A, B);                                                                         \
    }

/* The softmax of one block of 16 queries, done a few rows at a time between tile products. */
typedef struct {
    float *scores;     /* 16 rows of lk32 */
    uint16_t *probs;   /* 16 rows of lk32 bf16: the unnormalised exps */
    float *sums;       /* 16 */
    const float *mask; /* the block's first query's mask row, or NULL */
    size_t rows, next;
} softmax_job;

/* Row r: the mask added, padded keys −∞, exps of x − max rounded to bf16 into P, their fp32 sum kept. */
__attribute__((target(ALTCLIP_AMX_TARGET)))
static inline void softmax_row(softmax_job *job, size_t r, size_t lk, size_t lk32, size_t mask_row_stride) {
    uint16_t *prow = job->probs + r * lk32;
    if (r >= job->rows) { memset(prow, 0, lk32 * 2); job->sums[r] = 1; return; }
    float *srow = job->scores + r * lk32;
    const float *mrow = job->mask ? job->mask + r * mask_row_stride : NULL;
    __m512 mx = _mm512_set1_ps(-__builtin_inff());
    size_t j = 0;
    for (; j + 16 <= lk; j += 16) {
        __m512 s = _mm512_loadu_ps(srow + j);
        if (mrow) { s = _mm512_add_ps(s, _mm512_loadu_ps(mrow + j)); _mm512_storeu_ps(srow + j, s); }
        mx = _mm512_max_ps(mx, s);
    }
    if (j < lk) {
        __mmask16 m = (__mmask16)((1u << (lk - j)) - 1u);
        __m512 s = _mm512_maskz_loadu_ps(m, srow + j);
        if (mrow) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, mrow + j));
        /* The padded keys' scores become −∞ (exp 0). */
        s = _mm512_mask_mov_ps(_mm512_set1_ps(-__builtin_inff()), m, s);
        _mm512_storeu_ps(srow + j, s);
        mx = _mm512_max_ps(mx, s);
        j += 16;
    }
    for (; j < lk32; j += 16) _mm512_storeu_ps(srow + j, _mm512_set1_ps(-__builtin_inff()));
    __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 acc = _mm512_setzero_ps();
    for (j = 0; j < lk32; j += 16) {
        __m512 e = exp_nonpositive16(_mm512_sub_ps(_mm512_loadu_ps(srow + j), vmax));
        acc = _mm512_add_ps(acc, e);
        _mm256_storeu_si256((__m256i *)(prow + j), (__m256i)_mm512_cvtneps_pbh(e));
    }
    job->sums[r] = _mm512_reduce_add_ps(acc);
}

__attribute__((target(ALTCLIP_AMX_TARGET)))
static inline void softmax_some(softmax_job *job, size_t count, size_t lk, size_t lk32, size_t mask_row_stride) {
    for (; count > 0 && job->next < 16; count--, job->next++) softmax_row(job, job->next, lk, lk32, mask_row_stride);
}

/* Tile products and the softmax's vector work overlap: the tile unit runs a product while the core
   executes the instructions after it, so each step issues one block's products and, between them, a
   few softmax rows of the block before (per 257 × 257 × 64 head: scores 34 k cycles, softmax 48 k,
   P·V 22 k one after another). Step t: P·V of block t − 2 (its P is complete), the scores of block t,
   and between their products the softmax of block t − 1; then block t − 2's rows are divided by
   their sums. Scores, P and sums are double-buffered by block parity. */
__attribute__((target(ALTCLIP_AMX_TARGET)))
static void attention_amx(const float *q, const float *k, const float *v, size_t row_stride, size_t lq, size_t lk,
                          size_t d, float scale, const float *mask, size_t mask_row_stride, float *out,
                          size_t out_stride, void *scratch) {
    size_t q_off, k_off, v_off, s_off, p_off, o_off;
    scratch_parts(lq, lk, d, &q_off, &k_off, &v_off, &s_off, &p_off, &o_off);
    uint8_t *base = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    uint16_t *qpack = (uint16_t *)(base + q_off);
    uint32_t *kpack = (uint32_t *)(base + k_off), *vpack = (uint32_t *)(base + v_off);
    float *o = (float *)(base + o_off);
    size_t lk16 = altclip_round_up(lk, 16), lk32 = altclip_round_up(lk, 32), pairs = d / 2, blocks = lk16 / 16;
    float *scores[2] = {(float *)(base + s_off), (float *)(base + s_off + altclip_round_up(16 * lk32 * 4, 64))};
    uint16_t *probs[2] = {(uint16_t *)(base + p_off), (uint16_t *)(base + p_off + altclip_round_up(16 * lk32 * 2, 64))};
    float sums[2][16];

    pack_queries(q, row_stride, lq, d, scale, qpack);
    pack_keys(k, row_stride, lk, d, kpack);
    pack_values(v, row_stride, lk, d, vpack);

    altclip_tile_config saved = altclip_tiles_begin();

    size_t qblocks = (lq + 15) / 16, chunks = lk32 / 32, groups = (blocks + 3) / 4;
    for (size_t t = 0; t < qblocks + 2; t++) {
        softmax_job job = {0};
        if (t >= 1 && t - 1 < qblocks) {
            size_t b = t - 1;
            job = (softmax_job){scores[b % 2], probs[b % 2], sums[b % 2],
                                mask ? mask + b * 16 * mask_row_stride : NULL, lq - b * 16 < 16 ? lq - b * 16 : 16, 0};
        } else {
            job.next = 16;
        }
        size_t points = (t >= 2 && t - 2 < qblocks ? chunks : 0) + (t < qblocks ? groups : 0);
        size_t quota = points ? (16 + points - 1) / points : 16;

        if (t >= 2 && t - 2 < qblocks) {
            /* O = P·V: output tiles 0 … d/16−1, P chunk of 32 keys in tile 4, V in 6 or 7. */
            const uint16_t *p = probs[(t - 2) % 2];
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            long pstride = (long)(lk32 * 2), vstride = (long)(d * 4);
            for (size_t c = 0; c < chunks; c++) {
                const uint32_t *vchunk = vpack + c * 16 * d;
                _tile_loadd(4, p + c * 32, pstride);
                _tile_loadd(6, vchunk, vstride);
                _tile_dpbf16ps(0, 4, 6);
                _tile_loadd(7, vchunk + 16, vstride);
                _tile_dpbf16ps(1, 4, 7);
                if (d == 64) {
                    _tile_loadd(6, vchunk + 32, vstride);
                    _tile_dpbf16ps(2, 4, 6);
                    _tile_loadd(7, vchunk + 48, vstride);
                    _tile_dpbf16ps(3, 4, 7);
                }
                softmax_some(&job, quota, lk, lk32, mask_row_stride);
            }
            long ostride = (long)(d * 4);
            _tile_stored(0, o, ostride);
            _tile_stored(1, o + 16, ostride);
            if (d == 64) { _tile_stored(2, o + 32, ostride); _tile_stored(3, o + 48, ostride); }
        }
        if (t < qblocks) {
            size_t q0 = t * 16;
            float *s = scores[t % 2];
            _tile_loadd(4, qpack + q0 * d, (long)(d * 2));
            if (d == 64) _tile_loadd(5, qpack + q0 * d + 32, (long)(d * 2));
            for (size_t kb0 = 0; kb0 < blocks; kb0 += 4) {
                size_t count = blocks - kb0 < 4 ? blocks - kb0 : 4;
                _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
                SCORE_STEP(0, 4, 6, 0) SCORE_STEP(1, 4, 7, 0) SCORE_STEP(2, 4, 6, 0) SCORE_STEP(3, 4, 7, 0)
                if (d == 64) {
                    SCORE_STEP(0, 5, 6, 1) SCORE_STEP(1, 5, 7, 1) SCORE_STEP(2, 5, 6, 1) SCORE_STEP(3, 5, 7, 1)
                }
                softmax_some(&job, quota, lk, lk32, mask_row_stride);
                long ld = (long)(lk32 * 4);
                _tile_stored(0, s + kb0 * 16, ld);
                if (count > 1) _tile_stored(1, s + (kb0 + 1) * 16, ld);
                if (count > 2) _tile_stored(2, s + (kb0 + 2) * 16, ld);
                if (count > 3) _tile_stored(3, s + (kb0 + 3) * 16, ld);
            }
        }
        softmax_some(&job, 16, lk, lk32, mask_row_stride);
        if (t >= 2 && t - 2 < qblocks) {
            size_t b = t - 2, q0 = b * 16, rows = lq - q0 < 16 ? lq - q0 : 16;
            for (size_t r = 0; r < rows; r++) {
                __m512 inverse = _mm512_set1_ps(1.0f / sums[b % 2][r]);
                for (size_t c = 0; c < d; c += 16)
                    _mm512_storeu_ps(out + (q0 + r) * out_stride + c, _mm512_mul_ps(_mm512_loadu_ps(o + r * d + c), inverse));
            }
        }
    }
    altclip_tiles_end(&saved);
}

int altclip_attention_bf16_available(size_t d) {
    return (d == 32 || d == 64) && altclip_has_amx_bf16();
}

int altclip_attention_bf16(const float *q, const float *k, const float *v, size_t row_stride, size_t lq, size_t lk,
                           size_t d, float scale, const float *mask, size_t mask_row_stride, float *out,
                           size_t out_stride, void *scratch) {
    if (!altclip_attention_bf16_available(d) || lq == 0 || lk == 0) return 0;
    attention_amx(q, k, v, row_stride, lq, lk, d, scale, mask, mask_row_stride, out, out_stride, scratch);
    return 1;
}
#else
int altclip_has_amx_bf16(void) { return 0; }

int altclip_attention_bf16_available(size_t d) { (void)d; return 0; }

int altclip_attention_bf16(const float *q, const float *k, const float *v, size_t row_stride, size_t lq, size_t lk,
                           size_t d, float scale, const float *mask, size_t mask_row_stride, float *out,
                           size_t out_stride, void *scratch) {
    (void)q; (void)k; (void)v; (void)row_stride; (void)lq; (void)lk; (void)d; (void)scale; (void)mask;
    (void)mask_row_stride; (void)out; (void)out_stride; (void)scratch;
    return 0;
}
#endif
