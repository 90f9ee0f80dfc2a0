import AltCLIPImage
import AltCLIPStore
import Foundation

/// The state every route shares: the model (once loaded), its batcher, limits, metrics, the label cache.
final class ServerCore: @unchecked Sendable {
    enum State {
        case loading
        case ready(InferenceModel, DynamicBatcher)
        case failed(String)
    }

    let options: ServerOptions
    let metrics = ServerMetrics()
    private let lock = NSLock()
    private var state = State.loading
    private var inFlight = 0
    /// Inference requests admitted whose inputs are not queued yet (see `DynamicBatcher.moreExpected`).
    private var arriving = 0
    private var labelCache: [String: [[Float]]] = [:]
    private var indexedByID: [String: ImageRecord] = [:]
    private var indexedLoaded = ContinuousClock.now - .seconds(3600)
    private var labelCacheOrder: [String] = []

    init(options: ServerOptions) {
        self.options = options
    }

    /// Makes the model ready: `make` loads it, a warm-up forward pass converts the weights, then the
    /// batcher starts and `/health` turns 200. A failure is reported by `/health` and every route (503)
    /// and returned.
    @discardableResult
    func load(_ make: () throws -> InferenceModel) -> Error? {
        do {
            let model = try make()
            try model.warmUp()
            let batcher = DynamicBatcher(
                model: model,
                limits: .init(maxBatchTokens: options.maxBatchTokens, maxBatchImages: options.maxBatchImages,
                              maxQueueDelay: options.maxQueueDelay, maxQueuedItems: options.maxQueuedItems),
                metrics: metrics, moreExpected: { [unowned self] in self.lock.withLock { self.arriving > 0 } })
            batcher.start()
            set(.ready(model, batcher))
            return nil
        } catch {
            set(.failed("the model could not be loaded"))
            return error
        }
    }

    /// Stops the batcher after the queued work is done (graceful shutdown).
    func shutdown() {
        if case let .ready(_, batcher) = current { batcher.stop() }
    }

    private func set(_ new: State) {
        lock.lock()
        state = new
        lock.unlock()
    }

    var current: State {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    /// The loaded model and its batcher, or 503.
    func ready() throws(APIError) -> (InferenceModel, DynamicBatcher) {
        switch current {
        case let .ready(model, batcher): return (model, batcher)
        case .loading: throw APIError(.unhealthy, "the model is loading")
        case let .failed(reason): throw APIError(.unhealthy, reason)
        }
    }

    // MARK: admission

    /// Counts a request in, or refuses it (429) beyond `maxConcurrentRequests`.
    func admit() throws(APIError) {
        lock.lock()
        defer { lock.unlock() }
        guard inFlight < options.maxConcurrentRequests else {
            throw APIError(.overloaded, "the server is handling \(inFlight) requests, its limit; retry shortly")
        }
        inFlight += 1
    }

    func release() {
        lock.lock()
        inFlight -= 1
        lock.unlock()
    }

    /// One inference request on its way to the batcher; `arrived()` on it when its inputs are queued
    /// (or it gave up), at most once.
    final class Arrival: @unchecked Sendable {
        private let core: ServerCore
        private var pending = true

        fileprivate init(core: ServerCore) { self.core = core }

        func arrived() {
            core.lock.lock()
            guard pending else { core.lock.unlock(); return }
            pending = false
            core.arriving -= 1
            core.lock.unlock()
            if case let .ready(_, batcher) = core.current { batcher.poke() }
        }
    }

    @TaskLocal static var arrival: Arrival?

    func expectArrival() -> Arrival {
        lock.withLock { arriving += 1 }
        return Arrival(core: self)
    }

    // MARK: embedding

    /// Checks a request's texts against the limits.
    func check(texts: [String], field: String) throws(APIError) {
        guard !texts.isEmpty else { throw .invalid("`\(field)` is empty", param: field) }
        guard texts.count <= options.maxInputsPerRequest else {
            throw APIError(.tooLarge, "`\(field)` has \(texts.count) texts; at most \(options.maxInputsPerRequest) per request", param: field)
        }
        for (index, text) in texts.enumerated() where text.unicodeScalars.count > options.maxCharactersPerText {
            throw APIError(.tooLarge, "`\(field)[\(index)]` has \(text.unicodeScalars.count) characters; at most \(options.maxCharactersPerText)", param: field)
        }
    }

    /// Projected text features, one row per text, and the number of tokens used (truncated counts).
    func embed(texts: [String], field: String, truncate: Bool = true, normalize: Bool = true) async throws -> (rows: [[Float]], tokens: Int) {
        try check(texts: texts, field: field)
        let (model, batcher) = try ready()
        let start = ContinuousClock.now
        var sequences: [[Int]] = []
        for (index, text) in texts.enumerated() {
            do { sequences.append(try model.tokenize(text, truncate: truncate).ids) } catch {
                throw APIError(error.kind, "`\(field)[\(index)]`: \(error.message)", param: field)
            }
        }
        metrics.stage("tokenize", ContinuousClock.now - start)
        Self.arrival?.arrived()
        let rows = try await batcher.embed(tokens: sequences)
        return (normalize ? rows.map(normalized) : rows, sequences.reduce(0) { $0 + $1.count })
    }

    /// Projected image features of encoded images (`field` names them in errors).
    func embed(images: [Data], field: String, normalize: Bool = true) async throws -> [[Float]] {
        guard !images.isEmpty else { throw APIError.invalid("`\(field)` is empty", param: field) }
        guard images.count <= options.maxInputsPerRequest else {
            throw APIError(.tooLarge, "`\(field)` has \(images.count) images; at most \(options.maxInputsPerRequest) per request", param: field)
        }
        let (model, batcher) = try ready()
        let start = ContinuousClock.now
        let decode = options.decodeOptions
        let pixels = try await withThrowingTaskGroup(of: (Int, PixelValues).self) { group in
            for (index, data) in images.enumerated() {
                group.addTask {
                    do { return (index, try model.preprocess(data, name: "\(field)[\(index)]", options: decode)) } catch {
                        throw APIError.invalid("`\(field)[\(index)]` is not a readable image: \(Self.clientMessage(error))", param: field)
                    }
                }
            }
            var result = [PixelValues?](repeating: nil, count: images.count)
            for try await (index, value) in group { result[index] = value }
            return result.compactMap { $0 }
        }
        metrics.stage("preprocess", ContinuousClock.now - start)
        Self.arrival?.arrived()
        let rows = try await batcher.embed(pixels: pixels)
        return normalize ? rows.map(normalized) : rows
    }

    /// Normalised embeddings of a label set (prompts after templating), cached by content.
    func labelEmbeddings(_ prompts: [String], field: String) async throws -> [[Float]] {
        guard prompts.count <= options.maxLabels else {
            throw APIError(.tooLarge, "`\(field)` has \(prompts.count) labels; at most \(options.maxLabels)", param: field)
        }
        let key = prompts.joined(separator: "\u{0}")
        let cached = lock.withLock { labelCache[key] }
        metrics.labelCache(hit: cached != nil)
        if let cached { return cached }
        var rows: [[Float]] = []
        for start in stride(from: 0, to: prompts.count, by: options.maxInputsPerRequest) {
            let chunk = Array(prompts[start..<min(start + options.maxInputsPerRequest, prompts.count)])
            rows += try await embed(texts: chunk, field: field).rows
        }
        lock.withLock {
            guard labelCache[key] == nil else { return }
            labelCache[key] = rows
            labelCacheOrder.append(key)
            while labelCacheOrder.count > max(options.labelCacheSize, 0) {
                labelCache[labelCacheOrder.removeFirst()] = nil
            }
        }
        return rows
    }

    // MARK: search

    /// The store, or 404 when the server was started without `--db`.
    func searchStore() throws(APIError) -> any EmbeddingStore {
        guard let store = options.store else {
            throw APIError(.notFound, "this server has no search store (start it with --db)")
        }
        return store
    }

    /// The indexed record with this id (see `Fingerprint.pathID`); the id table is reloaded when an id
    /// is not found, at most once a second.
    func indexedRecord(id: String) async throws -> ImageRecord? {
        let store = try searchStore()
        if let record = lock.withLock({ indexedByID[id] }) { return record }
        let stale = lock.withLock { ContinuousClock.now - indexedLoaded > .seconds(1) }
        guard stale else { return nil }
        var table: [String: ImageRecord] = [:]
        for record in try await store.records() { table[Fingerprint.pathID(record.path)] = record }
        lock.withLock {
            indexedByID = table
            indexedLoaded = ContinuousClock.now
        }
        return table[id]
    }

    /// An image error in words for a client: the decoder's reason, never a server path.
    static func clientMessage(_ error: Error) -> String {
        String(describing: error)
    }
}
