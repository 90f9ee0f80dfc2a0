import AltCLIP
import AltCLIPImage
import AltCLIPSupport
import AltCLIPTokenizer
@testable import AltCLIPWeights
import Foundation
import Testing

/// Replays every input the libFuzzer harnesses (Fuzz/) ever saved through the same calls they make:
/// each must finish (an error is fine) in bounded time, never crash. See
/// Tests/Fixtures/fuzz-regressions/README.md.
@Suite("Fuzzing regressions")
struct FuzzRegressionTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests", url.path != "/" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/fuzz-regressions")
    }()

    static func inputs(_ harness: String) -> [URL] {
        let folder = root.appendingPathComponent(harness)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }

    /// Runs `body` on each saved input of `harness`; returns how many. (The harnesses run with a 256 MB
    /// budget; the process-wide default here is larger, which the saved inputs must survive too.)
    @discardableResult
    static func replay(_ harness: String, _ body: (Data) throws -> Void) throws -> Int {
        let files = inputs(harness)
        for file in files {
            let start = ContinuousClock.now
            try? body(try Data(contentsOf: file))
            #expect(ContinuousClock.now - start < .seconds(20), "\(harness)/\(file.lastPathComponent) took too long")
        }
        return files.count
    }

    @Test func checkpoints() throws {
        for (harness, name) in [("FuzzSafetensors", "model.safetensors"), ("FuzzTorchCheckpoint", "pytorch_model.bin")] {
            try Self.replay(harness) { data in
                let store = try WeightStore(contents: Array(data), name: name)
                for key in store.keys {
                    guard let tensor = try? store.tensor(key) else { continue }
                    _ = try? tensor.withFloat32 { $0.reduce(0, +) }
                    _ = try? tensor.int64Values()
                }
            }
        }
        // The saved stride-0 view is refused by the budget, not gathered.
        let stride0 = try Data(contentsOf: Self.root.appendingPathComponent("FuzzTorchCheckpoint/past-stride0-expand"))
        let store = try WeightStore(contents: Array(stride0), name: "pytorch_model.bin")
        #expect(throws: WeightError.self) { try store.tensor("w") }
    }

    @Test func tokenizers() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-fuzz-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (harness, name) in [("FuzzTokenizerJSON", "tokenizer.json"), ("FuzzSentencePiece", "sentencepiece.bpe.model")] {
            try Self.replay(harness) { data in
                let file = folder.appendingPathComponent(name)
                try data.write(to: file)
                let tokenizer = try name == "tokenizer.json"
                    ? XLMRobertaTokenizer(tokenizerJSON: file) : XLMRobertaTokenizer(sentencePieceModel: file)
                for text in ["a red circle", "红色的圆形 un triangle bleu", ""] {
                    _ = tokenizer.decode(tokenizer.encode(text), skipSpecialTokens: false)
                }
            }
        }
    }

    @Test func configs() throws {
        let models = try Self.replay("FuzzModelConfig") { data in
            _ = try? AltCLIPConfig(jsonData: data, path: "config.json")
            _ = try? AltCLIPTextConfig(jsonData: data, path: "config.json")
            _ = try? AltCLIPVisionConfig(jsonData: data, path: "config.json")
        }
        #expect(models >= 2)
        try Self.replay("FuzzPreprocessorConfig") { data in
            let processor = try CLIPImageProcessor(config: try CLIPImageProcessorConfig(jsonData: data))
            _ = try processor.preprocess(try RGBImage(width: 7, height: 5, pixels: [UInt8](repeating: 128, count: 105)))
        }
    }

    @Test func images() throws {
        try Self.replay("FuzzImage") { data in
            let options = DecodeOptions(applyExifOrientation: data.count % 2 == 0, maxPixels: 4 << 20)
            _ = try CLIPImageProcessor().preprocess(try ImageDecoder.decode(data: data, name: "input", options: options))
        }
    }
}
