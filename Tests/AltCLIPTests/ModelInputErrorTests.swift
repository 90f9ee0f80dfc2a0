import AltCLIPTensor
import AltCLIPWeights
import Foundation
import Testing
@testable import AltCLIP

/// Strict loading names the full key; malformed inputs get a clear error instead of a crash.
@Suite("Model loading and input errors")
struct ModelInputErrorTests {
    static let fixture = ModelFixture.all.first { $0.name == "hub-gelu-quickgelu" }!

    /// A copy of the fixture folder whose weights went through `edit` (key → tensor or nil to drop).
    static func editedFolder(_ edit: (String, WeightTensor) throws -> (String, [Int], [Float])?) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-edit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture.configURL, to: dir.appendingPathComponent("config.json"))
        let store = try WeightStore(file: fixture.modelURL)
        var writer = SafetensorsWriter()
        for key in store.keys {
            let tensor = try store.tensor(key)
            if tensor.dtype != .float32 { try writer.add(tensor); continue }
            if let (name, shape, values) = try edit(key, tensor) { try writer.add(name, shape: shape, float32: values) }
        }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    @Test func missingParameterIsNamedByItsFullKey() throws {
        let dir = try Self.editedFolder { key, t in key == "vision_model.encoder.layers.1.mlp.fc2.bias" ? nil : (key, t.shape, try t.float32Values()) }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: AltCLIPError.missingParameter(key: "vision_model.encoder.layers.1.mlp.fc2.bias", file: nil)) {
            try AltCLIPModel(directory: dir)
        }
    }

    @Test func misshapenParameterIsNamedWithBothShapes() throws {
        let dir = try Self.editedFolder { key, t in
            let values = try t.float32Values()
            return key == "text_model.pre_LN.weight" ? (key, [values.count - 1], Array(values.dropLast())) : (key, t.shape, values)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: AltCLIPError.shapeMismatch(key: "text_model.pre_LN.weight", expected: [24], actual: [23])) {
            try AltCLIPModel(directory: dir)
        }
    }

    @Test func unknownKeysAreReportedNotFatal() throws {
        let renamed = "text_model.roberta.adapter.dense.bias"
        let dir = try Self.editedFolder { key, t in
            (key == "text_model.roberta.pooler.dense.bias" ? renamed : key, t.shape, try t.float32Values())
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try AltCLIPModel(directory: dir)
        #expect(model.loadReport?.unusedKeys == [renamed])
        #expect(model.loadReport?.ignoredKeys.contains("text_model.roberta.pooler.dense.weight") == true)
    }

    @Test func malformedInputsThrow() throws {
        let model = try AltCLIPModel(directory: Self.fixture.folder)
        let text = model.textModel
        #expect(throws: AltCLIPError.self) { try text(TextInputs(inputIds: [[0, 5, 2], [0, 2]])) }          // ragged
        #expect(throws: AltCLIPError.self) { try text(TextInputs(inputIds: [[0, 5, 2]], attentionMask: [[1, 1]])) }
        #expect(throws: AltCLIPError.self) { try text(TextInputs()) }                                       // nothing
        #expect(throws: AltCLIPError.self) { try text(TextInputs(inputIds: [[0, 100_000, 2]])) }            // id out of range
        let tooLong = [Array(repeating: 5, count: model.config.textConfig.maxPositionEmbeddings)]
        #expect(throws: AltCLIPError.sequenceTooLong(length: tooLong[0].count,
                                                     maximum: model.config.textConfig.maxPositionEmbeddings - 2)) {
            try text(TextInputs(inputIds: tooLong))
        }
        let vision = model.visionModel
        #expect(throws: AltCLIPError.self) { try vision(pixelValues: Tensor(zeros: [1, 1, 32, 32])) }       // 1 channel
        #expect(throws: AltCLIPError.self) { try vision(pixelValues: Tensor(zeros: [3, 32, 32])) }          // rank 3
        #expect(throws: AltCLIPError.imageSizeMismatch(height: 40, width: 40, expected: 32)) {
            try vision(pixelValues: Tensor(zeros: [1, 3, 40, 40]))
        }
        #expect(throws: AltCLIPError.self) { try vision(pixelValues: Tensor(zeros: [1, 3, 4, 4]), interpolatePosEncoding: true) }
    }

    @Test func folderWithoutConfigOrWeightsSaysWhatIsMissing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: AltCLIPError.self) { try AltCLIPModel(directory: dir) }
        try FileManager.default.copyItem(at: Self.fixture.configURL, to: dir.appendingPathComponent("config.json"))
        #expect(throws: WeightError.self) { try AltCLIPModel(directory: dir) }
    }
}
