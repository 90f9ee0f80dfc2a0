extension Ops {
    /// `y = x·Wᵀ + b` over the last axis (torch `nn.Linear`): x `[..., in]`, weight `[out, in]`,
    /// bias `[out]`; result `[..., out]`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(weight.rank == 2, "linear: weight must be [out, in], got \(weight.shape)")
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                     "linear: input \(x.shape) does not end in \(inFeatures)")
        if let bias { precondition(bias.count == outFeatures, "linear: bias \(bias.shape) is not [\(outFeatures)]") }
        let rows = x.shape.dropLast().reduce(1, *)
        let result = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outFeatures])
        let c = result.storage.pointer
        if let bias {
            let b = bias.pointer
            Threading.parallelFor(rows, costPerItem: outFeatures) { range in
                for r in range { (c + r * outFeatures).update(from: b, count: outFeatures) }
            }
        }
        GEMM.sgemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures,
                   alpha: 1, a: x.pointer, lda: inFeatures, b: weight.pointer, ldb: inFeatures,
                   beta: bias == nil ? 0 : 1, c: c, ldc: outFeatures, backend: .current)
        return result
    }

    /// Batched matrix product over the last two axes (torch `matmul` with optional transposes of the
    /// last two axes of either operand). Leading axes must be equal, or `b` may be a plain matrix that
    /// is shared by every batch: a `[..., m, k]` · b `[..., k, n]` → `[..., m, n]`.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank ≥ 2, got \(a.shape) and \(b.shape)")
        let aRows = a.shape[a.rank - 2], aCols = a.shape[a.rank - 1]
        let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
        let m = transposeA ? aCols : aRows, k = transposeA ? aRows : aCols
        let kb = transposeB ? bCols : bRows, n = transposeB ? bRows : bCols
        precondition(k == kb, "matmul: inner dimensions differ: \(a.shape) · \(b.shape)")
        let leading = Array(a.shape.dropLast(2))
        let sharedB = b.rank == 2 && a.rank > 2
        precondition(sharedB || Array(b.shape.dropLast(2)) == leading,
                     "matmul: batch dimensions differ: \(a.shape) · \(b.shape)")
        let batches = leading.reduce(1, *)
        let result = Tensor(uninitializedShape: leading + [m, n])
        let pa = a.pointer, pb = b.pointer, pc = result.storage.pointer
        let aStride = aRows * aCols, bStride = sharedB ? 0 : bRows * bCols, cStride = m * n
        if sharedB && !transposeA {
            // One GEMM over all batches stacked as rows.
            GEMM.sgemm(transA: false, transB: transposeB, m: batches * m, n: n, k: k, alpha: 1,
                       a: pa, lda: aCols, b: pb, ldb: bCols, beta: 0, c: pc, ldc: n, backend: .current)
            return result
        }
        let backend = GEMMBackend.current
        GEMM.parallelBatches(batches, flopsPerItem: 2 * m * n * k, backend: backend) { range, single in
            for i in range {
                GEMM.sgemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                           a: pa + i * aStride, lda: aCols, b: pb + i * bStride, ldb: bCols,
                           beta: 0, c: pc + i * cStride, ldc: n, backend: backend, singleThreaded: single)
            }
        }
        return result
    }
}
