import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The store at scale: PostgreSQL with pgvector, through postgres-nio. One `embeddings` table with a
/// `vector(D)` column and an HNSW `vector_cosine_ops` index, queried with
/// `ORDER BY embedding <=> $1 LIMIT k` and nothing else in the `ORDER BY` (an extra sort key would stop
/// the index being used). `exact: true` scans every row instead (exact top-k, no index).
public final class PostgresStore: EmbeddingStore, @unchecked Sendable {
    public let location: String
    /// HNSW build and search parameters (pgvector's defaults: m 16, ef_construction 64, ef_search 40).
    public struct HNSW: Sendable, Equatable {
        public var m = 16
        public var efConstruction = 64
        public var efSearch = 40
        public init(m: Int = 16, efConstruction: Int = 64, efSearch: Int = 40) {
            self.m = m
            self.efConstruction = efConstruction
            self.efSearch = efSearch
        }
    }

    public let hnsw: HNSW
    public let exact: Bool
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger = Logger(label: "altclip-store", factory: { _ in SwiftLogNoOpLogHandler() })
    /// pgvector's version (major, minor, patch), detected on open.
    public private(set) var pgvectorVersion: (Int, Int, Int) = (0, 0, 0)

    /// The schema steps, in order (recorded in `altclip_migrations`). The `embeddings` table itself needs the
    /// dimension, so it is made by `prepare(for:)` when the store's model is first recorded.
    static let migrations: [(String, String)] = [
        ("v1: meta", "CREATE TABLE altclip_meta (key text PRIMARY KEY, value text NOT NULL)"),
        ("v3: work queue", """
            CREATE TABLE altclip_queue (
                path text PRIMARY KEY,
                size bigint NOT NULL,
                mtime double precision NOT NULL,
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
                registered_at timestamptz NOT NULL DEFAULT now(),
                claimed_by text,
                lease_until timestamptz,
                attempts integer NOT NULL DEFAULT 0,
                done_by text,
                done_at timestamptz,
                error text
            );
            CREATE INDEX altclip_queue_pending ON altclip_queue (path) WHERE state = 'pending';
            CREATE TABLE altclip_workers (
                id text PRIMARY KEY,
                host text NOT NULL,
                pid integer NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                heartbeat_at timestamptz NOT NULL DEFAULT now(),
                batches integer NOT NULL DEFAULT 0,
                done integer NOT NULL DEFAULT 0,
                failed integer NOT NULL DEFAULT 0,
                busy_seconds double precision NOT NULL DEFAULT 0,
                lease_seconds double precision NOT NULL,
                stopped_at timestamptz
            )
            """),
    ]

    /// Connects to `url` (`postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`; `?sslmode=disable|prefer|require`),
    /// creates the pgvector extension if needed and brings the schema up to date.
    public init(url: String, hnsw: HNSW = HNSW(), exact: Bool = false) async throws {
        location = Self.redacted(url)
        self.hnsw = hnsw
        self.exact = exact
        let configuration = try Self.configuration(url)
        // One direct connection first: a wrong address, password or database fails now with the
        // server's reason (the pool would retry for a minute before giving up).
        try await Self.probe(url, logger: logger, location: location)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        do {
            try await setUp()
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit { runner.cancel() }

    private func setUp() async throws {
        try await transaction { connection in
            // One process at a time sets the schema up (workers may start together).
            try await connection.query("SELECT pg_advisory_xact_lock(727_311)", logger: self.logger)
            let available = try await connection.query("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
                                                       logger: self.logger)
            var found = false
            for try await _ in available.decode(String.self) { found = true }
            guard found else {
                throw StoreError.unusable(store: self.location, reason: "the server has no pgvector extension (install pgvector, e.g. the postgresql-16-pgvector package)")
            }
            try await connection.query("CREATE EXTENSION IF NOT EXISTS vector", logger: self.logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS altclip_migrations (identifier text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                                       logger: self.logger)
            var applied = Set<String>()
            for try await id in try await connection.query("SELECT identifier FROM altclip_migrations", logger: self.logger).decode(String.self) {
                applied.insert(id)
            }
            let known = Set(Self.migrations.map(\.0) + ["v2: embeddings"])
            let unknown = applied.subtracting(known)
            guard unknown.isEmpty else { throw StoreError.newerSchema(store: self.location, unknown: unknown.sorted()) }
            for (id, sql) in Self.migrations where !applied.contains(id) {
                // One statement per query (the extended protocol takes one at a time).
                for statement in sql.components(separatedBy: ";\n") {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query("INSERT INTO altclip_migrations (identifier) VALUES (\(id))", logger: self.logger)
            }
            for try await version in try await connection.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'",
                                                                 logger: self.logger).decode(String.self) {
                let parts = version.split(separator: ".").map { Int($0) ?? 0 } + [0, 0, 0]
                self.pgvectorVersion = (parts[0], parts[1], parts[2])
            }
        }
    }

    /// HNSW indexes came with pgvector 0.5.0; older servers are searched exactly.
    public var supportsHNSW: Bool { pgvectorVersion >= (0, 5, 0) }

    public func identity() async throws -> ModelIdentity? {
        try await transaction { connection in try await self.identity(connection) }
    }

    public func prepare(for identity: ModelIdentity) async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(727_311)", logger: self.logger)
            if let stored = try await self.identity(connection) {
                guard stored == identity else { throw StoreError.modelMismatch(store: self.location, stored: stored, requested: identity) }
                return
            }
            let json = String(decoding: try JSONEncoder().encode(identity), as: UTF8.self)
            try await connection.query("INSERT INTO altclip_meta (key, value) VALUES ('model', \(json))", logger: self.logger)
            try await connection.query(PostgresQuery(unsafeSQL: """
                CREATE TABLE embeddings (
                    path text PRIMARY KEY,
                    size bigint NOT NULL,
                    mtime double precision NOT NULL,
                    hash text NOT NULL,
                    width integer,
                    height integer,
                    indexed_at double precision NOT NULL,
                    embedding vector(\(identity.dimension)),
                    error text
                )
                """), logger: self.logger)
            try await connection.query("CREATE INDEX embeddings_hash ON embeddings (hash)", logger: self.logger)
            if self.supportsHNSW {
                try await connection.query(PostgresQuery(unsafeSQL: """
                    CREATE INDEX embeddings_hnsw ON embeddings USING hnsw (embedding vector_cosine_ops)
                    WITH (m = \(self.hnsw.m), ef_construction = \(self.hnsw.efConstruction))
                    """), logger: self.logger)
            }
            try await connection.query("INSERT INTO altclip_migrations (identifier) VALUES ('v2: embeddings')", logger: self.logger)
        }
    }

    public func records() async throws -> [ImageRecord] {
        guard try await identity() != nil else { return [] }
        return try await transaction { connection in
            var records: [ImageRecord] = []
            let rows = try await connection.query("""
                SELECT path, size, mtime, hash, width, height, indexed_at, error FROM embeddings ORDER BY path
                """, logger: self.logger)
            for try await (path, size, mtime, hash, width, height, indexedAt, error)
                in rows.decode((String, Int64, Double, String, Int32?, Int32?, Double, String?).self) {
                records.append(ImageRecord(path: path, size: size, mtime: mtime, hash: hash, width: width.map(Int.init),
                                           height: height.map(Int.init), indexedAt: indexedAt, error: error))
            }
            return records
        }
    }

    public func embedding(forHash hash: String) async throws -> [Float]? {
        guard try await identity() != nil else { return nil }
        return try await transaction { connection in
            let rows = try await connection.query("""
                SELECT embedding::real[] FROM embeddings WHERE hash = \(hash) AND embedding IS NOT NULL LIMIT 1
                """, logger: self.logger)
            for try await vector in rows.decode([Float].self) { return vector }
            return nil
        }
    }

    public func write(_ entries: [IndexEntry]) async throws {
        guard !entries.isEmpty else { return }
        guard let dimension = try await identity()?.dimension else { throw StoreError.empty(store: location) }
        try Self.check(entries, dimension: dimension)
        try await transaction { connection in try await self.write(entries, on: connection) }
    }

    static func check(_ entries: [IndexEntry], dimension: Int) throws {
        for entry in entries {
            if let vector = entry.embedding, vector.count != dimension {
                throw StoreError.dimensionMismatch(expected: dimension, actual: vector.count)
            }
        }
    }

    /// Writes `entries` in one statement on `connection` (arrays unnested server-side, not a round trip
    /// per row); a path written twice keeps its last entry, as row-by-row writing would.
    func write(_ entries: [IndexEntry], on connection: PostgresConnection) async throws {
        var last: [String: Int] = [:]
        for (i, entry) in entries.enumerated() { last[entry.record.path] = i }
        let batch = entries.indices.filter { last[entries[$0].record.path] == $0 }.map { entries[$0] }
        let paths = batch.map(\.record.path), sizes = batch.map(\.record.size), mtimes = batch.map(\.record.mtime)
        let hashes = batch.map(\.record.hash), indexedAt = batch.map(\.record.indexedAt)
        let widths = batch.map { Int32($0.record.width ?? -1) }, heights = batch.map { Int32($0.record.height ?? -1) }
        let vectors = batch.map { $0.embedding.map(Self.literal) ?? "" }
        let errors = batch.map { $0.record.error ?? "" }, hasError = batch.map { $0.record.error != nil }
        try await connection.query("""
            INSERT INTO embeddings (path, size, mtime, hash, width, height, indexed_at, embedding, error)
            SELECT p, s, m, h, NULLIF(w, -1), NULLIF(hh, -1), t, NULLIF(v, '')::vector, CASE WHEN he THEN e END
            FROM unnest(\(paths)::text[], \(sizes)::bigint[], \(mtimes)::float8[], \(hashes)::text[], \(widths)::int[],
                        \(heights)::int[], \(indexedAt)::float8[], \(vectors)::text[], \(errors)::text[], \(hasError)::bool[])
                AS u(p, s, m, h, w, hh, t, v, e, he)
            ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, mtime = EXCLUDED.mtime, hash = EXCLUDED.hash,
                width = EXCLUDED.width, height = EXCLUDED.height, indexed_at = EXCLUDED.indexed_at,
                embedding = EXCLUDED.embedding, error = EXCLUDED.error
            """, logger: logger)
    }

    public func remove(paths: [String]) async throws {
        guard !paths.isEmpty, try await identity() != nil else { return }
        try await transaction { connection in
            try await connection.query("DELETE FROM embeddings WHERE path = ANY(\(paths))", logger: self.logger)
        }
    }

    public func search(_ query: [Float], k: Int, threshold: Float?) async throws -> [SearchHit] {
        guard k > 0 else { return [] }
        guard let dimension = try await identity()?.dimension else { throw StoreError.empty(store: location) }
        guard query.count == dimension else { throw StoreError.dimensionMismatch(expected: dimension, actual: query.count) }
        let literal = Self.literal(query)
        return try await transaction { connection in
            if self.exact || !self.supportsHNSW {
                try await connection.query("SET LOCAL enable_indexscan = off", logger: self.logger)
            } else {
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL hnsw.ef_search = \(max(self.hnsw.efSearch, k))"),
                                           logger: self.logger)
            }
            // Nothing but the distance in ORDER BY: the HNSW index answers it.
            let rows = try await connection.query("""
                SELECT path, width, height, (embedding <=> \(literal)::vector)::real FROM embeddings
                WHERE embedding IS NOT NULL ORDER BY embedding <=> \(literal)::vector LIMIT \(k)
                """, logger: self.logger)
            var hits: [SearchHit] = []
            for try await (path, width, height, distance) in rows.decode((String, Int32?, Int32?, Float).self) {
                let score = 1 - distance
                if let threshold, !(score >= threshold) { continue }
                hits.append(SearchHit(path: path, score: score, width: width.map(Int.init), height: height.map(Int.init)))
            }
            return hits
        }
    }

    /// The query plan of a search, for checking that the HNSW index is used.
    public func explainSearch(dimension: Int) async throws -> String {
        let literal = Self.literal([Float](repeating: 0.1, count: dimension))
        return try await transaction { connection in
            try await connection.query("SET LOCAL enable_seqscan = off", logger: self.logger)
            var lines: [String] = []
            for try await line in try await connection.query("""
                EXPLAIN SELECT path FROM embeddings WHERE embedding IS NOT NULL ORDER BY embedding <=> \(literal)::vector LIMIT 5
                """, logger: self.logger).decode(String.self) { lines.append(line) }
            return lines.joined(separator: "\n")
        }
    }

    public func stats() async throws -> StoreStats {
        guard try await identity() != nil else { return StoreStats(images: 0, embedded: 0, failed: 0) }
        return try await transaction { connection in
            for try await (n, e) in try await connection.query("SELECT count(*), count(embedding) FROM embeddings",
                                                                logger: self.logger).decode((Int64, Int64).self) {
                return StoreStats(images: Int(n), embedded: Int(e), failed: Int(n - e))
            }
            return StoreStats(images: 0, embedded: 0, failed: 0)
        }
    }

    /// Stops the connection pool.
    public func close() { runner.cancel() }

    // MARK: helpers

    private func identity(_ connection: PostgresConnection) async throws -> ModelIdentity? {
        for try await json in try await connection.query("SELECT value FROM altclip_meta WHERE key = 'model'",
                                                          logger: logger).decode(String.self) {
            return try JSONDecoder().decode(ModelIdentity.self, from: Data(json.utf8))
        }
        return nil
    }

    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as StoreError {
            throw error
        } catch let error as PSQLError {
            throw StoreError.unusable(store: location, reason: Self.describe(error))
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? StoreError { throw inner }
            if let inner = (error.closureError ?? error.beginError ?? error.commitError) as? PSQLError {
                throw StoreError.unusable(store: location, reason: Self.describe(inner))
            }
            throw StoreError.unusable(store: location, reason: "\(error)")
        }
    }

    static func probe(_ url: String, logger: Logger, location: String) async throws {
        let a = try address(url)
        let tls: PostgresConnection.Configuration.TLS = switch a.sslmode {
        case "disable": .disable
        case "allow", "prefer": .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: a.host, port: a.port, username: a.username, password: a.password,
                                                             database: a.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.close()
        } catch let error as PSQLError {
            throw StoreError.unusable(store: location, reason: describe(error))
        }
    }

    /// pgvector's text form `[1,2,3]` (float32 values printed exactly).
    static func literal(_ vector: [Float]) -> String {
        "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
    }

    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        switch error.code {
        case .connectionError: return "cannot connect to the server (is it running, and is the address right?)"
        case .unexpectedBackendMessage, .unsupportedAuthMechanism: return "the server answered in a way altclip does not support: \(error.code)"
        default: return "\(error.code)"
        }
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    /// The parts of a `postgresql://` URL.
    struct Address {
        var host: String
        var port: Int
        var username: String
        var password: String?
        var database: String?
        var sslmode: String
    }

    static func address(_ url: String) throws -> Address {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw StoreError.unusable(store: redacted(url), reason: "expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(mode) else {
            throw StoreError.unusable(store: redacted(url), reason: "sslmode \(mode) is not one of disable, prefer, require")
        }
        return Address(host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                       password: components.password, database: database.isEmpty ? nil : database, sslmode: mode)
    }

    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        let a = try address(url)
        let tls: PostgresClient.Configuration.TLS = switch a.sslmode {
        case "disable": .disable
        case "allow", "prefer": .prefer(.makeClientConfiguration())
        default: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: a.host, port: a.port, username: a.username, password: a.password,
                                                         database: a.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
