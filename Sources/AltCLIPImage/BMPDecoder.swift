/// Windows/OS2 bitmaps parsed by hand with the rules of Pillow 13's `BmpImagePlugin`: header sizes 12,
/// 40, 52, 56, 64, 108 and 124; 1/4/8-bit palettes (a pure black/white or identity grey palette is read
/// as `1`/`L`), 16-bit 5-5-5, 24-bit, 32-bit (the fourth byte ignored unless a supported BITFIELDS layout
/// names alpha), RLE8/RLE4; bottom-up unless the height's top byte is 0xFF.
enum BMPDecoder {
    /// Pillow's raw modes for pixel rows.
    private enum RawMode: Equatable {
        case bits1Gray, gray8, palette1, palette4, palette8
        case bgr15, bgr16, bgr24
        /// 32-bit with byte positions of R, G, B and optionally A.
        case packed32(r: Int, g: Int, b: Int, a: Int?)
    }

    private struct Bytes {
        let raw: UnsafeRawBufferPointer
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= raw.count else { return nil }
            return Int(raw[at]) | Int(raw[at + 1]) << 8
        }
        func u32(_ at: Int) -> Int? {
            guard let lo = u16(at), let hi = u16(at + 2) else { return nil }
            return lo | hi << 16
        }
    }

    static func decode(_ raw: UnsafeRawBufferPointer, _ context: DecodeContext) throws -> DecodedImage {
        let b = Bytes(raw: raw)
        guard let offset = b.u32(10), let headerSize = b.u32(14) else { throw context.truncated() }
        guard [12, 40, 52, 56, 64, 108, 124].contains(headerSize) else {
            throw context.unsupported("header size \(headerSize)")
        }
        guard 14 + headerSize <= raw.count else { throw context.truncated() }
        let hd = 18
        var width = 0, height = 0, bits = 0, compression = 0, colors = 0, padding = 4, bottomUp = true
        var masks: [Int] = []
        if headerSize == 12 {
            width = b.u16(hd)!
            height = b.u16(hd + 2)!
            bits = b.u16(hd + 6)!
            padding = 3
        } else {
            bottomUp = raw[hd + 7] != 0xFF
            width = b.u32(hd)!
            let h = b.u32(hd + 4)!
            height = bottomUp ? h : (1 << 32) - h
            bits = b.u16(hd + 10)!
            compression = b.u32(hd + 12)!
            colors = b.u32(hd + 28)!
            if compression == 3 {
                if headerSize >= 52 {
                    masks = [b.u32(hd + 36)!, b.u32(hd + 40)!, b.u32(hd + 44)!, headerSize >= 56 ? b.u32(hd + 48)! : 0]
                } else {
                    let at = 14 + headerSize
                    guard let r = b.u32(at), let g = b.u32(at + 4), let bl = b.u32(at + 8) else { throw context.truncated() }
                    masks = [r, g, bl, 0]
                }
            }
        }
        try context.checkDimensions(width: width, height: height)
        if colors == 0 { colors = bits < 31 ? 1 << bits : Int.max }
        var dataOffset = offset
        if offset == 14 + headerSize && bits <= 8 { dataOffset += padding * colors }

        var mode: RawMode
        switch bits {
        case 1: mode = .palette1
        case 4: mode = .palette4
        case 8: mode = .palette8
        case 16: mode = .bgr15
        case 24: mode = .bgr24
        case 32: mode = .packed32(r: 2, g: 1, b: 0, a: nil)
        default: throw context.unsupported("\(bits) bits per pixel")
        }
        var rle4: Bool?
        switch compression {
        case 0: break
        case 1, 2:
            guard bits <= 8 else { throw context.unsupported("RLE compression with \(bits) bits per pixel") }
            rle4 = compression == 2
        case 3:
            guard let layout = bitfields(bits: bits, masks: masks) else {
                throw context.unsupported("bitfields layout \(masks.map { String($0, radix: 16) })")
            }
            mode = layout
        default:
            throw context.unsupported("compression \(compression)")
        }

        var palette = [UInt8](repeating: 0, count: 256 * 3)
        if bits <= 8 {
            guard colors > 0, colors <= 65536 else { throw context.unsupported("palette of \(colors) colours") }
            let start = 14 + headerSize
            let end = min(start + padding * colors, raw.count)
            let entries = Array(raw[start..<max(start, end)])
            // Pillow ignores a palette that is black/white (2 colours) or the identity grey ramp.
            var gray = true
            for (index, value) in (colors == 2 ? [(0, 0), (1, 255)] : (0..<colors).map { ($0, $0) }) {
                let at = index * padding
                guard at + 3 <= entries.count, value <= 255,
                      entries[at] == UInt8(value), entries[at + 1] == UInt8(value), entries[at + 2] == UInt8(value)
                else {
                    gray = false
                    break
                }
            }
            if gray {
                mode = colors <= 2 ? .bits1Gray : .gray8
                if mode == .gray8 && bits != 8 && rle4 == nil {
                    throw context.unsupported("\(bits)-bit pixels with a grey palette")
                }
            } else {
                for i in 0..<min(colors, 256) where i * padding + 3 <= entries.count {
                    palette[i * 3] = entries[i * padding + 2]
                    palette[i * 3 + 1] = entries[i * padding + 1]
                    palette[i * 3 + 2] = entries[i * padding]
                }
            }
        }
        if let rle4 {
            let indices = try runLengthDecode(raw, from: dataOffset, width: width, height: height, rle4: rle4, context)
            return expandIndices(indices, width: width, height: height, bottomUp: bottomUp, mode: mode, palette: palette)
        }
        return try unpackRows(raw, from: dataOffset, width: width, height: height, bits: bits, bottomUp: bottomUp,
                              mode: mode, palette: palette, context)
    }

    /// Pillow's supported BITFIELDS layouts (`SUPPORTED` / `MASK_MODES`).
    private static func bitfields(bits: Int, masks: [Int]) -> RawMode? {
        switch (bits, masks) {
        case (32, [0xFF0000, 0xFF00, 0xFF, 0]): return .packed32(r: 2, g: 1, b: 0, a: nil)
        case (32, [0xFF00_0000, 0xFF0000, 0xFF00, 0]): return .packed32(r: 3, g: 2, b: 1, a: nil)
        case (32, [0xFF00_0000, 0xFF00, 0xFF, 0]): return .packed32(r: 3, g: 1, b: 0, a: nil)
        case (32, [0xFF00_0000, 0xFF0000, 0xFF00, 0xFF]): return .packed32(r: 3, g: 2, b: 1, a: 0)
        case (32, [0xFF, 0xFF00, 0xFF0000, 0xFF00_0000]): return .packed32(r: 0, g: 1, b: 2, a: 3)
        case (32, [0xFF0000, 0xFF00, 0xFF, 0xFF00_0000]): return .packed32(r: 2, g: 1, b: 0, a: 3)
        case (32, [0xFF00_0000, 0xFF00, 0xFF, 0xFF0000]): return .packed32(r: 3, g: 1, b: 0, a: 2)
        case (32, [0, 0, 0, 0]): return .packed32(r: 2, g: 1, b: 0, a: 3)
        case (24, let m) where Array(m.prefix(3)) == [0xFF0000, 0xFF00, 0xFF]: return .bgr24
        case (16, let m) where Array(m.prefix(3)) == [0xF800, 0x7E0, 0x1F]: return .bgr16
        case (16, let m) where Array(m.prefix(3)) == [0x7C00, 0x3E0, 0x1F]: return .bgr15
        default: return nil
        }
    }

    private static func unpackRows(
        _ raw: UnsafeRawBufferPointer, from offset: Int, width: Int, height: Int, bits: Int, bottomUp: Bool,
        mode: RawMode, palette: [UInt8], _ context: DecodeContext
    ) throws -> DecodedImage {
        let stride = ((width * bits + 31) >> 3) & ~3
        guard offset >= 0, offset <= raw.count, stride * height <= raw.count - offset else { throw context.truncated() }
        var channels = 3
        if mode == .bits1Gray || mode == .gray8 { channels = 1 }
        if case .packed32(_, _, _, let a) = mode, a != nil { channels = 4 }
        let samples = [UInt8](unsafeUninitializedCapacity: width * height * channels) { out, initialized in
            for y in 0..<height {
                let row = offset + (bottomUp ? height - 1 - y : y) * stride
                var o = y * width * channels
                for x in 0..<width {
                    switch mode {
                    case .bits1Gray:
                        out[o] = (raw[row + x >> 3] >> (7 - UInt8(x & 7))) & 1 == 1 ? 255 : 0
                    case .gray8:
                        out[o] = raw[row + x]
                    case .palette1, .palette4, .palette8:
                        let index: Int
                        switch mode {
                        case .palette1: index = Int(raw[row + x >> 3] >> (7 - UInt8(x & 7))) & 1
                        case .palette4: index = Int(raw[row + x >> 1] >> (x & 1 == 0 ? 4 : 0)) & 0x0F
                        default: index = Int(raw[row + x])
                        }
                        out[o] = palette[index * 3]
                        out[o + 1] = palette[index * 3 + 1]
                        out[o + 2] = palette[index * 3 + 2]
                    case .bgr15, .bgr16:
                        let p = Int(raw[row + x * 2]) | Int(raw[row + x * 2 + 1]) << 8
                        let green = mode == .bgr16 ? ((p >> 5) & 63) * 255 / 63 : ((p >> 5) & 31) * 255 / 31
                        let red = mode == .bgr16 ? ((p >> 11) & 31) * 255 / 31 : ((p >> 10) & 31) * 255 / 31
                        out[o] = UInt8(red)
                        out[o + 1] = UInt8(green)
                        out[o + 2] = UInt8((p & 31) * 255 / 31)
                    case .bgr24:
                        out[o] = raw[row + x * 3 + 2]
                        out[o + 1] = raw[row + x * 3 + 1]
                        out[o + 2] = raw[row + x * 3]
                    case .packed32(let r, let g, let b, let a):
                        let p = row + x * 4
                        out[o] = raw[p + r]
                        out[o + 1] = raw[p + g]
                        out[o + 2] = raw[p + b]
                        if let a { out[o + 3] = raw[p + a] }
                    }
                    o += channels
                }
            }
            initialized = width * height * channels
        }
        return DecodedImage(width: width, height: height, channels: channels, samples: samples)
    }

    /// Pillow's `BmpRleDecoder`, step for step (including how it clips runs and pads rows on
    /// end-of-line); the result must fill the image or the file is refused, as Pillow does.
    private static func runLengthDecode(
        _ raw: UnsafeRawBufferPointer, from offset: Int, width: Int, height: Int, rle4: Bool, _ context: DecodeContext
    ) throws -> [UInt8] {
        let total = width * height
        var data: [UInt8] = []
        data.reserveCapacity(total)
        var p = max(offset, 0)
        var x = 0
        while data.count < total {
            guard p + 2 <= raw.count else { break }
            let count = Int(raw[p]), byte = raw[p + 1]
            p += 2
            if count > 0 {
                let n = x + count > width ? max(0, width - x) : count
                if rle4 {
                    for i in 0..<n { data.append(i % 2 == 0 ? byte >> 4 : byte & 0x0F) }
                } else {
                    data.append(contentsOf: repeatElement(byte, count: n))
                }
                x += n
            } else if byte == 0 {
                while data.count % width != 0 { data.append(0) }
                x = 0
            } else if byte == 1 {
                break
            } else if byte == 2 {
                guard p + 2 <= raw.count else { break }
                let right = Int(raw[p]), up = Int(raw[p + 1])
                p += 2
                data.append(contentsOf: repeatElement(0, count: min(total - data.count, right + up * width)))
                x = data.count % width
            } else {
                let dataCount = min(total - data.count, Int(byte))
                let byteCount = rle4 ? (dataCount + 1) / 2 : dataCount
                let available = min(byteCount, raw.count - p)
                for i in 0..<available {
                    let v = raw[p + i]
                    if rle4 {
                        data.append(v >> 4)
                        if i * 2 + 1 < dataCount { data.append(v & 0x0F) }
                    } else {
                        data.append(v)
                    }
                }
                p += available
                if available < byteCount || data.count == total { break }
                x += Int(byte)
                // Absolute runs are padded to a 16-bit boundary (relative to the file start).
                if p % 2 != 0 { p += 1 }
            }
        }
        guard data.count >= total else { throw context.truncated() }
        return Array(data.prefix(total))
    }

    private static func expandIndices(
        _ indices: [UInt8], width: Int, height: Int, bottomUp: Bool, mode: RawMode, palette: [UInt8]
    ) -> DecodedImage {
        let gray = mode == .bits1Gray || mode == .gray8
        let channels = gray ? 1 : 3
        let samples = [UInt8](unsafeUninitializedCapacity: width * height * channels) { out, initialized in
            for y in 0..<height {
                let src = (bottomUp ? height - 1 - y : y) * width
                for x in 0..<width {
                    let v = indices[src + x]
                    let o = (y * width + x) * channels
                    if mode == .bits1Gray {
                        out[o] = v != 0 ? 255 : 0
                    } else if gray {
                        out[o] = v
                    } else {
                        out[o] = palette[Int(v) * 3]
                        out[o + 1] = palette[Int(v) * 3 + 1]
                        out[o + 2] = palette[Int(v) * 3 + 2]
                    }
                }
            }
            initialized = width * height * channels
        }
        return DecodedImage(width: width, height: height, channels: channels, samples: samples)
    }
}
