import Crypto
import Foundation

/// Content hashes: of image files (to recognise a moved file) and of a model folder (its identity).
public enum Fingerprint {
    /// SHA-256 of a file's bytes, hex, read in 1 MiB pieces.
    public static func file(_ url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hex(hasher.finalize())
    }

    /// The identity of the model in `folder` computing at `dtype`: SHA-256 of config.json, and of the
    /// weights files' names, sizes and first and last 16 MiB (a full pass over gigabytes of weights on
    /// every run would cost seconds; a different checkpoint differs there).
    public static func model(folder: URL, dtype: String, dimension: Int) throws -> ModelIdentity {
        let config = try Data(contentsOf: folder.appendingPathComponent("config.json"))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".bin") || $0.hasSuffix(".index.json") }
            .sorted()
        var hasher = SHA256()
        let edge = 16 << 20
        for name in names {
            let url = folder.appendingPathComponent(name).resolvingSymlinksInPath()
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
            hasher.update(data: Data("\(name)\u{0}\(size)\u{0}".utf8))
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            hasher.update(data: try handle.read(upToCount: edge) ?? Data())
            if size > 2 * edge {
                try handle.seek(toOffset: UInt64(size - edge))
                hasher.update(data: try handle.read(upToCount: edge) ?? Data())
            } else if size > edge {
                hasher.update(data: try handle.readToEnd() ?? Data())
            }
        }
        return ModelIdentity(configHash: hex(SHA256.hash(data: config)), weightsHash: hex(hasher.finalize()),
                             dtype: dtype, dimension: dimension)
    }

    /// An opaque id for an indexed path (the first 32 hex digits of its SHA-256): how the server names an
    /// image to clients without taking paths from them.
    public static func pathID(_ path: String) -> String {
        String(hex(SHA256.hash(data: Data(path.utf8))).prefix(32))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
