import Foundation
import Testing
@testable import AltCLIP

/// Checks of the parity fixtures themselves: their configs decode, their weights have the shapes the
/// configs imply, and the stored references obey the relations transformers computes them by (so a
/// test reading them later reads them right).
@Suite("Model fixtures")
struct ModelFixtureTests {
    /// Activations each fixture was written with (text, vision).
    static let activations: [String: (String, String?)] = [
        "hub-gelu-quickgelu": ("gelu", "quick_gelu"),
        "gelunew-relu-types": ("gelu_new", "relu"),
        "relu-gelu-pad3": ("relu", "gelu"),
        "quickgelu-gelunew-standalone": ("quick_gelu", "gelu_new"),
        "altclip-m9-shaped": ("gelu", "quick_gelu"),
        "altclip-m18-shaped": ("gelu", "gelu"),
        "text-relative-key": ("gelu", nil),
        "text-relative-key-query": ("gelu_new", nil),
    ]

    @Test func manifestListsEveryFixture() {
        #expect(Set(ModelFixture.all.map(\.name)) == Set(Self.activations.keys))
    }

    @Test(arguments: ModelFixture.all)
    func configDecodes(_ fixture: ModelFixture) throws {
        let expected = try #require(Self.activations[fixture.name])
        if fixture.isTextOnly {
            let text = try AltCLIPTextConfig(contentsOf: fixture.folder)
            #expect(text.hiddenAct == expected.0)
            #expect(fixture.name.hasSuffix(text.positionEmbeddingType.replacingOccurrences(of: "_", with: "-")))
            #expect(text.architectures == ["AltCLIPTextModel"] && text.transformersVersion == "4.57.6")
        } else {
            let config = try AltCLIPConfig(contentsOf: fixture.folder)
            #expect(config.textConfig.hiddenAct == expected.0)
            #expect(config.visionConfig.hiddenAct == expected.1)
            #expect(config.architectures == ["AltCLIPModel"])
            #expect(try AltCLIPConfig(jsonData: config.jsonData()) == config)
        }
    }

    @Test(arguments: ModelFixture.all)
    func filesMatchManifest(_ fixture: ModelFixture) throws {
        let files = try #require(fixture.manifestEntry["files"] as? [String: [String: Any]])
        #expect(files.count >= 4)
        for (relative, info) in files {
            let url = ModelFixture.root.appendingPathComponent(relative)
            let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
            #expect(size == info["bytes"] as? Int, "\(relative)")
        }
        let outputs = try fixture.outputs()
        let listed = try #require(fixture.manifestEntry["outputs"] as? [String])
        #expect(Set(outputs.names) == Set(listed))
        for name in outputs.names {
            #expect(try outputs.dtype(name) == (name.hasSuffix("position_ids") ? "I64" : "F32"), "\(name)")
        }
    }

    /// The variant fixtures keep the shape relations of the published checkpoints they stand for
    /// (REFERENCE-NOTES §2.2, §2.3), so a loader that assumed BAAI/AltCLIP's relations would fail on them.
    @Test func variantFixturesHavePublishedShapeRelations() throws {
        let m9 = try AltCLIPConfig(contentsOf: ModelFixture.root.appendingPathComponent("altclip-m9-shaped"))
        #expect(m9.projectionDim == m9.textConfig.projectDim)
        #expect(m9.visionConfig.hiddenSize > m9.projectionDim)
        #expect(m9.textConfig.vocabSize != 61, "a vocabulary other than the BAAI/AltCLIP-shaped fixture's")
        let m18 = try AltCLIPConfig(contentsOf: ModelFixture.root.appendingPathComponent("altclip-m18-shaped"))
        #expect(m18.projectionDim != m18.textConfig.projectDim)
        #expect(m18.visionConfig.hiddenSize > m18.projectionDim && m18.projectionDim > m18.textConfig.projectDim)
        #expect(m18.visionConfig.numHiddenLayers > m18.textConfig.numHiddenLayers)
        #expect(m18.visionConfig.hiddenAct == "gelu" && m18.textConfig.hiddenAct == "gelu")
    }

    /// Every weight the config implies is present with its shape, under either vision naming; the only
    /// other keys are the buffers and the unused pooler real checkpoints carry.
    @Test(arguments: ModelFixture.all)
    func weightShapesFollowConfig(_ fixture: ModelFixture) throws {
        var expected: [String: [Int]] = [:]
        var optional: Set<String> = []
        if fixture.isTextOnly {
            let text = try AltCLIPTextConfig(contentsOf: fixture.folder)
            expected = Self.textShapes(text, prefix: "", layer: "layer")
        } else {
            let config = try AltCLIPConfig(contentsOf: fixture.folder)
            expected = Self.textShapes(config.textConfig, prefix: "text_model.", layer: "layer")
            let v = config.visionConfig
            expected.merge(Self.visionShapes(v), uniquingKeysWith: { a, _ in a })
            expected["text_projection.weight"] = [config.projectionDim, config.textConfig.projectDim]
            expected["visual_projection.weight"] = [config.projectionDim, v.hiddenSize]
            expected["logit_scale"] = []
            optional = ["text_model.roberta.embeddings.position_ids", "vision_model.embeddings.position_ids",
                        "text_model.roberta.pooler.dense.weight", "text_model.roberta.pooler.dense.bias"]
        }
        let weights = try fixture.weights()
        var seen = Set<String>()
        for name in weights.names {
            let canonical = name.replacingOccurrences(of: "vision_model.encoder.layers.", with: "vision_model.encoder.layer.")
            if let shape = expected[canonical] {
                #expect(try weights.shape(name) == shape, "\(name)")
                seen.insert(canonical)
            } else {
                #expect(optional.contains(name), "unexpected key \(name)")
            }
        }
        #expect(seen == Set(expected.keys), "missing: \(Set(expected.keys).subtracting(seen).sorted())")
    }

    @Test(arguments: ModelFixture.all.filter { !$0.isTextOnly })
    func referenceRelationsHold(_ fixture: ModelFixture) throws {
        let out = try fixture.outputs()
        let inputs = try fixture.inputs()
        let config = try AltCLIPConfig(contentsOf: fixture.folder)

        // text_embeds = normalize(get_text_features); logits = exp(logit_scale) * text . image^T
        let textFeatures = try out.tensor("get_text_features"), imageFeatures = try out.tensor("get_image_features")
        let textEmbeds = try out.tensor("text_embeds"), imageEmbeds = try out.tensor("image_embeds")
        let normalizedText = Self.normalizeRows(textFeatures)
        try Self.expectClose(normalizedText, shape: textFeatures.shape, out, "text_embeds")
        try Self.expectClose(Self.normalizeRows(imageFeatures), shape: imageFeatures.shape, out, "image_embeds")
        let scale = exp(Double(try out.tensor("logit_scale").floats[0]))
        let (t, i, p) = (textEmbeds.shape[0], imageEmbeds.shape[0], textEmbeds.shape[1])
        var logitsPerText = [Float](repeating: 0, count: t * i)
        for a in 0 ..< t {
            for b in 0 ..< i {
                var dot = 0.0
                for k in 0 ..< p { dot += Double(textEmbeds.floats[a * p + k]) * Double(imageEmbeds.floats[b * p + k]) }
                logitsPerText[a * i + b] = Float(dot * scale)
            }
        }
        try Self.expectClose(logitsPerText, shape: [t, i], out, "logits_per_text")
        let transposed = (0 ..< i * t).map { logitsPerText[($0 % t) * i + $0 / t] }
        try Self.expectClose(transposed, shape: [i, t], out, "logits_per_image")

        // CLIP loss: mean of the cross-entropies over rows and over columns, targets on the diagonal.
        func crossEntropy(_ m: [Float], rows: Int, cols: Int) -> Double {
            (0 ..< rows).map { r -> Double in
                let row = (0 ..< cols).map { Double(m[r * cols + $0]) }
                let top = row.max() ?? 0
                return log(row.map { exp($0 - top) }.reduce(0, +)) + top - row[r]
            }.reduce(0, +) / Double(rows)
        }
        let loss = (crossEntropy(logitsPerText, rows: t, cols: i) + crossEntropy(transposed, rows: i, cols: t)) / 2
        try Self.expectClose([Float(loss)], shape: [], out, "loss")

        // pooler_output is position 0 of the projected sequence; the standalone towers agree.
        let last = try out.tensor("text_model_output/last_hidden_state")
        let (b, l, d) = (last.shape[0], last.shape[1], last.shape[2])
        let first = (0 ..< b * d).map { last.floats[($0 / d) * l * d + $0 % d] }
        try Self.expectClose(first, shape: [b, d], out, "text_model_output/pooler_output")
        try Self.expectClose(last.floats, shape: last.shape, out, "text_model/last_hidden_state")

        // XLM-R position ids: pads get pad_token_id, tokens pad+1, pad+2, ... by running count.
        let ids = try #require(try inputs.tensor("input_ids").ints)
        let pad = Int64(try #require(config.textConfig.padTokenId))
        var positions: [Int64] = []
        for row in 0 ..< b {
            var count: Int64 = 0
            for col in 0 ..< l {
                let id = ids[row * l + col]
                if id != pad { count += 1 }
                positions.append(id == pad ? pad : pad + count)
            }
        }
        #expect(try out.tensor("stages/text_position_ids").ints == positions)

        // Attention rows are distributions; masked keys get exactly zero.
        let mask = try #require(try inputs.tensor("attention_mask").ints)
        for layer in 0 ..< config.textConfig.numHiddenLayers {
            let att = try out.tensor("text_model_output/attentions/\(layer)")
            let heads = att.shape[1]
            #expect(att.shape == [b, heads, l, l])
            let values = att.floats
            for row in 0 ..< b * heads * l {
                let slice = values[row * l ..< (row + 1) * l]
                #expect(abs(slice.reduce(0, +) - 1) < 1e-5)
                let batch = row / (heads * l)
                for key in 0 ..< l where mask[batch * l + key] == 0 { #expect(slice[slice.startIndex + key] == 0) }
            }
        }
        #expect(try out.shape("vision_model_output/last_hidden_state")
            == [imageEmbeds.shape[0], config.visionConfig.numPositions, config.visionConfig.hiddenSize])
    }

    // MARK: helpers

    static func expectClose(_ actual: [Float], shape: [Int], _ outputs: FixtureSafetensors, _ name: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = Closeness.compare(actual, shape: shape, to: try outputs.tensor(name))
        #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
    }

    static func normalizeRows(_ t: FixtureTensor) -> [Float] {
        let cols = t.shape.last ?? 1
        let v = t.floats
        return (0 ..< v.count / cols).flatMap { r -> [Float] in
            let row = v[r * cols ..< (r + 1) * cols].map(Double.init)
            let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
            return row.map { Float($0 / norm) }
        }
    }

    static func textShapes(_ c: AltCLIPTextConfig, prefix: String, layer: String) -> [String: [Int]] {
        let h = c.hiddenSize, f = c.intermediateSize
        let e = "\(prefix)roberta.embeddings."
        var s: [String: [Int]] = [
            "\(e)word_embeddings.weight": [c.vocabSize, h],
            "\(e)position_embeddings.weight": [c.maxPositionEmbeddings, h],
            "\(e)token_type_embeddings.weight": [c.typeVocabSize, h],
            "\(e)LayerNorm.weight": [h], "\(e)LayerNorm.bias": [h],
            "\(prefix)pre_LN.weight": [h], "\(prefix)pre_LN.bias": [h],
            "\(prefix)transformation.weight": [c.projectDim, h], "\(prefix)transformation.bias": [c.projectDim],
        ]
        for i in 0 ..< c.numHiddenLayers {
            let p = "\(prefix)roberta.encoder.\(layer).\(i)."
            for name in ["query", "key", "value"] {
                s["\(p)attention.self.\(name).weight"] = [h, h]
                s["\(p)attention.self.\(name).bias"] = [h]
            }
            if c.positionEmbeddingType != "absolute" {
                s["\(p)attention.self.distance_embedding.weight"] = [2 * c.maxPositionEmbeddings - 1, c.headDim]
            }
            s["\(p)attention.output.dense.weight"] = [h, h]
            s["\(p)attention.output.dense.bias"] = [h]
            s["\(p)attention.output.LayerNorm.weight"] = [h]
            s["\(p)attention.output.LayerNorm.bias"] = [h]
            s["\(p)intermediate.dense.weight"] = [f, h]
            s["\(p)intermediate.dense.bias"] = [f]
            s["\(p)output.dense.weight"] = [h, f]
            s["\(p)output.dense.bias"] = [h]
            s["\(p)output.LayerNorm.weight"] = [h]
            s["\(p)output.LayerNorm.bias"] = [h]
        }
        return s
    }

    static func visionShapes(_ c: AltCLIPVisionConfig) -> [String: [Int]] {
        let h = c.hiddenSize, f = c.intermediateSize
        var s: [String: [Int]] = [
            "vision_model.embeddings.class_embedding": [h],
            "vision_model.embeddings.patch_embedding.weight": [h, c.numChannels, c.patchSize, c.patchSize],
            "vision_model.embeddings.position_embedding.weight": [c.numPositions, h],
            "vision_model.pre_layrnorm.weight": [h], "vision_model.pre_layrnorm.bias": [h],
            "vision_model.post_layernorm.weight": [h], "vision_model.post_layernorm.bias": [h],
        ]
        for i in 0 ..< c.numHiddenLayers {
            let p = "vision_model.encoder.layer.\(i)."
            for name in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                s["\(p)self_attn.\(name).weight"] = [h, h]
                s["\(p)self_attn.\(name).bias"] = [h]
            }
            for name in ["layer_norm1", "layer_norm2"] {
                s["\(p)\(name).weight"] = [h]
                s["\(p)\(name).bias"] = [h]
            }
            s["\(p)mlp.fc1.weight"] = [f, h]
            s["\(p)mlp.fc1.bias"] = [f]
            s["\(p)mlp.fc2.weight"] = [h, f]
            s["\(p)mlp.fc2.bias"] = [h]
        }
        return s
    }
}
