import AltCLIPWeights
import Foundation
import Testing

@Suite("altclip convert / hub ids")
struct ConvertAndHubTests {
    @Test func convertBinToSafetensorsIsBitExactInFP32() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = CLI.fixture("weights/tiny-bin")
        let result = try CLI.run(["convert", "--model", source, "--out", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let original = try WeightStore.open(directory: URL(fileURLWithPath: source))
        let converted = try WeightStore(file: dir.appendingPathComponent("model.safetensors"))
        #expect(converted.keys == original.keys)
        for key in original.keys {
            let a = try original.tensor(key), b = try converted.tensor(key)
            #expect(a.dtype == b.dtype && a.shape == b.shape && Array(a.bytes) == Array(b.bytes), "\(key)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path))
    }

    @Test func convertToBF16HalvesFloatStorage() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("m.safetensors")
        let result = try CLI.run(["convert", "--model", CLI.fixture("weights/tiny-bin"), "--out", out.path, "--storage", "bf16"])
        #expect(result.status == 0, "\(result.stderr)")
        let converted = try WeightStore(file: out)
        let floats = converted.keys.compactMap { converted.info($0) }.filter { $0.dtype.isFloatingPoint }
        #expect(!floats.isEmpty && floats.allSatisfy { $0.dtype == .bfloat16 })
    }

    @Test func hubIdOfflineWithoutCacheSaysWhatToDownload() throws {
        let cache = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let result = try CLI.run(["inspect", "--model", "BAAI/AltCLIP"],
                                 environment: ["HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": cache.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("offline") && result.stderr.contains("https://huggingface.co/BAAI/AltCLIP"))
    }
}
