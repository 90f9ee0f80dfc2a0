#ifndef ALTCLIP_GEMM_AMX_H
#define ALTCLIP_GEMM_AMX_H

#include <stddef.h>
#include <stdint.h>

/// Linear products on AMX tiles (Intel Sapphire Rapids and later), written as Float32 with an optional
/// bias, activation and residual:
/// - int8: uint8 activations (one scale and zero point per row) × int8 weights (one scale per column)
///   with int32 accumulation, dequantized;
/// - bfloat16: bf16 activations × bf16 weights with Float32 accumulation.

enum {
    ALTCLIP_AMX_NO_ACTIVATION = 0,
    /// x·sigmoid(1.702·x) (CLIP's quick_gelu)
    ALTCLIP_AMX_QUICK_GELU = 1,
    /// 0.5·x·(1 + erf(x/√2)) (exact GELU, erf to 1.5e-7)
    ALTCLIP_AMX_GELU_ERF = 2,
};

/// `y = (acc − row_zero[r]·column_sums[c])·row_scale[r]·scale[c] + bias[c]` (int8) or `acc + bias[c]`
/// (bf16), then the activation, then `+ residual[r, c]` (row_scale and row_zero as
/// `altclip_amx_u8_quantize_rows_own_scale` stores them; the four int8 fields are not read for bf16).
typedef struct {
    const float *scale;        /* [n]: the weights' column scales */
    const float *bias;         /* [n], or NULL */
    const float *column_sums;  /* [n]: Σ_k of each column's int8 codes */
    const float *row_scale;    /* [m] */
    const float *row_zero;     /* [m] */
    const float *residual;     /* [m, n] row-major, or NULL */
    int activation;
} altclip_amx_epilogue;

/// Whether the CPU has AMX-INT8 and the OS granted the tile state.
int altclip_has_amx_int8(void);
/// Shapes the kernel takes: n a multiple of 32, k of 64.
int altclip_amx_s8_shape_supported(size_t n, size_t k);
/// Bytes of a packed `[n, k]` weight (n·k) and of the blocked activations for m rows (rows rounded up to 32).
size_t altclip_amx_s8_packed_bytes(size_t n, size_t k);
size_t altclip_amx_u8_blocked_bytes(size_t m, size_t k);
/// Packs outputs `[n_begin, n_end)` (multiples of 32) of an int8 weight `[n, k]` (row-major) into the
/// kernel's layout (disjoint ranges may run in parallel).
void altclip_amx_s8_pack(const int8_t *w, size_t n, size_t k, size_t n_begin, size_t n_end, int8_t *packed);
/// The packed weight back to `[n, k]` row-major.
void altclip_amx_s8_unpack(const int8_t *packed, size_t n, size_t k, int8_t *w);
/// Quantizes each of `count` Float32 rows of k values (the first being row `first_row`) to uint8 with its
/// own scale and zero point (range `[min(0, min), max(0, max)]` in 255 steps, as `altclip_quantize_u8`
/// rounds), into the blocked layout; stores them at `row_scale[row]`, `row_zero[row]`.
void altclip_amx_u8_quantize_rows_own_scale(const float *x, size_t count, size_t k, size_t first_row, uint8_t *blocked,
                                            float *row_scale, float *row_zero);
/// `out[i, j]` for all m rows and the columns `[n_begin, n_end)` (multiples of 32): one thread's share.
/// `a`: blocked activations (`altclip_amx_u8_blocked_bytes(m, k)` bytes; padding rows may hold anything).
/// `out`: `[m, n]` row-major. Returns 0 (writing nothing) without AMX-INT8 or for unsupported shapes.
int altclip_amx_u8s8_gemm(const uint8_t *a, size_t m, size_t k, const int8_t *packed, size_t n, size_t n_begin,
                          size_t n_end, const altclip_amx_epilogue *epilogue, float *out);

/// Shapes the bf16 kernel takes (it runs where `altclip_has_amx_bf16`, in altclip_attention.h, says so):
/// n a multiple of 32, k of 32.
int altclip_amx_bf16_shape_supported(size_t n, size_t k);
/// Bytes of a packed bf16 `[n, k]` weight (2·n·k) and of the blocked bf16 activations for m rows (rows
/// rounded up to 32).
size_t altclip_amx_bf16_packed_bytes(size_t n, size_t k);
size_t altclip_amx_bf16_blocked_bytes(size_t m, size_t k);
/// Packs outputs `[n_begin, n_end)` (multiples of 32) of bf16 weights `[n, k]` (row-major bits) into the
/// kernel's layout (disjoint ranges may run in parallel), and back.
void altclip_amx_bf16_pack(const uint16_t *w, size_t n, size_t k, size_t n_begin, size_t n_end, uint16_t *packed);
void altclip_amx_bf16_unpack(const uint16_t *packed, size_t n, size_t k, uint16_t *w);
/// Rounds `count` Float32 rows of k values (the first being row `first_row`) to bf16 (nearest even, as
/// `altclip_f32_to_bf16`) into the blocked layout. Does nothing without AMX-BF16.
void altclip_amx_bf16_convert_rows(const float *x, size_t count, size_t k, size_t first_row, uint16_t *blocked);
/// As `altclip_amx_u8s8_gemm` for bf16: `a` holds `altclip_amx_bf16_blocked_bytes(m, k)` bytes. Returns 0
/// (writing nothing) without AMX-BF16 or for unsupported shapes.
int altclip_amx_bf16_gemm(const uint16_t *a, size_t m, size_t k, const uint16_t *packed, size_t n, size_t n_begin,
                          size_t n_end, const altclip_amx_epilogue *epilogue, float *out);

#endif
