import Foundation
import Testing
@testable import AltCLIPHub

/// Fixture folders (found from this file's location) and scratch folders for the hub tests.
enum HubFixtures {
    static let fixtures: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests", url.path != "/" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures")
    }()

    /// A tiny AltCLIP model folder: config.json + model.safetensors (written by transformers).
    static let model = fixtures.appendingPathComponent("models/quickgelu-gelunew-standalone")
    /// config.json + pytorch_model.bin only.
    static let binModel = fixtures.appendingPathComponent("weights/tiny-bin")
    /// config.json + model.safetensors.index.json + 3 shards.
    static let shardedModel = fixtures.appendingPathComponent("weights/tiny-sharded-safetensors")

    /// Small stand-ins for the tokenizer files (content is irrelevant here, only bytes and hashes).
    static let tokenizerFiles: [String: [UInt8]] = [
        "tokenizer_config.json": Array(#"{"model_max_length": 512, "tokenizer_class": "XLMRobertaTokenizer"}"#.utf8),
        "sentencepiece.bpe.model": (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) },
    ]

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// A fresh empty folder, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-hub-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A port on 127.0.0.1 where nothing listens.
    static func closedPort() throws -> UInt16 {
        let server = try LoopbackHTTPServer { _ in .init(status: 500) }
        let port = server.port
        server.stop()
        return port
    }
}

/// Collects progress reports (they arrive on a background thread).
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [HubDownloadProgress] = []

    func record(_ report: HubDownloadProgress) {
        lock.lock()
        items.append(report)
        lock.unlock()
    }

    var reports: [HubDownloadProgress] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

/// Expects `body` to throw a `HubError` for which `matches` is true.
func expectHubError(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                    matching matches: (HubError) -> Bool, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(what), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as HubError {
        #expect(matches(error), "expected \(what), got \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(what), got \(error)", sourceLocation: sourceLocation)
    }
}
