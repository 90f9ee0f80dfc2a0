import AltCLIPWeights
import Foundation
import Testing

@Suite("altclip forward / inspect")
struct ForwardAndInspectTests {
    static let fixture = "models/hub-gelu-quickgelu"

    @Test func forwardWritesEveryOutputUnderTransformersNames() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.safetensors")
        // This fixture's inputs hold exactly what its main call used (ids, mask, token types, pixels).
        let folder = CLI.fixture("models/gelunew-relu-types")
        let result = try CLI.run(["forward", "--model", folder, "--inputs", folder + "/inputs.safetensors",
                                  "--out", out.path, "--output-hidden-states", "--output-attentions", "--return-loss"])
        #expect(result.status == 0, "\(result.stderr)")
        let written = try WeightStore(file: out)
        let reference = try WeightStore(file: URL(fileURLWithPath: folder + "/outputs.safetensors"))
        let names = ["loss", "logits_per_image", "logits_per_text", "text_embeds", "image_embeds",
                     "text_model_output/last_hidden_state", "text_model_output/hidden_states/2",
                     "text_model_output/attentions/1", "vision_model_output/pooler_output",
                     "vision_model_output/hidden_states/0", "vision_model_output/attentions/0"]
        #expect(try WeightStore(file: URL(fileURLWithPath: folder + "/inputs.safetensors")).contains("position_ids") == false)
        for name in names {
            let (shape, values) = try written.float32(name)
            let (refShape, refValues) = try reference.float32(name)
            #expect(shape == refShape, "\(name)")
            let worst = zip(values, refValues).map { abs($0 - $1) - 1e-3 * abs($1) }.max() ?? 0
            #expect(worst <= 1e-4, "\(name): max excess \(worst)")
        }
    }

    @Test func forwardWithTextOnlyRunsTheTextTower() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = CLI.fixture(Self.fixture)
        let inputs = try WeightStore(file: URL(fileURLWithPath: folder + "/inputs.safetensors"))
        var writer = SafetensorsWriter()
        let (shape, ids) = try inputs.int64("input_ids")
        try writer.add("input_ids", shape: shape, int64: ids)
        let (maskShape, mask) = try inputs.int64("attention_mask")
        try writer.add("attention_mask", shape: maskShape, int64: mask)
        try writer.write(to: dir.appendingPathComponent("in.safetensors"))
        let result = try CLI.run(["forward", "--model", folder, "--inputs", dir.appendingPathComponent("in.safetensors").path,
                                  "--out", dir.appendingPathComponent("out.safetensors").path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let written = try WeightStore(file: dir.appendingPathComponent("out.safetensors"))
        let reference = try WeightStore(file: URL(fileURLWithPath: folder + "/outputs.safetensors"))
        let (_, values) = try written.float32("text_model_output/pooler_output")
        let (_, refValues) = try reference.float32("text_model/pooler_output")
        #expect(zip(values, refValues).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-3 * abs($1) })
        #expect(result.stdout.contains("\"text_model_output/last_hidden_state\""))
    }

    @Test func inspectSummarisesAFolder() throws {
        let result = try CLI.run(["inspect", "--model", CLI.fixture(Self.fixture), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["model_type"] as? String == "altclip")
        #expect(json["parameter_count"] as? Int == 24953)
        #expect((json["problems"] as? [String])?.isEmpty == true)
        #expect((json["ignored_keys"] as? [String])?.contains("text_model.roberta.pooler.dense.weight") == true)
        // The checkpoint's logit_scale, not the config's logit_scale_init_value.
        let stored = try WeightStore.open(directory: URL(fileURLWithPath: CLI.fixture(Self.fixture))).float32("logit_scale").values[0]
        let shown = try #require(json["logit_scale"] as? Double)
        #expect(Float(shown) == stored)
    }

    @Test func inspectReportsEveryMissingTensorAndFails() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = URL(fileURLWithPath: CLI.fixture(Self.fixture))
        try FileManager.default.copyItem(at: folder.appendingPathComponent("config.json"),
                                         to: dir.appendingPathComponent("config.json"))
        let store = try WeightStore(file: folder.appendingPathComponent("model.safetensors"))
        var writer = SafetensorsWriter()
        for key in store.keys where !key.contains("pre_LN") && key != "logit_scale" {
            try writer.add(try store.tensor(key))
        }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        let result = try CLI.run(["inspect", "--model", dir.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("missing or misshapen: 3"))
        #expect(result.stdout.contains("text_model.pre_LN.weight"))
        #expect(result.stdout.contains("logit_scale"))
    }

    @Test func missingModelFolderIsAFailureNotAUsageError() throws {
        let result = try CLI.run(["inspect", "--model", "/nonexistent/model"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("model folder '/nonexistent/model' not found"))
    }

    @Test func missingRequiredOptionIsAUsageError() throws {
        let result = try CLI.run(["forward", "--model", CLI.fixture(Self.fixture)])
        #expect(result.status == 64)
    }
}
