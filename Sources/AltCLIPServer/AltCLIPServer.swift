import AltCLIP
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `altclip serve`: one model behind OpenAI-, TEI- and CLIP-shaped HTTP routes, with dynamic batching.
///
/// ```swift
/// let server = AltCLIPServer(options: options) { InferenceModel(pipeline: try AltCLIPPipeline(directory: url)) }
/// try await server.run()   // until SIGINT/SIGTERM; in-flight requests finish first
/// ```
public final class AltCLIPServer: Sendable {
    public static let version = "0.3.0"
    let core: ServerCore
    private let loader: @Sendable () throws -> InferenceModel
    private let onReady: @Sendable () -> Void

    /// `load` is called once, on a background thread, after the server starts listening; until it and
    /// a warm-up pass finish, `/health` and the model routes answer 503, then `onReady` is called. If
    /// `load` throws, the server stops and `run()` throws that error.
    public init(options: ServerOptions, load: @escaping @Sendable () throws -> InferenceModel,
                onReady: @escaping @Sendable () -> Void = {}) {
        core = ServerCore(options: options)
        loader = load
        self.onReady = onReady
    }

    /// The Hummingbird application (for tests and embedding in a larger service group).
    public func makeApplication(logger: Logger? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let options = core.options
        let core = self.core, loader = self.loader, onReady = self.onReady
        var log = logger ?? Logger(label: "altclip.serve")
        if logger == nil { log.logLevel = .warning }
        return Application(
            router: Routes(core: core).makeRouter(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "altclip-swift"),
            services: [ModelLoadingService(core: core, load: loader, onReady: onReady)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: log)
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting connections, finishes in-flight requests,
    /// drains the batcher and returns.
    public func run(logger: Logger? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = makeApplication(logger: logger, onServerRunning: onServerRunning)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        core.shutdown()
    }

    /// Whether the model is loaded and warmed up.
    public var isReady: Bool {
        if case .ready = core.current { return true }
        return false
    }
}

/// Loads the model off the event loops once the service group starts, then waits for shutdown and
/// drains the batcher.
struct ModelLoadingService: Service {
    let core: ServerCore
    let load: @Sendable () throws -> InferenceModel
    let onReady: @Sendable () -> Void

    func run() async throws {
        let core = self.core, load = self.load
        // Loading and warming up take seconds of CPU: a thread of their own, not the concurrency pool.
        let failure: Error? = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: core.load(load)) }
        }
        if let failure { throw failure }
        onReady()
        try? await gracefulShutdown()
        core.shutdown()
    }
}
