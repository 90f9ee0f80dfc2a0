import AltCLIPJSON
import Foundation

/// A `model.safetensors.index.json` or `pytorch_model.bin.index.json`: `{"metadata": {...},
/// "weight_map": {"key": "shard file name", ...}}`, as transformers writes next to sharded checkpoints.
struct ShardIndex {
    /// Key → shard file name (relative to the index's folder).
    let weightMap: [String: String]
    /// Shard file names in first-use order.
    let shards: [String]
    /// String-valued entries of `metadata` (e.g. `format`); numbers such as `total_size` are skipped.
    let metadata: [String: String]

    init(url: URL) throws {
        let path = url.path
        let file = try MappedFile(url: url)
        let json = try WeightJSON.parse(file.bytes, file: path)
        guard case let .object(members) = json else { throw WeightError.headerNotObject(file: path) }
        var weightMap: [String: String] = [:]
        var shards: [String] = []
        var metadata: [String: String] = [:]
        var sawMap = false
        for (key, value) in members {
            switch key {
            case "weight_map":
                guard case let .object(pairs) = value else {
                    throw WeightError.invalidIndex(file: path, reason: "weight_map must be an object")
                }
                sawMap = true
                for (name, shardValue) in pairs {
                    guard case let .string(shard) = shardValue else {
                        throw WeightError.invalidIndex(file: path, reason: "shard of '\(name)' must be a string")
                    }
                    guard Self.isPlainFileName(shard) else {
                        throw WeightError.invalidIndex(file: path, reason: "shard name '\(shard)' must be a file in the same folder")
                    }
                    weightMap[name] = shard
                    if !shards.contains(shard) { shards.append(shard) }
                }
            case "metadata":
                if case let .object(pairs) = value {
                    for case let (name, .string(string)) in pairs { metadata[name] = string }
                }
            default:
                continue  // other top-level keys carry nothing we need
            }
        }
        guard sawMap else { throw WeightError.invalidIndex(file: path, reason: "missing weight_map") }
        self.weightMap = weightMap
        self.shards = shards
        self.metadata = metadata
    }

    /// No folders, no `..`: an index must not make us open files elsewhere.
    private static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\\")
            && !name.contains("\0")
    }
}
