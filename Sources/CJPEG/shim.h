#include <stdio.h>
#include <setjmp.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/*
 * libjpeg reports fatal errors by calling error_exit, whose default ends the process. Swift cannot
 * catch a longjmp, so every libjpeg call that may fail goes through one of the guarded wrappers below:
 * each sets its own setjmp point, so the error handler jumps back into a live C frame that then returns
 * a non-zero status (message in `message`). Warnings are never printed; the one that matters for
 * parity with Pillow (data ended before the image did) is remembered in `hit_eof`.
 */
typedef struct altclip_jpeg_context {
    struct jpeg_decompress_struct cinfo; /* must stay first: handlers cast the common pointer back */
    struct jpeg_error_mgr err;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int hit_eof;
    int created;
} altclip_jpeg_context;

static void altclip_jpeg_error_exit(j_common_ptr cinfo) {
    altclip_jpeg_context *ctx = (altclip_jpeg_context *)cinfo;
    (*cinfo->err->format_message)(cinfo, ctx->message);
    longjmp(ctx->jump, 1);
}

static void altclip_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    altclip_jpeg_context *ctx = (altclip_jpeg_context *)cinfo;
    if (msg_level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            ctx->hit_eof = 1;
        }
        cinfo->err->num_warnings++;
    }
}

static void altclip_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

/* Creates the decompressor over an in-memory file, keeps APP1 (EXIF/XMP) and reads the header. */
static __attribute__((noinline)) int altclip_jpeg_begin(
    altclip_jpeg_context *ctx, const unsigned char *data, unsigned long size
) {
    memset(ctx, 0, sizeof(*ctx));
    ctx->cinfo.err = jpeg_std_error(&ctx->err);
    ctx->err.error_exit = altclip_jpeg_error_exit;
    ctx->err.emit_message = altclip_jpeg_emit_message;
    ctx->err.output_message = altclip_jpeg_output_message;
    if (setjmp(ctx->jump)) {
        return 1;
    }
    jpeg_create_decompress(&ctx->cinfo);
    ctx->created = 1;
    jpeg_mem_src(&ctx->cinfo, data, size);
    jpeg_save_markers(&ctx->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&ctx->cinfo, TRUE);
    return 0;
}

/* Chooses the output colour space and starts decompression (progressive files are read fully here). */
static __attribute__((noinline)) int altclip_jpeg_start(altclip_jpeg_context *ctx, int out_color_space) {
    if (setjmp(ctx->jump)) {
        return 1;
    }
    ctx->cinfo.out_color_space = (J_COLOR_SPACE)out_color_space;
    jpeg_start_decompress(&ctx->cinfo);
    return 0;
}

/* Reads scanlines into consecutive rows of `out` (row stride `stride`) until `count` rows are read. */
static __attribute__((noinline)) int altclip_jpeg_read_rows(
    altclip_jpeg_context *ctx, unsigned char *out, unsigned long stride, unsigned int count
) {
    if (setjmp(ctx->jump)) {
        return 1;
    }
    JSAMPROW rows[16];
    while (ctx->cinfo.output_scanline < count) {
        unsigned int first = ctx->cinfo.output_scanline;
        unsigned int n = count - first < 16 ? count - first : 16;
        for (unsigned int i = 0; i < n; i++) {
            rows[i] = out + (unsigned long)(first + i) * stride;
        }
        if (jpeg_read_scanlines(&ctx->cinfo, rows, n) == 0) {
            strcpy(ctx->message, "decoder returned no scanline");
            return 1;
        }
    }
    return 0;
}

static void altclip_jpeg_destroy(altclip_jpeg_context *ctx) {
    if (ctx->created) {
        jpeg_destroy_decompress(&ctx->cinfo);
        ctx->created = 0;
    }
}

/* jpeg_saved_marker_ptr walking for Swift (the struct is a linked list). */
static inline jpeg_saved_marker_ptr altclip_jpeg_markers(altclip_jpeg_context *ctx) {
    return ctx->cinfo.marker_list;
}
