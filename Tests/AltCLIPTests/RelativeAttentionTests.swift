import AltCLIPTensor
import AltCLIPWeights
import Foundation
import Testing
@testable import AltCLIP

/// The text encoder in its own forward (`AltRobertaModel`) and the relative-position scores built with
/// products on the tensor core's `scoreBias` attention.
@Suite("AltRobertaModel and relative attention")
struct RelativeAttentionTests {
    /// transformers 4.x written out: `einsum("bhld,lrd->bhlr", q, pos)` (+ `einsum("bhrd,lrd->bhlr", k, pos)`).
    static func naiveBias(q: [Float], k: [Float]?, table: [Float], b: Int, l: Int, heads: Int, d: Int,
                          maxPositions: Int) -> [Float] {
        var out = [Float](repeating: 0, count: b * heads * l * l)
        for bi in 0..<b { for h in 0..<heads { for i in 0..<l { for j in 0..<l {
            let row = i - j + maxPositions - 1
            var acc: Double = 0
            for c in 0..<d {
                let pos = Double(table[row * d + c])
                acc += Double(q[(bi * l + i) * heads * d + h * d + c]) * pos
                if let k { acc += Double(k[(bi * l + j) * heads * d + h * d + c]) * pos }
            }
            out[((bi * heads + h) * l + i) * l + j] = Float(acc)
        } } } }
        return out
    }

    @Test(arguments: [(false, 5), (true, 5), (false, 7), (true, 7), (true, 1)])
    func scoreBiasMatchesTheDefinition(keyQuery: Bool, length: Int) {
        let b = 2, heads = 3, d = 4, maxPositions = 7
        var generator = SplitMix(seed: UInt64(length) * 31 + (keyQuery ? 1 : 0))
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in generator.nextFloat() } }
        let q = values(b * length * heads * d), k = values(b * length * heads * d)
        let table = values((2 * maxPositions - 1) * d)
        let bias = AltRobertaSelfAttention.relativeScoreBias(
            query: Tensor(shape: [b, length, heads * d], scalars: q),
            key: keyQuery ? Tensor(shape: [b, length, heads * d], scalars: k) : nil,
            distance: Tensor(shape: [2 * maxPositions - 1, d], scalars: table), heads: heads, maxPositions: maxPositions)
        #expect(bias.shape == [b, heads, length, length])
        let expected = Self.naiveBias(q: q, k: keyQuery ? k : nil, table: table, b: b, l: length, heads: heads, d: d,
                                      maxPositions: maxPositions)
        let worst = zip(bias.scalars, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "max |Δ| \(worst)")
    }

    /// The encoder alone gives the reference hidden states, and the tower is `transformation(pre_LN(·))`
    /// of its last one.
    @Test(arguments: ModelFixture.all.filter(\.isTextOnly))
    func robertaForwardGivesTheReferenceHiddenStates(_ fixture: ModelFixture) throws {
        let inputs = try WeightStore(file: fixture.folder.appendingPathComponent("inputs.safetensors"))
        let outputs = try fixture.outputs()
        let model = try AltCLIPTextModel(directory: fixture.folder)
        let text = try ModelParityTests.textInputs(inputs)
        let encoded = try model.roberta(text, outputHiddenStates: true, outputAttentions: true)
        let layers = model.config.numHiddenLayers
        #expect(encoded.hiddenStates?.count == layers + 1)
        #expect(encoded.attentions?.count == layers)
        var produced: [(name: String, tensor: Tensor)] = []
        for (i, t) in (encoded.hiddenStates ?? []).enumerated() { produced.append(("text_model/hidden_states/\(i)", t)) }
        for (i, t) in (encoded.attentions ?? []).enumerated() { produced.append(("text_model/attentions/\(i)", t)) }
        for (name, tensor) in produced {
            let result = Closeness.compare(tensor.scalars, shape: tensor.shape, to: try outputs.tensor(name))
            #expect(result.passed, "\(fixture.name): \(result)")
        }
        #expect(encoded.hiddenStates?.last?.scalars == encoded.lastHiddenState.scalars)
        let tower = try model(text)
        #expect(try tower.lastHiddenState.scalars
                == model.transformation(model.preLayerNorm(encoded.lastHiddenState)).scalars)
    }

    /// Relative positions only reach `maxPositionEmbeddings` apart: a longer sequence is a typed error
    /// (the old loops read outside the distance table).
    @Test(arguments: ["relative_key", "relative_key_query"])
    func tooLongForTheDistanceTableThrows(_ type: String) throws {
        let config = AltCLIPTextConfig(vocabSize: 20, hiddenSize: 8, intermediateSize: 16, numHiddenLayers: 1,
                                       numAttentionHeads: 2, maxPositionEmbeddings: 6, projectDim: 4, positionEmbeddingType: type)
        let model = try AltCLIPTextModel(config: config, seed: 3)
        let fits = TextInputs(inputIds: [[0, 5, 6, 7, 8, 2]])
        #expect(try model(fits).lastHiddenState.shape == [1, 6, 4])
        #expect(throws: AltCLIPError.sequenceTooLong(length: 7, maximum: 6)) {
            try model(TextInputs(inputIds: [[0, 5, 6, 7, 8, 9, 2]]))
        }
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func nextUnit() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Uniform in [-1, 1).
    mutating func nextFloat() -> Float { nextUnit() * 2 - 1 }
}
