import AltCLIPTensor
import Foundation
import Testing

@Suite("Elementwise ops and activations")
struct ElementwiseTests {
    @Test func addBroadcastsSuffixAndMulScales() {
        var rng = SeededRandom(seed: 10)
        let a = rng.tensor([2, 5, 3])
        for b in [rng.tensor([2, 5, 3]), rng.tensor([5, 3]), rng.tensor([3]), rng.tensor([])] {
            let av = a.scalars, bv = b.scalars
            let expected = av.indices.map { Double(av[$0]) + Double(bv[$0 % max(bv.count, 1)]) }
            // One Float addition: exact up to the final rounding (half an ulp, 2⁻²⁴ relative).
            expectClose("add \(a.shape)+\(b.shape)", Ops.add(a, b), shape: a.shape, expected, absolute: 0, relative: 6e-8)
        }
        let big = rng.tensor([3, 5000])
        let row = rng.tensor([5000])
        let bigExpected = big.scalars.indices.map { Double(big.scalars[$0]) + Double(row.scalars[$0 % 5000]) }
        expectClose("add [3, 5000]+[5000]", Ops.add(big, row), shape: big.shape, bigExpected, absolute: 0, relative: 6e-8)
        expectClose("mul", Ops.mul(a, -2.5), shape: a.shape, a.scalars.map { Double($0) * -2.5 }, absolute: 0, relative: 6e-8)
    }

    /// Every activation against its Double formula over [-8, 8], an odd count and a large tensor (threaded path).
    @Test(arguments: Activation.allCases)
    func activationMatchesFormula(act: Activation) {
        var rng = SeededRandom(seed: 11)
        for shape in [[7], [3, 40_001]] {
            let x = rng.tensor(shape, -8, 8)
            let expected = x.scalars.map { Naive.activation(Double($0), act) }
            // Float libm (erff, tanhf, expf) is within a few ulp; near zero, 1 + erf(·) cancels, so a small
            // absolute floor is needed too.
            expectClose("\(act.rawValue) \(shape)", Ops.activate(x, act), shape: shape, expected,
                        absolute: 2e-6, relative: 2e-6)
        }
    }

    /// transformers' ACT2FN outputs (torch 2.15, float32) for x = -5, -2.5, -1, -0.3, 0, 0.25, 0.7, 1.5, 3, 8:
    /// shows that "gelu" is the erf form, "gelu_new" the tanh form and "quick_gelu" the sigmoid form.
    @Test func activationsMatchTorch() {
        let x = Tensor(shape: [10], scalars: [-5, -2.5, -1, -0.3, 0, 0.25, 0.7, 1.5, 3, 8])
        let torch: [Activation: [Double]] = [
            .gelu: [-1.1920928955078125e-06, -0.015524178743362427, -0.15865525603294373, -0.11462657898664474, 0.0,
                    0.14967657625675201, 0.5306254625320435, 1.3997890949249268, 2.9959497451782227, 8.0],
            .geluNew: [-2.980232238769531e-07, -0.015084296464920044, -0.15880799293518066, -0.11462908238172531, 0.0,
                       0.14967535436153412, 0.5305701494216919, 1.3995715379714966, 2.9963626861572266, 8.0],
            .quickGelu: [-0.0010070160496979952, -0.034986160695552826, -0.15420423448085785, -0.11251586675643921, 0.0,
                         0.15119965374469757, 0.5368939638137817, 1.3916622400283813, 2.981928825378418, 7.999990463256836],
            .silu: [-0.033464252948760986, -0.189645454287529, -0.2689414322376251, -0.12766724824905396, 0.0,
                    0.140544131398201, 0.46773141622543335, 1.226361632347107, 2.857722520828247, 7.997317314147949],
            .relu6: [0, 0, 0, 0, 0, 0.25, 0.699999988079071, 1.5, 3, 6],
        ]
        for (act, expected) in torch {
            // Different libm, same formula: within 5e-7 (gelu(-5) differs by ~3e-7 from cancellation in 1 + erf).
            expectClose("\(act.rawValue) vs torch", Ops.activate(x, act), shape: [10], expected, absolute: 5e-7, relative: 1e-6)
        }
        // The three GELUs really differ (by more than the tolerance above).
        let gelu = Ops.activate(x, .gelu).scalars, tanhGelu = Ops.activate(x, .geluNew).scalars
        let quick = Ops.activate(x, .quickGelu).scalars
        #expect(abs(gelu[7] - tanhGelu[7]) > 1e-4 && abs(gelu[7] - quick[7]) > 1e-3)
    }

    @Test func activationNamesRoundTrip() throws {
        #expect(Activation(rawValue: "gelu") == .gelu)
        #expect(Activation(rawValue: "gelu_new") == .geluNew)
        #expect(Activation(rawValue: "quick_gelu") == .quickGelu)
        #expect(Activation(rawValue: "gelu_pytorch_tanh") == .geluPytorchTanh)
        #expect(Activation(rawValue: "swiglu") == nil)
        let data = try JSONEncoder().encode([Activation.quickGelu])
        #expect(String(decoding: data, as: UTF8.self) == #"["quick_gelu"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Activation].self, from: Data(#"["nope"]"#.utf8)) }
    }

    /// The vectorizable exp/tanh (FastMath) over their whole useful range, including tiny |x| for tanh
    /// (where 1 − e^(−2|x|) would cancel) and exp's underflow to 0 below −87.3.
    @Test func tanhAndExp() {
        var rng = SeededRandom(seed: 12)
        let x = rng.tensor([4, 9_001], -10, 10)
        let small = Tensor(shape: [8], scalars: [1e-3, -2e-5, 0.1, 0.17, 0.18, -0.3, 1e-30, 0.5])
        for input in [x, small] {
            // ≤ 4 ulp measured (2.3e-7 relative).
            expectClose("tanh", Ops.tanh(input), shape: input.shape, input.scalars.map { Foundation.tanh(Double($0)) },
                        absolute: 0, relative: 5e-7)
        }
        let wide = rng.tensor([3, 10_000], -110, 88.72)
        // ≤ 2 ulp measured (1.0e-7 relative); subnormal results carry absolute rounding (2⁻¹⁴⁹).
        expectClose("exp", Ops.exp(wide), shape: wide.shape, wide.scalars.map { Foundation.exp(Double($0)) },
                    absolute: 1.5e-45, relative: 2.5e-7)
        let edge = Ops.exp(Tensor(shape: [6], scalars: [-.infinity, 0, 100, .nan, -1e30, 88.8])).scalars
        #expect(edge[0] == 0 && edge[1] == 1 && edge[2] == .infinity && edge[3].isNaN && edge[4] == 0 && edge[5] == .infinity)
        let tanhEdge = Ops.tanh(Tensor(shape: [4], scalars: [.infinity, -.infinity, .nan, 0])).scalars
        #expect(tanhEdge[0] == 1 && tanhEdge[1] == -1 && tanhEdge[2].isNaN && tanhEdge[3] == 0)
    }

    /// One exp definition (altclip_exp.h): the Swift elementwise exp and the C softmax (its AVX-512 form
    /// where the CPU has it, with fused multiply-adds) give the same numbers to an ulp or two, down to
    /// subnormal results, and both match the true exp.
    @Test func softmaxAndElementwiseExpShareOneDefinition() {
        var rng = SeededRandom(seed: 31)
        for width in [1, 7, 16, 33, 1_000] {
            let x = rng.tensor([5, width], -95, 5)
            let rows = x.scalars
            var viaExp: [Float] = []
            for r in 0..<5 {
                let row = Array(rows[(r * width)..<((r + 1) * width)])
                let top = row.max()!
                let e = Ops.exp(Tensor(shape: [width], scalars: row.map { $0 - top })).scalars
                let sum = e.reduce(0, +)
                viaExp += e.map { $0 * (1 / sum) }
                // Against the true exp too (the shifted arguments reach −100: subnormal results).
                expectClose("exp row \(r) of \(width)", Tensor(shape: [width], scalars: e), shape: [width],
                            row.map { Foundation.exp(Double($0 - top)) }, absolute: 1.5e-45, relative: 2.5e-7)
            }
            expectClose("softmax vs exp, width \(width)", Ops.softmax(x), shape: x.shape, viaExp.map(Double.init),
                        absolute: 1e-44, relative: 1e-6)
        }
    }
}
