import CDNNL
import COpenBLAS

/// Row-major single-precision GEMM on the current backend: `C[m×n] = α·op(A)·op(B) + β·C`, where
/// `op(A)` is `m×k` (A stored `k×m` when `transA`), `op(B)` is `k×n` (B stored `n×k` when `transB`).
enum GEMM {
    // swiftlint:disable:next function_parameter_count
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        backend: GEMMBackend, singleThreaded: Bool = false
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        switch backend {
        case .oneDNN:
            let status = OpenMPRuntime.withMaxThreads(singleThreaded ? 1 : Threading.threadCount) {
                dnnl_sgemm(transA ? 84 : 78, transB ? 84 : 78, Int64(m), Int64(n), Int64(k),
                           alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
            }
            // Arguments are validated above; a failure here would be an internal error, so fall back.
            if status != dnnl_success {
                openBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
        case .openBLAS:
            openBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }

    // swiftlint:disable:next function_parameter_count
    private static func openBLAS(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension GEMM {
    /// Runs `body` over `0..<count` independent small problems (batches, heads). When the problems are
    /// small enough that spreading them over our threads beats threading each GEMM, they run in
    /// parallel and `body` is told to issue single-threaded GEMMs (`true`); otherwise they run in order
    /// with the BLAS threading each call (`false`).
    static func parallelBatches(
        _ count: Int, flopsPerItem: Int, backend: GEMMBackend, _ body: (Range<Int>, Bool) -> Void
    ) {
        let threads = Threading.threadCount
        // Fewer problems than threads: only worth it if each is too small for the BLAS to thread well.
        let bigEnough = flopsPerItem >= 64 << 20
        guard count > 1, threads > 1, count >= threads || !bigEnough,
              count &* flopsPerItem >= Threading.minimumParallelWork else {
            body(0..<count, false)
            return
        }
        if backend.supportsSingleThreadedCalls {
            Threading.parallelFor(count, costPerItem: flopsPerItem) { range in body(range, true) }
        } else {
            // OpenBLAS' thread count is process-wide: pin it to 1 while our threads share the work.
            openblas_set_num_threads(1)
            defer { openblas_set_num_threads(Int32(threads)) }
            Threading.parallelFor(count, costPerItem: flopsPerItem) { range in body(range, true) }
        }
    }
}
