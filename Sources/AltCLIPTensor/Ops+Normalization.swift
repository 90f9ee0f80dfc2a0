import Foundation

extension Ops {
    /// Layer normalization over the last axis (torch `nn.LayerNorm`): biased variance,
    /// `(x − mean) / sqrt(var + eps) · weight + bias`.
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
        let d = x.shape.last ?? 1
        precondition(x.rank >= 1 && weight.count == d && bias.count == d,
                     "layerNorm: weight \(weight.shape) / bias \(bias.shape) do not match input \(x.shape)")
        let result = Tensor(uninitializedShape: x.shape)
        guard d > 0 else { return result }
        let source = x.pointer, target = result.storage.pointer
        let gamma = weight.pointer, beta = bias.pointer
        Threading.parallelFor(x.count / d, costPerItem: 4 * d) { rows in
            for r in rows {
                let row = source + r * d, out = target + r * d
                let mean = Kernels.sum(row, d) / Float(d)
                let variance = Kernels.sumOfSquaredDeviations(row, d, mean: mean) / Float(d)
                let inverse = 1 / (variance + eps).squareRoot()
                for i in 0..<d { out[i] = (row[i] - mean) * inverse * gamma[i] + beta[i] }
            }
        }
        return result
    }

    /// Softmax over the last axis, numerically stable (exp(x − max) / Σ). Rows that are entirely −∞
    /// give NaN, as in torch; rows masked with finite huge negatives (finfo.min) stay finite.
    public static func softmax(_ x: Tensor) -> Tensor {
        var result = x
        let d = x.shape.last ?? 1
        guard d > 0, x.count > 0 else { return result }
        result.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Threading.parallelFor(x.count / d, costPerItem: 24 * d) { rows in
                for r in rows { Kernels.softmaxInPlace(base + r * d, d) }
            }
        }
        return result
    }

    /// `x / ‖x‖₂` over the last axis, with no epsilon (as transformers' `_get_vector_norm`): a zero row
    /// gives NaN like torch.
    public static func l2Normalize(_ x: Tensor) -> Tensor {
        let d = x.shape.last ?? 1
        let result = Tensor(uninitializedShape: x.shape)
        guard d > 0 else { return result }
        let source = x.pointer, target = result.storage.pointer
        Threading.parallelFor(x.count / d, costPerItem: 3 * d) { rows in
            for r in rows {
                let row = source + r * d, out = target + r * d
                let norm = Kernels.sumOfSquares(row, d).squareRoot()
                for i in 0..<d { out[i] = row[i] / norm }
            }
        }
        return result
    }
}
