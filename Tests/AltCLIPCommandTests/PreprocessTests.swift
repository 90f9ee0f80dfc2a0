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
        // One pixel_values [2, 3, H, W] tensor (the bad file left out), the names in the metadata.
        let written = try WeightStore(file: out)
        #expect(written.keys == ["pixel_values"])
        let names = try JSONSerialization.jsonObject(with: Data((written.metadata["images"] ?? "").utf8)) as? [String]
        #expect(names == good)
        let (shape, values) = try written.float32("pixel_values")
        let reference = try WeightStore(file: URL(fileURLWithPath: CLI.fixture("image/pipeline.safetensors")))
        var offset = 0
        for (file, key) in zip(good, ["clip_small/land97x61/pixel_values", "clip_small/sq64/pixel_values"]) {
            let (refShape, refValues) = try reference.float32(key)
            #expect(shape == [2] + refShape.dropFirst())
            #expect(zip(values[offset..<(offset + refValues.count)], refValues).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(file)")
            offset += refValues.count
        }
        #expect(offset == values.count)
    }

    /// `.npy` output is a real 4-D array with the names beside it; an unknown extension is refused up front.
    @Test func npyOutputAndFormatChecks() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let npy = dir.appendingPathComponent("px.npy")
        let st = dir.appendingPathComponent("px.safetensors")
        let good = [Self.source("land97x61.png"), Self.source("sq64.png")]
        #expect(try CLI.run(["preprocess", "--model", Self.config, "--out", npy.path] + good).status == 0)
        #expect(try CLI.run(["preprocess", "--model", Self.config, "--out", st.path] + good).status == 0)
        let data = try Data(contentsOf: npy)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        let (shape, values) = try WeightStore(file: st).float32("pixel_values")
        #expect(header.contains("'shape': (\(shape.map(String.init).joined(separator: ", ")))"), "\(header)")
        let floats = data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(floats == values)
        let names = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: npy.path + ".names.json"))) as? [String]
        #expect(names == good)
        let wrong = try CLI.run(["preprocess", "--model", Self.config, "--out", dir.appendingPathComponent("px.png").path] + good)
        #expect(wrong.status == 64 && wrong.stderr.contains("--out must end in .safetensors or .npy"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("px.png").path))
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
