import AltCLIPTensor
import Testing

/// `Ops.attention` with a reduced precision: on AMX machines the two products run in bfloat16
/// (`altclip_attention_bf16`), elsewhere the Float32 path runs unchanged.
@Suite("Attention in bfloat16 (reduced precision) against double-precision references")
struct ReducedPrecisionAttentionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var batch: Int, lq: Int, lk: Int, heads: Int, headDim: Int, mask: Int
        var testDescription: String { "B\(batch) Lq\(lq) Lk\(lk) H\(heads) D\(headDim) mask kind \(mask)" }
    }

    static let cases = [
        Case(batch: 1, lq: 257, lk: 257, heads: 2, headDim: 64, mask: 0),  // a ViT-L/14 layer's shape, two heads
        Case(batch: 2, lq: 37, lk: 37, heads: 3, headDim: 64, mask: 1),    // [B, Lk] padding, as the text tower
        Case(batch: 2, lq: 5, lk: 37, heads: 2, headDim: 32, mask: 2),     // [B, Lq, Lk]
        Case(batch: 1, lq: 19, lk: 16, heads: 2, headDim: 64, mask: 3),    // [B, H, Lq, Lk]
        Case(batch: 3, lq: 1, lk: 1, heads: 1, headDim: 32, mask: 0),
    ]

    /// bfloat16 rounding (nearest even), as the kernel's conversion does it.
    static func bf16(_ x: Float) -> Float {
        let bits = x.bitPattern
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }

    static func mask(_ c: Case, rng: inout SeededRandom) -> Tensor? {
        switch c.mask {
        case 1: return AttentionTests.paddingMask(batch: c.batch, keys: c.lk, lengths: (0..<c.batch).map { c.lk - 7 * $0 })
        case 2: return rng.tensor([c.batch, c.lq, c.lk], -3, 1)
        case 3:
            return Tensor(shape: [c.batch, c.heads, c.lq, c.lk], scalars: (0..<(c.batch * c.heads * c.lq * c.lk)).map {
                $0 % 5 == 3 ? AttentionTests.finfoMin : Float($0 % 7) * 0.25
            })
        default: return nil
        }
    }

    @Test(arguments: cases)
    func matchesTheRoundedReference(c: Case) {
        var rng = SeededRandom(seed: 77)
        let width = c.heads * c.headDim
        let q = rng.tensor([c.batch, c.lq, width], -3, 3)
        let k = rng.tensor([c.batch, c.lk, width], -3, 3)
        let v = rng.tensor([c.batch, c.lk, width])
        let mask = Self.mask(c, rng: &rng)
        let scale = 1 / Float(c.headDim).squareRoot()
        let exact = Naive.attention(q: q, k: k, v: v, heads: c.heads, mask: mask, headMask: nil)
        for precision in [Precision.bfloat16, .int8] {
            let (out, probabilities) = Ops.attention(query: q, key: k, value: v, heads: c.heads, additiveMask: mask,
                                                     headMask: nil, returnProbabilities: false, precision: precision)
            #expect(probabilities == nil)
            guard Ops.attentionRunsInBFloat16(headDimension: c.headDim) else {
                // No AMX here: the Float32 path, bit for bit.
                let (fp32, _) = Ops.attention(query: q, key: k, value: v, heads: c.heads, additiveMask: mask,
                                              headMask: nil, returnProbabilities: false)
                #expect(out.scalars == fp32.scalars, "\(c.testDescription) \(precision): not the Float32 path")
                continue
            }
            // The kernel's inputs as it rounds them: Q·scale, K and V to bf16. What remains is the bf16
            // rounding of the softmax numerators (≤ 2⁻⁹ relative each) and fp32 accumulation.
            let rq = Tensor(shape: q.shape, scalars: q.scalars.map { Self.bf16($0 * scale) })
            let rk = Tensor(shape: k.shape, scalars: k.scalars.map(Self.bf16))
            let rv = Tensor(shape: v.shape, scalars: v.scalars.map(Self.bf16))
            let rounded = Naive.attention(q: rq, k: rk, v: rv, heads: c.heads, mask: mask, headMask: nil, scale: 1)
            expectClose("\(c.testDescription) \(precision) vs rounded inputs", out, rounded.output, absolute: 2e-3)
            // Against the exact result: bf16's error (scores up to ±9·… here), well under the 1 % a wrong
            // mask, scale or layout would give, and not zero (the products really ran in bf16).
            let worst = expectClose("\(c.testDescription) \(precision) vs exact", out, exact.output, absolute: 2e-2)
            if c.lk > 1 { #expect(worst > 1e-5, "\(c.testDescription): identical to fp32, bf16 path not taken?") }
        }
    }

    /// No keys or no queries: the bf16 kernel is not asked; the result is the Float32 path's, bit for bit.
    @Test(arguments: [(3, 0), (0, 4)])
    func emptySequencesTakeTheFloat32Path(lq: Int, lk: Int) {
        var rng = SeededRandom(seed: 79)
        let q = rng.tensor([2, lq, 128]), k = rng.tensor([2, lk, 128]), v = rng.tensor([2, lk, 128])
        let (reduced, _) = Ops.attention(query: q, key: k, value: v, heads: 2, additiveMask: nil, headMask: nil,
                                         returnProbabilities: false, precision: .bfloat16)
        let (fp32, _) = Ops.attention(query: q, key: k, value: v, heads: 2, additiveMask: nil, headMask: nil,
                                      returnProbabilities: false)
        #expect(reduced.shape == [2, lq, 128])
        #expect(reduced.scalars.map(\.bitPattern) == fp32.scalars.map(\.bitPattern))
    }

    @Test func stackedQKVAndTheFloat32Cases() {
        var rng = SeededRandom(seed: 78)
        let heads = 4, d = 64, l = 33
        let qkv = rng.tensor([2, l, 3 * heads * d], -2, 2)
        let all = qkv.scalars, w = heads * d
        let split = (0..<3).map { (part: Int) -> Tensor in
            var values: [Float] = []
            for row in 0..<(2 * l) {
                let start = (row * 3 + part) * w
                values += all[start..<(start + w)]
            }
            return Tensor(shape: [2, l, w], scalars: values)
        }
        let (stacked, _) = Ops.attention(qkv: qkv, heads: heads, additiveMask: nil, headMask: nil,
                                         returnProbabilities: false, precision: .bfloat16)
        let (separate, _) = Ops.attention(query: split[0], key: split[1], value: split[2], heads: heads,
                                          additiveMask: nil, headMask: nil, returnProbabilities: false,
                                          precision: .bfloat16)
        #expect(stacked.scalars == separate.scalars, "strided q/k/v rows read differently")
        // Asking for probabilities, a head mask or a score bias keeps Float32 (the kernel has none of them).
        let (withProbabilities, p) = Ops.attention(query: split[0], key: split[1], value: split[2], heads: heads,
                                                   additiveMask: nil, headMask: nil, returnProbabilities: true,
                                                   precision: .bfloat16)
        let (fp32, _) = Ops.attention(query: split[0], key: split[1], value: split[2], heads: heads,
                                      additiveMask: nil, headMask: nil, returnProbabilities: true)
        #expect(p != nil)
        #expect(withProbabilities.scalars == fp32.scalars)
        let exact = Naive.attention(q: split[0], k: split[1], v: split[2], heads: heads, mask: nil, headMask: nil)
        expectClose("stacked bf16 vs exact", stacked, exact.output, absolute: 2e-2)
    }
}
