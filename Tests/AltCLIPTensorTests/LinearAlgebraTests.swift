import AltCLIPTensor
import Testing

@Suite("GEMM-backed ops against double-precision references")
struct LinearAlgebraTests {
    // Float32 GEMM against Double: error grows like ε·√K·|terms|; inputs are U(-1, 1) and K ≤ 200, so
    // 1e-5 absolute + 1e-5 relative is a few times the noise floor measured (max ≈ 2e-6).
    static let tolerance = (absolute: 1e-5, relative: 1e-5)

    @Test(arguments: [([5], 7, 3), ([2, 9], 13, 17), ([3, 4, 33], 65, 1), ([1, 16, 64], 48, 64), ([1, 257, 70], 45, 70), ([2, 257, 24], 40, 24)])
    func linear(leading: [Int], outFeatures: Int, inFeatures: Int) {
        var rng = SeededRandom(seed: 1)
        let x = rng.tensor(Array(leading.dropLast()) + [inFeatures])
        let w = rng.tensor([outFeatures, inFeatures])
        let b = rng.tensor([outFeatures])
        forEachBackend { backend in
            expectClose("linear \(x.shape)·\(w.shape) [\(backend)]", Ops.linear(x, weight: w, bias: b),
                        Naive.linear(x, w, b), absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
            expectClose("linear no bias [\(backend)]", Ops.linear(x, weight: w, bias: nil),
                        Naive.linear(x, w, nil), absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
            let wt = w.transposed(0, 1)
            expectClose("linear transposed weight [\(backend)]", Ops.linear(x, transposedWeight: wt, bias: b),
                        Naive.linear(x, w, b), absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
            expectClose("linear transposed weight, no bias [\(backend)]", Ops.linear(x, transposedWeight: wt, bias: nil),
                        Naive.linear(x, w, nil), absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
        }
    }

    @Test(arguments: [false, true], [false, true])
    func batchedMatmul(transposeA: Bool, transposeB: Bool) {
        var rng = SeededRandom(seed: 2)
        for (batch, m, k, n) in [([3], 5, 7, 2), ([2, 3], 17, 9, 11), ([1], 1, 1, 1), ([4], 33, 64, 31)] {
            let a = rng.tensor(batch + (transposeA ? [k, m] : [m, k]))
            let b = rng.tensor(batch + (transposeB ? [n, k] : [k, n]))
            forEachBackend { backend in
                expectClose("matmul \(a.shape)·\(b.shape) tA=\(transposeA) tB=\(transposeB) [\(backend)]",
                            Ops.matmul(a, b, transposeA: transposeA, transposeB: transposeB),
                            Naive.matmul(a, b, transposeA: transposeA, transposeB: transposeB),
                            absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
            }
            // A plain matrix shared by every batch.
            let shared = rng.tensor(transposeB ? [n, k] : [k, n])
            expectClose("matmul shared b tA=\(transposeA) tB=\(transposeB)",
                        Ops.matmul(a, shared, transposeA: transposeA, transposeB: transposeB),
                        Naive.matmul(a, shared, transposeA: transposeA, transposeB: transposeB),
                        absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
        }
    }

    @Test func matmulWithEmptyInnerDimensionIsZero() {
        let c = Ops.matmul(Tensor(zeros: [2, 0]), Tensor(zeros: [0, 3]))
        #expect(c.shape == [2, 3] && c.scalars == [Float](repeating: 0, count: 6))
    }

    @Test(arguments: [([1, 3, 8, 8], 4, 5), ([2, 3, 12, 9], 3, 7), ([3, 2, 7, 7], 7, 4)])
    func patchEmbedding(pixelsShape: [Int], patch: Int, outChannels: Int) {
        var rng = SeededRandom(seed: 3)
        let pixels = rng.tensor(pixelsShape)
        let weight = rng.tensor([outChannels, pixelsShape[1], patch, patch])
        forEachBackend { backend in
            expectClose("patchEmbedding \(pixelsShape) p\(patch) [\(backend)]",
                        Ops.patchEmbedding(pixels, weight: weight, patchSize: patch),
                        Naive.patchEmbedding(pixels, weight, p: patch),
                        absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
        }
    }

    @Test func backendChoiceIsScopedToTheTask() {
        let global = GEMMBackend.current
        for backend in GEMMBackend.allCases {
            GEMMBackend.withCurrent(backend) { #expect(GEMMBackend.current == backend) }
        }
        #expect(GEMMBackend.current == global)
    }

    @Test func backendsDescribeThemselves() {
        #expect(GEMMBackend.oneDNN.description.hasPrefix("oneDNN "))
        #expect(GEMMBackend.openBLAS.description.hasPrefix("OpenBLAS "))
        #expect(GEMMBackend.allCases.contains(Backend.current))
    }
}
