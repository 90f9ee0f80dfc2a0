import Foundation
import Testing
@testable import AltCLIPImage

/// Reading `preprocessor_config.json` / `processor_config.json` as transformers 5.24 does, and
/// refusing values it would refuse.
@Suite struct ConfigTests {
    static func parse(_ json: String) throws -> CLIPImageProcessorConfig {
        try CLIPImageProcessorConfig(jsonData: Data(json.utf8))
    }

    @Test func legacyAndAlternativeForms() throws {
        #expect(try Self.parse(#"{"size": 24}"#).size == .shortestEdge(24))
        #expect(try Self.parse(#"{"size": 24, "default_to_square": true}"#).size == .heightWidth(height: 24, width: 24))
        #expect(try Self.parse(#"{"size": [20, 30]}"#).size == .heightWidth(height: 20, width: 30))
        #expect(try Self.parse(#"{"size": {"shortest_edge": 8, "longest_edge": 12}}"#).size == .shortestAndLongestEdge(shortest: 8, longest: 12))
        #expect(try Self.parse(#"{"size": {"max_height": 8, "max_width": 12}}"#).size == .maxHeightWidth(maxHeight: 8, maxWidth: 12))
        #expect(try Self.parse(#"{"size": {"shortest_edge": 96}, "use_square_size": true}"#).size == .heightWidth(height: 224, width: 224))
        let crop = try Self.parse(#"{"crop_size": 20}"#).cropSize
        #expect(crop?.height == 20 && crop?.width == 20)
        let mean = try Self.parse(#"{"image_mean": 0.45, "image_std": [1, 2, 3]}"#)
        #expect(mean.imageMean == [0.45, 0.45, 0.45] && mean.imageStd == [1, 2, 3])
        // null means "the class default", as transformers' _set_attributes.
        #expect(try Self.parse(#"{"size": null, "resample": null, "do_pad": null}"#) == CLIPImageProcessorConfig())
        // JSON number parsing gives the same double as Python's float().
        #expect(try Self.parse(#"{"rescale_factor": 0.00392156862745098}"#).rescaleFactor == 1.0 / 255.0)
        let off = try Self.parse(#"{"do_resize": false, "size": {"longest_edge": 3}}"#)
        #expect(off.doResize == false && off.size == nil)
    }

    @Test func nestedProcessorConfigWins() throws {
        let config = try CLIPImageProcessorConfig(directory: Fixtures.config("nested"))
        #expect(config.size == .shortestEdge(16))
        #expect(config.resample == .bilinear)
    }

    static let invalid: [(String, String)] = [
        (#"{"resample": 9}"#, "resample"),
        (#"{"size": {"longest_edge": 5}}"#, "size"),
        (#"{"size": {"height": 5}}"#, "size"),
        (#"{"size": 0}"#, "size"),
        (#"{"size": [1, 2, 3]}"#, "size"),
        (#"{"crop_size": {"height": 0, "width": 3}}"#, "crop_size"),
        (#"{"crop_size": {"shortest_edge": 3}}"#, "crop_size"),
        (#"{"image_mean": [0.5, 0.5]}"#, "image_mean"),
        (#"{"image_std": "wide"}"#, "image_std"),
        (#"{"do_resize": "yes"}"#, "do_resize"),
        (#"{"do_pad": true}"#, "pad_size"),
        (#"{"rescale_factor": true}"#, "rescale_factor"),
        (#"{"resample": 2.5}"#, "resample"),
    ]

    @Test(arguments: invalid.map(\.0))
    func refusesBadValues(_ json: String) throws {
        let key = try #require(Self.invalid.first { $0.0 == json }?.1)
        do {
            _ = try Self.parse(json)
            Issue.record("accepted \(json)")
        } catch let error as ImageError {
            guard case .invalidConfigValue(let file, let k, _, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == "preprocessor_config.json" && k == key, "\(error)")
        }
    }

    @Test func fileLevelErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-image-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ImageError.missingProcessorConfig(directory: dir.path)) { try CLIPImageProcessor(directory: dir) }

        try Data("{\"size\": 2".utf8).write(to: dir.appendingPathComponent("preprocessor_config.json"))
        do { _ = try CLIPImageProcessor(directory: dir); Issue.record("accepted malformed JSON") } catch let error as ImageError {
            guard case .malformedConfig(let file, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == "preprocessor_config.json")
        }
        try Data("[1, 2]".utf8).write(to: dir.appendingPathComponent("preprocessor_config.json"))
        #expect(throws: ImageError.malformedConfig(file: "preprocessor_config.json", reason: "the top level is not a JSON object")) {
            try CLIPImageProcessor(directory: dir)
        }
        try Data(#"{"image_processor": 5}"#.utf8).write(to: dir.appendingPathComponent("processor_config.json"))
        #expect(throws: ImageError.invalidConfigValue(file: "processor_config.json", key: "image_processor", expected: "an object", actual: "5")) {
            try CLIPImageProcessor(directory: dir)
        }
        // A processor_config.json without an image_processor entry falls back to preprocessor_config.json.
        try Data(#"{"processor_class": "AltCLIPProcessor"}"#.utf8).write(to: dir.appendingPathComponent("processor_config.json"))
        try Data(#"{"size": 40}"#.utf8).write(to: dir.appendingPathComponent("preprocessor_config.json"))
        #expect(try CLIPImageProcessor(directory: dir).config.size == .shortestEdge(40))
    }

    @Test func programmaticConfigsAreValidated() {
        var config = CLIPImageProcessorConfig()
        config.imageMean = [0.5]
        #expect(throws: ImageError.invalidConfigValue(file: "configuration", key: "image_mean", expected: "a number or 3 numbers", actual: "1 numbers")) {
            try CLIPImageProcessor(config: config)
        }
        config = CLIPImageProcessorConfig()
        config.cropSize = nil
        #expect(throws: ImageError.self) { try CLIPImageProcessor(config: config) }
        config.doCenterCrop = false
        #expect((try? CLIPImageProcessor(config: config)) != nil)
    }
}
