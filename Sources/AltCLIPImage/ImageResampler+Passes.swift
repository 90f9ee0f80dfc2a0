import AltCLIPSupport

/// Interleaved RGB samples between passes (`UInt8`, or `Float` holding the same 0...255 integers).
struct SampleImage<Sample: ResampleSample> {
    let width: Int
    let height: Int
    let samples: [Sample]
}

extension ImageResampler {
    /// Horizontal pass: input rows `rows` of `image`, output columns `columns` of the full-width result.
    /// `columnShift` is the input column the image data starts at (coefficients index the full input).
    /// Rows are handled in blocks of 16 transposed into a small buffer, so each output column is a
    /// contiguous combination of rows, like the vertical pass.
    static func horizontalPass<Out: ResampleSample>(
        _ image: RGBImage, rows: Range<Int>, columnShift: Int, columns: Range<Int>,
        coefficients c: ResampleCoefficients, parallel: Bool, as: Out.Type
    ) -> SampleImage<Out> {
        let inRowBytes = image.width * 3
        let outRowSamples = columns.count * 3
        let outRows = rows.count
        let block = 16
        let blocks = (outRows + block - 1) / block
        // Only the input columns some output column reads are transposed.
        let firstColumn = c.start(at: columns.lowerBound) - columnShift
        let usedColumns = c.end(at: columns.upperBound - 1) - columnShift - firstColumn
        let samples = [Out](unsafeUninitializedCapacity: outRows * outRowSamples) { out, initialized in
            image.pixels.withUnsafeBufferPointer { input in withWeights(c) { w in
                let inBase = input.baseAddress!
                let outBase = out.baseAddress!
                ThreadBudget.forEachChunk(blocks, costPerItem: block * outRowSamples * c.kernelSize, enabled: parallel) { chunk in
                    let lanes = block * 3
                    // One spare float per column lets each pixel move as a single 4-float store.
                    let floatStride = lanes + 1
                    let floats = UnsafeMutablePointer<Float>.allocate(capacity: usedColumns * floatStride + 4)
                    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: usedColumns * lanes)
                    // The block's rows as floats, one after another (read back as 16 sequential streams).
                    let rowLength = usedColumns * 3 + 16
                    let rowFloats = UnsafeMutablePointer<Float>.allocate(capacity: block * rowLength)
                    let column = UnsafeMutablePointer<UInt8>.allocate(capacity: lanes)
                    let acc = UnsafeMutablePointer<Int32>.allocate(capacity: lanes)
                    defer {
                        floats.deallocate()
                        bytes.deallocate()
                        rowFloats.deallocate()
                        column.deallocate()
                        acc.deallocate()
                    }
                    rowFloats.initialize(repeating: 0, count: block * rowLength)
                    for b in chunk {
                        let y0 = b * block
                        let n = min(block, outRows - y0)
                        let width = n * 3
                        if w.high != nil {
                            for r in 0..<n {
                                let line = inBase + (rows.lowerBound + y0 + r) * inRowBytes + firstColumn * 3
                                convertRow(line, count: usedColumns * 3, to: rowFloats + r * rowLength)
                            }
                            // floats[(x − firstColumn) * floatStride + r * 3 + ch] = input[y0 + r][x][ch],
                            // written sequentially; the fourth float of each move lands in the next slot.
                            let src = UnsafeRawPointer(rowFloats)
                            var dst = UnsafeMutableRawPointer(floats)
                            for x in 0..<usedColumns {
                                for r in 0..<n {
                                    dst.storeBytes(
                                        of: src.loadUnaligned(fromByteOffset: (r * rowLength + x * 3) * 4, as: SIMD4<Float>.self),
                                        toByteOffset: r * 12, as: SIMD4<Float>.self)
                                }
                                dst += floatStride * 4
                            }
                        } else {
                            for r in 0..<n {
                                let line = inBase + (rows.lowerBound + y0 + r) * inRowBytes + firstColumn * 3
                                var dst = bytes + r * 3
                                for x in 0..<usedColumns {
                                    dst[0] = line[x * 3]
                                    dst[1] = line[x * 3 + 1]
                                    dst[2] = line[x * 3 + 2]
                                    dst += width
                                }
                            }
                        }
                        for (j, xx) in columns.enumerated() {
                            let xx = xx - w.first  // index into the coefficients of the kept columns
                            let first = w.start[xx] - columnShift - firstColumn
                            if let high = w.high, let low = w.low {
                                combine(
                                    UnsafePointer(floats + first * floatStride), stride: floatStride,
                                    high: high + xx * w.kernelSize, low: low + xx * w.kernelSize, shift: w.shift,
                                    count: w.count[xx], length: width, out: column)
                            } else {
                                combineExact(
                                    bytes + first * width, stride: width, count: w.count[xx],
                                    weights: w.exact + xx * w.kernelSize, length: width, acc: acc, out: column)
                            }
                            for r in 0..<n {
                                let dst = outBase + (y0 + r) * outRowSamples + j * 3
                                Out.store(column[r * 3], dst)
                                Out.store(column[r * 3 + 1], dst + 1)
                                Out.store(column[r * 3 + 2], dst + 2)
                            }
                        }
                    }
                }
            } }
            initialized = outRows * outRowSamples
        }
        return SampleImage(width: columns.count, height: outRows, samples: samples)
    }

    /// Vertical pass: output rows `outRows` of the full-height result, over input columns `columns` of
    /// `image`. `rowShift` is the input row the image data starts at.
    static func verticalPass<In: ResampleSample>(
        _ image: SampleImage<In>, rowShift: Int, outRows: Range<Int>, columns: Range<Int>,
        coefficients c: ResampleCoefficients, parallel: Bool
    ) -> RGBImage {
        let inRowSamples = image.width * 3
        let rowBytes = columns.count * 3
        let outHeight = outRows.count
        let pixels = [UInt8](unsafeUninitializedCapacity: outHeight * rowBytes) { out, initialized in
            image.samples.withUnsafeBufferPointer { input in withWeights(c) { w in
                let inBase = input.baseAddress! + columns.lowerBound * 3
                let outBase = out.baseAddress!
                ThreadBudget.forEachChunk(outHeight, costPerItem: rowBytes * c.kernelSize, enabled: parallel) { chunk in
                    let acc = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
                    defer { acc.deallocate() }
                    for j in chunk {
                        let yy = outRows.lowerBound + j - w.first  // index into the kept rows' coefficients
                        let src = inBase + (w.start[yy] - rowShift) * inRowSamples
                        if let high = w.high, let low = w.low {
                            combine(
                                src, stride: inRowSamples, high: high + yy * w.kernelSize, low: low + yy * w.kernelSize,
                                shift: w.shift, count: w.count[yy], length: rowBytes, out: outBase + j * rowBytes)
                        } else {
                            // Only byte samples reach this path (the float form is used only with a split).
                            combineExact(
                                UnsafeRawPointer(src).assumingMemoryBound(to: UInt8.self), stride: inRowSamples,
                                count: w.count[yy], weights: w.exact + yy * w.kernelSize, length: rowBytes, acc: acc,
                                out: outBase + j * rowBytes)
                        }
                    }
                }
            } }
            initialized = outHeight * rowBytes
        }
        return RGBImage(uncheckedWidth: columns.count, height: outHeight, pixels: pixels)
    }

    /// Bytes to floats, sixteen at a time.
    @inline(__always)
    private static func convertRow(_ line: UnsafePointer<UInt8>, count: Int, to out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 16 <= count {
            UnsafeMutableRawPointer(out + i).storeBytes(of: UInt8.lanes(line + i), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            out[i] = Float(line[i])
            i += 1
        }
    }
}

extension RGBImage {
    /// The image as pass input.
    var samples: SampleImage<UInt8> { SampleImage(width: width, height: height, samples: pixels) }
}

extension SampleImage where Sample == UInt8 {
    var rgbImage: RGBImage { RGBImage(uncheckedWidth: width, height: height, pixels: samples) }
}
