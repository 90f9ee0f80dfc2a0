import Foundation
import Logging
import PostgresNIO

/// Continuous ingestion on many machines, with PostgreSQL as the only coordinator: files are registered
/// in `altclip_queue`; each worker claims a batch with `SELECT … FOR UPDATE SKIP LOCKED` (so two workers
/// never claim the same rows), embeds it, then writes the vectors and marks the batch done in one
/// transaction. A claim is a lease: a worker renews it while alive (heartbeats), and a batch whose lease
/// ran out — its worker died — is claimed again by another. Completing checks the claim is still the
/// worker's, so a batch is never marked done twice. `NOTIFY altclip_queue` wakes idle workers when files
/// are registered.
public struct WorkQueue: Sendable {
    public let store: PostgresStore
    /// This worker's name in the queue (host, process, random suffix).
    public let worker: String
    /// How long a claim lasts without a heartbeat.
    public let lease: Duration

    public static let channel = "altclip_queue"

    public init(store: PostgresStore, worker: String? = nil, lease: Duration = .seconds(60)) {
        self.store = store
        self.worker = worker ?? Self.defaultWorkerName()
        self.lease = lease
    }

    public static func defaultWorkerName() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(name):\(getpid()):\(UInt32.random(in: 0...UInt32.max) % 100_000)"
    }

    var leaseSeconds: Double { Double(lease.components.seconds) + Double(lease.components.attoseconds) * 1e-18 }

    /// A file to embed: what registration recorded.
    public struct Item: Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var mtime: Double
        public init(path: String, size: Int64, mtime: Double) {
            self.path = path
            self.size = size
            self.mtime = mtime
        }
    }

    /// Registers files (new ones, and known ones whose size or modification time changed, which go back
    /// to pending); returns how many were (re)queued, and wakes idle workers.
    @discardableResult
    public func register(_ items: [Item]) async throws -> Int {
        guard !items.isEmpty else { return 0 }
        var queued = 0
        for start in stride(from: 0, to: items.count, by: 10_000) {
            let chunk = Array(items[start..<min(items.count, start + 10_000)])
            let paths = chunk.map(\.path), sizes = chunk.map(\.size), mtimes = chunk.map(\.mtime)
            queued += try await store.transaction { connection in
                let rows = try await connection.query("""
                    INSERT INTO altclip_queue (path, size, mtime)
                    SELECT * FROM unnest(\(paths)::text[], \(sizes)::bigint[], \(mtimes)::float8[])
                    ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, mtime = EXCLUDED.mtime, state = 'pending',
                        claimed_by = NULL, lease_until = NULL, error = NULL, registered_at = now()
                    WHERE altclip_queue.size <> EXCLUDED.size OR altclip_queue.mtime <> EXCLUDED.mtime
                    RETURNING path
                    """, logger: store.logger)
                var n = 0
                for try await _ in rows.decode(String.self) { n += 1 }
                if n > 0 { try await connection.query("NOTIFY altclip_queue", logger: store.logger) }
                return n
            }
        }
        return queued
    }

    /// Announces this worker (for `--status`).
    public func start() async throws {
        let host = worker.split(separator: ":").first.map(String.init) ?? worker
        try await store.transaction { connection in
            try await connection.query("""
                INSERT INTO altclip_workers (id, host, pid, lease_seconds) VALUES (\(worker), \(host), \(Int32(getpid())), \(leaseSeconds))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), stopped_at = NULL, lease_seconds = EXCLUDED.lease_seconds
                """, logger: store.logger)
        }
    }

    /// Claims up to `limit` pending files nobody holds a live lease on, oldest path first.
    public func claim(limit: Int) async throws -> [Item] {
        try await store.transaction { connection in
            let rows = try await connection.query("""
                UPDATE altclip_queue SET claimed_by = \(worker), lease_until = now() + make_interval(secs => \(leaseSeconds)),
                    attempts = attempts + 1
                WHERE path IN (SELECT path FROM altclip_queue
                               WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < now())
                               ORDER BY path LIMIT \(Int32(limit)) FOR UPDATE SKIP LOCKED)
                RETURNING path, size, mtime
                """, logger: store.logger)
            var items: [Item] = []
            for try await (path, size, mtime) in rows.decode((String, Int64, Double).self) {
                items.append(Item(path: path, size: size, mtime: mtime))
            }
            return items.sorted { $0.path < $1.path }
        }
    }

    /// Writes the batch's vectors (and errors) and marks it done, in one transaction — only if every one
    /// of its files is still claimed by this worker. Returns false (and writes nothing) when a claim was
    /// lost: the lease ran out and another worker has the files now.
    public func complete(_ entries: [IndexEntry], busySeconds: Double) async throws -> Bool {
        guard !entries.isEmpty else { return true }
        guard let dimension = try await store.identity()?.dimension else { throw StoreError.empty(store: store.location) }
        try PostgresStore.check(entries, dimension: dimension)
        let paths = entries.map(\.record.path)
        let failedPaths = entries.filter { $0.record.error != nil }.map(\.record.path)
        let errors = entries.filter { $0.record.error != nil }.map { $0.record.error ?? "" }
        do {
            return try await store.transaction { connection in
                // Lock our rows first: a claim that expired and was taken by another worker is not ours.
                var held = 0
                for try await _ in try await connection.query("""
                    SELECT path FROM altclip_queue WHERE path = ANY(\(paths)) AND claimed_by = \(worker) AND state = 'pending'
                    FOR UPDATE
                    """, logger: store.logger).decode(String.self) { held += 1 }
                guard held == Set(paths).count else { throw LostClaim() }
                try await store.write(entries, on: connection)
                try await connection.query("""
                    UPDATE altclip_queue SET state = 'done', done_by = \(worker), done_at = now(), claimed_by = NULL, lease_until = NULL
                    WHERE path = ANY(\(paths))
                    """, logger: store.logger)
                try await connection.query("""
                    UPDATE altclip_queue q SET state = 'failed', error = u.e FROM unnest(\(failedPaths)::text[], \(errors)::text[]) AS u(p, e)
                    WHERE q.path = u.p
                    """, logger: store.logger)
                try await connection.query("""
                    UPDATE altclip_workers SET batches = batches + 1, done = done + \(Int32(paths.count - failedPaths.count)),
                        failed = failed + \(Int32(failedPaths.count)), busy_seconds = busy_seconds + \(busySeconds), heartbeat_at = now()
                    WHERE id = \(worker)
                    """, logger: store.logger)
                return true
            }
        } catch is LostClaim {
            return false
        }
    }

    private struct LostClaim: Error {}

    /// Renews the leases of this worker's claims and its heartbeat.
    public func heartbeat() async throws {
        try await store.transaction { connection in
            try await connection.query("""
                UPDATE altclip_queue SET lease_until = now() + make_interval(secs => \(leaseSeconds))
                WHERE claimed_by = \(worker) AND state = 'pending'
                """, logger: store.logger)
            try await connection.query("UPDATE altclip_workers SET heartbeat_at = now() WHERE id = \(worker)", logger: store.logger)
        }
    }

    /// Gives this worker's claims back (on a clean stop) and records the stop.
    public func stop() async throws {
        try await store.transaction { connection in
            try await connection.query("""
                UPDATE altclip_queue SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = \(worker) AND state = 'pending'
                """, logger: store.logger)
            try await connection.query("UPDATE altclip_workers SET stopped_at = now() WHERE id = \(worker)", logger: store.logger)
        }
    }

    /// Files not yet done or failed (claimed or not).
    public func remaining() async throws -> Int {
        try await store.transaction { connection in
            for try await n in try await connection.query("SELECT count(*) FROM altclip_queue WHERE state = 'pending'",
                                                            logger: store.logger).decode(Int64.self) { return Int(n) }
            return 0
        }
    }

    /// Starts listening for registrations on a dedicated connection; each one signals `wakeUps`. Cancel
    /// the task to stop. Returns once the LISTEN is in place (or after 5 s, polling covers the rest).
    public func listen(_ wakeUps: WakeUps) async -> Task<Void, Never> {
        let store = self.store
        let task = Task {
            _ = try? await store.client.withConnection { connection in
                try await connection.listen(on: Self.channel) { notifications in
                    await wakeUps.listening()
                    for try await _ in notifications { await wakeUps.signal() }
                }
            }
        }
        await wakeUps.waitUntilListening(atMost: .seconds(5))
        return task
    }

    /// The queue and its workers, for `altclip index --status`.
    public func status() async throws -> QueueStatus {
        try await store.transaction { connection in
            var status = QueueStatus()
            for try await (state, claimed, n) in try await connection.query("""
                SELECT state, (claimed_by IS NOT NULL AND lease_until > now()), count(*) FROM altclip_queue GROUP BY 1, 2
                """, logger: store.logger).decode((String, Bool, Int64).self) {
                switch (state, claimed) {
                case ("pending", true): status.claimed += Int(n)
                case ("pending", false): status.pending += Int(n)
                case ("done", _): status.done += Int(n)
                default: status.failed += Int(n)
                }
            }
            for try await (id, host, pid, age, batches, done, failed, busy, stopped, lease) in try await connection.query("""
                SELECT id, host, pid, extract(epoch FROM now() - heartbeat_at)::float8, batches, done, failed, busy_seconds,
                       stopped_at IS NOT NULL, lease_seconds
                FROM altclip_workers ORDER BY started_at, id
                """, logger: store.logger).decode((String, String, Int32, Double, Int32, Int32, Int32, Double, Bool, Double).self) {
                status.workers.append(QueueStatus.Worker(
                    id: id, host: host, pid: Int(pid), secondsSinceHeartbeat: age, batches: Int(batches), done: Int(done),
                    failed: Int(failed), busySeconds: busy, imagesPerSecond: busy > 0 ? Double(done + failed) / busy : 0,
                    state: stopped ? "stopped" : (age > lease ? "lost" : "alive")))
            }
            return status
        }
    }
}

/// The queue's counts and its workers' progress.
public struct QueueStatus: Sendable, Codable, Equatable {
    public struct Worker: Sendable, Codable, Equatable {
        public var id: String
        public var host: String
        public var pid: Int
        public var secondsSinceHeartbeat: Double
        public var batches: Int
        public var done: Int
        public var failed: Int
        public var busySeconds: Double
        /// Files per second of embedding work (claim to commit), the worker's own throughput.
        public var imagesPerSecond: Double
        /// alive, stopped, or lost (no heartbeat for longer than a lease).
        public var state: String

        enum CodingKeys: String, CodingKey {
            case id, host, pid, batches, done, failed, state
            case secondsSinceHeartbeat = "seconds_since_heartbeat", busySeconds = "busy_seconds", imagesPerSecond = "images_per_second"
        }
    }
    public var pending = 0
    public var claimed = 0
    public var done = 0
    public var failed = 0
    public var workers: [Worker] = []
}

/// Wake-ups for idle workers: a signal is kept until a waiter takes it; waiting ends at a signal or after
/// a timeout (expired leases make work without any notification, so idle workers also poll).
public actor WakeUps {
    private var signalled = false
    private var isListening = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var listeners: [CheckedContinuation<Void, Never>] = []
    private var nextID = 0

    public init() {}

    func listening() {
        isListening = true
        for listener in listeners { listener.resume() }
        listeners = []
    }

    func waitUntilListening(atMost timeout: Duration) async {
        if isListening { return }
        await withCheckedContinuation { continuation in
            listeners.append(continuation)
            Task {
                try? await Task.sleep(for: timeout)
                self.listening()
            }
        }
    }

    public func signal() {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume()
        } else {
            signalled = true
        }
    }

    /// Returns at the next signal (or at once if one came since the last wait), or after `timeout`.
    public func wait(atMost timeout: Duration) async {
        if signalled {
            signalled = false
            return
        }
        nextID += 1
        let id = nextID
        await withCheckedContinuation { continuation in
            waiter = (id, continuation)
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        if let waiter, waiter.id == id {
            self.waiter = nil
            waiter.continuation.resume()
        }
    }
}
