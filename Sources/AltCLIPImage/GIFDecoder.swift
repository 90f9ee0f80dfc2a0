import CGIF

/// The first frame of a GIF through giflib, placed the way Pillow 13's `GifImagePlugin` does: on the
/// logical screen (enlarged if the frame sticks out), the rest filled with the transparent index (or
/// index 0), read as `P` with the frame's palette (local, else global) or as `L` when that palette is
/// absent or the identity grey ramp; the graphic-control transparent index becomes alpha.
enum GIFDecoder {
    private struct Reader {
        let base: UnsafePointer<UInt8>
        let count: Int
        var offset = 0
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, _ context: DecodeContext) throws -> DecodedImage {
        var reader = Reader(base: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        return try withUnsafeMutablePointer(to: &reader) { readerPointer in
            var error: Int32 = 0
            guard let gif = DGifOpen(readerPointer, { gif, buffer, length in
                guard let gif, let buffer, length > 0 else { return 0 }
                let reader = gif.pointee.UserData.assumingMemoryBound(to: Reader.self)
                let n = min(Int(length), reader.pointee.count - reader.pointee.offset)
                buffer.update(from: reader.pointee.base + reader.pointee.offset, count: n)
                reader.pointee.offset += n
                return Int32(n)
            }, &error) else {
                throw failure(error, context)
            }
            defer { _ = DGifCloseFile(gif, nil) }
            return try firstFrame(gif, context)
        }
    }

    private static func firstFrame(_ gif: UnsafeMutablePointer<GifFileType>, _ context: DecodeContext) throws -> DecodedImage {
        try context.checkDimensions(width: max(Int(gif.pointee.SWidth), 1), height: max(Int(gif.pointee.SHeight), 1))
        var transparency: Int?
        while true {
            var record = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(gif, &record) == GIF_OK else { throw failure(gif.pointee.Error, context) }
            switch record {
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(gif, &code, &block) == GIF_OK else { throw failure(gif.pointee.Error, context) }
                if code == GRAPHICS_EXT_FUNC_CODE, let b = block, b[0] >= 4, b[1] & 1 != 0 {
                    transparency = Int(b[4])
                }
                while block != nil {
                    guard DGifGetExtensionNext(gif, &block) == GIF_OK else { throw failure(gif.pointee.Error, context) }
                }
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(gif) == GIF_OK else { throw failure(gif.pointee.Error, context) }
                return try readImage(gif, transparency: transparency, context)
            case TERMINATE_RECORD_TYPE:
                throw context.corrupt("no image in the file")
            default:
                continue
            }
        }
    }

    private static func readImage(
        _ gif: UnsafeMutablePointer<GifFileType>, transparency: Int?, _ context: DecodeContext
    ) throws -> DecodedImage {
        let desc = gif.pointee.Image
        let left = Int(desc.Left), top = Int(desc.Top)
        let frameWidth = Int(desc.Width), frameHeight = Int(desc.Height)
        guard frameWidth > 0, frameHeight > 0, left >= 0, top >= 0 else {
            throw ImageError.invalidDimensions(file: context.name, width: frameWidth, height: frameHeight)
        }
        let width = max(Int(gif.pointee.SWidth), left + frameWidth)
        let height = max(Int(gif.pointee.SHeight), top + frameHeight)
        try context.checkDimensions(width: width, height: height)

        var canvas = [UInt8](repeating: UInt8(transparency ?? 0), count: width * height)
        var line = [GifPixelType](repeating: 0, count: frameWidth)
        let rowOrder: [Int] = desc.Interlace
            ? [(0, 8), (4, 8), (2, 4), (1, 2)].flatMap { Array(stride(from: $0.0, to: frameHeight, by: $0.1)) }
            : Array(0..<frameHeight)
        for row in rowOrder {
            guard DGifGetLine(gif, &line, Int32(frameWidth)) == GIF_OK else { throw failure(gif.pointee.Error, context) }
            let start = (top + row) * width + left
            canvas.replaceSubrange(start..<(start + frameWidth), with: line)
        }

        // Pillow drops a palette that is the identity grey ramp and reads indices as grey levels.
        let map = desc.ColorMap ?? gif.pointee.SColorMap
        var palette: [UInt8]?
        if let map, !isIdentityGray(map) {
            var table = [UInt8](repeating: 0, count: 256 * 3)
            for i in 0..<min(Int(map.pointee.ColorCount), 256) {
                let c = map.pointee.Colors[i]
                table[i * 3] = c.Red
                table[i * 3 + 1] = c.Green
                table[i * 3 + 2] = c.Blue
            }
            palette = table
        }
        if let palette {
            let channels = transparency == nil ? 3 : 4
            let samples = [UInt8](unsafeUninitializedCapacity: width * height * channels) { out, initialized in
                for i in 0..<width * height {
                    let index = Int(canvas[i])
                    out[i * channels] = palette[index * 3]
                    out[i * channels + 1] = palette[index * 3 + 1]
                    out[i * channels + 2] = palette[index * 3 + 2]
                    if channels == 4 { out[i * 4 + 3] = index == transparency ? 0 : 255 }
                }
                initialized = width * height * channels
            }
            return DecodedImage(width: width, height: height, channels: channels, samples: samples)
        }
        var image = DecodedImage(width: width, height: height, channels: 1, samples: canvas)
        if let transparency { image.colorKey = (transparency, transparency, transparency) }
        return image
    }

    /// Pillow's `_is_palette_needed` is false when entry i is (i, i, i) for every entry.
    private static func isIdentityGray(_ map: UnsafeMutablePointer<ColorMapObject>) -> Bool {
        for i in 0..<Int(map.pointee.ColorCount) {
            let c = map.pointee.Colors[i]
            guard Int(c.Red) == i, Int(c.Green) == i, Int(c.Blue) == i else { return false }
        }
        return true
    }

    private static func failure(_ code: Int32, _ context: DecodeContext) -> ImageError {
        if code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON { return context.truncated() }
        let message = GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)"
        return context.corrupt(message)
    }
}
