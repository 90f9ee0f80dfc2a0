import AltCLIPDataset
import Foundation
import Testing

/// `altclip embed --layout clip-retrieval`: shards of a job array, clip-retrieval's files, markers.
@Suite("altclip embed: shards in clip-retrieval's layout")
struct ShardedEmbedTests {
    static let model = IndexSearchTests.model

    /// A `.npy` file's shape and raw row bytes.
    static func npy(_ url: URL) throws -> (shape: [Int], body: Data) {
        let data = try Data(contentsOf: url)
        let length = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + length)], as: UTF8.self)
        let inside = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        return (inside.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }, data.subdata(in: (10 + length)..<data.count))
    }

    static func float16Rows(_ body: Data, columns: Int) -> [[Float]] {
        let values = stride(from: 0, to: body.count, by: 2).map { i in
            Float(Float16(bitPattern: UInt16(body[body.startIndex + i]) | UInt16(body[body.startIndex + i + 1]) << 8))
        }
        return stride(from: 0, to: values.count, by: columns).map { Array(values[$0..<($0 + columns)]) }
    }

    static func metadata(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    static func embed(_ arguments: [String], environment: [String: String] = [:]) throws -> (CLI.Result, [String: Any]) {
        let result = try CLI.run(["embed", "--model", Self.model, "--layout", "clip-retrieval", "--json"] + arguments, environment: environment)
        return (result, (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:])
    }

    /// Three shards (one by option, one from a Slurm array's environment, one from a Kubernetes Indexed
    /// Job's) together equal one unsharded run, row for row and key for key; the rows are the float16
    /// of `altclip embed`'s vectors; a rerun skips a finished shard and leaves it untouched.
    @Test func threeShardsEqualOneRunAndRerunsSkip() throws {
        let (root, photos, _) = try IndexSearchTests.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = root.appendingPathComponent("whole"), split = root.appendingPathComponent("split")
        let (one, summary) = try Self.embed([photos.path, "--out", whole.path])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(summary["rows"] as? Int == 8 && summary["shard"] as? Int == 0 && summary["shard_count"] as? Int == 1)
        let environments: [[String: String]] = [
            [:], ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"], ["JOB_COMPLETION_INDEX": "2"],
        ]
        let options: [[String]] = [["--shard-index", "0", "--shard-count", "3"], [], ["--shard-count", "3"]]
        for (env, extra) in zip(environments, options) {
            let (result, _) = try Self.embed([photos.path, "--out", split.path] + extra, environment: env)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let reference = try Self.npy(whole.appendingPathComponent("img_emb/img_emb_0.npy"))
        #expect(reference.shape == [8, 16] || reference.shape.count == 2 && reference.shape[0] == 8)
        var rows = Data(), keys: [String] = []
        for i in 0..<3 {
            #expect(ClipRetrievalShardWriter.isDone(out: split, shard: i))
            let part = try Self.npy(split.appendingPathComponent("img_emb/img_emb_\(i).npy"))
            #expect(part.shape[0] == [2, 3, 3][i])
            rows += part.body
            keys += try Self.metadata(split.appendingPathComponent("metadata/metadata_\(i).jsonl")).map { $0["key"] as? String ?? "" }
        }
        #expect(rows == reference.body)
        let wholeMetadata = try Self.metadata(whole.appendingPathComponent("metadata/metadata_0.jsonl"))
        #expect(keys == wholeMetadata.map { $0["key"] as? String ?? "" })
        #expect(keys == IndexSearchTests.samples.map { photos.appendingPathComponent("\($0).png").path })
        #expect(wholeMetadata.first?["width"] as? Int != nil && wholeMetadata.first?["height"] as? Int != nil)

        // The same vectors as altclip embed, rounded to float16.
        let plain = root.appendingPathComponent("plain.npy")
        let direct = try CLI.run(["embed", "--model", Self.model, photos.path, "--out", plain.path])
        #expect(direct.status == 0, "\(direct.stderr)")
        let float32 = try Self.npy(plain)
        let columns = reference.shape[1]
        let expected = stride(from: 0, to: float32.body.count, by: 4).map { i in
            Float(Float16(Float(bitPattern: float32.body.subdata(in: i..<(i + 4)).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })))
        }
        #expect(Self.float16Rows(reference.body, columns: columns).flatMap { $0 } == expected)

        // A rerun of a finished shard does nothing.
        let marker = ClipRetrievalShardWriter.marker(out: split, shard: 1)
        let before = try FileManager.default.attributesOfItem(atPath: marker.path)[.modificationDate] as? Date
        let (again, againSummary) = try Self.embed([photos.path, "--out", split.path, "--shard-index", "1", "--shard-count", "3"])
        #expect(again.status == 0 && againSummary["already_done"] as? Bool == true && againSummary["rows"] as? Int == 3)
        #expect(try FileManager.default.attributesOfItem(atPath: marker.path)[.modificationDate] as? Date == before)
    }

    /// A shard killed midway (SIGKILL after its first rows) leaves no marker and nothing under the final
    /// names; the rerun redoes it and ends with the same files as an undisturbed run.
    @Test func aKilledShardHasNoMarkerAndIsRedone() throws {
        let (root, photos, _) = try IndexSearchTests.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out"), clean = root.appendingPathComponent("clean")
        let killed = try CLI.run(["embed", "--model", Self.model, "--layout", "clip-retrieval", photos.path, "--out", out.path,
                                  "--batch-size", "1"], environment: ["ALTCLIP_TEST_KILL_AFTER_ROWS": "2"])
        #expect(killed.status == SIGKILL, "\(killed.stderr)")
        #expect(!ClipRetrievalShardWriter.isDone(out: out, shard: 0))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("img_emb/img_emb_0.npy").path))
        let (redo, summary) = try Self.embed([photos.path, "--out", out.path, "--batch-size", "1"])
        #expect(redo.status == 0 && summary["rows"] as? Int == 8 && summary["already_done"] as? Bool == false, "\(redo.stderr)")
        let (reference, _) = try Self.embed([photos.path, "--out", clean.path])
        #expect(reference.status == 0)
        for file in ["img_emb/img_emb_0.npy", "metadata/metadata_0.jsonl", "errors/errors_0.jsonl"] {
            #expect(try Data(contentsOf: out.appendingPathComponent(file)) == Data(contentsOf: clean.appendingPathComponent(file)), "\(file)")
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty)
    }

    /// WebDataset shards by brace pattern: the webdataset-package fixture and a tar cut short. Samples with
    /// an image become rows (their vectors equal the loose files'), captions go to text_emb (equal to
    /// `embed --text`), urls to the metadata; a sample without an image and the cut are recorded.
    @Test func webDatasetShardsStreamIntoRows() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let shards = root.appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: shards, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.fixture("webdataset/made-by-webdataset.tar"), toPath: shards.appendingPathComponent("00000.tar").path)
        // Shard 00001: purple_circle and red_star whole, then a cut inside yellow_square's image.
        let staging = root.appendingPathComponent("staging")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        var members: [String] = []
        for (i, name) in ["purple_circle", "red_star", "yellow_square"].enumerated() {
            try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Samples/\(name).png"), to: staging.appendingPathComponent("s\(i).png"))
            try Data(name.utf8).write(to: staging.appendingPathComponent("s\(i).txt"))
            members += ["s\(i).png", "s\(i).txt"]
        }
        let full = root.appendingPathComponent("full.tar")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-cf", full.path, "-C", staging.path, "--"] + members
        try tar.run()
        tar.waitUntilExit()
        let bytes = try Data(contentsOf: full)
        let cut = try #require(bytes.range(of: Data("s2.png".utf8)))
        try bytes.prefix(cut.lowerBound + 512 + 4000).write(to: shards.appendingPathComponent("00001.tar"))

        let out = root.appendingPathComponent("out")
        let (result, summary) = try Self.embed(["--webdataset", shards.path + "/{00000..00001}.tar", "--captions", "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(summary["rows"] as? Int == 7 && summary["skipped"] as? Int == 2 && summary["inputs"] as? Int == 2)
        #expect(result.stderr.contains("00001.tar") && result.stderr.contains("after 2 samples"))
        let meta = try Self.metadata(out.appendingPathComponent("metadata/metadata_0.jsonl"))
        #expect(meta.map { $0["key"] as? String ?? "" } == ["000000000", "000000001", "000000002", "000000003", "extra/000000100", "s0", "s1"])
        #expect(meta[0]["url"] as? String == "https://example.com/red_circle.png" && meta[0]["caption"] as? String == "a red circle")
        #expect((meta[0]["json"] as? [String: Any])?["status"] as? String == "success")
        #expect(meta[5]["shard"] as? String == shards.path + "/00001.tar")
        let errors = try Self.metadata(out.appendingPathComponent("errors/errors_0.jsonl"))
        #expect(errors.count == 2 && errors[0]["key"] as? String == "000000099" && (errors[0]["error"] as? String ?? "").contains("no image"))
        #expect((errors[1]["error"] as? String ?? "").contains("after 2 samples"))

        // Rows equal the loose files' rows (same model, same pixels): red_circle (png in the tar) and red_star.
        let loose = root.appendingPathComponent("loose"), looseOut = root.appendingPathComponent("loose-out")
        try FileManager.default.createDirectory(at: loose, withIntermediateDirectories: true)
        for name in ["red_circle", "red_star"] {
            try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Samples/\(name).png"), to: loose.appendingPathComponent("\(name).png"))
        }
        #expect(try Self.embed([loose.path, "--out", looseOut.path]).0.status == 0)
        let image = try Self.npy(out.appendingPathComponent("img_emb/img_emb_0.npy"))
        let columns = image.shape[1]
        let rows = Self.float16Rows(image.body, columns: columns)
        let looseRows = Self.float16Rows(try Self.npy(looseOut.appendingPathComponent("img_emb/img_emb_0.npy")).body, columns: columns)
        #expect(rows[0] == looseRows[0] && rows[4] == looseRows[1] && rows[6] == looseRows[1])

        // Caption rows equal embed --text's vectors, in float16.
        let texts = try Self.float16Rows(Self.npy(out.appendingPathComponent("text_emb/text_emb_0.npy")).body, columns: columns)
        #expect(texts.count == 7)
        let plain = root.appendingPathComponent("captions.npy")
        #expect(try CLI.run(["embed", "--model", Self.model, "--text", "a red circle", "--text", "red_star", "--out", plain.path]).status == 0)
        let captionVectors = try Self.npy(plain).body
        let expected = stride(from: 0, to: captionVectors.count, by: 4).map { i in
            Float(Float16(Float(bitPattern: captionVectors.subdata(in: i..<(i + 4)).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })))
        }
        #expect(texts[0] + texts[6] == expected)
    }

    /// Misuse is a usage error before any work; a missing tar fails the shard without a marker.
    @Test func mistakesAreClearErrors() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let cases: [([String], [String: String], Int32, String)] = [
            (["embed", "--model", Self.model, "Samples", "--shard-index", "1", "--shard-count", "2", "--out", root.path + "/o"], [:], 64, "--layout clip-retrieval"),
            (["embed", "--model", Self.model, "--layout", "clip-retrieval", "Samples"], [:], 64, "needs --out"),
            (["embed", "--model", Self.model, "--layout", "clip-retrieval", "Samples", "--webdataset", "x.tar", "--out", root.path + "/o"], [:], 64, "either"),
            (["embed", "--model", Self.model, "--layout", "clip-retrieval", "Samples", "--out", root.path + "/o"], ["JOB_COMPLETION_INDEX": "1"], 1, "--shard-count"),
            (["embed", "--model", Self.model, "--layout", "clip-retrieval", "Samples", "--out", root.path + "/o", "--shard-index", "2", "--shard-count", "2"], [:], 1, "outside 0..<2"),
            (["embed", "--model", Self.model, "--layout", "clip-retrieval", "Samples", "--out", "Samples/red_circle.png"], [:], 1, "is a file"),
            (["embed", "--model", Self.model, "--layout", "clip-retrieval", "--webdataset", root.path + "/{0..1}.tar", "--out", root.path + "/o"], [:], 1, "no such file"),
        ]
        for (arguments, environment, status, message) in cases {
            let result = try CLI.run(arguments, environment: environment)
            #expect(result.status == status && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("o/_SUCCESS/shard_0.json").path))
    }
}
