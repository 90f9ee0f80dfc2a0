import AltCLIPTensor
import Foundation
import Testing
@testable import AltCLIP

/// `AltCLIPModel(config:)` initialises like transformers' `AltCLIPModel(config)`. The expected standard
/// deviations are transformers 5.24's `_init_weights` rules; the figures in comments are what
/// transformers produced for this config (seed 0), measured with torch.
@Suite("Random initialisation")
struct RandomInitTests {
    static func model(seed: UInt64 = 1) throws -> AltCLIPModel {
        var text = AltCLIPTextConfig()
        text.vocabSize = 500; text.hiddenSize = 64; text.numHiddenLayers = 2; text.numAttentionHeads = 4
        text.intermediateSize = 128; text.maxPositionEmbeddings = 40; text.projectDim = 48
        var vision = AltCLIPVisionConfig()
        vision.hiddenSize = 64; vision.numHiddenLayers = 2; vision.numAttentionHeads = 4; vision.intermediateSize = 128
        vision.imageSize = 32; vision.patchSize = 8
        return try AltCLIPModel(config: .fromTextVisionConfigs(text, vision, projectionDim: 32), seed: seed)
    }

    static func stats(_ t: Tensor) -> (mean: Double, std: Double) {
        let v = t.scalars.map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(v.count - 1, 1))
        return (mean, variance.squareRoot())
    }

    /// The sample std of n normal draws is within ~4/sqrt(2n) relative of the true one almost surely.
    static func expectNormal(_ t: Tensor, std: Double, _ name: String) {
        let (mean, sampleStd) = stats(t)
        let n = Double(t.count)
        #expect(abs(sampleStd / std - 1) < 4 / (2 * n).squareRoot(), "\(name): std \(sampleStd), expected \(std)")
        #expect(abs(mean) < 4 * std / n.squareRoot(), "\(name): mean \(mean)")
    }

    @Test func distributionsFollowTransformers() throws {
        let m = try Self.model()
        let text = m.textModel.roberta, vision = m.visionModel
        Self.expectNormal(text.embeddings.wordEmbeddings.weight, std: 0.02, "word_embeddings")          // torch: 0.0200
        Self.expectNormal(try text.layers[0].selfAttention.query.weight, std: 0.02, "query")               // 0.0196
        Self.expectNormal(try m.textModel.transformation.weight, std: 0.02, "transformation")              // 0.0200
        Self.expectNormal(vision.embeddings.classEmbedding, std: 1 / 8, "class_embedding")              // 0.129
        Self.expectNormal(vision.embeddings.patchEmbedding, std: 0.02, "patch_embedding")              // 0.0201
        Self.expectNormal(try vision.layers[0].qProj.weight, std: 1 / 8 / 2, "q_proj")                     // 0.0617
        Self.expectNormal(try vision.layers[0].outProj.weight, std: 1 / 8, "out_proj")                     // 0.1256
        Self.expectNormal(try vision.layers[0].fc1.weight, std: 1 / 128.0.squareRoot(), "fc1")             // 0.0878
        Self.expectNormal(try vision.layers[0].fc2.weight, std: 1 / 8 / 2, "fc2")                          // 0.0633
        Self.expectNormal(try m.textProjection.weight, std: 1 / 48.0.squareRoot(), "text_projection")      // 0.1449
        Self.expectNormal(try m.visualProjection.weight, std: 1 / 8, "visual_projection")                  // 0.1238
    }

    @Test func structuredParametersAreExact() throws {
        let m = try Self.model()
        #expect(m.logitScale == Float(2.6592))
        #expect(m.textModel.preLayerNorm.weight.scalars.allSatisfy { $0 == 1 })
        #expect(m.textModel.preLayerNorm.bias.scalars.allSatisfy { $0 == 0 })
        #expect(m.visionModel.layers[1].qProj.bias!.scalars.allSatisfy { $0 == 0 })
        // padding_idx rows are zero (nn.Embedding(padding_idx=pad_token_id)).
        let words = m.textModel.roberta.embeddings.wordEmbeddings.weight
        #expect(words.slice(axis: 0, range: 1..<2).scalars.allSatisfy { $0 == 0 })
        #expect(words.slice(axis: 0, range: 2..<3).scalars.contains { $0 != 0 })
        let positions = m.textModel.roberta.embeddings.positionEmbeddings.weight
        #expect(positions.slice(axis: 0, range: 1..<2).scalars.allSatisfy { $0 == 0 })
    }

    @Test func seedsAreReproducibleAndDistinct() throws {
        let a = try Self.model(seed: 3), b = try Self.model(seed: 3), c = try Self.model(seed: 4)
        #expect(try a.visionModel.layers[0].fc1.weight.scalars == b.visionModel.layers[0].fc1.weight.scalars)
        #expect(try a.visionModel.layers[0].fc1.weight.scalars != c.visionModel.layers[0].fc1.weight.scalars)
    }
}
