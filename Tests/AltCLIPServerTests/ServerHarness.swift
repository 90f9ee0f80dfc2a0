import AltCLIP
@testable import AltCLIPServer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import Testing

/// Runs a real server on a loopback port for one test, and a small HTTP client for it.
enum Harness {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests", url.path != "/" { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent()
    }()

    static let demoFolder = repository.appendingPathComponent("Models/altclip-demo")

    /// One pipeline for every test: the reference the server's answers are compared with (the CLI
    /// computes its embeddings through the same pipeline; a CLI test checks that end to end).
    static let pipeline: AltCLIPPipeline = try! AltCLIPPipeline(directory: demoFolder)

    static func sample(_ name: String) throws -> Data {
        try Data(contentsOf: repository.appendingPathComponent("Samples/\(name).png"))
    }

    static func dataURI(_ name: String) throws -> String {
        "data:image/png;base64," + (try sample(name)).base64EncodedString()
    }

    struct Server {
        let base: URL
        let server: AltCLIPServer
        var core: ServerCore { server.core }
    }

    /// Starts a server with `options` (port 0), waits until it listens (and, unless `waitForReady` is
    /// false, until the model is ready), runs `body`, then stops it.
    static func withServer<T>(
        _ options: ServerOptions = ServerOptions(), waitForReady: Bool = true,
        load: (@Sendable () throws -> InferenceModel)? = nil,
        _ body: (Server) async throws -> T
    ) async throws -> T {
        var options = options
        options.port = 0
        options.modelName = "altclip-demo"
        let loader = load ?? { InferenceModel(pipeline: pipeline) }
        let server = AltCLIPServer(options: options, load: loader)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "altclip.serve.test")
        logger.logLevel = .critical  // cancelling the server at the end of a test logs an error otherwise
        let app = server.makeApplication(logger: logger, onServerRunning: { port in continuation.yield(port) })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HarnessError.noPort }
            let handle = Server(base: URL(string: "http://127.0.0.1:\(port)")!, server: server)
            if waitForReady {
                let deadline = ContinuousClock.now + .seconds(60)
                while !server.isReady {
                    guard ContinuousClock.now < deadline else { throw HarnessError.notReady }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            do {
                let result = try await body(handle)
                group.cancelAll()
                server.core.shutdown()
                return result
            } catch {
                group.cancelAll()
                server.core.shutdown()
                throw error
            }
        }
    }

    enum HarnessError: Error { case noPort, notReady, notJSON(String) }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data

        var json: Any { (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) ?? NSNull() }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func request(_ server: Server, _ method: String, _ path: String, body: Data? = nil,
                        headers: [String: String] = [:]) async throws -> Reply {
        // The path may carry a query string (kept as given, not escaped into the path).
        var base = server.base.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var request = URLRequest(url: URL(string: base + path) ?? server.base.appendingPathComponent(path))
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        if body != nil && headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    static func post(_ server: Server, _ path: String, _ json: Any, headers: [String: String] = [:]) async throws -> Reply {
        try await request(server, "POST", path, body: try JSONSerialization.data(withJSONObject: json), headers: headers)
    }

    /// Largest absolute difference of two matrices (infinity when shapes differ).
    static func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        guard a.count == b.count else { return .infinity }
        var worst: Float = 0
        for (x, y) in zip(a, b) {
            guard x.count == y.count else { return .infinity }
            for (p, q) in zip(x, y) { worst = max(worst, abs(p - q)) }
        }
        return worst
    }

    static func matrix(_ value: Any) -> [[Float]] {
        (value as? [[Any]] ?? []).map { $0.map { ($0 as? NSNumber)?.floatValue ?? .nan } }
    }
}
