import AltCLIPTensor
import AltCLIPWeights
import Foundation
import Testing
@testable import AltCLIP

/// Every stored reference tensor of every fixture, recomputed in Swift from the reference inputs.
/// Tolerance (issue #2): |swift − ref| ≤ 1e-4 + 1e-3·|ref|.
@Suite("Model parity with transformers")
struct ModelParityTests {
    static let combined = ModelFixture.all.filter { !$0.isTextOnly }
    static let textOnly = ModelFixture.all.filter(\.isTextOnly)

    @Test(arguments: combined)
    func combinedModelMatches(_ fixture: ModelFixture) throws {
        let inputs = try WeightStore(file: fixture.folder.appendingPathComponent("inputs.safetensors"))
        let outputs = try fixture.outputs()
        let model = try AltCLIPModel(directory: fixture.folder)
        let report = try #require(model.loadReport)
        #expect(report.unusedKeys.isEmpty, "unused keys: \(report.unusedKeys)")

        let text = try Self.textInputs(inputs)
        let pixels = try Self.tensor(inputs, "pixel_values")
        var produced: [(name: String, tensor: Tensor)] = []
        let out = try model(text, pixelValues: pixels, returnLoss: true, outputHiddenStates: true, outputAttentions: true)
        produced += out.namedTensors()
        produced.append(("get_text_features", try model.getTextFeatures(text)))
        produced.append(("get_image_features", try model.getImageFeatures(pixelValues: pixels)))
        produced += try model.textModel(text).namedTensors(prefix: "text_model")
        produced += try model.visionModel(pixelValues: pixels).namedTensors(prefix: "vision_model")
        if let ids = text.inputIds {
            produced.append(("stages/text_position_ids", Self.intTensor(
                AltRobertaEmbeddings.positionIds(fromInputIds: ids, paddingIndex: model.config.textConfig.padTokenId ?? 1))))
            var noMask = text
            noMask.attentionMask = nil
            produced += try model.textModel(noMask).namedTensors(prefix: "text_model_no_mask")
        }
        if inputs.contains("position_ids") {
            var withPositions = text
            withPositions.positionIds = try Self.intRows(inputs, "position_ids")
            produced += try model.textModel(withPositions).namedTensors(prefix: "text_model_position_ids")
        }
        if inputs.contains("inputs_embeds") {
            var embedded = text
            embedded.inputIds = nil
            embedded.inputsEmbeds = try Self.tensor(inputs, "inputs_embeds")
            produced += try model.textModel(embedded).namedTensors(prefix: "text_model_inputs_embeds")
        }
        if inputs.contains("pixel_values_interpolate") {
            let other = try Self.tensor(inputs, "pixel_values_interpolate")
            produced += try model.visionModel(pixelValues: other, interpolatePosEncoding: true, outputHiddenStates: true,
                                              outputAttentions: true).namedTensors(prefix: "vision_model_interpolated")
            produced.append(("get_image_features_interpolated",
                             try model.getImageFeatures(pixelValues: other, interpolatePosEncoding: true)))
            #expect(throws: AltCLIPError.self) { try model.visionModel(pixelValues: other) }
        }
        if outputs.contains("nonsquare/logits_per_image") {
            var two = text
            two.inputIds = text.inputIds.map { Array($0.prefix(2)) }
            two.attentionMask = text.attentionMask.map { Array($0.prefix(2)) }
            two.tokenTypeIds = text.tokenTypeIds.map { Array($0.prefix(2)) }
            let small = try model(two, pixelValues: pixels)
            produced += [("nonsquare/logits_per_image", small.logitsPerImage),
                         ("nonsquare/logits_per_text", small.logitsPerText)]
            #expect(throws: AltCLIPError.self) { try model(two, pixelValues: pixels, returnLoss: true) }
        }
        // Module-hook dumps and the raw parameter are checked through the stage outputs above.
        let skipped: (String) -> Bool = { $0.hasPrefix("modules/") || $0 == "logit_scale" || $0.hasPrefix("stages/interp") }
        try Self.expectAllMatch(produced, outputs, fixture: fixture.name, skip: skipped)
    }

    /// `AltCLIPTextModel.save_pretrained` / `AltCLIPVisionModel.save_pretrained` sub-folders.
    @Test(arguments: combined.filter { FileManager.default.fileExists(atPath: $0.folder.appendingPathComponent("text_model").path) })
    func standaloneTowerFoldersMatch(_ fixture: ModelFixture) throws {
        try Self.expectTowersMatch(fixture, text: fixture.folder.appendingPathComponent("text_model"),
                                   vision: fixture.folder.appendingPathComponent("vision_model"))
    }

    /// transformers 5.24 cannot do this (it loads nothing from a combined folder); we read the
    /// `text_model.` / `vision_model.` keys.
    @Test(arguments: combined)
    func towersLoadAloneFromACombinedFolder(_ fixture: ModelFixture) throws {
        try Self.expectTowersMatch(fixture, text: fixture.folder, vision: fixture.folder)
    }

    /// Each tower loaded on its own from `text` / `vision` reproduces the fixture's `text_model/*` and
    /// `vision_model/*` references.
    static func expectTowersMatch(_ fixture: ModelFixture, text textFolder: URL, vision visionFolder: URL) throws {
        let inputs = try WeightStore(file: fixture.folder.appendingPathComponent("inputs.safetensors"))
        let text = try AltCLIPTextModel(directory: textFolder)
        let vision = try AltCLIPVisionModel(directory: visionFolder)
        #expect(text.loadReport?.unusedKeys == [])
        #expect(vision.loadReport?.unusedKeys == [])
        var produced = try text(textInputs(inputs)).namedTensors(prefix: "text_model")
        produced += try vision(pixelValues: tensor(inputs, "pixel_values")).namedTensors(prefix: "vision_model")
        try expectAllMatch(produced, fixture.outputs(), fixture: fixture.name, only: "text_model/", "vision_model/")
    }

    @Test(arguments: textOnly)
    func relativePositionTextModelMatches(_ fixture: ModelFixture) throws {
        let inputs = try WeightStore(file: fixture.folder.appendingPathComponent("inputs.safetensors"))
        let outputs = try fixture.outputs()
        let model = try AltCLIPTextModel(directory: fixture.folder)
        #expect(model.loadReport?.unusedKeys == [])
        var text = try Self.textInputs(inputs)
        var produced = try model(text, outputHiddenStates: true, outputAttentions: true).namedTensors(prefix: "text_model")
        text.headMask = try Self.tensor(inputs, "head_mask")
        produced += try model(text, outputHiddenStates: true, outputAttentions: true)
            .namedTensors(prefix: "text_model_head_mask")
        try Self.expectAllMatch(produced, outputs, fixture: fixture.name, skip: { $0.hasPrefix("stages/") })
    }

    // MARK: helpers

    static func tensor(_ store: WeightStore, _ key: String) throws -> Tensor {
        let (shape, values) = try store.float32(key)
        return Tensor(shape: shape, scalars: values)
    }

    static func intRows(_ store: WeightStore, _ key: String) throws -> [[Int]] {
        let (shape, values) = try store.int64(key)
        let width = shape.last ?? 0
        return stride(from: 0, to: values.count, by: max(width, 1)).map { values[$0..<($0 + width)].map { Int($0) } }
    }

    static func intTensor(_ rows: [[Int]]) -> Tensor {
        Tensor(shape: [rows.count, rows.first?.count ?? 0], scalars: rows.flatMap { $0.map(Float.init) })
    }

    static func textInputs(_ store: WeightStore) throws -> TextInputs {
        TextInputs(inputIds: try intRows(store, "input_ids"),
                   attentionMask: store.contains("attention_mask") ? try intRows(store, "attention_mask") : nil,
                   tokenTypeIds: store.contains("token_type_ids") ? try intRows(store, "token_type_ids") : nil)
    }

    /// Compares every produced tensor with its reference and checks that every reference (not skipped,
    /// and under one of `only` when given) was produced.
    static func expectAllMatch(_ produced: [(name: String, tensor: Tensor)], _ outputs: FixtureSafetensors,
                               fixture: String, only prefixes: String..., skip: (String) -> Bool = { _ in false }) throws {
        var seen = Set<String>()
        for (name, tensor) in produced where outputs.contains(name) {
            seen.insert(name)
            let reference = try outputs.tensor(name)
            let result = Closeness.compare(tensor.scalars, shape: tensor.shape, to: reference)
            #expect(result.passed, "\(fixture): \(result)")
        }
        let expected = outputs.names.filter { name in
            !skip(name) && (prefixes.isEmpty || prefixes.contains { name.hasPrefix($0) })
        }
        let missing = expected.filter { !seen.contains($0) }
        #expect(missing.isEmpty, "\(fixture): references not recomputed: \(missing)")
    }
}
