import AltCLIPImage
import AltCLIPTensor
import AltCLIPWeights
import Foundation
import Testing
@testable import AltCLIP

/// `save(to:)` writes a folder transformers' `from_pretrained` loads: the fixture records the bytes of a
/// folder saved by Swift that Scripts/make_save_fixtures.py loaded in transformers, and what transformers
/// computed with it; Swift must still write those bytes and compute the same numbers from them.
@Suite("Saving a model folder")
struct SaveTests {
    struct Record: Decodable {
        var texts: [String]
        var images: [String]
        var sha256: [String: String]
    }

    @Test func savedFolderIsWhatTransformersLoaded() throws {
        let fixtures = DemoModelTests.root.appendingPathComponent("Tests/Fixtures/models")
        let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: fixtures.appendingPathComponent("saved-by-swift.json")))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let pipeline = try AltCLIPPipeline(directory: DemoModelTests.modelFolder)
        #expect(try pipeline.save(to: out) == 83)

        // The same files, byte for byte, as the folder transformers loaded (config.json unchanged: keys
        // this library does not model round-trip).
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(written == record.sha256.keys.sorted())
        for name in written {
            let data = try Data(contentsOf: out.appendingPathComponent(name))
            #expect(SHA256Hex.of(data) == record.sha256[name], "\(name)")
        }
        #expect(try Data(contentsOf: out.appendingPathComponent("config.json"))
                == Data(contentsOf: DemoModelTests.modelFolder.appendingPathComponent("config.json")))

        // And the saved folder gives transformers' numbers.
        let reference = try WeightStore(file: fixtures.appendingPathComponent("saved-by-swift.safetensors"))
        let saved = try AltCLIPPipeline(directory: out)
        let text = try saved.embedTexts(record.texts)
        let images = saved.embedImages(record.images.map { .file(DemoModelTests.samples.appendingPathComponent("\($0).png")) })
            .map { try! $0.get() }
        for (name, rows) in [("text_embeds", text), ("image_embeds", images)] {
            let (ok, worst) = DemoModelTests.close(rows.flatMap { $0 }, try reference.float32(name).values)
            #expect(ok, "\(name): max excess \(worst)")
        }
        // An existing folder's other files are kept; a pipeline not loaded from a folder cannot save.
        try Data("notes".utf8).write(to: out.appendingPathComponent("README.md"))
        try pipeline.save(to: out, storage: .bfloat16)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("README.md").path))
        let bf16 = try WeightStore.open(directory: out)
        #expect(bf16.keys.compactMap { bf16.info($0) }.filter { $0.dtype.isFloatingPoint }.allSatisfy { $0.dtype == .bfloat16 })
        let parts = AltCLIPPipeline(model: pipeline.model, processor: pipeline.processor)
        #expect(throws: AltCLIPError.self) { try parts.save(to: out) }
    }
}

/// SHA-256 in hex (Foundation has none on Linux; the test shells out to sha256sum).
enum SHA256Hex {
    static func of(_ data: Data) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        try? data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
