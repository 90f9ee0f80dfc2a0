import CDNNL

extension Ops {
    /// `y = x·Wᵀ + b` with an int8 weight (`QuantizedWeight`) and activations quantized on the fly,
    /// on oneDNN's integer GEMM (AVX-512 VNNI `vpdpbusd` on this CPU) with int32 accumulation.
    ///
    /// Each row `r` of `x` is quantized to unsigned 8 bits with its own scale and zero point over
    /// `[min(0, min x_r), max(0, max x_r)]`: `x ≈ s_r · (q − z_r)`. With `W ≈ s_o · w` (symmetric), the
    /// product is `y[r, o] = s_r · s_o · (Σ_k q·w − z_r · Σ_k w) + b[o]`, the last sum precomputed per
    /// channel, so the GEMM itself needs no offsets. Dequantization and bias are fp32.
    public static func quantizedLinear(_ x: Tensor, weight: QuantizedWeight, bias: Tensor?) -> Tensor {
        let outFeatures = weight.outFeatures, inFeatures = weight.inFeatures
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                     "quantizedLinear: input \(x.shape) does not end in \(inFeatures)")
        if let bias { precondition(bias.count == outFeatures, "quantizedLinear: bias \(bias.shape) is not [\(outFeatures)]") }
        let rows = x.shape.dropLast().reduce(1, *)
        let result = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outFeatures])
        if rows == 0 || outFeatures == 0 { return result }
        let y = result.storage.pointer
        let rowScales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        let rowOffsets = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
        let codes = UnsafeMutableRawPointer.allocate(byteCount: max(rows * inFeatures, 1), alignment: 64)
        let sums = UnsafeMutableRawPointer.allocate(byteCount: rows * outFeatures * 4, alignment: 64)
            .bindMemory(to: Int32.self, capacity: rows * outFeatures)
        defer {
            rowScales.deallocate(); rowOffsets.deallocate(); codes.deallocate(); sums.deallocate()
        }
        // Small batches: oneDNN's integer GEMM is fastest with the weight as the left operand (as for
        // sgemm in `linear`), which needs signed activations: store q − 128 and shift the offset.
        let transposed = rows <= GEMM.oneDNNTransposedProductMaxRows
        let shift: Int32 = transposed ? 128 : 0
        quantizeRows(x.pointer, rows: rows, count: inFeatures, flipSign: transposed,
                     into: codes.bindMemory(to: UInt8.self, capacity: rows * inFeatures),
                     scales: rowScales, offsets: rowOffsets)
        for r in 0..<rows { rowOffsets[r] -= shift }
        var zero: Int32 = 0
        let storage = weight.storage
        let status = OpenMPRuntime.withMaxThreads(Threading.threadCount) { () -> dnnl_status_t in
            if transposed {
                return dnnl_gemm_s8s8s32(78, 84, 70, Int64(outFeatures), Int64(rows), Int64(inFeatures), 1,
                                         storage.values, Int64(inFeatures), 0,
                                         codes.assumingMemoryBound(to: Int8.self), Int64(inFeatures), 0,
                                         0, sums, Int64(rows), &zero)
            }
            return dnnl_gemm_u8s8s32(78, 84, 70, Int64(rows), Int64(outFeatures), Int64(inFeatures), 1,
                                     codes.assumingMemoryBound(to: UInt8.self), Int64(inFeatures), 0,
                                     storage.values, Int64(inFeatures), 0,
                                     0, sums, Int64(outFeatures), &zero)
        }
        if status != dnnl_success {
            // Arguments are validated above; fall back to the same maths in plain loops.
            integerProduct(codes, rows: rows, weight: weight, transposed: transposed, into: sums)
        }
        let biasPointer = bias?.pointer, channelScales = storage.scales, columnSums = storage.columnSums
        Threading.parallelFor(rows, costPerItem: 4 * outFeatures) { range in
            for r in range {
                let scale = rowScales[r], offset = rowOffsets[r], out = y + r * outFeatures
                if transposed {
                    for o in 0..<outFeatures { out[o] = Float(sums[o * rows + r] &- offset &* columnSums[o]) }
                } else {
                    let row = sums + r * outFeatures
                    for o in 0..<outFeatures { out[o] = Float(row[o] &- offset &* columnSums[o]) }
                }
                for o in 0..<outFeatures { out[o] *= scale * channelScales[o] }
                if let biasPointer {
                    for o in 0..<outFeatures { out[o] += biasPointer[o] }
                }
            }
        }
        return result
    }

    /// Per-row asymmetric uint8 quantization (see `quantizedLinear`); with `flipSign` the codes are
    /// stored as `q − 128` in two's complement (the same byte with its top bit flipped). Rounding is
    /// to nearest, ties to even. Written as plain compare/select loops so they vectorize on the
    /// baseline x86-64 target (no libm `rintf` call, no NaN-aware `min`/`max`).
    static func quantizeRows(
        _ x: UnsafePointer<Float>, rows: Int, count: Int, flipSign: Bool,
        into codes: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<Float>,
        offsets: UnsafeMutablePointer<Int32>
    ) {
        let flip: UInt8 = flipSign ? 0x80 : 0
        Threading.parallelFor(rows, costPerItem: 4 * count) { range in
            for r in range {
                let row = x + r * count, out = codes + r * count
                var low: Float = 0, high: Float = 0
                for k in 0..<count {
                    let v = row[k]
                    low = v < low ? v : low
                    high = v > high ? v : high
                }
                var scale = (high - low) / 255
                if !(scale > 0) || !scale.isFinite { scale = 1 }
                let zeroPoint = roundedToEven(min(max(-low / scale, 0), 255))
                let inverse = 1 / scale
                scales[r] = scale
                offsets[r] = Int32(zeroPoint)
                for k in 0..<count {
                    var q = roundedToEven(row[k] * inverse) + zeroPoint
                    q = q >= 0 ? q : 0  // also maps NaN to 0, so the conversion below cannot trap
                    q = q <= 255 ? q : 255
                    out[k] = UInt8(truncatingIfNeeded: Int32(q)) ^ flip
                }
            }
        }
    }

    /// Round to nearest, ties to even, for |v| < 2²² (larger values and NaN come back unchanged or
    /// off by less than one step; callers clamp afterwards): adding and removing 1.5·2²³ leaves no
    /// fraction bits under the default rounding mode.
    @inline(__always)
    static func roundedToEven(_ v: Float) -> Float {
        let magic: Float = 12_582_912
        return (v + magic) - magic
    }

    /// The integer product in plain loops (only if oneDNN refuses a call).
    private static func integerProduct(
        _ codes: UnsafeMutableRawPointer, rows: Int, weight: QuantizedWeight, transposed: Bool,
        into sums: UnsafeMutablePointer<Int32>
    ) {
        let n = weight.outFeatures, k = weight.inFeatures, w = weight.storage.values
        for r in 0..<rows {
            for o in 0..<n {
                var s: Int32 = 0
                for i in 0..<k {
                    let byte = codes.load(fromByteOffset: r * k + i, as: UInt8.self)
                    let a = transposed ? Int32(Int8(bitPattern: byte)) : Int32(byte)
                    s &+= a &* Int32(w[o * k + i])
                }
                if transposed { sums[o * rows + r] = s } else { sums[r * n + o] = s }
            }
        }
    }
}
