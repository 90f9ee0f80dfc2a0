import AltCLIPSupport
import Foundation

/// Read access to a checkpoint, whatever its format: one safetensors file, a PyTorch
/// `pytorch_model.bin` (torch's zip format), or a sharded set of either described by an index JSON.
///
/// Opening validates every header, index and tensor view, so a store that opened reads every tensor
/// in bounds. Files are memory-mapped: opening is cheap, bytes are read when first touched, and F32
/// data is handed out without copying. Safe to share between threads.
///
/// ```swift
/// let store = try WeightStore.open(directory: modelFolder)
/// let (shape, values) = try store.float32("logit_scale")
/// ```
public final class WeightStore: @unchecked Sendable {
    /// The container format of the files behind a store.
    public enum Format: String, Sendable {
        case safetensors
        case pytorch
    }

    /// File names `open(directory:)` looks for, in order of preference (safetensors first: it maps
    /// without running a pickle).
    public static let knownFileNames = ModelFolderFiles.weights

    /// Container format.
    public let format: Format
    /// The weight files read (the shards, for an index).
    public let files: [URL]
    /// safetensors `__metadata__` (or an index's string-valued `metadata`); empty for PyTorch files.
    public let metadata: [String: String]
    /// Every tensor key, sorted.
    public let keys: [String]

    private let location: String
    private let sources: [WeightSource]
    private let sourceIndex: [String: Int]

    /// Opens the weights in a model folder: `model.safetensors`, `model.safetensors.index.json`,
    /// `pytorch_model.bin` or `pytorch_model.bin.index.json`, the first one present.
    public static func open(directory: URL) throws -> WeightStore {
        for name in knownFileNames {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate.path) { return try WeightStore(file: candidate) }
        }
        throw WeightError.noWeightFiles(directory: directory.path, looked: knownFileNames)
    }

    /// Opens one weight file, or a shard index (`*.index.json`) and every shard it names.
    /// The format follows the name (`.safetensors`, `.bin`/`.pt`/`.pth`), else the file's first bytes.
    public convenience init(file url: URL) throws {
        let name = url.lastPathComponent
        if name.hasSuffix(".json") {
            try self.init(index: url)
            return
        }
        let mapped = try MappedFile(url: url)
        let format = Self.format(of: name, contents: mapped)
        let source: WeightSource = format == .safetensors ? try SafetensorsFile(file: mapped) : try TorchCheckpoint(file: mapped)
        self.init(format: format, location: url.path, files: [url], sources: [source],
                  metadata: (source as? SafetensorsFile)?.metadata ?? [:], keyMap: nil)
    }

    /// Reads a file held in memory (tests and fuzzing); `name` picks the format like a file name would.
    convenience init(contents: [UInt8], name: String) throws {
        let mapped = MappedFile(contents: contents, path: name)
        let format = Self.format(of: name, contents: mapped)
        let source: WeightSource = format == .safetensors ? try SafetensorsFile(file: mapped) : try TorchCheckpoint(file: mapped)
        self.init(format: format, location: name, files: [URL(fileURLWithPath: name)], sources: [source],
                  metadata: (source as? SafetensorsFile)?.metadata ?? [:], keyMap: nil)
    }

    private convenience init(index url: URL) throws {
        let index = try ShardIndex(url: url)
        let name = url.lastPathComponent
        let folder = url.deletingLastPathComponent()
        let format: Format
        if name.contains(".safetensors") {
            format = .safetensors
        } else if name.contains(".bin") || name.contains(".pt") {
            format = .pytorch
        } else {
            format = index.shards.first?.hasSuffix(".safetensors") == true ? .safetensors : .pytorch
        }
        var sources: [WeightSource] = []
        var files: [URL] = []
        var shardPosition: [String: Int] = [:]
        for shard in index.shards {
            let shardURL = folder.appendingPathComponent(shard)
            let mapped = try MappedFile(url: shardURL)
            shardPosition[shard] = sources.count
            sources.append(format == .safetensors ? try SafetensorsFile(file: mapped) : try TorchCheckpoint(file: mapped))
            files.append(shardURL)
        }
        var keyMap: [String: Int] = [:]
        for (key, shard) in index.weightMap {
            let position = shardPosition[shard]!
            guard sources[position].info(key) != nil else {
                throw WeightError.keyMissingFromShard(index: url.path, key: key, shard: shard)
            }
            keyMap[key] = position
        }
        self.init(format: format, location: url.path, files: files, sources: sources, metadata: index.metadata,
                  keyMap: keyMap)
    }

    private init(format: Format, location: String, files: [URL], sources: [WeightSource],
                 metadata: [String: String], keyMap: [String: Int]?) {
        self.format = format
        self.location = location
        self.files = files
        self.sources = sources
        self.metadata = metadata
        if let keyMap {
            sourceIndex = keyMap
        } else {
            var single: [String: Int] = [:]
            for key in sources[0].orderedKeys { single[key] = 0 }
            sourceIndex = single
        }
        keys = sourceIndex.keys.sorted()
    }

    private static func format(of name: String, contents: MappedFile) -> Format {
        if name.hasSuffix(".safetensors") { return .safetensors }
        if name.hasSuffix(".bin") || name.hasSuffix(".pt") || name.hasSuffix(".pth") { return .pytorch }
        let view = ByteView(contents.bytes)
        if view.u32(0) == 0x0403_4B50 || view.u8(0) == 0x80 { return .pytorch }
        return .safetensors
    }

    /// Whether a tensor named `key` exists.
    public func contains(_ key: String) -> Bool { sourceIndex[key] != nil }

    /// Dtype and shape of `key`, without reading its data; nil when absent.
    public func info(_ key: String) -> TensorInfo? {
        sourceIndex[key].flatMap { sources[$0].info(key) }
    }

    /// The tensor named `key`; throws `keyNotFound` naming the file when absent.
    public func tensor(_ key: String) throws -> WeightTensor {
        guard let position = sourceIndex[key] else { throw WeightError.keyNotFound(file: location, key: key) }
        return try sources[position].tensor(key)
    }

    /// The tensor's shape and its values as `Float` (F16/BF16/F64 converted); integers throw `dtypeMismatch`.
    public func float32(_ key: String) throws -> (shape: [Int], values: [Float]) {
        let tensor = try tensor(key)
        return (tensor.shape, try tensor.float32Values())
    }

    /// The tensor's shape and its values as `Int64` (any integer dtype or BOOL).
    public func int64(_ key: String) throws -> (shape: [Int], values: [Int64]) {
        let tensor = try tensor(key)
        return (tensor.shape, try tensor.int64Values())
    }
}
