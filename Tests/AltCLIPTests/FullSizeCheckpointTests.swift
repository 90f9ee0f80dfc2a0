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
