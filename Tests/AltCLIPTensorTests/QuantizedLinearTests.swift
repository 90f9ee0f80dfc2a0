import AltCLIPTensor
import Foundation
import Testing

/// int8 `MatmulWeight`s and their products (`Ops.linear`) against a Double reference of the same
/// quantized maths (independently re-derived here), and against the exact fp32 linear for the
/// quantization error.
@Suite struct QuantizedLinearTests {
    /// Per-channel symmetric weight quantization, recomputed in Double: the weight the products use
    /// (`unpacked()`) is `scale[o] · round(w / scale[o])` with `scale[o] = max|w[o, :]| / 127`.
    @Test func weightQuantizationIsPerChannelSymmetric() throws {
        var random = SeededRandom(seed: 11)
        var scalars = (0..<(5 * 37)).map { _ in random.uniform(-0.3, 0.3) }
        for k in 0..<37 { scalars[2 * 37 + k] = 0 }  // an all-zero channel
        scalars[4 * 37 + 3] = -2.5                    // one channel with an outlier
        let w = Tensor(shape: [5, 37], scalars: scalars)
        let q = try MatmulWeight(w, precision: .int8)
        #expect(q.outFeatures == 5 && q.inFeatures == 37 && q.precision == .int8 && q.isPacked)
        let used = try q.unpacked().scalars
        for o in 0..<5 {
            let row = scalars[(o * 37)..<(o * 37 + 37)].map(Double.init)
            let largest = row.map(abs).max()!
            let scale = largest / 127
            for k in 0..<37 {
                let code = largest == 0 ? 0 : (row[k] / scale).rounded()
                #expect(abs(Double(used[o * 37 + k]) - scale * code) <= 1e-6 * max(largest, 1e-3), "w[\(o), \(k)]")
                // Reconstruction within half a step.
                #expect(abs(Double(used[o * 37 + k]) - row[k]) <= scale * 0.5 + 1e-7)
            }
        }
        #expect(used[4 * 37 + 3] == -2.5)
    }

    /// The activations get one scale and zero point over the whole input; the zero point enters as a
    /// bias correction with the channels' code sums. Row counts on both sides of the kernels' blocking.
    /// The shapes with out a multiple of 32 and in of 64 run on the library's AMX kernel where the CPU
    /// has AMX-INT8 (row counts below, at and across its 32-row blocks), the others on oneDNN; the last
    /// two span several of its column groups (~512 KB of weights each) and row passes (~1 MB of codes),
    /// across which each block's epilogue runs during the next block's products.
    @Test(arguments: [(3, 70, 50), (64, 33, 129), (65, 40, 64), (150, 96, 257),
                      (1, 32, 64), (33, 64, 128), (257, 96, 192), (70, 160, 1088), (40, 2048, 1024), (330, 64, 4096)])
    func matchesQuantizedMathsAndFloat(rows: Int, outFeatures: Int, inFeatures: Int) throws {
        var random = SeededRandom(seed: UInt64(rows * 1000 + inFeatures))
        // Skewed activations (like GELU outputs) exercise the zero point.
        let x = random.tensor([1, rows, inFeatures], -0.4, 2.0)
        let w = random.tensor([outFeatures, inFeatures], -0.1, 0.1)
        let b = random.tensor([outFeatures], -1, 1)
        let q = try MatmulWeight(w, precision: .int8)
        let amx = MatmulWeight.usesAMXKernel(outFeatures: outFeatures, inFeatures: inFeatures)
        #expect(q.isAMXPacked == amx)
        #expect(try q.kernelName(rows: rows).hasPrefix("amx:u8s8") == amx)
        let y = try Ops.linear(x, weight: q, bias: b)
        #expect(y.shape == [1, rows, outFeatures])

        let xs = x.scalars, used = try q.unpacked().scalars, bias = b.scalars
        // The library computes scale, zero point and codes in Float; so does this reference: one scale
        // for the whole input (oneDNN), or one per row (the AMX kernel, `int8ScalesEachRow`).
        #expect(MatmulWeight.int8ScalesEachRow == MatmulWeight.usesAMXKernel(outFeatures: 32, inFeatures: 64))
        let groups = amx ? (0..<rows).map { $0 * inFeatures..<($0 + 1) * inFeatures } : [0..<xs.count]
        var codes = [Double](repeating: 0, count: xs.count), rowScale = [Float](), rowZero = [Float]()
        for group in groups {
            let values = xs[group]
            let low = min(values.min()!, 0), high = max(values.max()!, 0)
            let scale = (high - low) / 255
            let zero = min(max((-low / scale).rounded(.toNearestOrEven), 0), 255)
            for i in group { codes[i] = Double(min(max((xs[i] * (1 / scale)).rounded(.toNearestOrEven) + zero, 0), 255)) }
            rowScale.append(scale)
            rowZero.append(zero)
        }
        var expected = [Double](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            let scale = rowScale[amx ? r : 0], zero = rowZero[amx ? r : 0]
            for o in 0..<outFeatures {
                var dot = 0.0
                for k in 0..<inFeatures { dot += (codes[r * inFeatures + k] - Double(zero)) * Double(used[o * inFeatures + k]) }
                expected[r * outFeatures + o] = Double(scale) * dot + Double(bias[o])
            }
        }
        expectClose("int8 linear \(rows)×\(inFeatures)→\(outFeatures)", y,
                    Reference(shape: [1, rows, outFeatures], values: expected), absolute: 5e-5, relative: 5e-5)

        // Fused activation and residual: the same product, then the epilogue.
        let residual = random.tensor([1, rows, outFeatures])
        let fused = try Ops.linear(x, weight: q, bias: b, activation: .quickGelu, residual: residual)
        expectClose("int8 linear + quick_gelu + residual", fused,
                    Reference(shape: [1, rows, outFeatures], values: zip(expected, residual.scalars).map {
                        Naive.activation($0, .quickGelu) + Double($1)
                    }), absolute: 5e-5, relative: 5e-5)
        // GELU (erf; the AMX kernel's own approximation), and one it does not fuse (applied afterwards).
        for activation in [Activation.gelu, .relu, .geluNew] {
            let activated = try Ops.linear(x, weight: q, bias: b, activation: activation, residual: residual)
            expectClose("int8 linear + \(activation) + residual", activated,
                        Reference(shape: [1, rows, outFeatures], values: zip(expected, residual.scalars).map {
                            Naive.activation($0, activation) + Double($1)
                        }), absolute: 5e-5, relative: 5e-5)
        }

        // The quantization error against the exact product stays at the int8 level.
        let exact = Naive.linear(x, w, b)
        var errorSquares = 0.0, signalSquares = 0.0
        for (i, e) in exact.values.enumerated() {
            let d = Double(y.scalars[i]) - e
            errorSquares += d * d
            signalSquares += (e - Double(bias[i % outFeatures])) * (e - Double(bias[i % outFeatures]))
        }
        let relativeError = (errorSquares / signalSquares).squareRoot()
        #expect(relativeError < 0.02, "relative RMS error vs fp32 \(relativeError)")
    }

    /// All-zero input and no bias: scale falls back to 1, output exactly zero.
    @Test func zeroRowsGiveZero() throws {
        var random = SeededRandom(seed: 5)
        let w = random.tensor([8, 16])
        let y = try Ops.linear(Tensor(zeros: [2, 16]), weight: MatmulWeight(w, precision: .int8), bias: nil)
        #expect(y.scalars == [Float](repeating: 0, count: 16))
    }

    /// The activation kernels (AVX-512 and portable give the same codes): ties to even, clamping, NaN.
    @Test func activationCodesRoundTiesToEvenAndClamp() throws {
        // Range [0, 255]: scale 1, zero point 0, so codes are the rounded values themselves.
        let values: [Float] = [0, 0.5, 1.5, 2.5, 254.5, 255, 3.49, 100.51] + (0..<20).map { Float($0) * 12.25 }
        let identity = try MatmulWeight(Tensor(shape: [1, 1], scalars: [1]), precision: .int8)
        let y = try Ops.linear(Tensor(shape: [values.count, 1], scalars: values), weight: identity, bias: nil)
        for (i, v) in values.enumerated() {
            #expect(y.scalars[i] == Float(Double(v).rounded(.toNearestOrEven)), "value \(v) → \(y.scalars[i])")
        }
    }
}

/// `LinearWeight`, the one place weights are converted: conversion happens on first use (int8 at once,
/// fp32/bf16 packed from the second product), every precision's products match its `MatmulWeight`, and
/// bad weights are errors, never a silent fallback to zeros or to another precision.
@Suite struct LinearWeightTests {
    @Test(arguments: Precision.allCases)
    func convertsOnFirstUseAndComputesInItsPrecision(precision: Precision) throws {
        var random = SeededRandom(seed: 21)
        let w = random.tensor([48, 40], -0.2, 0.2), b = random.tensor([48]), x = random.tensor([2, 5, 40])
        let weight = try LinearWeight(w, precision: precision)
        #expect(!weight.isConverted && weight.precision == precision)
        let first = try weight.product(x, bias: b)
        #expect(weight.isConverted == (precision == .int8))
        let second = try weight.product(x, bias: b)
        #expect(weight.isConverted)
        let direct = try Ops.linear(x, weight: MatmulWeight(w, precision: precision), bias: b)
        expectClose("\(precision) first product", first, Reference(direct), absolute: 1e-6, relative: 1e-6)
        expectClose("\(precision) packed product", second, Reference(direct), absolute: 1e-6, relative: 1e-6)
        // The values the products use: exact for fp32, bfloat16 or int8 steps otherwise — never zeros.
        let used = try weight.float32().scalars
        #expect(used.count == 48 * 40 && used.contains { $0 != 0 })
        if precision == .float32 { #expect(used == w.scalars) }
        #expect(try weight.byteCount() >= 48 * 40 * [Precision.float32: 4, .bfloat16: 2, .int8: 1][precision]!)
    }

    @Test func badWeightsThrow() {
        #expect(throws: TensorError.self) { try LinearWeight(Tensor(zeros: [0, 8]), precision: .int8) }
        #expect(throws: TensorError.self) { try LinearWeight(Tensor(zeros: [4, 4, 4]), precision: .float32) }
        let bits = [UInt16](repeating: 0x3F80, count: 12)
        bits.withUnsafeBufferPointer { pointer in
            let values = HalfPrecisionValues(format: .bfloat16, bits: pointer.baseAddress!, count: 12, owner: NSObject(),
                                             fileMapped: false)
            #expect(throws: TensorError.self) {
                try LinearWeight(halfPrecision: values, precision: .bfloat16, outFeatures: 4, inFeatures: 4)
            }
        }
    }
}
