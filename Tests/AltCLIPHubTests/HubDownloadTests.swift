import Foundation
import Testing
@testable import AltCLIPHub

/// Downloads from the loopback hub (`FakeHub`): cache layout, redirects, auth, resume, verification.
@Suite("Hub downloads over loopback", .timeLimit(.minutes(1)))
struct HubDownloadTests {
    let hub: FakeHub
    let cache: URL

    init() throws {
        hub = try FakeHub()
        cache = try HubFixtures.temporaryDirectory()
    }

    func client(token: String? = nil, maxAttempts: Int = 5, timeout: TimeInterval = 10) -> HubClient {
        HubClient(cacheDirectory: cache, endpoint: hub.endpoint + "/", token: token, timeout: timeout,
                  maxAttempts: maxAttempts, retryDelay: 0)
    }

    func repoFolder(_ name: String = "models--org--tiny") -> String { cache.appendingPathComponent(name).path }

    @Test("a model is downloaded into huggingface_hub's exact cache layout")
    func cacheLayout() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model, extra: HubFixtures.tokenizerFiles)
        let log = ProgressLog()
        let folder = try client(token: "hf_secret").resolve("org/tiny", progress: log.record)

        let repo = repoFolder()
        let commit = FakeHub.commitA
        #expect(folder.path == "\(repo)/snapshots/\(commit)")
        #expect(FileSystem.readText("\(repo)/refs/main") == commit)  // no newline, as huggingface_hub writes it

        let config = try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("config.json"))
        let weights = try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors"))
        let expected: [(String, [UInt8], String)] = [
            ("config.json", config, FakeHub.gitETag(config)),
            ("model.safetensors", weights, SHA256.hexDigest(weights)),
            ("tokenizer_config.json", HubFixtures.tokenizerFiles["tokenizer_config.json"]!,
             FakeHub.gitETag(HubFixtures.tokenizerFiles["tokenizer_config.json"]!)),
            ("sentencepiece.bpe.model", HubFixtures.tokenizerFiles["sentencepiece.bpe.model"]!,
             SHA256.hexDigest(HubFixtures.tokenizerFiles["sentencepiece.bpe.model"]!)),
        ]
        for (name, content, etag) in expected {
            let pointer = folder.appendingPathComponent(name).path
            #expect(FileSystem.linkTarget(pointer) == "../../blobs/\(etag)", "\(name)")
            #expect(try HubFixtures.bytes(URL(fileURLWithPath: "\(repo)/blobs/\(etag)")) == content, "\(name)")
            #expect(try HubFixtures.bytes(URL(fileURLWithPath: pointer)) == content, "\(name)")
            #expect(FileManager.default.fileExists(atPath: "\(cache.path)/.locks/models--org--tiny/\(etag).lock"))
        }
        let blobs = try FileManager.default.contentsOfDirectory(atPath: "\(repo)/blobs")
        #expect(Set(blobs) == Set(expected.map(\.2)), "only finished blobs, no .incomplete left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 4)
        // Files the hub does not have are remembered, so the next run does not ask again.
        for name in ["tokenizer.json", "special_tokens_map.json", "preprocessor_config.json", "processor_config.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(repo)/.no_exist/\(commit)/\(name)"), "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(repo)/.no_exist/\(commit)/pytorch_model.bin"))
        #expect(FileSystem.readText("\(cache.path)/CACHEDIR.TAG")?.hasPrefix("Signature: 8a477f597d28d172789f06886806bc55") == true)

        // The token goes to the hub, never to the CDN; the CDN got one GET per LFS file, no Range.
        #expect(hub.hubRequests.allSatisfy { $0.headers["authorization"] == "Bearer hf_secret" })
        #expect(hub.cdnRequests.count == 2)
        #expect(hub.cdnRequests.allSatisfy { $0.headers["authorization"] == nil && $0.headers["range"] == nil })
        #expect(hub.hubRequests.allSatisfy { $0.headers["accept-encoding"] == "identity" })
        #expect(hub.hubRequests.first?.target == "/org/tiny/resolve/main/config.json")
        #expect(hub.hubRequests.dropFirst().allSatisfy { $0.target.hasPrefix("/org/tiny/resolve/\(commit)/") },
                "after the first answer every file is asked for at the commit: \(hub.hubRequests.map { "\($0.method) \($0.target)" })")

        // Progress: each downloaded file starts at 0 and finishes at its size, numbered 1...4.
        let reports = log.reports
        #expect(Set(reports.map(\.file)) == Set(expected.map(\.0)))
        for (name, content, _) in expected {
            let mine = reports.filter { $0.file == name }
            #expect(mine.first?.phase == .started && mine.first?.completedBytes == 0, "\(name)")
            #expect(mine.last?.phase == .finished && mine.last?.completedBytes == Int64(content.count), "\(name)")
            #expect(mine.allSatisfy { $0.totalBytes == Int64(content.count) && $0.fileCount == 4 }, "\(name)")
        }
        #expect(Set(reports.map(\.fileNumber)) == [1, 2, 3, 4])
    }

    @Test("a second resolve only asks which commit main is; a commit hash needs no network at all")
    func secondRunUsesCache() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model, extra: HubFixtures.tokenizerFiles)
        let first = try client().resolve("org/tiny")
        let hubCount = hub.hubRequests.count
        let cdnCount = hub.cdnRequests.count

        #expect(try client().resolve("org/tiny") == first)
        #expect(hub.hubRequests.count == hubCount + 1)
        #expect(hub.hubRequests.last.map { $0.method == "HEAD" && $0.target.hasSuffix("/resolve/main/config.json") } == true)
        #expect(hub.cdnRequests.count == cdnCount)

        #expect(try client().resolve("org/tiny@\(FakeHub.commitA)") == first)
        #expect(hub.hubRequests.count == hubCount + 1)
    }

    @Test("a moved branch is followed: the new commit gets its own snapshot, unchanged blobs are reused")
    func branchMoves() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        let first = try client().resolve("org/tiny")
        try hub.add("org/tiny", folder: HubFixtures.model, extra: ["preprocessor_config.json": Array("{}".utf8)],
                    commit: FakeHub.commitB)
        let second = try client().resolve("org/tiny")
        #expect(second.lastPathComponent == FakeHub.commitB && first.lastPathComponent == FakeHub.commitA)
        #expect(FileSystem.readText("\(repoFolder())/refs/main") == FakeHub.commitB)
        #expect(hub.cdnRequests.count == 1, "model.safetensors has the same sha256: its blob is linked, not fetched")
        #expect(FileManager.default.fileExists(atPath: second.appendingPathComponent("preprocessor_config.json").path))
    }

    @Test("a transfer cut midway is resumed with Range in the same call, and the result verified")
    func resumeAfterCut() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        let weights = try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors"))
        hub.cut(weights, times: 2)
        let log = ProgressLog()
        let folder = try client().resolve("org/tiny", progress: log.record)

        #expect(try HubFixtures.bytes(folder.appendingPathComponent("model.safetensors")) == weights)
        let gets = hub.cdnRequests
        #expect(gets.count == 3)
        let half = weights.count / 2
        let quarter = half + (weights.count - half) / 2
        #expect(gets.map { $0.headers["range"] } == [nil, "bytes=\(half)-", "bytes=\(quarter)-"])
        let retries = log.reports.filter { if case .retrying = $0.phase { return true } else { return false } }
        #expect(retries.map(\.completedBytes) == [Int64(half), Int64(quarter)])
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(repoFolder())/blobs").allSatisfy { !$0.hasSuffix(".incomplete") })
    }

    @Test("a download cut with no retries left keeps its partial file; the next run resumes it")
    func resumeAcrossRuns() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        let weights = try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors"))
        let sha = SHA256.hexDigest(weights)
        hub.cut(weights, times: 1)
        expectHubError("network error") {
            if case .network = $0 { return true }
            return false
        } _: { _ = try client(maxAttempts: 1).resolve("org/tiny") }

        let partial = "\(repoFolder())/blobs/\(sha).incomplete"
        #expect(FileSystem.size(partial) == Int64(weights.count / 2))
        #expect(!FileManager.default.fileExists(atPath: "\(repoFolder())/blobs/\(sha)"), "nothing under the final name")
        #expect(FileSystem.linkTarget("\(repoFolder())/snapshots/\(FakeHub.commitA)/model.safetensors") == nil)

        let folder = try client(maxAttempts: 1).resolve("org/tiny")
        #expect(hub.cdnRequests.last?.headers["range"] == "bytes=\(weights.count / 2)-")
        #expect(try HubFixtures.bytes(folder.appendingPathComponent("model.safetensors")) == weights)
        #expect(!FileManager.default.fileExists(atPath: partial))
    }

    @Test("a server that ignores Range makes the download start over, still verified")
    func rangeIgnored() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        let weights = try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors"))
        hub.cut(weights, times: 1)
        hub.ignoreRangeRequests()
        let folder = try client().resolve("org/tiny")
        #expect(hub.cdnRequests.count == 2 && hub.cdnRequests[1].headers["range"] == "bytes=\(weights.count / 2)-")
        #expect(try HubFixtures.bytes(folder.appendingPathComponent("model.safetensors")) == weights)
    }

    @Test("content that does not hash to the ETag is refused and removed")
    func corruptedDownload() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        let weights = try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors"))
        let sha = SHA256.hexDigest(weights)
        hub.corrupt(weights)
        expectHubError("checksumMismatch") {
            if case let .checksumMismatch(file, algorithm, expected, actual) = $0 {
                return file == "model.safetensors" && algorithm == "SHA-256" && expected == sha && actual != sha
            }
            return false
        } _: { _ = try client().resolve("org/tiny") }
        let blobs = try FileManager.default.contentsOfDirectory(atPath: "\(repoFolder())/blobs")
        #expect(!blobs.contains(sha) && !blobs.contains("\(sha).incomplete"))
        #expect(!FileManager.default.fileExists(atPath: "\(repoFolder())/snapshots/\(FakeHub.commitA)/model.safetensors"))
    }

    @Test("a host that trickles 100 bytes per connection fails after the allowed attempts, not forever")
    func tricklingHost() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        hub.trickle(try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors")), bytes: 100)
        expectHubError("downloadStalled") {
            if case let .downloadStalled(file, _, reason) = $0 {
                return file == "model.safetensors" && reason.hasPrefix("3 attempts in a row brought less than 1048576 bytes each (300 bytes so far")
            }
            return false
        } _: { _ = try client(maxAttempts: 3).resolve("org/tiny") }
        #expect(hub.cdnRequests.count == 3)
    }

    @Test("a download that makes progress but too slowly stops at its deadline")
    func downloadDeadline() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        hub.trickle(try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors")), bytes: 100)
        let start = Date()
        let slow = HubClient(cacheDirectory: cache, endpoint: hub.endpoint, timeout: 10, maxAttempts: 1000, retryDelay: 0.05,
                             downloadDeadline: 1, minProgressBytes: 1)
        expectHubError("downloadStalled (deadline)") {
            if case let .downloadStalled(_, _, reason) = $0 { return reason.hasPrefix("not finished within 1 s") }
            return false
        } _: { _ = try slow.resolve("org/tiny") }
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(HubClient.downloadDeadline(environment: ["ALTCLIP_DOWNLOAD_DEADLINE": "30"]) == 30)
        #expect(HubClient.downloadDeadline(environment: ["ALTCLIP_DOWNLOAD_DEADLINE": "0"]) == nil)
        #expect(HubClient.downloadDeadline(environment: [:]) == TimeInterval(6 * 3600))
    }

    @Test("a stalled transfer times out and is retried as many times as allowed")
    func stalledTransfer() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        hub.stall(try HubFixtures.bytes(HubFixtures.model.appendingPathComponent("model.safetensors")))
        let start = Date()
        expectHubError("network timeout") {
            if case let .network(_, reason) = $0 { return reason.contains("timed out") }
            return false
        } _: { _ = try client(maxAttempts: 2, timeout: 1).resolve("org/tiny") }
        #expect(hub.cdnRequests.count == 2)
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test("sharded safetensors: the index, then every shard; the missing single file is remembered")
    func shardedWeights() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/sharded", folder: HubFixtures.shardedModel)
        let folder = try client().resolve("org/sharded")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                          "model-00003-of-00003.safetensors", "model.safetensors.index.json"])
        for name in names {
            #expect(try HubFixtures.bytes(folder.appendingPathComponent(name))
                == HubFixtures.bytes(HubFixtures.shardedModel.appendingPathComponent(name)), "\(name)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(repoFolder("models--org--sharded"))/.no_exist/\(FakeHub.commitA)/model.safetensors"))
    }

    @Test("a repository with only pytorch_model.bin (BAAI/AltCLIP's main) gets it")
    func binWeights() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("BAAI/AltCLIP", folder: HubFixtures.binModel, extra: HubFixtures.tokenizerFiles)
        let folder = try client().resolve("BAAI/AltCLIP")
        #expect(try HubFixtures.bytes(folder.appendingPathComponent("pytorch_model.bin"))
            == HubFixtures.bytes(HubFixtures.binModel.appendingPathComponent("pytorch_model.bin")))
        let noExist = "\(repoFolder("models--BAAI--AltCLIP"))/.no_exist/\(FakeHub.commitA)"
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: noExist)) == [
            "model.safetensors", "model.safetensors.index.json", "tokenizer.json", "special_tokens_map.json",
            "preprocessor_config.json", "processor_config.json",
        ])
    }

    @Test("processor_config.json is fetched when the repository has it")
    func processorConfigFetched() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        let processor = Array(#"{"image_processor": {"crop_size": 224}, "processor_class": "AltCLIPProcessor"}"#.utf8)
        try hub.add("org/tiny", folder: HubFixtures.model, extra: ["processor_config.json": processor])
        // A marker left for another commit does not count at this one.
        let otherCommit = "\(repoFolder())/.no_exist/\(FakeHub.commitB)"
        try FileManager.default.createDirectory(atPath: otherCommit, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(otherCommit)/processor_config.json", contents: Data()))
        let folder = try client().resolve("org/tiny")
        #expect(try HubFixtures.bytes(folder.appendingPathComponent("processor_config.json")) == processor)
        #expect(!FileManager.default.fileExists(atPath: "\(repoFolder())/.no_exist/\(FakeHub.commitA)/processor_config.json"))
        #expect(hub.hubRequests.contains { $0.target == "/org/tiny/resolve/\(FakeHub.commitA)/processor_config.json" })
    }

    @Test("an optional file with a .no_exist marker for the commit is not asked for")
    func noExistMarkerHonoured() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        // The hub has the file, but the cache says it does not exist at this commit: no request.
        let processor = Array(#"{"processor_class": "AltCLIPProcessor"}"#.utf8)
        try hub.add("org/tiny", folder: HubFixtures.model, extra: ["processor_config.json": processor])
        let markers = "\(repoFolder())/.no_exist/\(FakeHub.commitA)"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(markers)/processor_config.json", contents: Data()))
        let folder = try client().resolve("org/tiny")
        #expect(!hub.hubRequests.contains { $0.target.hasSuffix("/processor_config.json") },
                "\(hub.hubRequests.map(\.target))")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("processor_config.json").path))
    }

    @Test("a 404 for an optional file leaves a .no_exist marker, and the next run does not ask again")
    func missingOptionalFileMarked() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        _ = try client().resolve("org/tiny")
        let marker = "\(repoFolder())/.no_exist/\(FakeHub.commitA)/processor_config.json"
        #expect(FileManager.default.fileExists(atPath: marker))
        #expect((try? FileManager.default.attributesOfItem(atPath: marker)[.size] as? Int) == 0, "an empty file")
        let asked = hub.hubRequests.filter { $0.target.hasSuffix("/processor_config.json") }.count
        #expect(asked == 1)
        _ = try client().resolve("org/tiny")
        #expect(hub.hubRequests.filter { $0.target.hasSuffix("/processor_config.json") }.count == asked)
    }

    @Test("a pull-request revision is encoded in the URL and stored under refs/ like huggingface_hub does")
    func pullRequestRevision() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("BAAI/AltCLIP", folder: HubFixtures.model, commit: FakeHub.commitB, aliases: ["refs/pr/7"])
        let folder = try client().resolve("BAAI/AltCLIP@refs/pr/7")
        #expect(folder.lastPathComponent == FakeHub.commitB)
        #expect(hub.hubRequests.first?.target == "/BAAI/AltCLIP/resolve/refs%2Fpr%2F7/config.json")
        #expect(FileSystem.readText("\(repoFolder("models--BAAI--AltCLIP"))/refs/refs/pr/7") == FakeHub.commitB)
    }

    @Test("a renamed repository's same-host redirect is followed for metadata")
    func renamedRepository() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        hub.rename("org/old-name", to: "org/tiny")
        let folder = try client(token: "hf_x").resolve("org/old-name")
        #expect(folder.path == "\(repoFolder("models--org--old-name"))/snapshots/\(FakeHub.commitA)")
        #expect(hub.hubRequests.contains { $0.target == "/org/tiny/resolve/main/config.json" && $0.headers["authorization"] == "Bearer hf_x" })
    }

    @Test("a private repository: without a token, with a wrong one, with the right one")
    func privateRepository() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/private", folder: HubFixtures.model)
        hub.requireToken("hf_right")
        expectHubError("repositoryNotFound without token") {
            if case let .repositoryNotFound(repoId, _, status, sentToken) = $0 {
                return repoId == "org/private" && status == 401 && !sentToken && $0.description.contains("set HF_TOKEN")
            }
            return false
        } _: { _ = try client().resolve("org/private") }
        expectHubError("repositoryNotFound with a wrong token") {
            if case let .repositoryNotFound(_, _, _, sentToken) = $0 { return sentToken }
            return false
        } _: { _ = try client(token: "hf_wrong").resolve("org/private") }
        #expect(try client(token: "hf_right").resolve("org/private").lastPathComponent == FakeHub.commitA)
        #expect(hub.cdnRequests.allSatisfy { $0.headers["authorization"] == nil })
    }

    @Test("missing repository, revision, config and weights give their own errors")
    func missingThings() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        try hub.add("org/tiny", folder: HubFixtures.model)
        hub.add("org/no-weights", files: ["config.json": Array("{}".utf8)], lfs: [])
        hub.add("org/no-config", files: ["model.safetensors": [1, 2, 3]], lfs: ["model.safetensors"])
        expectHubError("repositoryNotFound") {
            if case let .repositoryNotFound(repoId, _, _, _) = $0 { return repoId == "org/nothing" }
            return false
        } _: { _ = try client().resolve("org/nothing") }
        expectHubError("revisionNotFound") { $0 == .revisionNotFound(repoId: "org/tiny", revision: "v9") } _: {
            _ = try client().resolve("org/tiny@v9")
        }
        expectHubError("noWeights") {
            $0 == .noWeights(repoId: "org/no-weights", revision: "main", looked: ModelFileSelection.altclip.weights)
        } _: { _ = try client().resolve("org/no-weights") }
        expectHubError("fileNotFound") { $0 == .fileNotFound(repoId: "org/no-config", revision: "main", file: "config.json") } _: {
            _ = try client().resolve("org/no-config")
        }
    }

    @Test("an endpoint that is not a hub (no X-Repo-Commit) is named as such")
    func notAHub() throws {
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try LoopbackHTTPServer { _ in .init(status: 200, headers: [("ETag", "\"x\"")], body: [1]) }
        defer { server.stop() }
        let client = HubClient(cacheDirectory: cache, endpoint: server.baseURL, timeout: 5, retryDelay: 0)
        expectHubError("missingHeader") { $0 == .missingHeader(url: "\(server.baseURL)/org/x/resolve/main/config.json", header: "X-Repo-Commit") } _: {
            _ = try client.resolve("org/x")
        }
        let bad = HubClient(cacheDirectory: cache, endpoint: "ftp://example", retryDelay: 0)
        expectHubError("invalidEndpoint") { $0 == .invalidEndpoint("ftp://example") } _: { _ = try bad.resolve("org/x") }
    }
}
