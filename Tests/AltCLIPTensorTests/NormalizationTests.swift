import AltCLIPTensor
import Testing

@Suite("Layer norm, softmax, L2 normalize")
struct NormalizationTests {
    @Test(arguments: [([3, 7], Float(1e-5)), ([2, 5, 1024], Float(1e-12)), ([1, 4, 33], Float(0.1)), ([9, 1], Float(1e-5))])
    func layerNorm(shape: [Int], eps: Float) {
        var rng = SeededRandom(seed: 20)
        // An offset mean checks the two-pass variance (a one-pass E[x²]−E[x]² would lose digits here).
        let x = Ops.add(rng.tensor(shape, -2, 2), Tensor(shape: [], scalars: [30]))
        let w = rng.tensor([shape.last!]), b = rng.tensor([shape.last!])
        // Normalized values are O(1); Float rounding of mean/variance gives ≤ ~1e-5 (measured ≈ 2e-6).
        expectClose("layerNorm \(shape) eps \(eps)", Ops.layerNorm(x, weight: w, bias: b, eps: eps),
                    Naive.layerNorm(x, w, b, eps: Double(eps)), absolute: 2e-5, relative: 1e-5)
    }

    @Test(arguments: [[1, 1], [3, 17], [2, 4, 257], [5, 100]])
    func softmax(shape: [Int]) {
        var rng = SeededRandom(seed: 21)
        let x = rng.tensor(shape, -20, 20)
        let d = shape.last!, values = x.scalars.map(Double.init)
        let expected = stride(from: 0, to: values.count, by: d).flatMap { Naive.softmaxRow(Array(values[$0..<($0 + d)])) }
        expectClose("softmax \(shape)", Ops.softmax(x), shape: shape, expected, absolute: 1e-7, relative: 1e-5)
    }

    /// torch.softmax(scores + mask) with finfo(float32).min as the mask value (what transformers adds):
    /// partly masked rows drop the masked keys, a fully masked row becomes uniform, a −1e38 score plus
    /// the mask overflows to −∞ and simply gets 0. Only a row of true −∞ is NaN, in torch as here.
    @Test func softmaxWithFinfoMinMasksMatchesTorch() {
        let m = -Float.greatestFiniteMagnitude  // torch.finfo(torch.float32).min
        let scores = Tensor(shape: [4, 4], scalars: [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, -1e38, 5, -3e38, 0.5])
        let mask = Tensor(shape: [4, 4], scalars: [0, 0, 0, 0, 0, m, m, 0, m, m, m, m, 0, 0, m, m])
        let torch: [Double] = [0.032058604061603546, 0.08714432269334793, 0.23688283562660217, 0.6439142823219299,
                               0.04742587357759476, 0, 0, 0.9525741338729858, 0.25, 0.25, 0.25, 0.25, 0, 1, 0, 0]
        // Elementwise add of the mask, as the models do, then softmax.
        let masked = Tensor(shape: [4, 4], scalars: zip(scores.scalars, mask.scalars).map { $0 + $1 })
        let p = Ops.softmax(masked)
        expectClose("masked softmax vs torch", p, shape: [4, 4], torch, absolute: 1e-7, relative: 1e-6)
        #expect(!p.scalars.contains { $0.isNaN })
        let infinite = Ops.softmax(Tensor(shape: [2, 3], scalars: [-.infinity, -.infinity, -.infinity, -.infinity, 0, 1]))
        expectClose("softmax of -inf rows vs torch", infinite, shape: [2, 3],
                    [.nan, .nan, .nan, 0, 0.2689414322376251, 0.7310585975646973], absolute: 1e-7)
    }

    @Test func l2Normalize() {
        var rng = SeededRandom(seed: 22)
        let x = rng.tensor([3, 5, 77], -3, 3)
        let d = 77, v = x.scalars.map(Double.init)
        let expected = stride(from: 0, to: v.count, by: d).flatMap { start -> [Double] in
            let row = v[start..<(start + d)]
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return row.map { $0 / norm }
        }
        expectClose("l2Normalize", Ops.l2Normalize(x), shape: x.shape, expected, absolute: 1e-7, relative: 1e-6)
        // torch divides by a zero norm too: 0/0 = NaN.
        #expect(Ops.l2Normalize(Tensor(zeros: [1, 3])).scalars.allSatisfy { $0.isNaN })
    }
}
