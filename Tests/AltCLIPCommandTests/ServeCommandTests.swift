import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `altclip serve` as a user runs it: a real process on a loopback port.
@Suite("altclip serve (process)", .serialized)
struct ServeCommandTests {
    /// A running `altclip serve` whose stdout JSON events are collected.
    final class Server: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var lines: [String] = []
        private let output = Pipe(), errors = Pipe()

        init(_ arguments: [String]) throws {
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--model", "Models/altclip-demo", "--port", "0", "--json"] + arguments
            process.currentDirectoryURL = CLI.repository
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let handle = output.fileHandleForReading
            Thread.detachNewThread { [self] in
                var buffer = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffer += chunk
                    while let newline = buffer.firstIndex(of: 10) {
                        let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                        buffer.removeSubrange(buffer.startIndex...newline)
                        lock.withLock { lines.append(line) }
                    }
                }
            }
        }

        var events: [[String: String]] {
            lock.withLock { lines }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
        }

        /// Waits for an event named `name`.
        func wait(for name: String, seconds: Double = 60) async throws -> [String: String] {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let event = events.first(where: { $0["event"] == name }) { return event }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw CLIError("no \(name) event; stderr: \(String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self))")
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    struct CLIError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func post(_ url: URL, _ json: Any) async throws -> (Int, Any) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        request.timeoutInterval = 60
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
    }

    @Test func servedEmbeddingsEqualTheEmbedCommandAndSIGTERMFinishesInFlightRequests() async throws {
        let texts = ["a red circle", "绿色的正方形", "un triangle bleu"]
        let embedded = try CLI.run(["embed", "--model", "Models/altclip-demo"] + texts.flatMap { ["--text", $0] })
        #expect(embedded.status == 0)
        let expected = embedded.stdout.split(separator: "\n").map { line -> [Float] in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (object?["embedding"] as? [NSNumber] ?? []).map(\.floatValue)
        }
        // A long queue delay keeps the request in flight while the signal arrives.
        let server = try Server(["--max-queue-delay-ms", "1500"])
        defer { server.stop() }
        let url = URL(string: try await server.wait(for: "listening")["url"]!)!
        _ = try await server.wait(for: "ready")
        let started = Date()
        async let reply = Self.post(url.appendingPathComponent("v1/embeddings"), ["input": texts])
        try await Task.sleep(for: .milliseconds(400))
        server.process.terminate()  // SIGTERM while the request waits in the batcher
        let (status, body) = try await reply
        #expect(status == 200)
        let rows = ((body as? [String: Any])?["data"] as? [[String: Any]] ?? []).map { ($0["embedding"] as? [NSNumber] ?? []).map(\.floatValue) }
        #expect(rows.count == 3)
        for (row, want) in zip(rows, expected) {
            #expect(row.count == want.count && zip(row, want).allSatisfy { abs($0 - $1) <= 1e-6 })
        }
        #expect(Date().timeIntervalSince(started) >= 1.0)  // it really waited in the queue
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(server.events.last?["event"] == "stopped")
    }

    @Test func aMissingModelOrBadOptionsFailBeforeListening() throws {
        let missing = try CLI.run(["serve", "--model", "no/such-model-here", "--port", "0"], environment: ["HF_HUB_OFFLINE": "1"])
        #expect(missing.status == 1)
        #expect(!missing.stderr.contains("listening"))
        let port = try CLI.run(["serve", "--model", "Models/altclip-demo", "--port", "70000"])
        #expect(port.status == 64 && port.stderr.contains("--port must be between 0 and 65535"))
        let batch = try CLI.run(["serve", "--model", "Models/altclip-demo", "--max-batch-images", "0"])
        #expect(batch.status == 64 && batch.stderr.contains("--max-batch-images must be at least 1"))
        let keys = try CLI.run(["serve", "--model", "Models/altclip-demo", "--api-key-file", "/nonexistent/keys"])
        #expect(keys.status == 1 && keys.stderr.contains("cannot read the API key file /nonexistent/keys"))
    }
}
