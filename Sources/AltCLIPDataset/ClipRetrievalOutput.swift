import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One shard's output in clip-retrieval's layout, which autofaiss and clip-retrieval's tools read:
///
///     OUT/img_emb/img_emb_{I}.npy         float16 [n, dim]
///     OUT/text_emb/text_emb_{I}.npy       float16 [n, dim]   (captions, when asked for)
///     OUT/metadata/metadata_{I}.jsonl     one line per row: key, path or url, caption, width, height
///     OUT/errors/errors_{I}.jsonl         samples that were skipped, and why
///     OUT/_SUCCESS/shard_{I}.json         the marker: written last, so its presence means the shard is whole
///
/// Everything is written to hidden `.partial` files beside the final names, flushed to disk, renamed into
/// place, and only then is the marker written (itself by rename). A killed run leaves no marker, and a
/// rerun redoes the shard; a shard with its marker is skipped.
public final class ClipRetrievalShardWriter {
    public let out: URL
    public let shard: Int
    private var image: NPYStreamWriter?
    private var text: NPYStreamWriter?
    private var metadata: FileHandle?
    private var errors: FileHandle?
    private var moves: [(URL, URL)] = []
    public private(set) var rows = 0
    public private(set) var failures = 0

    public static func marker(out: URL, shard: Int) -> URL {
        out.appendingPathComponent("_SUCCESS").appendingPathComponent("shard_\(shard).json")
    }

    /// Whether shard `shard` of `out` is finished.
    public static func isDone(out: URL, shard: Int) -> Bool {
        FileManager.default.fileExists(atPath: marker(out: out, shard: shard).path)
    }

    public init(out: URL, shard: Int, dimension: Int, captions: Bool) throws {
        self.out = out
        self.shard = shard
        let fm = FileManager.default
        for folder in ["img_emb", "metadata", "errors", "_SUCCESS"] + (captions ? ["text_emb"] : []) {
            try fm.createDirectory(at: out.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        func partial(_ folder: String, _ name: String) -> URL {
            let final = out.appendingPathComponent(folder).appendingPathComponent(name)
            let temporary = out.appendingPathComponent(folder).appendingPathComponent(".\(name).partial")
            moves.append((temporary, final))
            return temporary
        }
        image = try NPYStreamWriter(url: partial("img_emb", "img_emb_\(shard).npy"), columns: dimension)
        if captions { text = try NPYStreamWriter(url: partial("text_emb", "text_emb_\(shard).npy"), columns: dimension) }
        metadata = try Self.create(partial("metadata", "metadata_\(shard).jsonl"))
        errors = try Self.create(partial("errors", "errors_\(shard).jsonl"))
    }

    /// Appends one embedded row: the image vector, the caption's (when captions are written), and its
    /// metadata object (one JSON line).
    public func append(image vector: [Float], text textVector: [Float]?, metadata line: [String: Any]) throws {
        try image?.append(vector)
        if let text {
            guard let textVector else { throw ShardError("row \(rows) has no caption vector") }
            try text.append(textVector)
        }
        try metadata?.write(contentsOf: try Self.line(line))
        rows += 1
    }

    /// Records a skipped sample.
    public func skip(_ line: [String: Any]) throws {
        try errors?.write(contentsOf: try Self.line(line))
        failures += 1
    }

    /// Flushes everything, moves it into place, then writes the marker with `summary` added.
    public func finish(summary: [String: Any]) throws {
        try image?.finish()
        try text?.finish()
        for handle in [metadata, errors].compactMap({ $0 }) {
            try handle.synchronize()
            try handle.close()
        }
        metadata = nil
        errors = nil
        let fm = FileManager.default
        for (temporary, final) in moves {
            if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }
            try fm.moveItem(at: temporary, to: final)
        }
        var marker = summary
        marker["shard"] = shard
        marker["rows"] = rows
        marker["skipped"] = failures
        let url = Self.marker(out: out, shard: shard)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".shard_\(shard).json.partial")
        try JSONSerialization.data(withJSONObject: marker, options: [.sortedKeys, .withoutEscapingSlashes]).write(to: temporary)
        try Self.sync(temporary)
        if fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
        try fm.moveItem(at: temporary, to: url)
    }

    static func create(_ url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ShardError("cannot create \(url.path)")
        }
        return try FileHandle(forWritingTo: url)
    }

    static func line(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) + Data("\n".utf8)
    }

    static func sync(_ url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        try handle.synchronize()
        try handle.close()
    }
}

/// A `.npy` file of float16 rows written as they come: the header is reserved first and rewritten with
/// the final row count at the end (NumPy format 1.0, little-endian `<f2`).
public final class NPYStreamWriter {
    public let url: URL
    public let columns: Int
    private let handle: FileHandle
    private var rows = 0
    static let headerBytes = 128

    public init(url: URL, columns: Int) throws {
        self.url = url
        self.columns = columns
        handle = try ClipRetrievalShardWriter.create(url)
        try handle.write(contentsOf: Self.header(rows: 0, columns: columns))
    }

    public func append(_ row: [Float]) throws {
        guard row.count == columns else { throw ShardError("a vector of \(row.count) values in a file of \(columns)-value rows") }
        let bits = row.map { Float16($0).bitPattern.littleEndian }
        try handle.write(contentsOf: bits.withUnsafeBytes { Data($0) })
        rows += 1
    }

    public func finish() throws {
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Self.header(rows: rows, columns: columns))
        try handle.synchronize()
        try handle.close()
    }

    static func header(rows: Int, columns: Int) -> Data {
        var text = "{'descr': '<f2', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        text += String(repeating: " ", count: headerBytes - 10 - text.utf8.count - 1) + "\n"
        let length = UInt16(text.utf8.count)
        return Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]) + Data(text.utf8)
    }
}
