/// An 8-bit sample as stored between passes: `UInt8`, or `Float` holding the same integer (so the next
/// pass can skip the conversion).
protocol ResampleSample {
    static func lanes(_ p: UnsafePointer<Self>) -> SIMD16<Float>
    static func lane(_ p: UnsafePointer<Self>) -> Float
    static func store(_ v: SIMD16<Int32>, _ p: UnsafeMutablePointer<Self>)
    static func store(_ v: UInt8, _ p: UnsafeMutablePointer<Self>)
}

// The lane loops below compile to unpack/convert and pack instructions; the standard library's
// vector conversion initializers are not inlined and cost a call per vector.
extension UInt8: ResampleSample {
    @inline(__always) static func lanes(_ p: UnsafePointer<UInt8>) -> SIMD16<Float> {
        let bytes = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt8>.self)
        var result = SIMD16<Float>()
        for i in 0..<16 { result[i] = Float(bytes[i]) }
        return result
    }
    @inline(__always) static func lane(_ p: UnsafePointer<UInt8>) -> Float { Float(p[0]) }
    @inline(__always) static func store(_ v: SIMD16<Int32>, _ p: UnsafeMutablePointer<UInt8>) {
        var bytes = SIMD16<UInt8>()
        for i in 0..<16 { bytes[i] = UInt8(truncatingIfNeeded: v[i]) }
        UnsafeMutableRawPointer(p).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
    }
    @inline(__always) static func store(_ v: UInt8, _ p: UnsafeMutablePointer<UInt8>) { p[0] = v }
}

extension Float: ResampleSample {
    @inline(__always) static func lanes(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func lane(_ p: UnsafePointer<Float>) -> Float { p[0] }
    @inline(__always) static func store(_ v: SIMD16<Int32>, _ p: UnsafeMutablePointer<Float>) {
        var floats = SIMD16<Float>()
        for i in 0..<16 { floats[i] = Float(v[i]) }
        UnsafeMutableRawPointer(p).storeBytes(of: floats, as: SIMD16<Float>.self)
    }
    @inline(__always) static func store(_ v: UInt8, _ p: UnsafeMutablePointer<Float>) { p[0] = Float(v) }
}

extension ImageResampler {
    /// Rounding bias and clamp of Pillow's 8-bit passes: `clip8(ss) = clamp(ss >> 22, 0, 255)` with
    /// `ss` starting at `1 << 21`.
    @inline(__always)
    static func clip8(_ ss: Int32) -> UInt8 {
        let v = ss >> ResampleCoefficients.precisionBits
        return v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    static let bias: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)

    /// Raw views of one coefficient set, resolved once per pass (no array access in the hot loops).
    struct Weights {
        let kernelSize: Int
        /// The output sample index 0 of these arrays stands for.
        let first: Int
        let start: UnsafePointer<Int>
        let count: UnsafePointer<Int>
        let exact: UnsafePointer<Int32>
        /// The exact float split, when the coefficient set has one.
        let high: UnsafePointer<Float>?
        let low: UnsafePointer<Float>?
        let shift: Int32
    }

    /// Runs `body` with raw views of `c`'s arrays.
    static func withWeights<R>(_ c: ResampleCoefficients, _ body: (Weights) -> R) -> R {
        c.start.withUnsafeBufferPointer { start in
            c.count.withUnsafeBufferPointer { count in
                c.weights.withUnsafeBufferPointer { exact in
                    let high = c.split?.high ?? [], low = c.split?.low ?? []
                    return high.withUnsafeBufferPointer { high in
                        low.withUnsafeBufferPointer { low in
                            body(Weights(
                                kernelSize: c.kernelSize, first: c.first, start: start.baseAddress!, count: count.baseAddress!,
                                exact: exact.baseAddress!, high: c.split == nil ? nil : high.baseAddress,
                                low: c.split == nil ? nil : low.baseAddress, shift: c.split?.shift ?? 0))
                        }
                    }
                }
            }
        }
    }

    /// One output line of a pass with the exact float split: `Σ_i row_i · weight_i` over `count` input
    /// rows `stride` samples apart, for `length` lanes, rounded and clamped like Pillow.
    ///
    /// Sixteen lanes are summed at a time in registers: `Σ p·high` and `Σ p·low` are integers below
    /// 2^22 (see ``ResampleCoefficients/split``), read back exactly with the `x + 1.5·2^23` trick and
    /// recombined into Pillow's 32-bit sum `(Σ p·high) << shift + Σ p·low`.
    @inline(__always)
    static func combine<In: ResampleSample, Out: ResampleSample>(
        _ base: UnsafePointer<In>, stride: Int, high: UnsafePointer<Float>, low: UnsafePointer<Float>,
        shift: Int32, count: Int, length: Int, out: UnsafeMutablePointer<Out>
    ) {
        let magic = SIMD16<Float>(repeating: 12_582_912.0)  // 1.5 · 2^23
        let magicBits = SIMD16<Int32>(repeating: 0x4B40_0000)
        var x = 0
        while x + 16 <= length {
            var accHigh = SIMD16<Float>(), accLow = SIMD16<Float>()
            var src = base + x
            for i in 0..<count {
                let p = In.lanes(src)
                accHigh += p * high[i]
                accLow += p * low[i]
                src += stride
            }
            let h = unsafeBitCast(accHigh + magic, to: SIMD16<Int32>.self) &- magicBits
            let l = unsafeBitCast(accLow + magic, to: SIMD16<Int32>.self) &- magicBits
            var v = ((h &<< shift) &+ l &+ bias) &>> ResampleCoefficients.precisionBits
            // Branch-free clamp to 0...255 (`replace(with:where:)` compiles to a scalar loop).
            v &= ~(v &>> 31)
            let over = (255 &- v) &>> 31
            v = (v & ~over) | (over & 255)
            Out.store(v, out + x)
            x += 16
        }
        while x < length {
            var accHigh: Float = 0, accLow: Float = 0
            var src = base + x
            for i in 0..<count {
                let p = In.lane(src)
                accHigh += p * high[i]
                accLow += p * low[i]
                src += stride
            }
            Out.store(clip8((Int32(accHigh) &<< shift) &+ Int32(accLow) &+ bias), out + x)
            x += 1
        }
    }

    /// Pillow's integer sum as written, for coefficient sets too large for the float split.
    @inline(__always)
    static func combineExact(
        _ base: UnsafePointer<UInt8>, stride: Int, count: Int, weights: UnsafePointer<Int32>,
        length: Int, acc: UnsafeMutablePointer<Int32>, out: UnsafeMutablePointer<UInt8>
    ) {
        acc.update(repeating: bias, count: length)
        for i in 0..<count {
            let k = weights[i]
            let src = base + i * stride
            for x in 0..<length { acc[x] &+= Int32(src[x]) &* k }
        }
        for x in 0..<length { out[x] = clip8(acc[x]) }
    }
}
