import CJPEG

/// JPEG through libjpeg-turbo, with Pillow's choices: 1 component → L, 3 → RGB (libjpeg's colour
/// transform as it guesses it from JFIF/Adobe markers), 4 → CMYK read Adobe-inverted (`CMYK;I`) then
/// `cmyk2rgb` without colour management. Default DCT (islow) and fancy upsampling, as Pillow leaves them.
/// Data that ends before the last scanline is an error (Pillow: "image file is truncated").
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, _ context: DecodeContext) throws -> DecodedImage {
        let ctx = UnsafeMutablePointer<altclip_jpeg_context>.allocate(capacity: 1)
        defer {
            altclip_jpeg_destroy(ctx)
            ctx.deallocate()
        }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if altclip_jpeg_begin(ctx, base, UInt(bytes.count)) != 0 {
            throw failure(ctx, context)
        }
        let width = Int(ctx.pointee.cinfo.image_width)
        let height = Int(ctx.pointee.cinfo.image_height)
        let components = Int(ctx.pointee.cinfo.num_components)
        try context.checkDimensions(width: width, height: height)

        let outSpace: J_COLOR_SPACE
        switch components {
        case 1: outSpace = JCS_GRAYSCALE
        case 3: outSpace = JCS_RGB
        case 4: outSpace = JCS_CMYK
        default: throw context.unsupported("\(components) colour components")
        }
        var orientation = 1
        if context.options.applyExifOrientation {
            orientation = ExifOrientation.orientation(exif: appSegment(ctx, exif: true), xmp: appSegment(ctx, exif: false))
        }
        if altclip_jpeg_start(ctx, Int32(bitPattern: outSpace.rawValue)) != 0 || ctx.pointee.hit_eof != 0 {
            throw failure(ctx, context)
        }
        let outComponents = Int(ctx.pointee.cinfo.output_components)
        guard Int(ctx.pointee.cinfo.output_width) == width, Int(ctx.pointee.cinfo.output_height) == height,
              outComponents == components
        else {
            throw context.corrupt("decoder output geometry differs from the header")
        }
        let rowBytes = width * components
        var failed = false
        var samples = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { buffer, initialized in
            // Every row is written before the array is used; on failure the array is discarded.
            failed = altclip_jpeg_read_rows(ctx, buffer.baseAddress!, UInt(rowBytes), UInt32(height)) != 0
            initialized = rowBytes * height
        }
        if failed || ctx.pointee.hit_eof != 0 { throw failure(ctx, context) }

        if components == 4 {
            samples = cmykToRGB(samples, pixels: width * height)
        }
        return DecodedImage(
            width: width, height: height, channels: components == 4 ? 3 : components, samples: samples,
            orientation: orientation)
    }

    /// Pillow's `CMYK;I` unpacking (each sample inverted) followed by `cmyk2rgb`:
    /// `nk = 255 − K`, `out = nk − MULDIV255(C, nk)`, which equals `round((255 − C)(255 − K) / 255)`.
    static func cmykToRGB(_ inverted: [UInt8], pixels: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pixels * 3) { out, initialized in
            inverted.withUnsafeBufferPointer { src in
                for i in 0..<pixels {
                    let nk = Int(src[i * 4 + 3])  // 255 − (255 − k) after inversion
                    for c in 0..<3 {
                        let ci = 255 - Int(src[i * 4 + c])
                        let t = ci * nk + 128
                        let v = nk - (((t >> 8) + t) >> 8)
                        out[i * 3 + c] = UInt8(clamping: v)
                    }
                }
            }
            initialized = pixels * 3
        }
    }

    private static func failure(_ ctx: UnsafeMutablePointer<altclip_jpeg_context>, _ context: DecodeContext) -> ImageError {
        if ctx.pointee.hit_eof != 0 { return context.truncated() }
        let message = withUnsafeBytes(of: &ctx.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if Int32(ctx.pointee.err.msg_code) == Int32(JERR_BAD_PRECISION.rawValue) {
            return context.unsupported(message)
        }
        return context.corrupt(message.isEmpty ? "libjpeg error" : message)
    }

    /// The first APP1 segment holding EXIF (`Exif\0\0…`) or XMP (`http://ns.adobe.com/xap/1.0/\0…`),
    /// as Pillow's `info["exif"]` / `info["xmp"]`.
    private static func appSegment(_ ctx: UnsafeMutablePointer<altclip_jpeg_context>, exif: Bool) -> [UInt8]? {
        let exifPrefix: [UInt8] = Array("Exif\0\0".utf8)
        let xmpPrefix: [UInt8] = Array("http://ns.adobe.com/xap/1.0/\0".utf8)
        let prefix = exif ? exifPrefix : xmpPrefix
        var marker = altclip_jpeg_markers(ctx)
        while let m = marker {
            if m.pointee.marker == UInt8(JPEG_APP0 + 1), let data = m.pointee.data {
                let bytes = Array(UnsafeBufferPointer(start: data, count: Int(m.pointee.data_length)))
                if bytes.starts(with: prefix) {
                    return exif ? bytes : Array(bytes.dropFirst(prefix.count))
                }
            }
            marker = m.pointee.next
        }
        return nil
    }
}
