import AltCLIPWeights
import Foundation
import Testing

@Suite("altclip preprocess")
struct PreprocessTests {
    static let config = CLI.fixture("image/configs/clip_small")
    static func source(_ name: String) -> String { CLI.fixture("image/sources/\(name)") }

    @Test func pixelValuesEqualTransformersAndBadFilesAreReportedPerFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("pixels.safetensors")
        let good = [Self.source("land97x61.png"), Self.source("sq64.png")]
        let bad = Self.source("bad/truncated.png")
        let result = try CLI.run(["preprocess", "--model", Self.config, "--out", out.path, good[0], bad, good[1]])
        #expect(result.status == 1)
        #expect(result.stderr.contains("truncated.png"))
        let written = try WeightStore(file: out)
        let reference = try WeightStore(file: URL(fileURLWithPath: CLI.fixture("image/pipeline.safetensors")))
        for (file, key) in zip(good, ["clip_small/land97x61/pixel_values", "clip_small/sq64/pixel_values"]) {
            let (shape, values) = try written.float32(file)
            let (refShape, refValues) = try reference.float32(key)
            #expect(shape == refShape)
            #expect(zip(values, refValues).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(file)")
        }
        #expect(!written.contains(bad))
    }

    @Test func emptyFolderIsAFailure() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["preprocess", "--model", Self.config, "--out", dir.appendingPathComponent("o.safetensors").path, dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("holds no images"))
    }

    @Test func missingFileIsAFailureNamingIt() throws {
        let result = try CLI.run(["preprocess", "--model", Self.config, "--out", "/tmp/unused.safetensors", "/nonexistent/cat.jpg"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/cat.jpg"))
    }
}
