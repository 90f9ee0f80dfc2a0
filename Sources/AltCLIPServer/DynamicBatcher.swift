import AltCLIPImage
import Foundation

/// Collects texts and images from concurrent requests into batches for one inference executor.
///
/// Requests put their inputs in a queue and wait. A dedicated thread (the executor) takes a batch —
/// texts up to a padded-token budget, images up to a count — waiting at most `maxQueueDelay` after the
/// oldest queued input for the batch to fill, runs the forward pass, and hands each caller its own
/// rows; when no other request is on its way it does not wait at all. When both queues hold work the executor alternates between them, so neither starves. A
/// request that is cancelled (its client went away) is taken out of the queue; a full queue refuses new
/// work at once (`APIError` 429) rather than letting latency grow without bound.
final class DynamicBatcher: @unchecked Sendable {
    enum Kind: String { case text, image }

    struct Limits {
        var maxBatchTokens: Int
        var maxBatchImages: Int
        var maxQueueDelay: Duration
        var maxQueuedItems: Int
    }

    private enum Payload {
        case tokens([Int])
        case pixels(PixelValues)
    }

    /// One request's inputs; finished when every row is in (or on the first error).
    private final class Job {
        let kind: Kind
        var results: [[Float]?]
        var remaining: Int
        var continuation: CheckedContinuation<[[Float]], Error>?
        var finished = false

        init(kind: Kind, count: Int) {
            self.kind = kind
            results = Array(repeating: nil, count: count)
            remaining = count
        }
    }

    private struct Entry {
        let job: Job
        let index: Int
        let payload: Payload
        let enqueued: ContinuousClock.Instant

        var tokenCount: Int {
            if case let .tokens(ids) = payload { return ids.count }
            return 0
        }
    }

    private let model: InferenceModel
    private let limits: Limits
    private let metrics: ServerMetrics
    private let condition = NSCondition()
    private var texts: [Entry] = []
    private var images: [Entry] = []
    private var lastKind = Kind.image
    private var stopping = false
    /// While set, the executor takes no batch (tests use it to hold work in the queue).
    private var paused = false
    private var thread: Thread?
    private let stopped = DispatchSemaphore(value: 0)

    /// Whether inputs are on their way (requests admitted but not yet queued): only then is a batch
    /// worth waiting for. One request at a time runs at once, without the queue delay.
    private let moreExpected: @Sendable () -> Bool

    init(model: InferenceModel, limits: Limits, metrics: ServerMetrics, moreExpected: @escaping @Sendable () -> Bool = { true }) {
        self.model = model
        self.limits = limits
        self.metrics = metrics
        self.moreExpected = moreExpected
    }

    /// Holds (`true`) or releases the executor; queued work waits while it is held.
    func setPaused(_ value: Bool) {
        condition.lock()
        paused = value
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes the executor to look again (a request it might be waiting for will not come).
    func poke() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Starts the executor thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "altclip-inference"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Lets queued work finish, then stops the executor; later submissions fail with 503.
    func stop() {
        condition.lock()
        let wasRunning = thread != nil && !stopping
        stopping = true
        condition.broadcast()
        condition.unlock()
        if wasRunning { stopped.wait() }
    }

    /// Projected features of texts given as token ids, in order.
    func embed(tokens rows: [[Int]]) async throws -> [[Float]] {
        try await submit(.text, rows.map { .tokens($0) })
    }

    /// Projected features of preprocessed images, in order.
    func embed(pixels items: [PixelValues]) async throws -> [[Float]] {
        try await submit(.image, items.map { .pixels($0) })
    }

    /// Inputs waiting, for tests and metrics.
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return texts.count + images.count
    }

    private func submit(_ kind: Kind, _ payloads: [Payload]) async throws -> [[Float]] {
        if payloads.isEmpty { return [] }
        let job = Job(kind: kind, count: payloads.count)
        let start = ContinuousClock.now
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                condition.lock()
                defer { condition.unlock() }
                if job.finished || Task.isCancelled {
                    job.finished = true
                    continuation.resume(throwing: CancellationError())
                    return
                }
                if stopping || thread == nil {
                    continuation.resume(throwing: APIError(.unhealthy, "the server is shutting down"))
                    return
                }
                let queued = texts.count + images.count
                guard queued + payloads.count <= limits.maxQueuedItems else {
                    job.finished = true
                    continuation.resume(throwing: APIError(.overloaded, "the server is busy: \(queued) inputs are queued; retry shortly"))
                    return
                }
                job.continuation = continuation
                let entries = payloads.enumerated().map { Entry(job: job, index: $0, payload: $1, enqueued: start) }
                if kind == .text { texts += entries } else { images += entries }
                publishDepth()
                condition.signal()
            }
        } onCancel: {
            cancel(job)
        }
    }

    private func cancel(_ job: Job) {
        condition.lock()
        defer { condition.unlock() }
        guard !job.finished else { return }
        job.finished = true
        if job.kind == .text { texts.removeAll { $0.job === job } } else { images.removeAll { $0.job === job } }
        publishDepth()
        job.continuation?.resume(throwing: CancellationError())
        job.continuation = nil
    }

    private func publishDepth() {
        metrics.queueDepth(kind: Kind.text.rawValue, texts.count)
        metrics.queueDepth(kind: Kind.image.rawValue, images.count)
    }

    // MARK: executor

    private func run() {
        condition.lock()
        while true {
            while (texts.isEmpty && images.isEmpty || paused) && !stopping { condition.wait() }
            if texts.isEmpty && images.isEmpty { break }  // stopping, and nothing left
            let kind: Kind
            if !texts.isEmpty && !images.isEmpty { kind = lastKind == .text ? .image : .text } else { kind = texts.isEmpty ? .image : .text }
            // Give the batch until the oldest input's deadline to fill.
            if let oldest = queue(kind).first?.enqueued {
                let deadline = oldest + limits.maxQueueDelay
                while !stopping, !isFull(kind), ContinuousClock.now < deadline, moreExpected() {
                    let remaining = deadline - ContinuousClock.now
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Double(remaining.nanoseconds) / 1e9))
                }
            }
            let batch = take(kind)
            if batch.isEmpty { continue }  // cancelled while we waited
            lastKind = kind
            publishDepth()
            condition.unlock()
            let outcome = forward(kind, batch)
            condition.lock()
            deliver(batch, outcome)
        }
        thread = nil
        condition.unlock()
        stopped.signal()
    }

    private func queue(_ kind: Kind) -> [Entry] { kind == .text ? texts : images }

    /// How many queued entries of `kind` the next batch takes (at least one).
    private func batchCount(_ kind: Kind) -> Int {
        switch kind {
        case .image:
            return min(images.count, max(limits.maxBatchImages, 1))
        case .text:
            var count = 0, longest = 0
            for entry in texts {
                let widest = max(longest, entry.tokenCount)
                if count > 0 && (count + 1) * widest > limits.maxBatchTokens { break }
                count += 1
                longest = widest
            }
            return count
        }
    }

    private func isFull(_ kind: Kind) -> Bool {
        batchCount(kind) < queue(kind).count || (kind == .image && images.count >= limits.maxBatchImages)
    }

    private func take(_ kind: Kind) -> [Entry] {
        let count = batchCount(kind)
        let batch: [Entry]
        if kind == .text {
            batch = Array(texts.prefix(count))
            texts.removeFirst(count)
        } else {
            batch = Array(images.prefix(count))
            images.removeFirst(count)
        }
        return batch
    }

    private func forward(_ kind: Kind, _ batch: [Entry]) -> Result<[[Float]], Error> {
        let now = ContinuousClock.now
        for entry in batch { metrics.stage("queue", now - entry.enqueued) }
        metrics.batch(kind: kind.rawValue, size: batch.count)
        let result = Result<[[Float]], Error> {
            switch kind {
            case .text:
                return try model.embed(tokens: batch.map { if case let .tokens(ids) = $0.payload { return ids } else { return [] } })
            case .image:
                return try model.embed(pixels: batch.compactMap { if case let .pixels(p) = $0.payload { return p } else { return nil } })
            }
        }
        metrics.stage("inference", ContinuousClock.now - now)
        return result
    }

    private func deliver(_ batch: [Entry], _ outcome: Result<[[Float]], Error>) {
        switch outcome {
        case let .success(rows):
            for (entry, row) in zip(batch, rows) where !entry.job.finished {
                let job = entry.job
                job.results[entry.index] = row
                job.remaining -= 1
                if job.remaining == 0 {
                    job.finished = true
                    job.continuation?.resume(returning: job.results.map { $0 ?? [] })
                    job.continuation = nil
                }
            }
        case let .failure(error):
            for entry in batch where !entry.job.finished {
                let job = entry.job
                job.finished = true
                if job.kind == .text { texts.removeAll { $0.job === job } } else { images.removeAll { $0.job === job } }
                job.continuation?.resume(throwing: error)
                job.continuation = nil
            }
            publishDepth()
        }
    }
}
