import AltCLIPStore
import AltCLIPTensor
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `altclip-bench store`: ingests raw float32 vectors into a store through the `EmbeddingStore` API
/// (what `altclip index` does), then times top-k queries, and writes the hits' row numbers for recall.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Time ingesting and querying a store (SQLite file or postgresql:// URL) on given vectors.")

    @Option(help: "SQLite file (created) or postgresql:// URL (an empty database).") var db: String
    @Option(help: "Raw little-endian float32 vectors, row-major [count, dimension].") var vectors: String
    @Option(help: "Raw float32 query vectors [queries, dimension].") var queries: String
    @Option(help: "Values per vector.") var dimension: Int
    @Option(help: "Rows per write (one transaction each).") var batch = 10_000
    @Option(help: "Neighbours per query.") var k = 10
    @Option(help: "SQLite blob encoding: float32 or float16.") var encoding = "float32"
    @Flag(help: "PostgreSQL: scan every row instead of using the HNSW index.") var exact = false
    @Option(help: "PostgreSQL HNSW ef_search.") var efSearch = 40
    @Option(help: "Threads for the exact scan (default: all cores).") var threads: Int?
    @Flag(help: "Query a store an earlier run filled (no ingest).") var skipIngest = false
    @Option(help: "Write the hits' row numbers here (int32 [queries, k], -1 where fewer were found).") var hitsOut: String?

    func run() async throws {
        if let threads { Threading.setThreadCount(threads) }
        let base = try Self.read(vectors, dimension: dimension)
        let probes = try Self.read(queries, dimension: dimension)
        let count = base.count / dimension
        let inputsRSS = Self.residentBytes()
        let store: any EmbeddingStore
        if db.hasPrefix("postgres") {
            store = try await PostgresStore(url: db, hnsw: .init(efSearch: efSearch), exact: exact)
        } else {
            guard let encoding = VectorEncoding(rawValue: encoding) else { throw ValidationError("--encoding float32|float16") }
            store = try SQLiteStore(path: db, encoding: encoding)
        }
        try await store.prepare(for: ModelIdentity(configHash: "bench", weightsHash: "bench", dtype: "fp32", dimension: dimension))
        let clock = ContinuousClock()
        let ingest = try await clock.measure {
            guard !skipIngest else { return }
            for start in stride(from: 0, to: count, by: batch) {
                let entries = (start..<min(count, start + batch)).map { row in
                    IndexEntry(record: ImageRecord(path: String(format: "v%09d", row), size: 0, mtime: 0, hash: "\(row)",
                                                   width: nil, height: nil, indexedAt: 0, error: nil),
                               embedding: Array(base[(row * dimension)..<((row + 1) * dimension)]))
                }
                try await store.write(entries)
            }
        }
        var times: [Double] = []
        var hits: [Int32] = []
        var first = 0.0
        for q in 0..<(probes.count / dimension) {
            let query = Array(probes[(q * dimension)..<((q + 1) * dimension)])
            var found: [SearchHit] = []
            let elapsed = try await clock.measure { found = try await store.search(query, k: k, threshold: nil) }
            // The first SQLite query also loads the matrix: reported apart.
            if q == 0 { first = elapsed.seconds } else { times.append(elapsed.seconds) }
            let rows = found.map { Int32($0.path.dropFirst()) ?? -1 }
            hits += rows + [Int32](repeating: -1, count: max(0, k - rows.count))
        }
        if let hitsOut {
            try hits.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: hitsOut))
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let result: [String: Any] = [
            "engine": db.hasPrefix("postgres") ? (exact ? "postgres-exact" : "postgres-hnsw") : "sqlite-\(encoding)",
            "count": count, "dimension": dimension, "ingest_seconds": ingest.seconds,
            "vectors_per_second": skipIngest ? 0 : Double(count) / ingest.seconds, "first_query_seconds": first, "query_seconds": times,
            "peak_rss_bytes": Int(usage.ru_maxrss) * 1024, "threads": Threading.threadCount,
            // What the store holds beyond the input vectors (for SQLite: the in-memory matrix and page cache).
            "store_rss_bytes": Self.residentBytes() - inputsRSS,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
        if let postgres = store as? PostgresStore { postgres.close() }
        // The inputs stay alive to the end, so store_rss_bytes is what the store added beside them.
        withExtendedLifetime(base) {}
    }

    /// The process's resident memory now (/proc/self/statm).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    static func read(_ path: String, dimension: Int) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        guard dimension > 0, data.count % (4 * dimension) == 0 else {
            throw ValidationError("\(path): \(data.count) bytes is not a whole number of \(dimension)-value float32 rows")
        }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
