extension ImageResampler {
    /// Rounding bias and clamp of Pillow's 8-bit passes: `clip8(ss) = clamp(ss >> 22, 0, 255)` with
    /// `ss` starting at `1 << 21`.
    @inline(__always)
    private static func clip8(_ ss: Int32) -> UInt8 {
        let v = ss >> ResampleCoefficients.precisionBits
        return v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    private static let bias: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)

    /// Horizontal pass over input rows `rows`, producing `rows.count` rows of `outWidth` pixels.
    static func horizontalPass(
        _ image: RGBImage, rows: Range<Int>, coefficients c: ResampleCoefficients, outWidth: Int,
        parallel: Bool
    ) -> RGBImage {
        let inRowBytes = image.width * 3
        let outRowBytes = outWidth * 3
        let outRows = rows.count
        let kernelSize = c.kernelSize
        let pixels = [UInt8](unsafeUninitializedCapacity: outRows * outRowBytes) { out, initialized in
            image.pixels.withUnsafeBufferPointer { input in
                c.weights.withUnsafeBufferPointer { weights in
                    c.start.withUnsafeBufferPointer { start in
                        c.count.withUnsafeBufferPointer { count in
                            let inBase = input.baseAddress!
                            let outBase = out.baseAddress!
                            let w = weights.baseAddress!
                            let cost = outWidth * kernelSize * 3
                            Parallel.forEachChunk(outRows, costPerItem: cost, enabled: parallel) { chunk in
                                for y in chunk {
                                    let line = inBase + (rows.lowerBound + y) * inRowBytes
                                    let dst = outBase + y * outRowBytes
                                    for xx in 0..<outWidth {
                                        let k = w + xx * kernelSize
                                        var p = line + start[xx] * 3
                                        var s0 = bias, s1 = bias, s2 = bias
                                        for i in 0..<count[xx] {
                                            let kv = k[i]
                                            s0 &+= Int32(p[0]) &* kv
                                            s1 &+= Int32(p[1]) &* kv
                                            s2 &+= Int32(p[2]) &* kv
                                            p += 3
                                        }
                                        dst[xx * 3] = clip8(s0)
                                        dst[xx * 3 + 1] = clip8(s1)
                                        dst[xx * 3 + 2] = clip8(s2)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = outRows * outRowBytes
        }
        return RGBImage(uncheckedWidth: outWidth, height: outRows, pixels: pixels)
    }

    /// Vertical pass producing `outHeight` rows; coefficient row indices are shifted down by `rowShift`
    /// (the first input row the preceding horizontal pass kept).
    static func verticalPass(
        _ image: RGBImage, rowShift: Int, coefficients c: ResampleCoefficients, outHeight: Int,
        parallel: Bool
    ) -> RGBImage {
        let rowBytes = image.width * 3
        let kernelSize = c.kernelSize
        let pixels = [UInt8](unsafeUninitializedCapacity: outHeight * rowBytes) { out, initialized in
            image.pixels.withUnsafeBufferPointer { input in
                c.weights.withUnsafeBufferPointer { weights in
                    let inBase = input.baseAddress!
                    let outBase = out.baseAddress!
                    let w = weights.baseAddress!
                    let cost = rowBytes * kernelSize
                    Parallel.forEachChunk(outHeight, costPerItem: cost, enabled: parallel) { chunk in
                        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
                        defer { acc.deallocate() }
                        for yy in chunk {
                            acc.initialize(repeating: bias, count: rowBytes)
                            let k = w + yy * kernelSize
                            let first = c.start[yy] - rowShift
                            for i in 0..<c.count[yy] {
                                let kv = k[i]
                                let src = inBase + (first + i) * rowBytes
                                for x in 0..<rowBytes {
                                    acc[x] &+= Int32(src[x]) &* kv
                                }
                            }
                            let dst = outBase + yy * rowBytes
                            for x in 0..<rowBytes {
                                dst[x] = clip8(acc[x])
                            }
                        }
                    }
                }
            }
            initialized = outHeight * rowBytes
        }
        return RGBImage(uncheckedWidth: image.width, height: outHeight, pixels: pixels)
    }

    /// Pillow's NEAREST resize: `ImagingScaleAffine` walking the source with accumulated double steps
    /// (`xo += a[0]`), truncating to pick the pixel; positions outside the source stay black.
    static func nearest(_ image: RGBImage, width: Int, height: Int, parallel: Bool) -> RGBImage {
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
        let inRowBytes = image.width * 3
        let outRowBytes = width * 3
        let pixels = [UInt8](unsafeUninitializedCapacity: height * outRowBytes) { out, initialized in
            image.pixels.withUnsafeBufferPointer { input in
                let inBase = input.baseAddress!
                let outBase = out.baseAddress!
                Parallel.forEachChunk(height, costPerItem: outRowBytes, enabled: parallel) { chunk in
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
