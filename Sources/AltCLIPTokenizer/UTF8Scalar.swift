/// Byte-level helpers for valid UTF-8 (the tokenizer only ever walks text that Swift already validated).
enum UTF8Scalar {
    @inline(__always)
    static func length(ofLeadByte b: UInt8) -> Int {
        if b < 0x80 { return 1 }
        if b < 0xE0 { return 2 }
        if b < 0xF0 { return 3 }
        return 4
    }

    /// Decodes the scalar starting at `p` (length from the lead byte).
    @inline(__always)
    static func decode(_ p: UnsafePointer<UInt8>, length: Int) -> UInt32 {
        switch length {
        case 1: return UInt32(p[0])
        case 2: return (UInt32(p[0]) & 0x1F) << 6 | (UInt32(p[1]) & 0x3F)
        case 3: return (UInt32(p[0]) & 0x0F) << 12 | (UInt32(p[1]) & 0x3F) << 6 | (UInt32(p[2]) & 0x3F)
        default:
            return (UInt32(p[0]) & 0x07) << 18 | (UInt32(p[1]) & 0x3F) << 12 | (UInt32(p[2]) & 0x3F) << 6
                | (UInt32(p[3]) & 0x3F)
        }
    }

    /// Rust's `char::is_whitespace` (Unicode White_Space), used by `WhitespaceSplit` and added-token stripping.
    @inline(__always)
    static func isWhitespace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}
