import CPNG

/// PNG through libpng, reduced to Pillow 13's modes (`PngImagePlugin._MODES`):
/// gray 1/2/4/8-bit → `1`/`L` (scaled to 0…255), gray 16-bit → `I;16` (clamped to 255 on conversion),
/// RGB/RGBA/LA 16-bit → the high byte of each sample, palettes looked up with `tRNS` alphas, and a
/// gray/RGB `tRNS` colour key compared the way Pillow's `convert_transparent` does.
/// CRCs are checked up to the first IDAT (as Pillow) and ignored from there on.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, _ context: DecodeContext) throws -> DecodedImage {
        let ctx = UnsafeMutablePointer<altclip_png_context>.allocate(capacity: 1)
        defer {
            altclip_png_destroy(ctx)
            ctx.deallocate()
        }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if altclip_png_begin(ctx, base, bytes.count) != 0 { throw failure(ctx, context) }
        let png = ctx.pointee.png, info = ctx.pointee.info
        let width = Int(png_get_image_width(png, info))
        let height = Int(png_get_image_height(png, info))
        let bitDepth = Int(png_get_bit_depth(png, info))
        let colorType = Int32(png_get_color_type(png, info))
        try context.checkDimensions(width: width, height: height)

        let channels: Int
        switch colorType {
        case PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_PALETTE: channels = 1
        case PNG_COLOR_TYPE_GRAY_ALPHA: channels = 2
        case PNG_COLOR_TYPE_RGB: channels = 3
        case PNG_COLOR_TYPE_RGB_ALPHA: channels = 4
        default: throw context.unsupported("colour type \(colorType)")
        }
        let sampleBytes = bitDepth == 16 ? 2 : 1
        let rowBytes = width * channels * sampleBytes
        let (total, overflow) = rowBytes.multipliedReportingOverflow(by: height)
        guard !overflow else { throw ImageError.tooManyPixels(file: context.name, width: width, height: height, limit: context.options.maxPixels) }

        var raw = [UInt8](repeating: 0, count: total)
        let status: Int32 = raw.withUnsafeMutableBufferPointer { buffer in
            var rows = (0..<height).map { Optional(buffer.baseAddress! + $0 * rowBytes) }
            return rows.withUnsafeMutableBufferPointer { altclip_png_read_image(ctx, $0.baseAddress!, rowBytes) }
        }
        if status != 0 { throw failure(ctx, context) }

        var image: DecodedImage
        switch colorType {
        case PNG_COLOR_TYPE_PALETTE:
            image = palette(raw, width: width, height: height, png: png, info: info)
        case PNG_COLOR_TYPE_GRAY:
            image = gray(raw, width: width, height: height, bitDepth: bitDepth)
            var trans: png_color_16p?
            if png_get_tRNS(png, info, nil, nil, &trans) != 0, let t = trans?.pointee {
                // Pillow: mode "1" keeps 0/255, L and I;16 keep the raw sample value.
                let key = bitDepth == 1 ? (t.gray != 0 ? 255 : 0) : Int(t.gray)
                image.colorKey = (key, key, key)
            }
        default:
            image = DecodedImage(
                width: width, height: height, channels: channels,
                samples: sampleBytes == 2 ? highBytes(raw) : raw)
            if colorType == PNG_COLOR_TYPE_RGB {
                var trans: png_color_16p?
                if png_get_tRNS(png, info, nil, nil, &trans) != 0, let t = trans?.pointee {
                    image.colorKey = (Int(t.red), Int(t.green), Int(t.blue))
                }
            }
        }
        if context.options.applyExifOrientation {
            _ = altclip_png_read_end(ctx)
            image.orientation = ExifOrientation.orientation(exif: exif(png, info), xmp: text(png, info, key: "XML:com.adobe.xmp"))
        }
        return image
    }

    private static func failure(_ ctx: UnsafeMutablePointer<altclip_png_context>, _ context: DecodeContext) -> ImageError {
        let message = withUnsafeBytes(of: &ctx.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if message == "file is truncated" || message.hasPrefix("Not enough image data") || message.contains("unexpected end") {
            return context.truncated()
        }
        return context.corrupt(message.isEmpty ? "libpng error" : message)
    }

    /// Pillow's `L;2`/`L;4`/`1` unpackers scale to 0…255; `I;16 → RGB` clamps anything above 255.
    private static func gray(_ raw: [UInt8], width: Int, height: Int, bitDepth: Int) -> DecodedImage {
        let n = width * height
        let samples: [UInt8]
        switch bitDepth {
        case 16:
            samples = (0..<n).map { raw[$0 * 2] == 0 ? raw[$0 * 2 + 1] : 255 }
        case 8:
            samples = raw
        default:
            let scale = UInt8(255 / ((1 << bitDepth) - 1))
            samples = raw.map { $0 &* scale }
        }
        return DecodedImage(width: width, height: height, channels: 1, samples: samples)
    }

    /// Keeps the most significant byte of each big-endian 16-bit sample (Pillow's `;16B` rawmodes).
    private static func highBytes(_ raw: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: raw.count / 2) { out, initialized in
            for i in 0..<raw.count / 2 { out[i] = raw[i * 2] }
            initialized = raw.count / 2
        }
    }

    /// Palette lookup; entries past the PLTE are black (Pillow's palette default), and a tRNS chunk
    /// gives per-entry alpha (entries past it stay opaque), which is how Pillow's `convert("RGBA")`
    /// treats both its single-index and its bytes forms of `info["transparency"]`.
    private static func palette(_ indices: [UInt8], width: Int, height: Int, png: png_structp?, info: png_infop?) -> DecodedImage {
        var table = [UInt8](repeating: 0, count: 256 * 4)
        for i in 0..<256 { table[i * 4 + 3] = 255 }
        var plte: png_colorp?
        var count: Int32 = 0
        if png_get_PLTE(png, info, &plte, &count) != 0, let plte {
            for i in 0..<min(Int(count), 256) {
                table[i * 4] = plte[i].red
                table[i * 4 + 1] = plte[i].green
                table[i * 4 + 2] = plte[i].blue
            }
        }
        var alpha: png_bytep?
        var alphaCount: Int32 = 0
        let hasAlpha = png_get_tRNS(png, info, &alpha, &alphaCount, nil) != 0 && alpha != nil
        if hasAlpha, let alpha {
            for i in 0..<min(Int(alphaCount), 256) { table[i * 4 + 3] = alpha[i] }
        }
        let channels = hasAlpha ? 4 : 3
        let n = width * height
        let samples = [UInt8](unsafeUninitializedCapacity: n * channels) { out, initialized in
            for i in 0..<n {
                let e = Int(indices[i]) * 4
                for c in 0..<channels { out[i * channels + c] = table[e + c] }
            }
            initialized = n * channels
        }
        return DecodedImage(width: width, height: height, channels: channels, samples: samples)
    }

    /// Pillow's `info["exif"]`: the eXIf chunk, else the hex dump in a "Raw profile type exif" text chunk.
    private static func exif(_ png: png_structp?, _ info: png_infop?) -> [UInt8]? {
        var count: png_uint_32 = 0
        var data: png_bytep?
        if png_get_eXIf_1(png, info, &count, &data) != 0, let data {
            return Array(UnsafeBufferPointer(start: data, count: Int(count)))
        }
        guard let dump = text(png, info, key: "Raw profile type exif") else { return nil }
        let lines = String(decoding: dump, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let hex = lines.dropFirst(3).joined().filter { !$0.isWhitespace }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var iterator = hex.utf8.makeIterator()
        while let hi = iterator.next() {
            guard let lo = iterator.next(), let h = hexValue(hi), let l = hexValue(lo) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }

    private static func text(_ png: png_structp?, _ info: png_infop?, key: String) -> [UInt8]? {
        var entries: png_textp?
        var count: Int32 = 0
        _ = png_get_text(png, info, &entries, &count)
        guard let entries else { return nil }
        for i in 0..<Int(count) {
            let entry = entries[i]
            guard let k = entry.key, String(cString: k) == key, let text = entry.text else { continue }
            let length = entry.compression == PNG_ITXT_COMPRESSION_NONE || entry.compression == PNG_ITXT_COMPRESSION_zTXt
                ? entry.itxt_length : entry.text_length
            return Array(UnsafeRawBufferPointer(start: text, count: length).bindMemory(to: UInt8.self))
        }
        return nil
    }
}
