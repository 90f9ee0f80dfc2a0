import AltCLIPTensor
import Foundation
import GRDB

/// The embedded store: one SQLite file (WAL mode, through GRDB) holding a meta table (schema, model
/// identity, vector encoding), one row per image file with its vector as a float32 or float16 blob,
/// and exact top-k search on the CPU: the vectors are held in memory as one matrix, loaded on the first
/// search and reloaded after any write (by this or another process).
public final class SQLiteStore: EmbeddingStore, @unchecked Sendable {
    public let location: String
    private let pool: DatabasePool
    private let lock = NSLock()
    private var cache: VectorMatrix?

    /// The schema steps, in order. A step is never edited once released: a change is a new step.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: meta and images") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE images (
                    path TEXT PRIMARY KEY NOT NULL,
                    size INTEGER NOT NULL,
                    mtime REAL NOT NULL,
                    hash TEXT NOT NULL,
                    width INTEGER,
                    height INTEGER,
                    indexed_at REAL NOT NULL,
                    embedding BLOB,
                    error TEXT
                );
                INSERT INTO meta (key, value) VALUES ('generation', '0');
                """)
        }
        migrator.registerMigration("v2: content-hash index") { db in
            // Finding a moved or copied file by its content must not scan the table.
            try db.execute(sql: "CREATE INDEX images_hash ON images (hash)")
        }
        return migrator
    }

    /// Opens (creating if needed) the store at `path`, bringing its schema up to date. A store written
    /// by a newer altclip is refused (`StoreError.newerSchema`). `encoding` applies to a new store; an
    /// existing one keeps the encoding it was created with.
    public init(path: String, encoding: VectorEncoding = .float32) throws {
        location = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StoreError.unusable(store: path, reason: "is a folder; give a database file (e.g. photos.sqlite)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "altclip-store"
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            let migrator = Self.migrator
            let (known, applied) = try pool.read { db in (migrator.migrations, try migrator.appliedIdentifiers(db)) }
            let unknown = applied.subtracting(known)
            guard unknown.isEmpty else { throw StoreError.newerSchema(store: path, unknown: unknown.sorted()) }
            try migrator.migrate(pool)
            try pool.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('encoding', ?)", arguments: [encoding.rawValue])
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError.unusable(store: path, reason: Self.describe(error))
        }
    }

    /// The applied schema steps, oldest first.
    public func schemaVersion() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// The encoding the store's vectors use.
    public func encoding() throws -> VectorEncoding {
        try run { db in
            VectorEncoding(rawValue: try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'encoding'") ?? "") ?? .float32
        }
    }

    public func identity() async throws -> ModelIdentity? {
        try run { db in try Self.identity(db) }
    }

    public func prepare(for identity: ModelIdentity) async throws {
        try write { db in
            if let stored = try Self.identity(db) {
                guard stored == identity else { throw StoreError.modelMismatch(store: self.location, stored: stored, requested: identity) }
                return
            }
            let json = String(decoding: try JSONEncoder().encode(identity), as: UTF8.self)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('model', ?)", arguments: [json])
        }
    }

    public func records() async throws -> [ImageRecord] {
        try run { db in
            try Row.fetchAll(db, sql: "SELECT path, size, mtime, hash, width, height, indexed_at, error FROM images ORDER BY path")
                .map(Self.record)
        }
    }

    public func embedding(forHash hash: String) async throws -> [Float]? {
        let (encoding, dimension) = try layout()
        return try run { db in
            let blobs = try Data.fetchAll(db, sql: "SELECT embedding FROM images WHERE hash = ? AND embedding IS NOT NULL LIMIT 1",
                                          arguments: [hash])
            return blobs.first.flatMap { encoding.decode($0, dimension: dimension) }
        }
    }

    public func write(_ entries: [IndexEntry]) async throws {
        guard !entries.isEmpty else { return }
        let (encoding, dimension) = try layout()
        try write { db in
            for entry in entries {
                if let vector = entry.embedding, vector.count != dimension {
                    throw StoreError.dimensionMismatch(expected: dimension, actual: vector.count)
                }
                let r = entry.record
                try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO images (path, size, mtime, hash, width, height, indexed_at, embedding, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [r.path, r.size, r.mtime, r.hash, r.width, r.height, r.indexedAt,
                                             entry.embedding.map(encoding.encode), r.error])
            }
            try Self.bumpGeneration(db)
        }
    }

    public func remove(paths: [String]) async throws {
        guard !paths.isEmpty else { return }
        try write { db in
            for path in paths { try db.execute(sql: "DELETE FROM images WHERE path = ?", arguments: [path]) }
            try Self.bumpGeneration(db)
        }
    }

    public func search(_ query: [Float], k: Int, threshold: Float?) async throws -> [SearchHit] {
        guard k > 0 else { return [] }
        let matrix = try vectors()
        guard query.count == matrix.dimension else { throw StoreError.dimensionMismatch(expected: matrix.dimension, actual: query.count) }
        return matrix.top(query, k: k, threshold: threshold)
    }

    public func stats() async throws -> StoreStats {
        try run { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, COUNT(embedding) AS e FROM images")
            let n: Int = row?["n"] ?? 0, e: Int = row?["e"] ?? 0
            return StoreStats(images: n, embedded: e, failed: n - e)
        }
    }

    // MARK: the in-memory matrix

    /// The vectors as one matrix, reloaded when the store's generation has moved on.
    func vectors() throws -> VectorMatrix {
        let generation = try run { db in try Self.generation(db) }
        lock.lock()
        if let cache, cache.generation == generation {
            lock.unlock()
            return cache
        }
        lock.unlock()
        let (encoding, dimension) = try layout()
        let loaded: VectorMatrix = try run { db in
            // Read in one transaction: the generation and the rows agree.
            let generation = try Self.generation(db)
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM images WHERE embedding IS NOT NULL") ?? 0
            // Decoded straight into the matrix: no second copy of a million vectors.
            var matrix = Tensor(shape: [count, dimension], repeating: 0)
            var hits: [SearchHit] = []
            hits.reserveCapacity(count)
            let rows = try Row.fetchCursor(db, sql: "SELECT path, width, height, embedding FROM images WHERE embedding IS NOT NULL ORDER BY path")
            try matrix.withUnsafeMutableBufferPointer { buffer in
                while let row = try rows.next() {
                    let blob: Data = row["embedding"]
                    guard hits.count < count, let target = buffer.baseAddress,
                          encoding.decode(blob, dimension: dimension, into: target + hits.count * dimension) else {
                        throw StoreError.unusable(store: self.location, reason: "the vector of \(row["path"] as String) is damaged (\(blob.count) bytes)")
                    }
                    hits.append(SearchHit(path: row["path"], score: 0, width: row["width"], height: row["height"]))
                }
            }
            return VectorMatrix(generation: generation, dimension: dimension, items: hits, matrix: matrix)
        }
        lock.lock()
        cache = loaded
        lock.unlock()
        return loaded
    }

    // MARK: helpers

    private func layout() throws -> (VectorEncoding, Int) {
        let encoding = try encoding()
        guard let identity = try run({ db in try Self.identity(db) }) else { throw StoreError.empty(store: location) }
        return (encoding, identity.dimension)
    }

    private func run<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError {
            throw StoreError.unusable(store: location, reason: Self.describe(error))
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError {
            throw StoreError.unusable(store: location, reason: Self.describe(error))
        }
    }

    static func identity(_ db: Database) throws -> ModelIdentity? {
        guard let json = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'model'") else { return nil }
        return try JSONDecoder().decode(ModelIdentity.self, from: Data(json.utf8))
    }

    static func generation(_ db: Database) throws -> Int {
        Int(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'") ?? "0") ?? 0
    }

    static func bumpGeneration(_ db: Database) throws {
        try db.execute(sql: "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'")
    }

    static func record(_ row: Row) -> ImageRecord {
        ImageRecord(path: row["path"], size: row["size"], mtime: row["mtime"], hash: row["hash"], width: row["width"],
                    height: row["height"], indexedAt: row["indexed_at"], error: row["error"])
    }

    static func describe(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_NOTADB: return "is not an SQLite database"
        case .SQLITE_CANTOPEN: return "cannot be opened (does its folder exist, and may it be written?)"
        case .SQLITE_READONLY: return "is read-only"
        case .SQLITE_FULL: return "the disk is full"
        case .SQLITE_CORRUPT: return "the database file is damaged"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database stayed locked by another process for 30 s"
        default: return error.message ?? "SQLite error \(error.resultCode.rawValue)"
        }
    }
}

/// The embedded vectors as one row-major matrix, searched exactly with one matrix-vector product on
/// the tensor core (the same BLAS the model uses), then a bounded selection of the best `k`.
struct VectorMatrix: Sendable {
    let generation: Int
    let dimension: Int
    let items: [SearchHit]
    /// `[items.count, dimension]`, built once when the store is (re)loaded, never per query.
    let matrix: Tensor


    func top(_ query: [Float], k: Int, threshold: Float?) -> [SearchHit] {
        guard !items.isEmpty, k > 0 else { return [] }
        let scores = Ops.matmul(matrix, Tensor(shape: [dimension, 1], scalars: query)).scalars
        return Self.select(scores, k: k, threshold: threshold).map { index in
            var hit = items[index]
            hit.score = scores[index]
            return hit
        }
    }

    /// The indices of the `k` highest scores at or above `threshold`, best first, ties by index (the rows
    /// are in path order). O(n log k): a min-heap of the best so far, whose root is the one to beat.
    static func select(_ scores: [Float], k: Int, threshold: Float?) -> [Int] {
        // `a` ranks below `b`: lower score, or the same score and a later row.
        func below(_ a: Int, _ b: Int) -> Bool { scores[a] != scores[b] ? scores[a] < scores[b] : a > b }
        var heap: [Int] = []
        heap.reserveCapacity(min(k, scores.count))
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && below(heap[l], heap[m]) { m = l }
                if r < heap.count && below(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for index in scores.indices {
            let score = scores[index]
            if let threshold, !(score >= threshold) { continue }
            if !(score == score) { continue }  // NaN never ranks
            if heap.count < k {
                heap.append(index)
                var i = heap.count - 1
                while i > 0 {
                    let parent = (i - 1) / 2
                    guard below(heap[i], heap[parent]) else { break }
                    heap.swapAt(i, parent)
                    i = parent
                }
            } else if below(heap[0], index) {
                heap[0] = index
                siftDown(0)
            }
        }
        return heap.sorted { below($1, $0) }
    }
}
