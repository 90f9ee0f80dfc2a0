import CWebP

/// WebP through libwebp's animation decoder, as Pillow 13 does for every WebP (still or animated):
/// the first frame composited on the canvas, RGBA when the bitstream declares alpha, otherwise the
/// alpha byte is ignored (`RGBX`).
enum WebPDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, _ context: DecodeContext) throws -> DecodedImage {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(base, bytes.count, &features)
        switch status {
        case VP8_STATUS_OK: break
        case VP8_STATUS_NOT_ENOUGH_DATA: throw context.truncated()
        case VP8_STATUS_UNSUPPORTED_FEATURE: throw context.unsupported("unsupported bitstream feature")
        default: throw context.corrupt("invalid bitstream header (status \(status.rawValue))")
        }
        try context.checkDimensions(width: Int(features.width), height: Int(features.height))

        var data = WebPData(bytes: base, size: bytes.count)
        var options = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInit(&options) != 0 else { throw context.corrupt("libwebp ABI mismatch") }
        options.color_mode = MODE_RGBA
        options.use_threads = 0
        guard let decoder = WebPAnimDecoderNew(&data, &options) else {
            throw declaredSize(bytes) > bytes.count ? context.truncated() : context.corrupt("cannot parse the RIFF container")
        }
        defer { WebPAnimDecoderDelete(decoder) }
        var info = WebPAnimInfo()
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0 else { throw context.corrupt("cannot read animation info") }
        let width = Int(info.canvas_width), height = Int(info.canvas_height)
        try context.checkDimensions(width: width, height: height)

        var frame: UnsafeMutablePointer<UInt8>?
        var timestamp: Int32 = 0
        guard WebPAnimDecoderGetNext(decoder, &frame, &timestamp) != 0, let frame else {
            throw declaredSize(bytes) > bytes.count ? context.truncated() : context.corrupt("cannot decode the first frame")
        }
        let n = width * height
        let channels = features.has_alpha != 0 ? 4 : 3
        let samples = [UInt8](unsafeUninitializedCapacity: n * channels) { out, initialized in
            if channels == 4 {
                out.baseAddress!.initialize(from: frame, count: n * 4)
            } else {
                for i in 0..<n {
                    out[i * 3] = frame[i * 4]
                    out[i * 3 + 1] = frame[i * 4 + 1]
                    out[i * 3 + 2] = frame[i * 4 + 2]
                }
            }
            initialized = n * channels
        }
        var image = DecodedImage(width: width, height: height, channels: channels, samples: samples)
        if context.options.applyExifOrientation, let demux = WebPAnimDecoderGetDemuxer(decoder) {
            image.orientation = ExifOrientation.orientation(exif: chunk(demux, "EXIF"), xmp: chunk(demux, "XMP "))
        }
        return image
    }

    /// RIFF size field + 8: how long the file says it is.
    private static func declaredSize(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count >= 8 else { return Int.max }
        return (Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24) + 8
    }

    private static func chunk(_ demux: OpaquePointer, _ fourcc: String) -> [UInt8]? {
        var iterator = WebPChunkIterator()
        defer { WebPDemuxReleaseChunkIterator(&iterator) }
        guard WebPDemuxGetChunk(demux, fourcc, 1, &iterator) != 0, let bytes = iterator.chunk.bytes else { return nil }
        return Array(UnsafeBufferPointer(start: bytes, count: iterator.chunk.size))
    }
}
