#include "altclip_gemm_amx.h"
#include "amx_tiles.h"
#include "altclip_attention.h"
#include "altclip_kernels.h"
#include "altclip_quantize.h"

#include <math.h>
#include <string.h>

/* u8 × s8 → s32 products on AMX tiles for the int8 linears, with the dequantization, bias, activation
   and residual applied to each 32 × 32 block of results while it is in cache.

   Layouts (both 1 KB tiles read contiguously, so no tile load strides across 4 KB-aliased rows):
   - activations, "A": blocks of 16 rows × 64 columns, [row block][k / 64][16][64] bytes;
   - weights, "B": [n / 32][k / 64][2 halves of 16 outputs][k / 4 groups of the chunk: 16][16 outputs][4]
     bytes, the four consecutive k of one output side by side as TDPBUSD reads them. */


size_t altclip_amx_s8_packed_bytes(size_t n, size_t k) { return n * k; }

size_t altclip_amx_u8_blocked_bytes(size_t m, size_t k) { return altclip_round_up(m == 0 ? 1 : m, 32) * k; }

int altclip_amx_s8_shape_supported(size_t n, size_t k) { return n > 0 && k > 0 && n % 32 == 0 && k % 64 == 0; }

/* Both weight layouts move 4-byte groups: 4 consecutive int8 k, or 2 consecutive bf16 k, of one output
   side by side as TDPBUSD / TDPBF16PS read them. In bytes, with `row_bytes` per output (k or 2k):
   [n / 32][row_bytes / 64][2 halves of 16 outputs][16 groups][16 outputs][4 bytes], 1 KB tiles. */
static void pack_groups(const uint8_t *w, size_t row_bytes, size_t n_begin, size_t n_end, uint8_t *packed) {
    size_t chunks = row_bytes / 64;
    /* In the packed order (sequential writes): one 4-byte group per output per step. */
    for (size_t nb = n_begin / 32; nb < n_end / 32; nb++)
        for (size_t kc = 0; kc < chunks; kc++)
            for (size_t half = 0; half < 2; half++) {
                uint8_t *tile = packed + ((nb * chunks + kc) * 2 + half) * 1024;
                const uint8_t *rows = w + (nb * 32 + half * 16) * row_bytes + kc * 64;
                for (size_t r = 0; r < 16; r++)
                    for (size_t c = 0; c < 16; c++) memcpy(tile + r * 64 + c * 4, rows + c * row_bytes + r * 4, 4);
            }
}

static void unpack_groups(const uint8_t *packed, size_t n, size_t row_bytes, uint8_t *w) {
    size_t chunks = row_bytes / 64;
    for (size_t nb = 0; nb < n / 32; nb++)
        for (size_t kc = 0; kc < chunks; kc++)
            for (size_t half = 0; half < 2; half++) {
                const uint8_t *tile = packed + ((nb * chunks + kc) * 2 + half) * 1024;
                uint8_t *rows = w + (nb * 32 + half * 16) * row_bytes + kc * 64;
                for (size_t r = 0; r < 16; r++)
                    for (size_t c = 0; c < 16; c++) memcpy(rows + c * row_bytes + r * 4, tile + r * 64 + c * 4, 4);
            }
}

void altclip_amx_s8_pack(const int8_t *w, size_t n, size_t k, size_t n_begin, size_t n_end, int8_t *packed) {
    (void)n;
    pack_groups((const uint8_t *)w, k, n_begin, n_end, (uint8_t *)packed);
}

void altclip_amx_s8_unpack(const int8_t *packed, size_t n, size_t k, int8_t *w) {
    unpack_groups((const uint8_t *)packed, n, k, (uint8_t *)w);
}

int altclip_amx_bf16_shape_supported(size_t n, size_t k) { return n > 0 && k > 0 && n % 32 == 0 && k % 32 == 0; }

size_t altclip_amx_bf16_packed_bytes(size_t n, size_t k) { return n * k * 2; }

size_t altclip_amx_bf16_blocked_bytes(size_t m, size_t k) { return altclip_round_up(m == 0 ? 1 : m, 32) * k * 2; }

void altclip_amx_bf16_pack(const uint16_t *w, size_t n, size_t k, size_t n_begin, size_t n_end, uint16_t *packed) {
    (void)n;
    pack_groups((const uint8_t *)w, 2 * k, n_begin, n_end, (uint8_t *)packed);
}

void altclip_amx_bf16_unpack(const uint16_t *packed, size_t n, size_t k, uint16_t *w) {
    unpack_groups((const uint8_t *)packed, n, 2 * k, (uint8_t *)w);
}

/* One row's scale and zero point from its range [min(0, min), max(0, max)] (NaNs left out). */
static void row_range(float low, float high, float *scale, float *zero) {
    float s = (high - low) / 255.0f;
    if (!(s > 0) || s != s || s == __builtin_inff()) s = 1;
    float z = nearbyintf(-low / s);
    *scale = s;
    *zero = z < 0 ? 0 : z > 255 ? 255 : z;
}

static void quantize_rows_portable(const float *x, size_t count, size_t k, size_t first_row, uint8_t *blocked,
                                   float *row_scale, float *row_zero) {
    size_t chunks = k / 64;
    for (size_t r = 0; r < count; r++) {
        const float *row = x + r * k;
        float low = 0, high = 0, scale, zero;
        altclip_min_max(row, k, &low, &high);
        row_range(low, high, &scale, &zero);
        row_scale[first_row + r] = scale;
        row_zero[first_row + r] = zero;
        size_t index = first_row + r, block = index / 16, within = index % 16;
        for (size_t kc = 0; kc < chunks; kc++)
            altclip_quantize_u8(row + kc * 64, 64, 1 / scale, (int32_t)zero, blocked + ((block * chunks + kc) * 16 + within) * 64);
    }
}

#if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>
#include "exp16_avx512.h"

/* quantize_rows_portable in one AVX-512 pass per row for the range and one to quantize (k is a
   multiple of 64; the same roundings: NaN skipped by the range, quantized to 0). */
__attribute__((target("avx512f,avx512bw")))
static void quantize_rows_avx512(const float *x, size_t count, size_t k, size_t first_row, uint8_t *blocked,
                                 float *row_scale, float *row_zero) {
    size_t chunks = k / 64;
    for (size_t r = 0; r < count; r++) {
        const float *row = x + r * k;
        __m512 lo0 = _mm512_setzero_ps(), lo1 = lo0, hi0 = lo0, hi1 = lo0;
        for (size_t i = 0; i < k; i += 32) {
            __m512 a = _mm512_loadu_ps(row + i), b = _mm512_loadu_ps(row + i + 16);
            lo0 = _mm512_min_ps(a, lo0); hi0 = _mm512_max_ps(a, hi0);  /* NaN: keeps the accumulator */
            lo1 = _mm512_min_ps(b, lo1); hi1 = _mm512_max_ps(b, hi1);
        }
        float scale, zero;
        row_range(_mm512_reduce_min_ps(_mm512_min_ps(lo0, lo1)), _mm512_reduce_max_ps(_mm512_max_ps(hi0, hi1)),
                  &scale, &zero);
        row_scale[first_row + r] = scale;
        row_zero[first_row + r] = zero;
        __m512 inverse = _mm512_set1_ps(1 / scale);
        __m512i zp = _mm512_set1_epi32((int32_t)zero);
        size_t index = first_row + r;
        uint8_t *target = blocked + ((index / 16) * chunks * 16 + index % 16) * 64;
        /* 64 values → one 64-byte store: signed-saturating packs to int16, unsigned-saturating to
           uint8 (the clamp to [0, 255]), then the lanes back in order (the packs work per 128 bits). */
        __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        for (size_t kc = 0; kc < chunks; kc++, target += 16 * 64) {
            const float *v = row + kc * 64;
            __m512i q0 = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(v), inverse)), zp);
            __m512i q1 = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(v + 16), inverse)), zp);
            __m512i q2 = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(v + 32), inverse)), zp);
            __m512i q3 = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(v + 48), inverse)), zp);
            __m512i bytes = _mm512_packus_epi16(_mm512_packs_epi32(q0, q1), _mm512_packs_epi32(q2, q3));
            _mm512_storeu_si512(target, _mm512_permutexvar_epi32(order, bytes));
        }
    }
}

void altclip_amx_u8_quantize_rows_own_scale(const float *x, size_t count, size_t k, size_t first_row, uint8_t *blocked,
                                            float *row_scale, float *row_zero) {
    if (altclip_has_avx512f()) quantize_rows_avx512(x, count, k, first_row, blocked, row_scale, row_zero);
    else quantize_rows_portable(x, count, k, first_row, blocked, row_scale, row_zero);
}

int altclip_has_amx_int8(void) {
    static int cached = -1;
    if (cached < 0) {
        unsigned a = 0, b = 0, c = 0, d = 0;
        /* AMX-INT8 (EDX bit 25) next to AMX-TILE; altclip_has_amx_bf16 asks the OS for the tile state. */
        cached = altclip_has_amx_bf16() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 25)) ? 1 : 0;
    }
    return cached;
}


#define ALTCLIP_GEMM_TARGET "amx-tile,amx-int8,amx-bf16,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16"

/* x·sigmoid(1.702·x) and 0.5·x·(1 + erf(x/√2)) on 16 lanes, to ~1e-6 relative (erf by Abramowitz &
   Stegun 7.1.26, |error| ≤ 1.5e-7), for the finite values the epilogue has (dequantized int32 sums).
   Three things keep them cheap next to the tile products (quick_gelu was +60 % on a 257 × 4096 × 1024
   product with a division and the general exp):
   - the exps' arguments stay in [−80, 80], so altclip_exp's polynomial needs none of its special
     cases, and no result is subnormal (each subnormal costs a microcode assist);
   - 1/d is the 14-bit reciprocal refined by one Newton step (~1 ulp) instead of a division (d ≥ 1
     and finite here);
   - the same constants as altclip_exp otherwise. */
__attribute__((target(ALTCLIP_GEMM_TARGET)))
static inline __m512 exp16_bounded(__m512 x) {
    __m512 c = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-80.0f)), _mm512_set1_ps(80.0f));
    __m512 shifted = _mm512_fmadd_ps(c, _mm512_set1_ps(ALTCLIP_EXP_LOG2E), _mm512_set1_ps(ALTCLIP_EXP_ROUNDER));
    __m512 n = _mm512_sub_ps(shifted, _mm512_set1_ps(ALTCLIP_EXP_ROUNDER));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ALTCLIP_EXP_LN2_HI), c);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(ALTCLIP_EXP_LN2_LO), r);
    __m512 p = ALTCLIP_EXP_POLYNOMIAL(_mm512_fmadd_ps, ALTCLIP_EXP16_CONSTANT, r);
    return _mm512_scalef_ps(p, n);
}

__attribute__((target(ALTCLIP_GEMM_TARGET)))
static inline __m512 reciprocal16(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);  /* r + r·(1 − d·r) */
}

__attribute__((target(ALTCLIP_GEMM_TARGET)))
static inline __m512 quick_gelu16(__m512 x) {
    __m512 e = exp16_bounded(_mm512_mul_ps(x, _mm512_set1_ps(-1.702f)));
    return _mm512_mul_ps(x, reciprocal16(_mm512_add_ps(_mm512_set1_ps(1.0f), e)));
}

__attribute__((target(ALTCLIP_GEMM_TARGET)))
static inline __m512 gelu_erf16(__m512 x) {
    __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
    __m512 t = reciprocal16(_mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_fmadd_ps(t, _mm512_set1_ps(1.061405429f), _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    p = _mm512_mul_ps(p, t);
    __m512 erf_abs = _mm512_fnmadd_ps(p, exp16_bounded(_mm512_mul_ps(z, _mm512_mul_ps(z, _mm512_set1_ps(-1.0f)))),
                                      _mm512_set1_ps(1.0f));
    /* sign(x)·erf(|x|/√2) */
    __m512 erf = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(erf_abs),
                                                      _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u))));
    return _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), _mm512_add_ps(_mm512_set1_ps(1.0f), erf));
}

/* Rows [r_begin, r_end) of a 32 × 32 block of sums (`acc`, rows of 32: int32 for int8 products,
   float for bf16) whose first row is `row0` and first column `col0`. */
__attribute__((target(ALTCLIP_GEMM_TARGET), always_inline))
static inline void epilogue_rows(const int bf16, const void *acc, size_t r_begin, size_t r_end, size_t row0, size_t col0,
                                 size_t n, const altclip_amx_epilogue *e, float *out) {
    for (size_t r = r_begin; r < r_end; r++) {
        for (size_t h = 0; h < 32; h += 16) {
            size_t col = col0 + h;
            size_t row = row0 + r;
            __m512 y;
            if (bf16) {
                y = _mm512_load_ps((const float *)acc + r * 32 + h);
            } else {
                /* s_r·s_c·(acc − z_r·Σ_k w_c) */
                y = _mm512_cvtepi32_ps(_mm512_load_si512((const int32_t *)acc + r * 32 + h));
                y = _mm512_fmadd_ps(_mm512_set1_ps(-e->row_zero[row]), _mm512_loadu_ps(e->column_sums + col), y);
                y = _mm512_mul_ps(_mm512_mul_ps(y, _mm512_set1_ps(e->row_scale[row])), _mm512_loadu_ps(e->scale + col));
            }
            if (e->bias) y = _mm512_add_ps(y, _mm512_loadu_ps(e->bias + col));
            if (e->activation == ALTCLIP_AMX_QUICK_GELU) y = quick_gelu16(y);
            else if (e->activation == ALTCLIP_AMX_GELU_ERF) y = gelu_erf16(y);
            if (e->residual) y = _mm512_add_ps(y, _mm512_loadu_ps(e->residual + row * n + col));
            _mm512_storeu_ps(out + row * n + col, y);
        }
    }
}

/* A block whose sums wait in a buffer for their epilogue. */
typedef struct {
    const void *acc;
    size_t rows, done, row0, col0;
} pending_block;

/* The products of both kinds: u8 × s8 → int32 (`bf16` 0, 64 inputs per tile row) or bf16 × bf16 →
   float (`bf16` 1, 32 inputs per tile row); A and B are 1 KB tiles in the same block orders either
   way, 64 bytes of inputs per row. */
__attribute__((target(ALTCLIP_GEMM_TARGET), always_inline))
static inline void gemm_tiles(const int bf16, const uint8_t *a, size_t m, size_t k, const uint8_t *packed, size_t n,
                              size_t nb_begin, size_t nb_end, const altclip_amx_epilogue *e, float *out) {
    size_t row_bytes = bf16 ? 2 * k : k, chunks = row_bytes / 64, mpad = altclip_round_up(m, 32);
    /* Rows per pass over the weights: the activations of one pass (rows · k inputs) stay in L2 (~1 MB);
       a last pass of a few rows is folded into the one before. */
    size_t pass = altclip_round_up((1u << 20) / row_bytes, 32);
    if (pass < 32) pass = 32;
    /* Two buffers of sums: a block's epilogue (vector work) runs a few rows at a time between the tile
       products of the next block, which the tile unit executes meanwhile; run after the products it
       doubled their time (1024 × 4096 × 1024: products alone 1.24 ms, with the epilogue after them
       2.1 ms, 3.4 ms with GELU). */
    int32_t acc[2][32 * 32] __attribute__((aligned(64)));  /* or float */
    int current = 0;
    pending_block pending = {0};

    altclip_tile_config saved = altclip_tiles_begin();

    /* Columns per group: the group's weights (~512 KB) stay in L2 while every row block of the pass
       runs against them, and each row block's results go out as rows of group·32 floats (not 32-float
       pieces of every row, which would touch a new page per row). */
    size_t group = (512u << 10) / (row_bytes * 32);
    if (group < 1) group = 1;
    for (size_t m0 = 0; m0 < mpad;) {
        size_t m1 = m0 + pass >= mpad || mpad - (m0 + pass) < pass / 4 ? mpad : m0 + pass;
        for (size_t g0 = nb_begin; g0 < nb_end; g0 += group) {
            size_t g1 = g0 + group < nb_end ? g0 + group : nb_end;
            for (size_t mb = m0; mb < m1; mb += 32) {
                const uint8_t *a0 = a + (mb / 16) * chunks * 1024, *a1 = a0 + chunks * 1024;
                size_t rows = mb + 32 <= m ? 32 : m - mb;  /* mb < m: mpad − m < 32 */
                /* A last block of at most 16 rows (257 = 8·32 + 1 for a ViT image) runs half the products. */
                int full = rows > 16;
                for (size_t nb = g0; nb < g1; nb++) {
                    const uint8_t *bp = packed + nb * chunks * 2048;
                    /* The pending block's rows spread over this block's chunks. */
                    size_t step = (pending.rows - pending.done + chunks - 1) / chunks;
                    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
                    for (size_t kc = 0; kc < chunks; kc++) {
#define ALTCLIP_TILE_PRODUCT(C, A, B) do { if (bf16) _tile_dpbf16ps(C, A, B); else _tile_dpbusd(C, A, B); } while (0)
                        _tile_loadd(4, a0 + kc * 1024, 64);
                        _tile_loadd(6, bp + kc * 2048, 64);
                        ALTCLIP_TILE_PRODUCT(0, 4, 6);
                        _tile_loadd(7, bp + kc * 2048 + 1024, 64);
                        ALTCLIP_TILE_PRODUCT(1, 4, 7);
                        if (full) {
                            _tile_loadd(5, a1 + kc * 1024, 64);
                            ALTCLIP_TILE_PRODUCT(2, 5, 6);
                            ALTCLIP_TILE_PRODUCT(3, 5, 7);
                        }
#undef ALTCLIP_TILE_PRODUCT
                        if (pending.done < pending.rows) {
                            size_t end = pending.done + step < pending.rows ? pending.done + step : pending.rows;
                            epilogue_rows(bf16, pending.acc, pending.done, end, pending.row0, pending.col0, n, e, out);
                            pending.done = end;
                        }
                    }
                    int32_t *sums = acc[current];
                    current ^= 1;
                    _tile_stored(0, sums, 128);
                    _tile_stored(1, sums + 16, 128);
                    if (full) {
                        _tile_stored(2, sums + 16 * 32, 128);
                        _tile_stored(3, sums + 16 * 32 + 16, 128);
                    }
                    pending = (pending_block){sums, rows, 0, mb, nb * 32};
                }
            }
        }
        m0 = m1;
    }
    epilogue_rows(bf16, pending.acc, pending.done, pending.rows, pending.row0, pending.col0, n, e, out);
    altclip_tiles_end(&saved);
}

__attribute__((target(ALTCLIP_GEMM_TARGET)))
static void gemm_u8s8(const uint8_t *a, size_t m, size_t k, const int8_t *packed, size_t n, size_t nb_begin,
                      size_t nb_end, const altclip_amx_epilogue *e, float *out) {
    gemm_tiles(0, a, m, k, (const uint8_t *)packed, n, nb_begin, nb_end, e, out);
}

__attribute__((target(ALTCLIP_GEMM_TARGET)))
static void gemm_bf16(const uint16_t *a, size_t m, size_t k, const uint16_t *packed, size_t n, size_t nb_begin,
                      size_t nb_end, const altclip_amx_epilogue *e, float *out) {
    gemm_tiles(1, (const uint8_t *)a, m, k, (const uint8_t *)packed, n, nb_begin, nb_end, e, out);
}

/* Rows of floats to bf16 (nearest even, as the CPU's conversion: subnormals to zero) in the blocked
   layout: [row block of 16][k / 32][16 rows][32 values]. */
__attribute__((target(ALTCLIP_GEMM_TARGET)))
static void bf16_rows_avx512(const float *x, size_t count, size_t k, size_t first_row, uint16_t *blocked) {
    size_t chunks = k / 32;
    for (size_t r = 0; r < count; r++) {
        const float *row = x + r * k;
        size_t index = first_row + r;
        uint16_t *target = blocked + ((index / 16) * chunks * 16 + index % 16) * 32;
        for (size_t kc = 0; kc < chunks; kc++, target += 16 * 32)
            _mm512_storeu_si512(target, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + kc * 32 + 16),
                                                                      _mm512_loadu_ps(row + kc * 32)));
    }
}

void altclip_amx_bf16_convert_rows(const float *x, size_t count, size_t k, size_t first_row, uint16_t *blocked) {
    if (altclip_has_amx_bf16()) bf16_rows_avx512(x, count, k, first_row, blocked);
}

int altclip_amx_bf16_gemm(const uint16_t *a, size_t m, size_t k, const uint16_t *packed, size_t n, size_t n_begin,
                          size_t n_end, const altclip_amx_epilogue *epilogue, float *out) {
    if (!altclip_has_amx_bf16() || !altclip_amx_bf16_shape_supported(n, k) || n_begin % 32 || n_end % 32 ||
        n_end > n || n_begin > n_end)
        return 0;
    if (m > 0 && n_end > n_begin) gemm_bf16(a, m, k, packed, n, n_begin / 32, n_end / 32, epilogue, out);
    return 1;
}

int altclip_amx_u8s8_gemm(const uint8_t *a, size_t m, size_t k, const int8_t *packed, size_t n, size_t n_begin,
                          size_t n_end, const altclip_amx_epilogue *epilogue, float *out) {
    if (!altclip_has_amx_int8() || !altclip_amx_s8_shape_supported(n, k) || n_begin % 32 || n_end % 32 ||
        n_end > n || n_begin > n_end)
        return 0;
    if (m > 0 && n_end > n_begin) gemm_u8s8(a, m, k, packed, n, n_begin / 32, n_end / 32, epilogue, out);
    return 1;
}
#else
int altclip_has_amx_int8(void) { return 0; }

void altclip_amx_u8_quantize_rows_own_scale(const float *x, size_t count, size_t k, size_t first_row, uint8_t *blocked,
                                            float *row_scale, float *row_zero) {
    quantize_rows_portable(x, count, k, first_row, blocked, row_scale, row_zero);
}

int altclip_amx_u8s8_gemm(const uint8_t *a, size_t m, size_t k, const int8_t *packed, size_t n, size_t n_begin,
                          size_t n_end, const altclip_amx_epilogue *epilogue, float *out) {
    (void)a; (void)m; (void)k; (void)packed; (void)n; (void)n_begin; (void)n_end; (void)epilogue; (void)out;
    return 0;
}

void altclip_amx_bf16_convert_rows(const float *x, size_t count, size_t k, size_t first_row, uint16_t *blocked) {
    (void)x; (void)count; (void)k; (void)first_row; (void)blocked;
}

int altclip_amx_bf16_gemm(const uint16_t *a, size_t m, size_t k, const uint16_t *packed, size_t n, size_t n_begin,
                          size_t n_end, const altclip_amx_epilogue *epilogue, float *out) {
    (void)a; (void)m; (void)k; (void)packed; (void)n; (void)n_begin; (void)n_end; (void)epilogue; (void)out;
    return 0;
}
#endif
