import AltCLIPTensor
import Foundation
import Testing

/// `QuantizedWeight` and `Ops.quantizedLinear` against a Double reference of the same quantized maths
/// (independently re-derived here), and against the exact fp32 linear for the quantization error.
@Suite struct QuantizedLinearTests {
    /// Per-channel symmetric weight quantization, recomputed in Double.
    @Test func weightQuantizationIsPerChannelSymmetric() {
        var random = SeededRandom(seed: 11)
        var scalars = (0..<(5 * 37)).map { _ in random.uniform(-0.3, 0.3) }
        for k in 0..<37 { scalars[2 * 37 + k] = 0 }  // an all-zero channel
        scalars[4 * 37 + 3] = -2.5                    // one channel with an outlier
        let w = Tensor(shape: [5, 37], scalars: scalars)
        let q = QuantizedWeight(w)
        #expect(q.outFeatures == 5 && q.inFeatures == 37)
        let values = q.values, scales = q.scales
        for o in 0..<5 {
            let row = scalars[(o * 37)..<(o * 37 + 37)].map(Double.init)
            let largest = row.map(abs).max()!
            #expect(abs(Double(scales[o]) - largest / 127) <= 1e-7 * max(largest, 1), "scale \(o)")
            for k in 0..<37 {
                let expected = largest == 0 ? 0 : (row[k] / (largest / 127)).rounded()
                #expect(abs(Double(values[o * 37 + k]) - expected) <= 1, "q[\(o), \(k)]")
                // Reconstruction within half a step.
                #expect(abs(Double(scales[o]) * Double(values[o * 37 + k]) - row[k]) <= Double(scales[o]) * 0.5 + 1e-7)
            }
        }
        #expect(values[(4 * 37 + 3)] == -127)
        #expect(q.dequantized().shape == [5, 37])
    }

    /// Both GEMM layouts (few rows: weight-left signed product; many rows: activation-left unsigned).
    @Test(arguments: [(3, 70, 50), (64, 33, 129), (65, 40, 64), (150, 96, 257)])
    func matchesQuantizedMathsAndFloat(rows: Int, outFeatures: Int, inFeatures: Int) {
        var random = SeededRandom(seed: UInt64(rows * 1000 + inFeatures))
        // Skewed activations (like GELU outputs) exercise the zero point.
        let x = random.tensor([1, rows, inFeatures], -0.4, 2.0)
        let w = random.tensor([outFeatures, inFeatures], -0.1, 0.1)
        let b = random.tensor([outFeatures], -1, 1)
        let q = QuantizedWeight(w)
        let y = Ops.quantizedLinear(x, weight: q, bias: b)
        #expect(y.shape == [1, rows, outFeatures])

        let xs = x.scalars, values = q.values, scales = q.scales, bias = b.scalars
        var expected = [Double](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            let row = xs[(r * inFeatures)..<((r + 1) * inFeatures)]
            let low = min(row.min()!, 0), high = max(row.max()!, 0)
            // The library computes scale, zero point and codes in Float; so does this reference.
            let scale = (high - low) / 255
            let zero = min(max((-low / scale).rounded(.toNearestOrEven), 0), 255)
            let codes = row.map { Double(min(max(($0 * (1 / scale)).rounded(.toNearestOrEven) + zero, 0), 255)) }
            for o in 0..<outFeatures {
                var dot = 0.0
                for k in 0..<inFeatures { dot += (codes[k] - Double(zero)) * Double(values[o * inFeatures + k]) }
                expected[r * outFeatures + o] = Double(scale) * Double(scales[o]) * dot + Double(bias[o])
            }
        }
        expectClose("quantizedLinear \(rows)×\(inFeatures)→\(outFeatures)", y,
                    Reference(shape: [1, rows, outFeatures], values: expected), absolute: 2e-5, relative: 2e-5)

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

    /// All-zero rows and no bias: scale falls back to 1, output exactly zero.
    @Test func zeroRowsGiveZero() {
        var random = SeededRandom(seed: 5)
        let w = random.tensor([8, 16])
        let y = Ops.quantizedLinear(Tensor(zeros: [2, 16]), weight: QuantizedWeight(w), bias: nil)
        #expect(y.scalars == [Float](repeating: 0, count: 16))
    }
}
