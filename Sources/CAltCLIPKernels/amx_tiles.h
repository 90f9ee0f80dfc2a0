#ifndef ALTCLIP_AMX_TILES_H
#define ALTCLIP_AMX_TILES_H

/* Private to the AMX kernels (attention.c, gemm_amx.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline size_t altclip_round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

#if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

typedef struct {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} altclip_tile_config;

/* Configures all eight tiles as 16 rows × 64 bytes (what both kernels use) and returns the thread's
   previous configuration: oneDNN's AMX kernels may run on the same threads and keep theirs. */
__attribute__((target("amx-tile")))
static inline altclip_tile_config altclip_tiles_begin(void) {
    altclip_tile_config saved, config;
    _tile_storeconfig(&saved);
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.rows[t] = 16; config.colsb[t] = 64; }
    _tile_loadconfig(&config);
    return saved;
}

__attribute__((target("amx-tile")))
static inline void altclip_tiles_end(const altclip_tile_config *saved) {
    if (saved->palette) _tile_loadconfig(saved);
    else _tile_release();
}
#endif

#endif
