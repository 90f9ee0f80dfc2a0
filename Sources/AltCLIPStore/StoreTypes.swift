import Foundation

/// Which model made a store's vectors: stores refuse vectors from any other model, dimension or
/// precision (mixed vectors would give meaningless rankings without any error).
public struct ModelIdentity: Sendable, Equatable, Codable {
    /// SHA-256 of `config.json` (hex).
    public var configHash: String
    /// SHA-256 fingerprint of the weights files: their names, sizes, and first and last 16 MiB (hex).
    public var weightsHash: String
    /// Compute precision of the embeddings (`fp32`, `bf16`, `int8`).
    public var dtype: String
    /// Embedding length (`projection_dim`).
    public var dimension: Int
    /// Where the model was loaded from when the store was made (a folder or hub id), so `search` can
    /// find it again. Not part of the identity: the same model may live in several places.
    public var source: String?

    public init(configHash: String, weightsHash: String, dtype: String, dimension: Int, source: String? = nil) {
        self.configHash = configHash
        self.weightsHash = weightsHash
        self.dtype = dtype
        self.dimension = dimension
        self.source = source
    }

    public static func == (a: ModelIdentity, b: ModelIdentity) -> Bool {
        a.configHash == b.configHash && a.weightsHash == b.weightsHash && a.dtype == b.dtype && a.dimension == b.dimension
    }

    /// A one-line form for messages: `config 1a2b3c4d, weights 5e6f7a8b, fp32, 768-d`.
    public var summary: String {
        "config \(configHash.prefix(8)), weights \(weightsHash.prefix(8)), \(dtype), \(dimension)-d"
    }
}

/// How vectors are stored: float32 (exact) or float16 (half the size; cosine changes by ~1e-4).
public enum VectorEncoding: String, Sendable, Codable, CaseIterable {
    case float32, float16

    public var bytesPerValue: Int { self == .float32 ? 4 : 2 }

    public func encode(_ vector: [Float]) -> Data {
        switch self {
        case .float32:
            let bits = vector.map { $0.bitPattern.littleEndian }
            return bits.withUnsafeBytes { Data($0) }
        case .float16:
            let bits = vector.map { Float16($0).bitPattern.littleEndian }
            return bits.withUnsafeBytes { Data($0) }
        }
    }

    /// Decodes a blob of `dimension` values; nil when its length is wrong (a damaged row).
    public func decode(_ data: Data, dimension: Int) -> [Float]? {
        var values = [Float](repeating: 0, count: dimension)
        let ok = values.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { decode(data, dimension: dimension, into: $0) } ?? (data.isEmpty && dimension == 0)
        }
        return ok ? values : nil
    }

    /// Decodes a blob of `dimension` values into `target` (room for `dimension` floats); false when the
    /// blob's length is wrong (a damaged row), and then nothing is written.
    public func decode(_ data: Data, dimension: Int, into target: UnsafeMutablePointer<Float>) -> Bool {
        guard data.count == dimension * bytesPerValue else { return false }
        data.withUnsafeBytes { raw in
            switch self {
            case .float32:
                for i in 0..<dimension {
                    target[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
            case .float16:
                for i in 0..<dimension {
                    target[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
                }
            }
        }
        return true
    }
}

/// What a store keeps about one image file.
public struct ImageRecord: Sendable, Equatable, Codable {
    /// Absolute path of the file when it was indexed.
    public var path: String
    public var size: Int64
    /// Modification time, seconds since 1970.
    public var mtime: Double
    /// SHA-256 of the file's bytes (hex): finds a moved or copied file without re-embedding it.
    public var hash: String
    public var width: Int?
    public var height: Int?
    /// When it was (re)indexed, seconds since 1970.
    public var indexedAt: Double
    /// Why it could not be embedded (nil when it was).
    public var error: String?

    public init(path: String, size: Int64, mtime: Double, hash: String, width: Int? = nil, height: Int? = nil,
                indexedAt: Double, error: String? = nil) {
        self.path = path
        self.size = size
        self.mtime = mtime
        self.hash = hash
        self.width = width
        self.height = height
        self.indexedAt = indexedAt
        self.error = error
    }
}

/// One row to write: the record and its embedding (nil for a file that failed).
public struct IndexEntry: Sendable {
    public var record: ImageRecord
    public var embedding: [Float]?

    public init(record: ImageRecord, embedding: [Float]?) {
        self.record = record
        self.embedding = embedding
    }
}

/// One search result.
public struct SearchHit: Sendable, Equatable, Codable {
    public var path: String
    /// Cosine similarity to the query (vectors are L2-normalised).
    public var score: Float
    public var width: Int?
    public var height: Int?
}

/// Counts of a store's contents.
public struct StoreStats: Sendable, Equatable, Codable {
    public var images: Int
    public var embedded: Int
    public var failed: Int

    public init(images: Int, embedded: Int, failed: Int) {
        self.images = images
        self.embedded = embedded
        self.failed = failed
    }
}

/// Store failures: each says what was wrong and where.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The store holds vectors of another model, precision or dimension.
    case modelMismatch(store: String, stored: ModelIdentity, requested: ModelIdentity)
    /// The store was written by a newer altclip (migrations this one does not know).
    case newerSchema(store: String, unknown: [String])
    /// The location is not a store this program can open.
    case unusable(store: String, reason: String)
    /// A query vector of the wrong length.
    case dimensionMismatch(expected: Int, actual: Int)
    /// The store has no model identity yet (nothing was indexed).
    case empty(store: String)

    public var description: String {
        switch self {
        case let .modelMismatch(store, stored, requested):
            var differences: [String] = []
            if stored.configHash != requested.configHash || stored.weightsHash != requested.weightsHash { differences.append("model") }
            if stored.dtype != requested.dtype { differences.append("--dtype (\(stored.dtype) stored, \(requested.dtype) asked)") }
            if stored.dimension != requested.dimension { differences.append("dimension (\(stored.dimension) stored, \(requested.dimension) asked)") }
            return "\(store) holds embeddings of another \(differences.joined(separator: " and ")): stored \(stored.summary), "
                + "this run \(requested.summary); use the store's model and --dtype, or another --db"
        case let .newerSchema(store, unknown):
            return "\(store) was written by a newer altclip (schema steps \(unknown.joined(separator: ", ")) are unknown here); upgrade altclip"
        case let .unusable(store, reason):
            return "\(store): \(reason)"
        case let .dimensionMismatch(expected, actual):
            return "the query has \(actual) values but the store's vectors have \(expected)"
        case let .empty(store):
            return "\(store) holds no embeddings yet: run `altclip index PATH... --db \(store)` first"
        }
    }
}

/// A vector store: the records of indexed files and their embeddings, one model per store.
///
/// Implementations: `SQLiteStore` (one file, embedded; the default) and, at scale, PostgreSQL with
/// pgvector. Every method may be called from any task.
public protocol EmbeddingStore: Sendable {
    /// Where the store is, as the user gave it (for messages).
    var location: String { get }
    /// The model identity recorded in the store (nil before anything was indexed).
    func identity() async throws -> ModelIdentity?
    /// Records `identity` in a new store, or checks that it is the store's (`StoreError.modelMismatch`).
    func prepare(for identity: ModelIdentity) async throws
    /// Every record, without the vectors.
    func records() async throws -> [ImageRecord]
    /// The stored embedding of a file with this content hash, if any (a moved or copied file).
    func embedding(forHash hash: String) async throws -> [Float]?
    /// Writes the entries (new or replacing the rows of the same path) in one transaction.
    func write(_ entries: [IndexEntry]) async throws
    /// Removes the rows of these paths in one transaction.
    func remove(paths: [String]) async throws
    /// The `k` rows most similar to `query` (cosine, best first), at least `threshold` when given.
    func search(_ query: [Float], k: Int, threshold: Float?) async throws -> [SearchHit]
    /// Counts.
    func stats() async throws -> StoreStats
}
