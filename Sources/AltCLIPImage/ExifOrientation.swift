/// Reading the orientation tag and applying it, as `PIL.ImageOps.exif_transpose` does.
enum ExifOrientation {
    /// Pillow's `Image.getexif()` orientation: the EXIF IFD0 tag 0x0112 if present, otherwise the first
    /// `tiff:Orientation="N"` / `<tiff:Orientation>N` in the XMP packet. A malformed EXIF block counts as
    /// absent. Returns 1 (no change) when nothing usable is found.
    static func orientation(exif: [UInt8]?, xmp: [UInt8]?) -> Int {
        if let exif, let value = exifValue(exif) { return value }
        if let xmp, let value = xmpValue(xmp) { return value }
        return 1
    }

    /// The orientation tag of a TIFF-structured EXIF block (optionally prefixed by `Exif\0\0`), or nil
    /// when the tag is absent or the block is malformed.
    static func exifValue(_ block: [UInt8]) -> Int? {
        var data = block[...]
        if data.starts(with: [0x45, 0x78, 0x69, 0x66, 0, 0]) { data = data.dropFirst(6) }
        let base = data.startIndex
        guard data.count >= 8 else { return nil }
        let little: Bool
        switch (data[base], data[base + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= data.count else { return nil }
            let a = Int(data[base + at]), b = Int(data[base + at + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let lo = u16(little ? at : at + 2), let hi = u16(little ? at + 2 : at) else { return nil }
            return lo | hi << 16
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for e in 0..<entries {
            let entry = ifd + 2 + e * 12
            guard entry + 12 <= data.count else { return nil }
            guard let tag = u16(entry), let type = u16(entry + 2), let count = u32(entry + 4) else { return nil }
            guard tag == 0x0112 else { continue }
            // A single integer of any width; anything else is not a valid orientation for Pillow.
            guard count == 1 else { return nil }
            switch type {
            case 1, 6: return Int(data[base + entry + 8])
            case 3, 8: return u16(entry + 8)
            case 4, 9: return u32(entry + 8)
            default: return nil
            }
        }
        return nil
    }

    /// Pillow's regex `tiff:Orientation(="|>)([0-9])` over the XMP bytes.
    static func xmpValue(_ xmp: [UInt8]) -> Int? {
        let needle = Array("tiff:Orientation".utf8)
        guard xmp.count > needle.count + 1 else { return nil }
        var i = 0
        while i + needle.count + 1 < xmp.count {
            if xmp[i] == needle[0], xmp[i..<(i + needle.count)].elementsEqual(needle) {
                let j = i + needle.count
                if xmp[j] == UInt8(ascii: ">"), (48...57).contains(xmp[j + 1]) {
                    return Int(xmp[j + 1] - 48)
                }
                if xmp[j] == UInt8(ascii: "="), j + 2 < xmp.count, xmp[j + 1] == UInt8(ascii: "\""),
                   (48...57).contains(xmp[j + 2]) {
                    return Int(xmp[j + 2] - 48)
                }
            }
            i += 1
        }
        return nil
    }

    /// Applies orientation `value` (2...8) like `Image.transpose` with Pillow's mapping:
    /// 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 270° (clockwise 90°), 7 transverse,
    /// 8 rotate 90°. Other values leave the image unchanged.
    static func apply(_ value: Int, to image: RGBImage) -> RGBImage {
        guard (2...8).contains(value) else { return image }
        let w = image.width, h = image.height
        let swaps = value >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        let out = [UInt8](unsafeUninitializedCapacity: w * h * 3) { dst, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                for y in 0..<oh {
                    for x in 0..<ow {
                        // Source coordinates of output pixel (x, y).
                        let sx: Int, sy: Int
                        switch value {
                        case 2: sx = w - 1 - x; sy = y
                        case 3: sx = w - 1 - x; sy = h - 1 - y
                        case 4: sx = x; sy = h - 1 - y
                        case 5: sx = y; sy = x
                        case 6: sx = y; sy = h - 1 - x
                        case 7: sx = w - 1 - y; sy = h - 1 - x
                        default: sx = w - 1 - y; sy = x
                        }
                        let s = (sy * w + sx) * 3, d = (y * ow + x) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
            initialized = w * h * 3
        }
        return RGBImage(uncheckedWidth: ow, height: oh, pixels: out)
    }
}
