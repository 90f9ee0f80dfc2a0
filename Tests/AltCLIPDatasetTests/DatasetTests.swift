import AltCLIPDataset
import Crypto
import Foundation
import Testing

private let repository: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.lastPathComponent != "Tests", url.path != "/" { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent()
}()

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-dataset-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A tar of `files` (relative names, in this order) made by Debian's tar, optionally gzip-compressed.
func makeTar(_ files: [(String, Data)], at tar: URL, gzip: Bool = false) throws {
    let staging = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: staging) }
    for (name, data) in files {
        let url = staging.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/tar")
    process.arguments = [gzip ? "-czf" : "-cf", tar.path, "-C", staging.path, "--"] + files.map(\.0)
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
}

private func readAll(_ path: String) throws -> [WebDatasetSample] {
    let reader = try TarShardReader(path: path)
    var samples: [WebDatasetSample] = []
    while let sample = try reader.next() { samples.append(sample) }
    return samples
}

@Suite("WebDataset tar shards")
struct WebDatasetTests {
    /// The fixture written by the `webdataset` package's TarWriter reads back sample for sample, file
    /// for file (Scripts/make_webdataset_fixture.py recorded each file's SHA-256).
    @Test func aShardWrittenByTheWebdatasetPackageReadsBackExactly() throws {
        let folder = repository.appendingPathComponent("Tests/Fixtures/webdataset")
        let samples = try readAll(folder.appendingPathComponent("made-by-webdataset.tar").path)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("made-by-webdataset.json"))) as? [[String: Any]])
        #expect(samples.map(\.key) == expected.map { $0["key"] as? String ?? "" })
        for (sample, want) in zip(samples, expected) {
            let files = want["files"] as? [String: String] ?? [:]
            #expect(Set(sample.files.keys) == Set(files.keys), "\(sample.key)")
            for (ext, data) in sample.files {
                #expect(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() == files[ext], "\(sample.key).\(ext)")
            }
        }
        #expect(samples[0].caption == "a red circle" && samples[0].image?.ext == "png")
        #expect(samples[1].caption == "一个蓝色的三角形")
        #expect(samples[2].image == nil && samples[2].caption == "a caption whose image failed to download")
        #expect(samples[3].image?.ext == "jpg")
        #expect(samples[5].key == "extra/000000100" && samples[5].image?.ext == "png" && samples[5].files["seg.png"] != nil)
        let metadata = try JSONSerialization.jsonObject(with: try #require(samples[0].metadata)) as? [String: Any]
        #expect(metadata?["url"] as? String == "https://example.com/red_circle.png")
    }

    /// A tar cut short keeps the samples before the cut and then throws, saying how many came first; a
    /// gzip-compressed shard streams the same; names without an extension and folders are skipped.
    @Test func truncatedAndCompressedShards() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = Data((0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let files: [(String, Data)] = [("a.jpg", Data([1, 2, 3])), ("a.txt", Data("first".utf8)), ("README", Data("x".utf8)),
                                       ("b.png", big), ("b.txt", Data("second".utf8)), ("c.png", big), ("c.json", Data("{}".utf8))]
        let tar = dir.appendingPathComponent("s.tar")
        try makeTar(files, at: tar)
        let whole = try readAll(tar.path)
        #expect(whole.map(\.key) == ["a", "b", "c"])
        #expect(whole[1].files["png"] == big && whole[1].caption == "second")
        let gz = dir.appendingPathComponent("s.tar.gz")
        try makeTar(files, at: gz, gzip: true)
        #expect(try readAll(gz.path) == whole.map { WebDatasetSample(key: $0.key, shard: gz.path, files: $0.files) })

        // Cut inside c.png's data: a and b come back, then the error.
        let bytes = try Data(contentsOf: tar)
        let cut = dir.appendingPathComponent("cut.tar")
        let cPNG = try #require(bytes.range(of: Data("c.png".utf8)))
        try bytes.prefix(cPNG.lowerBound + 512 + 20_000).write(to: cut)
        let reader = try TarShardReader(path: cut.path)
        #expect(try reader.next()?.key == "a")
        #expect(try reader.next()?.key == "b")
        #expect(throws: WebDatasetError.self) { try reader.next() }
        #expect(try reader.next() == nil)
        #expect(reader.samplesRead == 2)
    }

    @Test func unreadableShardsAreClearErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try TarShardReader(path: dir.appendingPathComponent("missing.tar").path) } throws: {
            ($0 as? WebDatasetError)?.reason == "no such file"
        }
        #expect(throws: WebDatasetError.self) { try TarShardReader(path: dir.path) }
        let junk = dir.appendingPathComponent("junk.tar")
        try Data(repeating: 0x41, count: 3000).write(to: junk)
        #expect(throws: WebDatasetError.self) { _ = try readAll(junk.path) }
        // An entry over the size limit fails its shard, not the process.
        let tar = dir.appendingPathComponent("big.tar")
        try makeTar([("x.png", Data(count: 5000))], at: tar)
        let reader = try TarShardReader(path: tar.path, maxEntryBytes: 4096)
        #expect { try reader.next() } throws: { ($0 as? WebDatasetError)?.reason.contains("limit") == true }
    }
}

@Suite("Shards: brace patterns and partitions")
struct ShardingTests {
    @Test func bracePatterns() throws {
        #expect(try BracePattern.expand("shards/{00000..00002}.tar") == ["shards/00000.tar", "shards/00001.tar", "shards/00002.tar"])
        #expect(try BracePattern.expand("{a,b}-{8..10}") == ["a-8", "a-9", "a-10", "b-8", "b-9", "b-10"])
        #expect(try BracePattern.expand("{098..100}") == ["098", "099", "100"])
        #expect(try BracePattern.expand("plain.tar") == ["plain.tar"])
        for bad in ["{3..1}", "s/{0..9.tar", "s/0..9}.tar", "{x..y}", "{0..99999999999}", "{0..9999}{0..9999}"] {
            #expect(throws: BracePattern.Failure.self, "\(bad)") { try BracePattern.expand(bad) }
        }
    }

    /// Every split covers each item exactly once, in order, with sizes differing by at most one.
    @Test func partitionsCoverEachItemOnce() throws {
        for n in [0, 1, 2, 7, 100, 101] {
            for count in [1, 2, 3, 8] {
                let ranges = try (0..<count).map { try ShardAssignment(index: $0, count: count).range(of: n) }
                #expect(ranges.flatMap { Array($0) } == Array(0..<n))
                let sizes = ranges.map(\.count)
                #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
            }
        }
    }

    @Test func shardsFromOptionsAndSchedulers() throws {
        #expect(try ShardAssignment.resolve(index: nil, count: nil, environment: [:]) == nil)
        #expect(try ShardAssignment.resolve(index: 2, count: 3, environment: [:]) == ShardAssignment(index: 2, count: 3))
        // Slurm: --array=1-4 gives TASK_ID 1…4 with TASK_MIN 1.
        let slurm = ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"]
        #expect(try ShardAssignment.resolve(index: nil, count: nil, environment: slurm) == ShardAssignment(index: 3, count: 4))
        #expect(try ShardAssignment.resolve(index: 0, count: nil, environment: slurm) == ShardAssignment(index: 0, count: 4))
        // Kubernetes Indexed Job: the index from the environment, the count from the option.
        #expect(try ShardAssignment.resolve(index: nil, count: 5, environment: ["JOB_COMPLETION_INDEX": "4"]) == ShardAssignment(index: 4, count: 5))
        #expect { try ShardAssignment.resolve(index: nil, count: nil, environment: ["JOB_COMPLETION_INDEX": "4"]) } throws: {
            "\($0)".contains("--shard-count")
        }
        #expect(throws: ShardError.self) { try ShardAssignment.resolve(index: 3, count: 3, environment: [:]) }
        #expect(throws: ShardError.self) { try ShardAssignment.resolve(index: nil, count: 3, environment: [:]) }
        #expect(throws: ShardError.self) { try ShardAssignment.resolve(index: nil, count: nil, environment: ["SLURM_ARRAY_TASK_ID": "x"]) }
    }
}

@Suite("clip-retrieval output")
struct ClipRetrievalOutputTests {
    /// Float16 rows with the final count in the header; nothing in place and no marker until finish.
    @Test func shardFilesAppearWholeWithTheirMarker() throws {
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let writer = try ClipRetrievalShardWriter(out: out, shard: 4, dimension: 3, captions: true)
        try writer.append(image: [1, 0.5, -2], text: [0, 1, 0], metadata: ["key": "k0"])
        try writer.append(image: [0.1, 65504, 1e-8], text: [1, 0, 0], metadata: ["key": "k1", "caption": "猫"])
        try writer.skip(["key": "k2", "error": "no image"])
        let final = out.appendingPathComponent("img_emb/img_emb_4.npy")
        #expect(!FileManager.default.fileExists(atPath: final.path))
        #expect(!ClipRetrievalShardWriter.isDone(out: out, shard: 4))
        try writer.finish(summary: ["shard_count": 5])
        #expect(ClipRetrievalShardWriter.isDone(out: out, shard: 4))
        let npy = try Data(contentsOf: final)
        let header = String(decoding: npy[10..<128], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }") && header.hasSuffix("\n"))
        #expect(npy.count == 128 + 2 * 3 * 2)
        let values = (0..<6).map { i in Float(Float16(bitPattern: UInt16(npy[128 + 2 * i]) | UInt16(npy[129 + 2 * i]) << 8)) }
        #expect(values == [1, 0.5, -2, Float(Float16(0.1)), 65504, Float(Float16(1e-8))])
        let lines = try String(contentsOf: out.appendingPathComponent("metadata/metadata_4.jsonl"), encoding: .utf8)
        #expect(lines == "{\"key\":\"k0\"}\n{\"caption\":\"猫\",\"key\":\"k1\"}\n")
        #expect(try Data(contentsOf: out.appendingPathComponent("text_emb/text_emb_4.npy")).count == 128 + 12)
        let marker = try JSONSerialization.jsonObject(with: Data(contentsOf: ClipRetrievalShardWriter.marker(out: out, shard: 4))) as? [String: Any]
        #expect(marker?["rows"] as? Int == 2 && marker?["skipped"] as? Int == 1 && marker?["shard_count"] as? Int == 5)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty)
    }
}
