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
        let backend = GEMMBackend.current
        if backend == .oneDNN && rows <= GEMM.oneDNNTransposedProductMaxRows {
            linearByTransposedProduct(x.pointer, rows: rows, weight: weight.pointer, outFeatures: outFeatures,
                                      inFeatures: inFeatures, bias: bias?.pointer, into: c)
            return result
        }
        if let bias { fillRows(c, rows: rows, with: bias.pointer, count: outFeatures) }
        GEMM.sgemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures,
                   alpha: 1, a: x.pointer, lda: inFeatures, b: weight.pointer, ldb: inFeatures,
                   beta: bias == nil ? 0 : 1, c: c, ldc: outFeatures, backend: backend)
        return result
    }

    /// `(W·Xᵀ)ᵀ + b`: oneDNN's row-major `X·Wᵀ` kernel runs at ~22 GFLOP/s for 16 rows and ~70 for 64,
    /// while `W·Xᵀ` (the weight as the row-major left operand) runs at ~155 and ~173; the blocked
    /// transpose back touches only rows × out scalars. From ~257 rows on the plain kernel catches up.
    private static func linearByTransposedProduct(
        _ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int,
        bias: UnsafePointer<Float>?, into c: UnsafeMutablePointer<Float>
    ) {
        let transposed = UnsafeMutablePointer<Float>.allocate(capacity: max(outFeatures * rows, 1))
        defer { transposed.deallocate() }
        GEMM.sgemm(transA: false, transB: true, m: outFeatures, n: rows, k: inFeatures, alpha: 1,
                   a: weight, lda: inFeatures, b: x, ldb: inFeatures, beta: 0, c: transposed, ldc: rows,
                   backend: .oneDNN)
        Kernels.transpose(transposed, rows: outFeatures, cols: rows, into: c, addingToEachRow: bias)
    }

    /// `y = x·W + b` with the weight already transposed to `[in, out]` (e.g. once at load time with
    /// `weight.transposed(0, 1)`). oneDNN runs this layout fastest of all (measured single-threaded:
    /// 98–110 GFLOP/s for 16 to 2056 rows, vs 35–110 for `linear(_:weight:bias:)`'s `[out, in]`).
    public static func linear(_ x: Tensor, transposedWeight: Tensor, bias: Tensor?) -> Tensor {
        precondition(transposedWeight.rank == 2, "linear: transposed weight must be [in, out], got \(transposedWeight.shape)")
        let inFeatures = transposedWeight.shape[0], outFeatures = transposedWeight.shape[1]
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                     "linear: input \(x.shape) does not end in \(inFeatures)")
        if let bias { precondition(bias.count == outFeatures, "linear: bias \(bias.shape) is not [\(outFeatures)]") }
        let rows = x.shape.dropLast().reduce(1, *)
        let result = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outFeatures])
        let c = result.storage.pointer
        if let bias { fillRows(c, rows: rows, with: bias.pointer, count: outFeatures) }
        GEMM.sgemm(transA: false, transB: false, m: rows, n: outFeatures, k: inFeatures,
                   alpha: 1, a: x.pointer, lda: inFeatures, b: transposedWeight.pointer, ldb: outFeatures,
                   beta: bias == nil ? 0 : 1, c: c, ldc: outFeatures, backend: .current)
        return result
    }

    /// Copies `values` into each of `rows` rows (the bias, before a GEMM accumulates onto it with β = 1).
    private static func fillRows(_ c: UnsafeMutablePointer<Float>, rows: Int, with values: UnsafePointer<Float>, count: Int) {
        Threading.parallelFor(rows, costPerItem: count) { range in
            for r in range { (c + r * count).update(from: values, count: count) }
        }
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
