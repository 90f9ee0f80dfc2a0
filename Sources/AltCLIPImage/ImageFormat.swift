/// Container formats recognized from their leading bytes (never from the file extension, as Pillow).
enum ImageFormat: Equatable {
    case jpeg, png, gif, webp, bmp
    /// Recognized but not decoded here; the payload is a human-readable name.
    case unsupported(String)

    var name: String {
        switch self {
        case .jpeg: return "JPEG"
        case .png: return "PNG"
        case .gif: return "GIF"
        case .webp: return "WebP"
        case .bmp: return "BMP"
        case .unsupported(let name): return name
        }
    }

    /// Identifies `bytes` or returns nil when nothing matches.
    static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            guard bytes.count >= offset + prefix.count else { return false }
            for (i, b) in prefix.enumerated() where bytes[offset + i] != b { return false }
            return true
        }
        func ascii(_ s: String, at offset: Int = 0) -> Bool { starts(Array(s.utf8), at: offset) }

        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if ascii("GIF87a") || ascii("GIF89a") { return .gif }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return .webp }
        if ascii("BM") && bytes.count >= 18 { return .bmp }

        if ascii("II*\0") || ascii("MM\0*") || ascii("II+\0") || ascii("MM\0+") { return .unsupported("TIFF") }
        if ascii("ftyp", at: 4) {
            if ascii("avif", at: 8) || ascii("avis", at: 8) { return .unsupported("AVIF") }
            if ascii("heic", at: 8) || ascii("heix", at: 8) || ascii("mif1", at: 8) || ascii("msf1", at: 8) {
                return .unsupported("HEIF")
            }
            if ascii("jp2 ", at: 8) || ascii("jpx ", at: 8) { return .unsupported("JPEG 2000") }
        }
        if starts([0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) {
            return .unsupported("JPEG 2000")
        }
        if starts([0xFF, 0x0A]) || starts([0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return .unsupported("JPEG XL") }
        if starts([0, 0, 1, 0]) && bytes.count >= 6 && bytes[4] > 0 { return .unsupported("ICO") }
        if ascii("8BPS") { return .unsupported("PSD") }
        if ascii("qoif") { return .unsupported("QOI") }
        if ascii("DDS ") { return .unsupported("DDS") }
        if ascii("%PDF") { return .unsupported("PDF") }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), (UInt8(ascii: "1")...UInt8(ascii: "7")).contains(bytes[1]),
           bytes.count >= 3, [0x09, 0x0A, 0x0D, 0x20].contains(bytes[2]) {
            return .unsupported("PNM")
        }
        return nil
    }
}
