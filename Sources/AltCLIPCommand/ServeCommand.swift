import AltCLIP
import AltCLIPServer
import AltCLIPStore
import ArgumentParser
import Foundation

/// `altclip serve`: the model behind an HTTP API (OpenAI, TEI and CLIP routes) with dynamic batching.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve embeddings, zero-shot classification and similarity over HTTP.",
        discussion: """
        Routes: POST /v1/embeddings (OpenAI; texts, and images as {"image": "<data URI>"}), POST /embed, \
        /tokenize, /decode, GET /info, /health, /metrics (text-embeddings-inference), POST /v1/classify, \
        /v1/similarity, GET /openapi.json; with --db (a store made by `altclip index`) also GET/POST /v1/search, \
        GET /v1/images/{id}/thumbnail and a search page at /. Concurrent requests are batched: texts up to --max-batch-tokens \
        padded tokens, images up to --max-batch-images, waiting at most --max-queue-delay-ms. SIGINT or \
        SIGTERM stops accepting connections, lets in-flight requests finish, then exits.

        Examples:
          altclip serve --model BAAI/AltCLIP --port 8080
          altclip serve --model Models/altclip-demo --dtype bf16 --api-key-file keys.txt
          altclip serve --model BAAI/AltCLIP --db photos.sqlite     # then open http://127.0.0.1:8080/
          curl -s localhost:8080/v1/embeddings -H 'Content-Type: application/json' \\
            -d '{"input": ["a red circle", "红色的圆形"]}'
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Address to bind (loopback by default; 0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(help: "TCP port (0: any free port).") var port = 8080
    @Option(help: ArgumentHelp("File of API keys, one per line: requests need Authorization: Bearer <key>.", valueName: "file"))
    var apiKeyFile: String?
    @Option(help: "Images per forward pass.") var maxBatchImages = 8
    @Option(help: "Padded tokens per text forward pass.") var maxBatchTokens = 4096
    @Option(help: "How long a queued input waits for its batch to fill, in milliseconds.") var maxQueueDelayMs = 5
    @Option(help: "Requests handled at once; more get 429.") var maxConcurrentRequests = 512
    @Option(help: "Largest request body in bytes; larger gets 413.") var payloadLimit = 32 << 20
    @Option(help: "Texts or images per request.") var maxInputsPerRequest = 256
    @Option(help: "Name of the model in responses (default: the --model value).") var servedModelName: String?
    @Option(help: ArgumentHelp("A search store made by `altclip index` (SQLite file or postgresql:// URL): enables search and the page at /.",
                               valueName: "file|url"))
    var db: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        for (name, value) in [("--max-batch-images", maxBatchImages), ("--max-batch-tokens", maxBatchTokens),
                              ("--max-concurrent-requests", maxConcurrentRequests), ("--payload-limit", payloadLimit),
                              ("--max-inputs-per-request", maxInputsPerRequest)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard (0...60_000).contains(maxQueueDelayMs) else { throw ValidationError("--max-queue-delay-ms must be between 0 and 60000") }
    }

    func run() async throws {
        modelOptions.applyThreads()
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.maxBatchImages = maxBatchImages
        options.maxBatchTokens = maxBatchTokens
        options.maxQueueDelay = .milliseconds(maxQueueDelayMs)
        options.maxConcurrentRequests = maxConcurrentRequests
        options.payloadLimit = payloadLimit
        options.maxInputsPerRequest = maxInputsPerRequest
        options.modelName = try servedModelName ?? modelOptions.model
        if let apiKeyFile { options.apiKeys = try ServerOptions.apiKeys(fromFile: apiKeyFile) }
        // Resolve (and download) before listening: a missing model fails now, not behind a 503.
        let folder = try modelOptions.resolveModel()
        if let db {
            // The store must hold this model's vectors at this precision.
            let store: any EmbeddingStore
            if db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") {
                store = try await PostgresStore(url: db)
            } else {
                guard FileManager.default.fileExists(atPath: db) else {
                    throw CLIError.unreadableFile(db, "no such store: make it with `altclip index PATH... --db \(db)`")
                }
                store = try SQLiteStore(path: db)
            }
            guard let stored = try await store.identity() else { throw StoreError.empty(store: db) }
            let identity = try StoreLocation.identity(folder: folder, dtype: precisionOptions.dtype)
            guard identity == stored else { throw StoreError.modelMismatch(store: db, stored: stored, requested: identity) }
            options.store = store
        }
        let precision = precisionOptions.precision, dtype = precisionOptions.dtype, name = options.modelName
        let json = output.json
        let server = AltCLIPServer(options: options, load: {
            InferenceModel(pipeline: try AltCLIPPipeline(directory: folder, precision: precision), dtype: dtype)
        }, onReady: {
            json ? Self.event(["event": "ready", "model": name]) : Output.warn("model \(name) loaded and warmed up: ready")
        })
        let host = self.host
        try await server.run(onServerRunning: { port in
            json ? Self.event(["event": "listening", "url": "http://\(host):\(port)"])
                : Output.warn("listening on http://\(host):\(port) (loading the model; /health answers 503 until it is ready)")
        })
        json ? Self.event(["event": "stopped"]) : Output.warn("stopped")
    }

    /// One JSON line on stdout (machine-readable lifecycle events).
    static func event(_ fields: [String: String]) {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
