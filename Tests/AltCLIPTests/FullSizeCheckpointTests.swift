import AltCLIPWeights
import Foundation
import Testing
@testable import AltCLIP

/// Opt-in: `ALTCLIP_FULLSIZE_DIR=.build-fullsize/altclip-random swift test --filter FullSize` after
/// `Scripts/make_fullsize_checkpoint.py` wrote the folder. Checks the published-style config and that
/// every tensor of the (possibly sharded) hub-layout checkpoint has the shape the config implies.
@Suite("Full-size checkpoint (opt-in)",
       .enabled(if: ProcessInfo.processInfo.environment["ALTCLIP_FULLSIZE_DIR"] != nil))
struct FullSizeCheckpointTests {
    static var folder: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["ALTCLIP_FULLSIZE_DIR"] ?? ".")
    }

    @Test func configIsBAAIShaped() throws {
        let config = try AltCLIPConfig(contentsOf: Self.folder)
        #expect(config.textConfig.vocabSize == 250_002 && config.textConfig.hiddenSize == 1024)
        #expect(config.textConfig.numHiddenLayers == 24 && config.textConfig.projectDim == 768)
        #expect(config.visionConfig.hiddenSize == 1024 && config.visionConfig.patchSize == 14)
        #expect(config.visionConfig.numPositions == 257 && config.visionConfig.hiddenAct == "quick_gelu")
        #expect(config.projectionDim == 768)
    }

    @Test func weightShapesFollowConfig() throws {
        let config = try AltCLIPConfig(contentsOf: Self.folder)
        var expected = ModelFixtureTests.textShapes(config.textConfig, prefix: "text_model.", layer: "layer")
        expected.merge(ModelFixtureTests.visionShapes(config.visionConfig), uniquingKeysWith: { a, _ in a })
        expected["text_projection.weight"] = [config.projectionDim, config.textConfig.projectDim]
        expected["visual_projection.weight"] = [config.projectionDim, config.visionConfig.hiddenSize]
        expected["logit_scale"] = []
        let skipped: Set<String> = ["text_model.roberta.embeddings.position_ids", "vision_model.embeddings.position_ids",
                                    "text_model.roberta.pooler.dense.weight", "text_model.roberta.pooler.dense.bias"]
        let index = Self.folder.appendingPathComponent("model.safetensors.index.json")
        var files = [Self.folder.appendingPathComponent("model.safetensors")]
        if let data = try? Data(contentsOf: index),
           let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
           let map = json["weight_map"] as? [String: String] {
            files = Set(map.values).sorted().map { Self.folder.appendingPathComponent($0) }
        }
        var seen = Set<String>()
        for file in files {
            let weights = try FixtureSafetensors(contentsOf: file)
            for name in weights.names {
                let canonical = name.replacingOccurrences(of: "vision_model.encoder.layers.", with: "vision_model.encoder.layer.")
                if let shape = expected[canonical] {
                    #expect(try weights.shape(name) == shape, "\(name)")
                    seen.insert(canonical)
                } else {
                    #expect(skipped.contains(name), "unexpected key \(name)")
                }
            }
        }
        #expect(seen == Set(expected.keys))
    }
}

/// Opt-in full-size parity: every stored reference of the random BAAI/AltCLIP-shaped checkpoint,
/// recomputed in Swift, at the fixtures' tolerance; prints the max differences and timings.
@Suite("Full-size parity (opt-in)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["ALTCLIP_FULLSIZE_DIR"] != nil))
struct FullSizeParityTests {
    @Test func everyStoredOutputMatches() throws {
        let folder = FullSizeCheckpointTests.folder
        let inputs = try AltCLIPWeights.WeightStore(file: folder.appendingPathComponent("inputs.safetensors"))
        let outputs = try FixtureSafetensors(contentsOf: folder.appendingPathComponent("outputs.safetensors"))
        let clock = ContinuousClock()
        var model: AltCLIPModel!
        let loadTime = try clock.measure { model = try AltCLIPModel(directory: folder) }
        #expect(model.loadReport?.unusedKeys == [])
        let text = try ModelParityTests.textInputs(inputs)
        let pixels = try ModelParityTests.tensor(inputs, "pixel_values")
        var out: AltCLIPOutput!
        let forwardTime = try clock.measure {
            out = try model(text, pixelValues: pixels, returnLoss: true, outputHiddenStates: true, outputAttentions: true)
        }
        var produced = out.namedTensors()
        produced.append(("get_text_features", try model.getTextFeatures(text)))
        produced.append(("get_image_features", try model.getImageFeatures(pixelValues: pixels)))
        let long = TextInputs(inputIds: try ModelParityTests.intRows(inputs, "input_ids_long"),
                              attentionMask: try ModelParityTests.intRows(inputs, "attention_mask_long"))
        produced += try model.textModel(long).namedTensors(prefix: "text_model_long")
        var worst = 0.0
        for (name, tensor) in produced where outputs.contains(name) {
            let result = Closeness.compare(tensor.scalars, shape: tensor.shape, to: try outputs.tensor(name))
            worst = max(worst, result.maxAbsDiff)
            #expect(result.passed, "\(result)")
        }
        let missing = outputs.names.filter { name in name != "logit_scale" && !produced.contains { $0.name == name } }
        #expect(missing.isEmpty, "not recomputed: \(missing)")
        print("full-size parity: max |diff| \(worst); load \(loadTime), forward (3 texts + 3 images, all outputs) \(forwardTime)")
    }
}
