#include <setjmp.h>
#include <string.h>
#include <png.h>

/*
 * libpng reports errors by longjmp. Swift cannot catch that, so each libpng call that may fail goes
 * through a guarded wrapper that owns the setjmp point and returns non-zero on error (text in
 * `message`). Warnings are dropped: library code never prints.
 */
typedef struct altclip_png_context {
    png_structp png;
    png_infop info;
    const unsigned char *data;
    size_t size;
    size_t offset;
    char message[256];
} altclip_png_context;

static void altclip_png_error(png_structp png, png_const_charp text) {
    altclip_png_context *ctx = (altclip_png_context *)png_get_error_ptr(png);
    strncpy(ctx->message, text ? text : "unknown libpng error", sizeof(ctx->message) - 1);
    ctx->message[sizeof(ctx->message) - 1] = 0;
    png_longjmp(png, 1);
}

static void altclip_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void altclip_png_read(png_structp png, png_bytep out, size_t length) {
    altclip_png_context *ctx = (altclip_png_context *)png_get_io_ptr(png);
    if (length > ctx->size - ctx->offset) {
        png_error(png, "file is truncated");
    }
    memcpy(out, ctx->data + ctx->offset, length);
    ctx->offset += length;
}

/*
 * Reads the signature and every chunk up to the first IDAT. Like Pillow, which checks the CRC of every
 * chunk it parses before the image data, a bad CRC there (critical or ancillary) is an error.
 */
static __attribute__((noinline)) int altclip_png_begin(
    altclip_png_context *ctx, const unsigned char *data, size_t size
) {
    memset(ctx, 0, sizeof(*ctx));
    ctx->data = data;
    ctx->size = size;
    ctx->png = png_create_read_struct(
        PNG_LIBPNG_VER_STRING, ctx, altclip_png_error, altclip_png_warning
    );
    if (!ctx->png) {
        strcpy(ctx->message, "cannot create libpng reader");
        return 1;
    }
    ctx->info = png_create_info_struct(ctx->png);
    if (!ctx->info) {
        strcpy(ctx->message, "cannot create libpng info");
        return 1;
    }
    if (setjmp(png_jmpbuf(ctx->png))) {
        return 1;
    }
    png_set_read_fn(ctx->png, ctx, altclip_png_read);
    /* Pillow has no width/height cap of its own beyond the pixel-count check done by the caller. */
    png_set_user_limits(ctx->png, 0x7fffffff, 0x7fffffff);
    png_set_crc_action(ctx->png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    png_read_info(ctx->png, ctx->info);
    return 0;
}

/*
 * Asks for samples of at least 8 bits without any value change (no expansion, no scaling, no
 * gamma), big-endian 16-bit kept as two bytes, and deinterlacing; then reads every row.
 * Pillow does not check CRCs of the image data or of anything after it, so from here on bad CRCs are
 * ignored.
 */
static __attribute__((noinline)) int altclip_png_read_image(
    altclip_png_context *ctx, png_bytepp rows, size_t expected_rowbytes
) {
    if (setjmp(png_jmpbuf(ctx->png))) {
        return 1;
    }
    png_set_crc_action(ctx->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    if (png_get_bit_depth(ctx->png, ctx->info) < 8) {
        png_set_packing(ctx->png);
    }
    (void)png_set_interlace_handling(ctx->png);
    png_read_update_info(ctx->png, ctx->info);
    if (png_get_rowbytes(ctx->png, ctx->info) != expected_rowbytes) {
        strcpy(ctx->message, "unexpected row size");
        return 1;
    }
    png_read_image(ctx->png, rows);
    return 0;
}

/* Reads the chunks after the image data (an eXIf or text chunk may sit there); errors are ignored. */
static __attribute__((noinline)) int altclip_png_read_end(altclip_png_context *ctx) {
    if (setjmp(png_jmpbuf(ctx->png))) {
        return 1;
    }
    png_read_end(ctx->png, ctx->info);
    return 0;
}

static void altclip_png_destroy(altclip_png_context *ctx) {
    if (ctx->png) {
        png_destroy_read_struct(&ctx->png, ctx->info ? &ctx->info : NULL, NULL);
        ctx->png = NULL;
        ctx->info = NULL;
    }
}
