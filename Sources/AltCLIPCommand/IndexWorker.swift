import AltCLIP
import AltCLIPImage
import AltCLIPStore
import AltCLIPSupport
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `altclip index --db postgresql://… --worker | --register | --status`: many workers on many machines
/// share one PostgreSQL store through its work queue (`WorkQueue`).
struct QueueOptions: ParsableArguments {
    @Flag(help: "PostgreSQL: work from the store's queue (register the given files first); any number of workers may run at once, on any machines.")
    var worker = false
    @Flag(help: "PostgreSQL: only register the given files in the queue (new and changed ones), for workers to embed.")
    var register = false
    @Flag(help: "PostgreSQL: show the queue (pending, claimed, done, failed) and each worker's progress and throughput.")
    var status = false
    @Option(help: ArgumentHelp("Seconds a claimed batch stays a worker's without a heartbeat; after that another worker takes it.", valueName: "seconds"))
    var lease: Double = 60
    @Flag(help: "Keep waiting for new files when the queue is empty (continuous ingestion), instead of exiting.")
    var follow = false

    var isQueue: Bool { worker || register || status }
}

struct WorkerReport: Encodable {
    var worker: String
    var registered = 0
    var done = 0
    var failed = 0
    var batches = 0
    var lostBatches = 0
    var seconds = 0.0
    var imagesPerSecond = 0.0
    enum CodingKeys: String, CodingKey {
        case worker, registered, done, failed, batches, seconds
        case lostBatches = "lost_batches", imagesPerSecond = "images_per_second"
    }
}

enum IndexWorker {
    static func queue(_ command: IndexCommand, store: PostgresStore) -> WorkQueue {
        WorkQueue(store: store, lease: .milliseconds(Int(command.queueOptions.lease * 1000)))
    }

    static func registerFiles(_ command: IndexCommand, queue: WorkQueue) async throws -> Int {
        guard !command.imageOptions.isEmpty else { return 0 }
        var items: [WorkQueue.Item] = []
        var seen = Set<String>()
        for file in try command.imageOptions.files() {
            let path = file.url.standardizedFileURL.path
            guard seen.insert(path).inserted, let (size, mtime) = IndexCommand.stat(path) else { continue }
            items.append(WorkQueue.Item(path: path, size: size, mtime: mtime))
        }
        return try await queue.register(items)
    }

    static func status(_ command: IndexCommand, store: PostgresStore) async throws {
        let status = try await queue(command, store: store).status()
        if command.output.json { return try Output.json(status) }
        Output.line("queue of \(store.location): \(status.pending) pending, \(status.claimed) claimed, \(status.done) done, \(status.failed) failed")
        for w in status.workers {
            Output.line(String(format: "  %@  %@  %d done, %d failed in %d batches, %.2f images/s, last heartbeat %.0f s ago",
                               w.id, w.state, w.done, w.failed, w.batches, w.imagesPerSecond, w.secondsSinceHeartbeat))
        }
    }

    static func register(_ command: IndexCommand, store: PostgresStore) async throws {
        let queued = try await registerFiles(command, queue: queue(command, store: store))
        if command.output.json { return try Output.json(["registered": queued]) }
        Output.line("registered \(queued) new or changed files in the queue of \(store.location)")
    }

    static func work(_ command: IndexCommand, store: PostgresStore) async throws {
        let queue = queue(command, store: store)
        let modelOptions = try command.modelOptions
        let folder = try modelOptions.resolveModel()
        var identity = try StoreLocation.identity(folder: folder, dtype: command.precisionOptions.dtype)
        identity.source = try modelOptions.model
        try await store.prepare(for: identity)   // another model's store is refused before any work
        try await queue.start()
        var report = WorkerReport(worker: queue.worker)
        report.registered = try await registerFiles(command, queue: queue)
        let pipeline = try PipelineLoader.load(modelOptions, command.precisionOptions, command.batchOptions,
                                               exifTranspose: command.imageOptions.exifTranspose)
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: queue.lease / 3)
                try? await queue.heartbeat()
            }
        }
        let wakeUps = WakeUps()
        let listener = await queue.listen(wakeUps)
        defer {
            heartbeat.cancel()
            listener.cancel()
        }
        let started = ContinuousClock.now
        let idle = min(queue.lease / 2, .seconds(5))
        let pauseAfterClaim = ProcessInfo.processInfo.environment["ALTCLIP_TEST_PAUSE_AFTER_CLAIM"] != nil
        while true {
            let items = try await queue.claim(limit: command.commitEvery)
            if items.isEmpty {
                if !command.queueOptions.follow, try await queue.remaining() == 0 { break }
                await wakeUps.wait(atMost: idle)
                continue
            }
            if pauseAfterClaim {
                // Test hook: hold the claim and never finish (the test kills this worker now).
                Output.warn("claimed \(items.count) files")
                while true { try await Task.sleep(for: .seconds(3600)) }
            }
            let batchStart = ContinuousClock.now
            let entries = embed(items.map(\.path), pipeline: pipeline)
            let busy = batchStart.duration(to: .now)
            let seconds = Double(busy.components.seconds) + Double(busy.components.attoseconds) * 1e-18
            if try await queue.complete(entries, busySeconds: seconds) {
                report.batches += 1
                report.failed += entries.filter { $0.record.error != nil }.count
                report.done += entries.filter { $0.record.error == nil }.count
            } else {
                report.lostBatches += 1
                Output.warn("warning: the claim on \(items.count) files ran out (lease \(command.queueOptions.lease) s) and another worker took them; this batch's work was dropped")
            }
        }
        try await queue.stop()
        let total = started.duration(to: .now)
        report.seconds = Double(total.components.seconds) + Double(total.components.attoseconds) * 1e-18
        report.imagesPerSecond = report.seconds > 0 ? Double(report.done + report.failed) / report.seconds : 0
        if command.output.json { return try Output.json(report) }
        Output.line("worker \(report.worker): \(report.done) embedded, \(report.failed) failed in \(report.batches) batches"
            + String(format: " (%.2f images/s)", report.imagesPerSecond)
            + (report.lostBatches > 0 ? ", \(report.lostBatches) batches lost to expired claims" : ""))
    }

    /// Embeds files by path: each gets its current size, modification time, content hash and image size,
    /// or the error it met.
    static func embed(_ paths: [String], pipeline: AltCLIPPipeline) -> [IndexEntry] {
        let now = Date().timeIntervalSince1970
        var entries = paths.map { path -> IndexEntry in
            guard let (size, mtime) = IndexCommand.stat(path) else {
                return IndexEntry(record: ImageRecord(path: path, size: 0, mtime: 0, hash: "", indexedAt: now, error: "cannot be read (gone?)"),
                                  embedding: nil)
            }
            let hash = (try? Fingerprint.file(URL(fileURLWithPath: path))) ?? ""
            return IndexEntry(record: ImageRecord(path: path, size: size, mtime: mtime, hash: hash, indexedAt: now,
                                                  error: hash.isEmpty ? "cannot be read" : nil), embedding: nil)
        }
        IndexCommand.embed(&entries, pipeline: pipeline)
        return entries
    }
}
