import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
#if canImport(Glibc)
import Glibc
#endif

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

    /// A blocking TCP connection to 127.0.0.1, for requests sent in pieces.
    final class LoopbackSocket {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard status == 0 else { throw CLIError("cannot connect to port \(port)") }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        func send(_ data: Data) throws {
            let sent = data.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard sent == data.count else { throw CLIError("short send") }
        }

        /// Everything the server sends until it closes the connection.
        func receiveAll() throws -> Data {
            var result = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                result.append(contentsOf: buffer[0..<n])
            }
            return result
        }
    }

    @Test func servedEmbeddingsEqualTheEmbedCommandAndSIGTERMFinishesInFlightRequests() async throws {
        let texts = ["a red circle", "绿色的正方形", "un triangle bleu"]
        let embedded = try CLI.run(["embed", "--model", "Models/altclip-demo"] + texts.flatMap { ["--text", $0] })
        #expect(embedded.status == 0)
        let expected = embedded.stdout.split(separator: "\n").map { line -> [Float] in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (object?["embedding"] as? [NSNumber] ?? []).map(\.floatValue)
        }
        let server = try Server([])
        defer { server.stop() }
        let url = URL(string: try await server.wait(for: "listening")["url"]!)!
        _ = try await server.wait(for: "ready")
        // A slow client: half the body, then SIGTERM, then the rest. The request is in flight when the
        // signal arrives; a graceful shutdown answers it before exiting.
        let body = Data(try JSONSerialization.data(withJSONObject: ["input": texts]))
        let socket = try LoopbackSocket(port: url.port!)
        try socket.send(Data("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
                        + body.prefix(10))
        try await Task.sleep(for: .milliseconds(300))
        server.process.terminate()
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.process.isRunning)  // still waiting for the in-flight request
        try socket.send(body.dropFirst(10))
        let reply = try socket.receiveAll()
        let text = String(decoding: reply, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        let json = text.range(of: "\r\n\r\n").map { Data(text[$0.upperBound...].utf8) } ?? Data()
        let rows = (((try? JSONSerialization.jsonObject(with: json)) as? [String: Any])?["data"] as? [[String: Any]] ?? [])
            .map { ($0["embedding"] as? [NSNumber] ?? []).map(\.floatValue) }
        #expect(rows.count == 3)
        for (row, want) in zip(rows, expected) {
            #expect(row.count == want.count && zip(row, want).allSatisfy { abs($0 - $1) <= 1e-6 })
        }
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
