import Foundation

extension Ops {
    /// torch `F.interpolate(x, size: (outHeight, outWidth), mode: "bicubic", align_corners: false)` on
    /// `[B, C, H, W]`: Keys cubic with A = −0.75, source index `(dst + 0.5)·in/out − 0.5`, taps clamped
    /// to the border. Used by the vision tower's `interpolate_pos_encoding`.
    public static func bicubicInterpolate(_ x: Tensor, outHeight: Int, outWidth: Int) -> Tensor {
        precondition(x.rank == 4 && outHeight > 0 && outWidth > 0, "bicubicInterpolate: needs [B, C, H, W] and a positive size")
        let planes = x.shape[0] * x.shape[1], inH = x.shape[2], inW = x.shape[3]
        precondition(inH > 0 && inW > 0, "bicubicInterpolate: empty input \(x.shape)")
        let rows = CubicTaps(inputSize: inH, outputSize: outHeight)
        let cols = CubicTaps(inputSize: inW, outputSize: outWidth)
        let result = Tensor(uninitializedShape: [x.shape[0], x.shape[1], outHeight, outWidth])
        let source = x.pointer, target = result.storage.pointer
        Threading.parallelFor(planes, costPerItem: 32 * outHeight * outWidth) { range in
            for plane in range {
                let input = source + plane * inH * inW
                let output = target + plane * outHeight * outWidth
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var value: Float = 0
                        for i in 0..<4 {
                            let line = input + rows.index[oy * 4 + i] * inW
                            var horizontal: Float = 0
                            for j in 0..<4 { horizontal += cols.weight[ox * 4 + j] * line[cols.index[ox * 4 + j]] }
                            value += rows.weight[oy * 4 + i] * horizontal
                        }
                        output[oy * outWidth + ox] = value
                    }
                }
            }
        }
        return result
    }
}

/// The four source indices (clamped) and weights of each output position along one axis.
private struct CubicTaps {
    var index: [Int]
    var weight: [Float]

    init(inputSize: Int, outputSize: Int) {
        index = []
        weight = []
        index.reserveCapacity(outputSize * 4)
        weight.reserveCapacity(outputSize * 4)
        // Float arithmetic throughout, as torch's float32 kernel (opmath_t = float).
        let scale = Float(inputSize) / Float(outputSize)
        for o in 0..<outputSize {
            let real = scale * (Float(o) + 0.5) - 0.5
            let base = min(Int(floorf(real)), inputSize - 1)
            let t = min(max(real - Float(base), 0), 1)
            let a: Float = -0.75
            let x1 = t, x2 = 1 - t
            weight.append(CubicTaps.far(x1 + 1, a))
            weight.append(CubicTaps.near(x1, a))
            weight.append(CubicTaps.near(x2, a))
            weight.append(CubicTaps.far(x2 + 1, a))
            for k in -1...2 { index.append(min(max(base + k, 0), inputSize - 1)) }
        }
    }

    /// Kernel for |x| ≤ 1.
    static func near(_ x: Float, _ a: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
    /// Kernel for 1 < |x| < 2.
    static func far(_ x: Float, _ a: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
}
