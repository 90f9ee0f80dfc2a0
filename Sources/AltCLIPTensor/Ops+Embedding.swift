extension Ops {
    /// Rows of `table` `[V, D]` for `ids` (torch `nn.Embedding`): the result has shape `shape + [D]`.
    /// Throws `TensorError.shapeMismatch` if `ids.count` is not `shape`'s product and
    /// `TensorError.indexOutOfRange` for an id outside `0..<V`.
    public static func gather(_ table: Tensor, ids: [Int], shape: [Int]) throws -> Tensor {
        guard table.rank == 2 else {
            throw TensorError.shapeMismatch(operation: "gather", expected: "a [V, D] table", actual: table.shape)
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == ids.count else {
            throw TensorError.shapeMismatch(operation: "gather", expected: "\(ids.count) ids", actual: shape)
        }
        let rows = table.shape[0], d = table.shape[1]
        for (position, id) in ids.enumerated() where id < 0 || id >= rows {
            throw TensorError.indexOutOfRange(operation: "gather", position: position, id: id, bound: rows)
        }
        let result = Tensor(uninitializedShape: shape + [d])
        let source = table.pointer, target = result.storage.pointer
        ids.withUnsafeBufferPointer { idBuffer in
            Threading.parallelFor(ids.count, costPerItem: d) { range in
                for i in range { (target + i * d).update(from: source + idBuffer[i] * d, count: d) }
            }
        }
        return result
    }

    /// `gather` from a bfloat16 (or IEEE float16) table given as raw bits `[rows, dimension]` (e.g. a
    /// half-precision checkpoint's word embeddings, never widened as a whole): the selected rows are
    /// widened exactly to Float32.
    public static func gather(halfPrecisionTable table: UnsafePointer<UInt16>, bfloat16: Bool, rows: Int, dimension d: Int,
                              ids: [Int], shape: [Int]) throws -> Tensor {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == ids.count else {
            throw TensorError.shapeMismatch(operation: "gather", expected: "\(ids.count) ids", actual: shape)
        }
        for (position, id) in ids.enumerated() where id < 0 || id >= rows {
            throw TensorError.indexOutOfRange(operation: "gather", position: position, id: id, bound: rows)
        }
        let result = Tensor(uninitializedShape: shape + [d])
        let target = result.storage.pointer
        ids.withUnsafeBufferPointer { idBuffer in
            Threading.parallelFor(ids.count, costPerItem: d) { range in
                for i in range {
                    Kernels.widenHalf(table + idBuffer[i] * d, bfloat16: bfloat16, count: d, into: target + i * d)
                }
            }
        }
        return result
    }

    /// Non-overlapping patch convolution (kernel = stride = `patchSize`, no padding, no bias) as one GEMM.
    /// pixels `[B, C, H, W]`, weight `[O, C, P, P]` → `[B, (H/P)·(W/P), O]`, patches in row-major order
    /// (torch `conv2d(...).flatten(2).transpose(1, 2)`). Like the convolution, trailing pixels that do
    /// not fill a whole patch are ignored.
    public static func patchEmbedding(_ pixels: Tensor, weight: Tensor, patchSize: Int) -> Tensor {
        let p = patchSize
        precondition(pixels.rank == 4 && weight.rank == 4 && p > 0, "patchEmbedding: needs [B, C, H, W] and [O, C, P, P]")
        let batch = pixels.shape[0], channels = pixels.shape[1], height = pixels.shape[2], width = pixels.shape[3]
        let outChannels = weight.shape[0]
        precondition(weight.shape == [outChannels, channels, p, p],
                     "patchEmbedding: weight \(weight.shape) is not [O, \(channels), \(p), \(p)]")
        let gridH = height / p, gridW = width / p
        let patches = batch * gridH * gridW, patchLength = channels * p * p
        // im2col: one row per patch, laid out like the flattened kernel (c, ky, kx).
        let columns = Tensor(uninitializedShape: [patches, patchLength])
        let source = pixels.pointer, target = columns.storage.pointer
        Threading.parallelFor(batch * gridH, costPerItem: gridW * patchLength) { range in
            for bandIndex in range {
                let b = bandIndex / gridH, py = bandIndex % gridH
                for px in 0..<gridW {
                    let row = target + ((b * gridH + py) * gridW + px) * patchLength
                    for c in 0..<channels {
                        for ky in 0..<p {
                            let from = source + ((b * channels + c) * height + py * p + ky) * width + px * p
                            (row + (c * p + ky) * p).update(from: from, count: p)
                        }
                    }
                }
            }
        }
        let result = Tensor(uninitializedShape: [batch, gridH * gridW, outChannels])
        GEMM.sgemm(transA: false, transB: true, m: patches, n: outChannels, k: patchLength, alpha: 1,
                   a: columns.pointer, lda: patchLength, b: weight.pointer, ldb: patchLength,
                   beta: 0, c: result.storage.pointer, ldc: outChannels, backend: .current)
        return result
    }
}
