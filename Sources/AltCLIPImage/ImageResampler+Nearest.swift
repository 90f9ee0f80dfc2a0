import AltCLIPSupport

extension ImageResampler {
    /// Pillow's NEAREST resize: `ImagingScaleAffine` walking the source with accumulated double steps
    /// (`xo += a[0]`), truncating to pick the pixel; positions outside the source stay black.
    static func nearest(
        _ image: RGBImage, width: Int, height: Int, rows: Range<Int>, columns: Range<Int>, parallel: Bool
    ) -> RGBImage {
        let sx = Double(Float(image.width)) / Double(width)
        let sy = Double(Float(image.height)) / Double(height)
        var xIndex = [Int](repeating: -1, count: width)
        var xo = 0.0 + sx * 0.5
        for x in 0..<width {
            let xin = xo < 0.0 ? -1 : Int(xo)
            if xin >= 0 && xin < image.width { xIndex[x] = xin }
            xo += sx
        }
        var yIndex = [Int](repeating: -1, count: height)
        var yo = 0.0 + sy * 0.5
        for y in 0..<height {
            let yin = yo < 0.0 ? -1 : Int(yo)
            if yin >= 0 && yin < image.height { yIndex[y] = yin }
            yo += sy
        }
        xIndex = Array(xIndex[columns])
        yIndex = Array(yIndex[rows])
        let (width, height) = (columns.count, rows.count)
        let inRowBytes = image.width * 3
        let outRowBytes = width * 3
        let pixels = [UInt8](unsafeUninitializedCapacity: height * outRowBytes) { out, initialized in
            image.pixels.withUnsafeBufferPointer { input in
                let inBase = input.baseAddress!
                let outBase = out.baseAddress!
                ThreadBudget.forEachChunk(height, costPerItem: outRowBytes, enabled: parallel) { chunk in
                    for y in chunk {
                        let dst = outBase + y * outRowBytes
                        let yi = yIndex[y]
                        guard yi >= 0 else {
                            dst.initialize(repeating: 0, count: outRowBytes)
                            continue
                        }
                        let line = inBase + yi * inRowBytes
                        for x in 0..<width {
                            let xi = xIndex[x]
                            if xi >= 0 {
                                dst[x * 3] = line[xi * 3]
                                dst[x * 3 + 1] = line[xi * 3 + 1]
                                dst[x * 3 + 2] = line[xi * 3 + 2]
                            } else {
                                dst[x * 3] = 0
                                dst[x * 3 + 1] = 0
                                dst[x * 3 + 2] = 0
                            }
                        }
                    }
                }
            }
            initialized = height * outRowBytes
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    }
}
