import Foundation
import GRDB
import Testing
@testable import AltCLIPStore

/// The SQLite store: exact top-k against a brute-force reference, model identity checks, vectors in
/// float32 and float16, writes seen by searches (also from another connection), and migrations.
@Suite("SQLite store")
struct SQLiteStoreTests {
    static func temporaryPath(_ name: String = "store.sqlite") throws -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (folder, folder.appendingPathComponent(name).path)
    }

    static let identity = ModelIdentity(configHash: "c0ffee", weightsHash: "beef", dtype: "fp32", dimension: 8)

    /// Deterministic unit vectors.
    static func vectors(_ n: Int, dimension: Int = 8, seed: UInt64 = 7) -> [[Float]] {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001) / 1000 - 1
        }
        return (0..<n).map { _ in
            let v = (0..<dimension).map { _ in next() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    static func entry(_ i: Int, _ vector: [Float]?, error: String? = nil) -> IndexEntry {
        IndexEntry(record: ImageRecord(path: "/photos/\(String(format: "%03d", i)).jpg", size: Int64(1000 + i), mtime: 1_700_000_000 + Double(i),
                                       hash: "h\(i)", width: 640, height: 480, indexedAt: 1_800_000_000, error: error),
                   embedding: vector)
    }

    /// The bounded selection equals a full sort (best first, ties by row), with thresholds and NaN.
    @Test func selectionEqualsAFullSort() {
        var state: UInt64 = 3
        for n in [0, 1, 5, 10, 11, 300] {
            // Few distinct values, so ties are common.
            var scores = (0..<n).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(state >> 33) % 7) / 7
            }
            if n > 3 { scores[2] = .nan }
            for k in [1, 3, 10, 400] {
                for threshold in [nil, Float(0.5)] {
                    let kept: [Int] = scores.indices.filter { i in !scores[i].isNaN && scores[i] >= (threshold ?? -.infinity) }
                    let reference = kept.sorted { a, b in scores[a] != scores[b] ? scores[a] > scores[b] : a < b }.prefix(k)
                    #expect(VectorMatrix.select(scores, k: k, threshold: threshold) == Array(reference), "n \(n) k \(k) threshold \(String(describing: threshold))")
                }
            }
        }
    }

    @Test(arguments: [VectorEncoding.float32, .float16])
    func topKIsExactAgainstBruteForce(encoding: VectorEncoding) async throws {
        let (folder, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: path, encoding: encoding)
        try await store.prepare(for: Self.identity)
        let vectors = Self.vectors(300)
        try await store.write(vectors.enumerated().map { Self.entry($0, $1) } + [Self.entry(999, nil, error: "truncated JPEG")])
        #expect(try await store.stats() == StoreStats(images: 301, embedded: 300, failed: 1))
        for query in Self.vectors(5, seed: 99) {
            let hits = try await store.search(query, k: 10, threshold: nil)
            let stored = vectors.map { v in encoding.decode(encoding.encode(v), dimension: 8)! }
            let reference = stored.indices.map { i in (i, zip(stored[i], query).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
                .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(10)
            #expect(hits.map(\.path) == reference.map { Self.entry($0.0, nil).record.path })
            for (hit, (_, score)) in zip(hits, reference) { #expect(abs(hit.score - score) < 1e-5) }
            #expect(hits.first?.width == 640 && hits.first?.height == 480)
            let above = try await store.search(query, k: 300, threshold: 0.5)
            #expect(above.allSatisfy { $0.score >= 0.5 })
            #expect(above.count == stored.filter { zip($0, query).reduce(Float(0)) { $0 + $1.0 * $1.1 } >= 0.5 }.count)
        }
        // float16 halves the blobs; its scores stay within 1e-3 of float32.
        let bytes = try await store.embedding(forHash: "h3").map { encoding.encode($0).count }
        #expect(bytes == 8 * encoding.bytesPerValue)
    }

    @Test func anotherModelDTypeOrDimensionIsRefused() async throws {
        let (folder, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: path)
        try await store.prepare(for: Self.identity)
        try await store.prepare(for: Self.identity)  // the same model: fine
        var other = Self.identity
        other.source = "elsewhere"                    // the same model in another place: fine
        try await store.prepare(for: other)
        for changed in [ModelIdentity(configHash: "other", weightsHash: "beef", dtype: "fp32", dimension: 8),
                        ModelIdentity(configHash: "c0ffee", weightsHash: "beef", dtype: "bf16", dimension: 8),
                        ModelIdentity(configHash: "c0ffee", weightsHash: "beef", dtype: "fp32", dimension: 16)] {
            await #expect(throws: StoreError.modelMismatch(store: path, stored: Self.identity, requested: changed)) {
                try await store.prepare(for: changed)
            }
        }
        let message = "\(StoreError.modelMismatch(store: path, stored: Self.identity, requested: ModelIdentity(configHash: "c0ffee", weightsHash: "beef", dtype: "bf16", dimension: 8)))"
        #expect(message.contains("--dtype (fp32 stored, bf16 asked)"), "\(message)")
        await #expect(throws: StoreError.dimensionMismatch(expected: 8, actual: 3)) {
            try await store.search([1, 0, 0], k: 1, threshold: nil)
        }
        await #expect(throws: StoreError.dimensionMismatch(expected: 8, actual: 2)) {
            try await store.write([Self.entry(1, [1, 0])])
        }
        #expect(try await store.stats().images == 0)  // the failed batch left nothing behind
    }

    /// A write by another connection (another process) is seen by the next search: the in-memory matrix
    /// is reloaded when the store's generation moves; removals too.
    @Test func searchesSeeWritesFromAnotherConnection() async throws {
        let (folder, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reader = try SQLiteStore(path: path)
        let writer = try SQLiteStore(path: path)
        try await writer.prepare(for: Self.identity)
        let vectors = Self.vectors(3)
        try await writer.write([Self.entry(0, vectors[0])])
        #expect(try await reader.search(vectors[1], k: 5, threshold: nil).map(\.path) == ["/photos/000.jpg"])
        try await writer.write([Self.entry(1, vectors[1])])
        #expect(try await reader.search(vectors[1], k: 1, threshold: nil).first?.path == "/photos/001.jpg")
        try await writer.remove(paths: ["/photos/001.jpg"])
        #expect(try await reader.search(vectors[1], k: 5, threshold: nil).map(\.path) == ["/photos/000.jpg"])
        // The same path written again replaces its row.
        try await writer.write([Self.entry(0, vectors[2])])
        #expect(try await reader.stats().images == 1)
        #expect(try await reader.embedding(forHash: "h0").map { zip($0, vectors[2]).allSatisfy { abs($0 - $1) < 1e-7 } } == true)
        #expect(try await reader.records().map(\.path) == ["/photos/000.jpg"])
        // WAL mode: readers never block the writer.
        let mode = try await DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    /// Migrations are named steps applied in order: a store at an older step is brought up to date with
    /// its rows kept; a store with steps this build does not know is refused; other files are refused.
    @Test func migrationsUpgradeOldStoresAndRefuseNewerOnes() async throws {
        let (folder, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: folder) }
        let old = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(old, upTo: "v1: meta and images")
        try await old.write { db in
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('model', ?)",
                           arguments: [String(decoding: try JSONEncoder().encode(Self.identity), as: UTF8.self)])
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('encoding', 'float32')")
            try db.execute(sql: "INSERT INTO images (path, size, mtime, hash, indexed_at, embedding) VALUES ('/a.jpg', 1, 2, 'h', 3, ?)",
                           arguments: [VectorEncoding.float32.encode(Self.vectors(1)[0])])
        }
        try old.close()
        let upgraded = try SQLiteStore(path: path)
        #expect(try upgraded.schemaVersion() == ["v1: meta and images", "v2: content-hash index"])
        #expect(try await upgraded.search(Self.vectors(1)[0], k: 1, threshold: nil).first?.path == "/a.jpg")
        let indexes = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index'") }
        #expect(indexes.contains("images_hash"))

        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9: from the future')")
        }
        #expect(throws: StoreError.newerSchema(store: path, unknown: ["v9: from the future"])) { try SQLiteStore(path: path) }

        let notADatabase = folder.appendingPathComponent("photo.jpg").path
        try Data(repeating: 0xFF, count: 4096).write(to: URL(fileURLWithPath: notADatabase))
        #expect(throws: StoreError.unusable(store: notADatabase, reason: "is not an SQLite database")) { try SQLiteStore(path: notADatabase) }
        #expect(throws: StoreError.self) { try SQLiteStore(path: folder.path) }
    }

    @Test func emptyStoreSaysWhatToDo() async throws {
        let (folder, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: path)
        await #expect(throws: StoreError.empty(store: path)) { try await store.search([1], k: 1, threshold: nil) }
        #expect("\(StoreError.empty(store: path))".contains("altclip index"))
    }

    @Test func vectorEncodingsRoundTrip() {
        let v: [Float] = [0.1, -0.25, 1, -1, 0, 3.0e-5]
        #expect(VectorEncoding.float32.decode(VectorEncoding.float32.encode(v), dimension: 6) == v)
        let half = VectorEncoding.float16.decode(VectorEncoding.float16.encode(v), dimension: 6)!
        #expect(zip(half, v).allSatisfy { abs($0 - $1) <= 1e-3 * max(abs($1), 1e-3) })
        #expect(VectorEncoding.float16.decode(Data([1, 2, 3]), dimension: 6) == nil)
    }

    @Test func fileHashIsSHA256() throws {
        let (folder, _) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("abc.txt")
        try Data("abc".utf8).write(to: file)
        #expect(try Fingerprint.file(file) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
