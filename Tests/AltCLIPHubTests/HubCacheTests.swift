import Foundation
import Testing
@testable import AltCLIPHub

/// Lays out a repository the way huggingface_hub 2.4 leaves it after
/// `AltCLIPModel.from_pretrained("BAAI/AltCLIP")` + `AltCLIPProcessor.from_pretrained(...)`: blobs named
/// by ETag, `refs/main` with the commit (no newline), snapshot files as `../../blobs/<etag>` symlinks,
/// `.no_exist` markers for the files it asked for and the hub did not have (transformers' processor asks
/// for `processor_config.json` too; `markProcessorConfig: false` is a cache from before it did).
private func writePythonCache(at cache: URL, commit: String, markProcessorConfig: Bool = true) throws -> [String: [UInt8]] {
    let repo = cache.appendingPathComponent("models--BAAI--AltCLIP")
    let fm = FileManager.default
    for folder in ["blobs", "refs", "snapshots/\(commit)", ".no_exist/\(commit)"] {
        try fm.createDirectory(at: repo.appendingPathComponent(folder), withIntermediateDirectories: true)
    }
    try Data(commit.utf8).write(to: repo.appendingPathComponent("refs/main"))
    var files: [String: [UInt8]] = HubFixtures.tokenizerFiles
    files["config.json"] = try HubFixtures.bytes(HubFixtures.binModel.appendingPathComponent("config.json"))
    files["pytorch_model.bin"] = try HubFixtures.bytes(HubFixtures.binModel.appendingPathComponent("pytorch_model.bin"))
    for (name, content) in files {
        let lfs = name.hasSuffix(".bin") || name.hasSuffix(".model")
        let etag = lfs ? SHA256.hexDigest(content) : FakeHub.gitETag(content)
        try Data(content).write(to: repo.appendingPathComponent("blobs/\(etag)"))
        try fm.createSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(commit)/\(name)").path,
                                  withDestinationPath: "../../blobs/\(etag)")
    }
    for name in ["model.safetensors", "model.safetensors.index.json", "tokenizer.json", "special_tokens_map.json",
                 "preprocessor_config.json"] + (markProcessorConfig ? ["processor_config.json"] : []) {
        _ = fm.createFile(atPath: repo.appendingPathComponent(".no_exist/\(commit)/\(name)").path, contents: Data())
    }
    return files
}

@Suite("Hub cache reuse and offline mode", .timeLimit(.minutes(1)))
struct HubCacheTests {
    @Test("offline with an empty cache: a clear error naming what to download and where, no network")
    func offlineWithoutCache() throws {
        let cache = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hub = try FakeHub()
        let client = HubClient(cacheDirectory: cache, endpoint: hub.endpoint, offline: true)
        do {
            _ = try client.resolve("BAAI/AltCLIP")
            Issue.record("expected notCached")
        } catch let error as HubError {
            guard case let .notCached(repoId, revision, cacheDirectory, endpoint, missing, reason) = error else {
                Issue.record("expected notCached, got \(error)")
                return
            }
            #expect(repoId == "BAAI/AltCLIP" && revision == "main" && cacheDirectory == cache.path && endpoint == hub.endpoint)
            #expect(missing.first == "config.json")
            #expect(missing.contains { $0.contains("pytorch_model.bin") && $0.contains("model.safetensors") })
            #expect(missing.contains("sentencepiece.bpe.model (if the model has it)"))
            #expect(reason.contains("HF_HUB_OFFLINE"))
            let message = error.description
            #expect(message.contains("\(cache.path)/models--BAAI--AltCLIP"))
            #expect(message.contains("\(hub.endpoint)/BAAI/AltCLIP/tree/main"))
            #expect(message.contains("hf download BAAI/AltCLIP"))
        }
        #expect(hub.hubRequests.isEmpty && hub.cdnRequests.isEmpty)
    }

    @Test("a cache laid out by huggingface_hub is used offline, with no request at all")
    func pythonCacheOffline() throws {
        let cache = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let files = try writePythonCache(at: cache, commit: FakeHub.commitA)
        let hub = try FakeHub()
        let client = HubClient(cacheDirectory: cache, endpoint: hub.endpoint, offline: true)
        let folder = try client.resolve("BAAI/AltCLIP")
        #expect(folder.path == cache.appendingPathComponent("models--BAAI--AltCLIP/snapshots/\(FakeHub.commitA)").path)
        for (name, content) in files { #expect(try HubFixtures.bytes(folder.appendingPathComponent(name)) == content) }
        #expect(try client.resolve("BAAI/AltCLIP@\(FakeHub.commitA)") == folder)
        #expect(hub.hubRequests.isEmpty)
        // A revision the cache has no ref for is not guessed.
        expectHubError("notCached for another branch") {
            if case let .notCached(_, revision, _, _, _, _) = $0 { return revision == "v2" }
            return false
        } _: { _ = try client.resolve("BAAI/AltCLIP@v2") }
    }

    @Test("online, a huggingface_hub cache of the current commit is used without downloading anything")
    func pythonCacheOnline() throws {
        let cache = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let files = try writePythonCache(at: cache, commit: FakeHub.commitA)
        let hub = try FakeHub()
        hub.add("BAAI/AltCLIP", files: files, lfs: ["pytorch_model.bin", "sentencepiece.bpe.model"])
        let folder = try HubClient(cacheDirectory: cache, endpoint: hub.endpoint, retryDelay: 0).resolve("BAAI/AltCLIP")
        #expect(folder.lastPathComponent == FakeHub.commitA)
        #expect(hub.hubRequests.map(\.target) == ["/BAAI/AltCLIP/resolve/main/config.json"], "one HEAD for the commit")
        #expect(hub.cdnRequests.isEmpty)
    }

    @Test("online, a cache without a marker for an optional file asks for it once, then remembers the 404")
    func pythonCacheOnlineWithoutMarker() throws {
        let cache = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let files = try writePythonCache(at: cache, commit: FakeHub.commitA, markProcessorConfig: false)
        let hub = try FakeHub()
        hub.add("BAAI/AltCLIP", files: files, lfs: ["pytorch_model.bin", "sentencepiece.bpe.model"])
        let client = HubClient(cacheDirectory: cache, endpoint: hub.endpoint, retryDelay: 0)
        #expect(try client.resolve("BAAI/AltCLIP").lastPathComponent == FakeHub.commitA)
        #expect(hub.hubRequests.map(\.target) == [
            "/BAAI/AltCLIP/resolve/main/config.json",
            "/BAAI/AltCLIP/resolve/\(FakeHub.commitA)/processor_config.json",
        ])
        let marker = cache.appendingPathComponent("models--BAAI--AltCLIP/.no_exist/\(FakeHub.commitA)/processor_config.json")
        #expect(FileManager.default.fileExists(atPath: marker.path))
        #expect(try client.resolve("BAAI/AltCLIP").lastPathComponent == FakeHub.commitA)
        #expect(hub.hubRequests.count == 3, "the second run only asks for the commit: \(hub.hubRequests.map(\.target))")
        // A full commit hash with every optional file present or marked needs no request at all.
        #expect(try client.resolve("BAAI/AltCLIP@\(FakeHub.commitA)").lastPathComponent == FakeHub.commitA)
        #expect(hub.hubRequests.count == 3 && hub.cdnRequests.isEmpty)
    }

    @Test("online but the hub unreachable: the cached revision is used, as huggingface_hub does")
    func unreachableHubFallsBackToCache() throws {
        let cache = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        _ = try writePythonCache(at: cache, commit: FakeHub.commitA)
        let endpoint = "http://127.0.0.1:\(try HubFixtures.closedPort())"
        let client = HubClient(cacheDirectory: cache, endpoint: endpoint, timeout: 5, retryDelay: 0)
        #expect(try client.resolve("BAAI/AltCLIP").lastPathComponent == FakeHub.commitA)
        expectHubError("notCached naming the connection failure") {
            if case let .notCached(repoId, _, _, _, _, reason) = $0 {
                return repoId == "BAAI/Other" && reason.contains("could not be reached")
            }
            return false
        } _: { _ = try client.resolve("BAAI/Other") }
    }

    @Test("a cache written by us is read back offline by a fresh client")
    func ourCacheOffline() throws {
        let cache = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hub = try FakeHub()
        try hub.add("org/tiny", folder: HubFixtures.shardedModel)
        let online = try HubClient(cacheDirectory: cache, endpoint: hub.endpoint, retryDelay: 0).resolve("org/tiny")
        let count = hub.hubRequests.count + hub.cdnRequests.count
        let offline = HubClient(cacheDirectory: cache, endpoint: hub.endpoint, offline: true)
        #expect(try offline.resolve("org/tiny") == online)
        #expect(offline.cachedSnapshot(for: try ModelSpec(parsing: "org/tiny")) == online)
        #expect(hub.hubRequests.count + hub.cdnRequests.count == count)
        // Remove one shard: the snapshot is no longer usable, and offline says so.
        try FileManager.default.removeItem(at: online.appendingPathComponent("model-00002-of-00003.safetensors"))
        expectHubError("notCached") {
            if case let .notCached(_, _, _, _, missing, _) = $0 { return missing.contains { $0.hasPrefix("one of") } }
            return false
        } _: { _ = try offline.resolve("org/tiny") }
    }

    @Test("HF_* environment variables drive a client end to end")
    func environmentClient() throws {
        let home = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let hub = try FakeHub()
        try hub.add("org/tiny", folder: HubFixtures.model)
        hub.requireToken("hf_env")
        let client = HubClient(environment: ["HF_HOME": home.path, "HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_env"])
        let folder = try client.resolve("org/tiny")
        #expect(folder.path == home.appendingPathComponent("hub/models--org--tiny/snapshots/\(FakeHub.commitA)").path)
        let offline = HubClient(environment: ["HF_HOME": home.path, "HF_HUB_OFFLINE": "1"])
        #expect(try offline.resolve("org/tiny") == folder)
    }

    @Test("a local folder wins over the hub; path-like text that is no folder is an error")
    func localFolders() throws {
        let client = HubClient(cacheDirectory: URL(fileURLWithPath: "/nonexistent"), endpoint: "http://127.0.0.1:9",
                               offline: true)
        #expect(try client.resolve(HubFixtures.model.path) == HubFixtures.model.standardizedFileURL)
        let relative = FileManager.default.currentDirectoryPath
        #expect(try client.resolve(".").path == URL(fileURLWithPath: relative).standardizedFileURL.path)
        expectHubError("localFolderNotFound") { $0 == .localFolderNotFound(path: "./no-such-folder") } _: {
            _ = try client.resolve("./no-such-folder")
        }
        let file = HubFixtures.model.appendingPathComponent("config.json").path
        expectHubError("localFolderNotFound for a file") { $0 == .localFolderNotFound(path: file) } _: {
            _ = try client.resolve(file)
        }
        expectHubError("invalidModelSpec") {
            if case .invalidModelSpec = $0 { return true }
            return false
        } _: { _ = try client.resolve("not a model") }
    }

    @Test("a shard index naming a file outside the folder is refused")
    func hostileIndex() throws {
        let cache = try HubFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let hub = try FakeHub()
        hub.add("org/evil", files: [
            "config.json": Array("{}".utf8),
            "model.safetensors.index.json": Array(#"{"weight_map": {"a": "../../../../etc/passwd"}}"#.utf8),
        ], lfs: [])
        expectHubError("invalidIndex") {
            if case let .invalidIndex(_, reason) = $0 { return reason.contains("plain file name") }
            return false
        } _: { _ = try HubClient(cacheDirectory: cache, endpoint: hub.endpoint, retryDelay: 0).resolve("org/evil") }
    }
}
