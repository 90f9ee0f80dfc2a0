import AltCLIPTensor
import Testing

@Suite("Multi-head attention against a double-precision eager reference")
struct AttentionTests {
    static let finfoMin = -Float.greatestFiniteMagnitude
    // Two Float GEMMs and a softmax over ≤ 40 keys; measured max diff ≈ 5e-7 on O(1) outputs.
    static let tolerance = (absolute: 5e-6, relative: 1e-5)

    struct Case: CustomTestStringConvertible, Sendable {
        var batch: Int, lq: Int, lk: Int, heads: Int, headDim: Int
        var testDescription: String { "B\(batch) Lq\(lq) Lk\(lk) H\(heads) D\(headDim)" }
    }

    static let cases = [
        Case(batch: 1, lq: 5, lk: 5, heads: 1, headDim: 4),
        Case(batch: 2, lq: 7, lk: 7, heads: 3, headDim: 5),
        Case(batch: 3, lq: 16, lk: 16, heads: 4, headDim: 8),
        Case(batch: 2, lq: 40, lk: 40, heads: 3, headDim: 16),  // large enough for the parallel path
        Case(batch: 2, lq: 3, lk: 9, heads: 2, headDim: 6),
    ]

    /// A padding mask like transformers builds it: keys past each sequence's length get finfo.min.
    static func paddingMask(batch: Int, keys: Int, lengths: [Int]) -> Tensor {
        Tensor(shape: [batch, keys], scalars: (0..<(batch * keys)).map { ($0 % keys) < lengths[$0 / keys] ? 0 : finfoMin })
    }

    @Test(arguments: cases)
    func attention(c: Case) {
        var rng = SeededRandom(seed: 30)
        let width = c.heads * c.headDim
        let q = rng.tensor([c.batch, c.lq, width], -2, 2)
        let k = rng.tensor([c.batch, c.lk, width], -2, 2)
        let v = rng.tensor([c.batch, c.lk, width])
        let lengths = (0..<c.batch).map { max(1, c.lk - 2 * $0) }
        let mask = Self.paddingMask(batch: c.batch, keys: c.lk, lengths: lengths)
        let headMask = Tensor(shape: [c.heads], scalars: (0..<c.heads).map { $0 == 1 ? 0 : 0.5 + Float($0) })
        let variants: [(String, Tensor?, Tensor?)] = [("plain", nil, nil), ("mask", mask, nil), ("mask+headMask", mask, headMask)]
        forEachBackend { backend in
            for (name, m, h) in variants {
                let reference = Naive.attention(q: q, k: k, v: v, heads: c.heads, mask: m, headMask: h)
                let (out, probs) = Ops.attention(query: q, key: k, value: v, heads: c.heads, additiveMask: m,
                                                 headMask: h, returnProbabilities: true)
                let label = "\(c.testDescription) \(name) [\(backend)]"
                expectClose("attention output \(label)", out, reference.output,
                            absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
                if let probs {
                    expectClose("attention probabilities \(label)", probs, reference.probabilities,
                                absolute: Self.tolerance.absolute, relative: Self.tolerance.relative)
                } else {
                    Issue.record("probabilities missing for \(label)")
                }
                // Without probabilities the output is bit-identical (same code path, scratch buffer).
                let (alone, none) = Ops.attention(query: q, key: k, value: v, heads: c.heads, additiveMask: m,
                                                  headMask: h, returnProbabilities: false)
                #expect(none == nil)
                #expect(alone.scalars == out.scalars, "\(label): output differs when probabilities are not returned")
            }
        }
    }

    @Test func perQueryMaskScaleAndBatchHeadMask() {
        var rng = SeededRandom(seed: 31)
        let (b, l, h, d) = (2, 6, 2, 3)
        let q = rng.tensor([b, l, h * d]), k = rng.tensor([b, l, h * d]), v = rng.tensor([b, l, h * d])
        // Causal mask [B, Lq, Lk].
        let causal = Tensor(shape: [b, l, l], scalars: (0..<(b * l * l)).map { ($0 % l) <= ($0 / l) % l ? 0 : Self.finfoMin })
        let headMask = Tensor(shape: [b, h], scalars: [1, 0.5, 0, 2])
        let reference = Naive.attention(q: q, k: k, v: v, heads: h, mask: causal, headMask: headMask, scale: 0.3)
        let (out, probs) = Ops.attention(query: q, key: k, value: v, heads: h, additiveMask: causal, headMask: headMask,
                                         scale: 0.3, returnProbabilities: true)
        expectClose("causal attention output", out, reference.output, absolute: 5e-6, relative: 1e-5)
        expectClose("causal attention probabilities", probs!, reference.probabilities, absolute: 5e-6, relative: 1e-5)
        // Per-head mask [B, H, Lq, Lk] given as [B, H, Lq, Lk].
        let perHead = rng.tensor([b, h, l, l], -3, 0)
        let referenceHead = Naive.attention(q: q, k: k, v: v, heads: h, mask: perHead, headMask: nil)
        let (outHead, _) = Ops.attention(query: q, key: k, value: v, heads: h, additiveMask: perHead, headMask: nil,
                                         returnProbabilities: false)
        expectClose("per-head mask attention output", outHead, referenceHead.output, absolute: 5e-6, relative: 1e-5)
    }

    /// relative_key(_query) positions: a bias added to Q·Kᵀ before scaling.
    @Test func scoreBiasIsAddedBeforeScaling() {
        var rng = SeededRandom(seed: 32)
        let (b, l, h, d) = (2, 5, 3, 4)
        let q = rng.tensor([b, l, h * d]), k = rng.tensor([b, l, h * d]), v = rng.tensor([b, l, h * d])
        let bias = rng.tensor([b, h, l, l], -2, 2)
        let mask = Self.paddingMask(batch: b, keys: l, lengths: [5, 3])
        let reference = Naive.attention(q: q, k: k, v: v, heads: h, mask: mask, headMask: nil, scoreBias: bias)
        let (out, probs) = Ops.attention(query: q, key: k, value: v, heads: h, additiveMask: mask, headMask: nil,
                                         scoreBias: bias, returnProbabilities: true)
        expectClose("score-bias attention output", out, reference.output, absolute: 5e-6, relative: 1e-5)
        expectClose("score-bias attention probabilities", probs!, reference.probabilities, absolute: 5e-6, relative: 1e-5)
    }

    /// A sequence whose keys are all masked (finfo.min) attends uniformly, as torch does; no NaN anywhere.
    @Test func fullyMaskedSequenceIsUniformNotNaN() {
        var rng = SeededRandom(seed: 33)
        let (b, l, h, d) = (2, 4, 2, 3)
        let q = rng.tensor([b, l, h * d]), k = rng.tensor([b, l, h * d]), v = rng.tensor([b, l, h * d])
        let mask = Self.paddingMask(batch: b, keys: l, lengths: [3, 0])
        let (out, probs) = Ops.attention(query: q, key: k, value: v, heads: h, additiveMask: mask, headMask: nil,
                                         returnProbabilities: true)
        #expect(!out.scalars.contains { $0.isNaN } && !probs!.scalars.contains { $0.isNaN })
        let secondBatch = probs!.select(axis: 0, index: 1).scalars
        #expect(secondBatch.allSatisfy { $0 == 0.25 }, "fully masked rows should be uniform: \(secondBatch.prefix(8))")
        let firstBatch = probs!.select(axis: 0, index: 0)
        for head in 0..<h { for row in 0..<l { #expect(firstBatch[head, row, 3] == 0) } }
    }
}
