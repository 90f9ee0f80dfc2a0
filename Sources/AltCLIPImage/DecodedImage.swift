/// A decoded image in the Pillow mode it was opened in, reduced to 8-bit samples: gray, gray+alpha,
/// RGB or RGBA (palettes already looked up, 16-bit samples already reduced the way Pillow does).
///
/// `colorKey` is Pillow's `info["transparency"]` for images without an alpha band: pixels whose
/// converted RGB equals it become transparent (Pillow compares the low byte of each key sample,
/// `rgbT2a` in `Convert.c`).
struct DecodedImage {
    var width: Int
    var height: Int
    /// 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA).
    var channels: Int
    var samples: [UInt8]
    var colorKey: (red: Int, green: Int, blue: Int)?
    /// EXIF / XMP orientation (1...8), filled only when the caller asked for orientation.
    var orientation: Int = 1

    /// transformers' `convert_to_rgb` (composite onto white) or Pillow's `convert("RGB")` (discard).
    func rgb(alpha: DecodeOptions.AlphaHandling) -> RGBImage {
        if channels == 3, colorKey == nil || alpha == .discard {
            let image = RGBImage(uncheckedWidth: width, height: height, pixels: samples)
            return orientation == 1 ? image : ExifOrientation.apply(orientation, to: image)
        }
        let n = width * height
        let composite = alpha == .compositeOnWhite
        let key = colorKey.map { (UInt8($0.red & 0xFF), UInt8($0.green & 0xFF), UInt8($0.blue & 0xFF)) }
        let out = [UInt8](unsafeUninitializedCapacity: n * 3) { dst, initialized in
            samples.withUnsafeBufferPointer { src in
                switch channels {
                case 1:
                    for i in 0..<n {
                        var v = src[i]
                        if composite, let key, v == key.0, v == key.1, v == key.2 { v = 255 }
                        dst[i * 3] = v
                        dst[i * 3 + 1] = v
                        dst[i * 3 + 2] = v
                    }
                case 2:
                    for i in 0..<n {
                        let v = composite ? Self.overWhite(src[i * 2], src[i * 2 + 1]) : src[i * 2]
                        dst[i * 3] = v
                        dst[i * 3 + 1] = v
                        dst[i * 3 + 2] = v
                    }
                case 3:
                    for i in 0..<n * 3 { dst[i] = src[i] }
                    if composite, let key {
                        for i in 0..<n where dst[i * 3] == key.0 && dst[i * 3 + 1] == key.1 && dst[i * 3 + 2] == key.2 {
                            dst[i * 3] = 255
                            dst[i * 3 + 1] = 255
                            dst[i * 3 + 2] = 255
                        }
                    }
                default:
                    for i in 0..<n {
                        let a = src[i * 4 + 3]
                        for c in 0..<3 {
                            dst[i * 3 + c] = composite ? Self.overWhite(src[i * 4 + c], a) : src[i * 4 + c]
                        }
                    }
                }
            }
            initialized = n * 3
        }
        let image = RGBImage(uncheckedWidth: width, height: height, pixels: out)
        return orientation == 1 ? image : ExifOrientation.apply(orientation, to: image)
    }

    /// `PIL.Image.alpha_composite(white, rgba)`: equal to `round((c·a + 255·(255−a)) / 255)` for every
    /// 8-bit pair (checked exhaustively against Pillow 13; no ties exist since 255 is odd).
    @inline(__always)
    static func overWhite(_ c: UInt8, _ a: UInt8) -> UInt8 {
        let a = Int(a)
        let x = Int(c) * a + 255 * (255 - a)
        return UInt8(truncatingIfNeeded: (x + 127) / 255)
    }
}
