import AltCLIPTensor
import AltCLIPWeights
import Foundation

/// Reads a model folder in the Hugging Face layout: `config.json` plus `model.safetensors`,
/// `model.safetensors.index.json`, `pytorch_model.bin` or `pytorch_model.bin.index.json`.
enum ModelFolder {
    static func openWeights(_ directory: URL) throws -> (CheckpointSource, [String]) {
        let store = try WeightStore.open(directory: directory)
        return (CheckpointSource(store: store), store.files.map(\.path))
    }

    static func configURL(_ directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw AltCLIPError.missingFile(path: url.path,
                                           hint: "a model folder needs config.json next to its weights")
        }
        return url
    }

    /// The first of `prefixes` under which the checkpoint has keys (`""` always matches).
    static func prefix(in source: ParameterSource, candidates: [String]) -> String {
        for candidate in candidates where candidate.isEmpty || source.keys.contains(where: { $0.hasPrefix(candidate) }) {
            return candidate
        }
        return candidates.last ?? ""
    }
}

/// What a folder-loading initialiser needs: a loader over the folder's weights (at `precision`), the
/// key prefix the checkpoint uses, and, after the model is built, what it held besides.
struct FolderLoad {
    let loader: ParameterLoader
    let source: ParameterSource
    let files: [String]
    let prefix: String

    init(_ directory: URL, precision: ComputePrecision, prefixes: [String]) throws {
        let (source, files) = try ModelFolder.openWeights(directory)
        self.source = source
        self.files = files
        prefix = ModelFolder.prefix(in: source, candidates: prefixes)
        loader = ParameterLoader(source: source)
        loader.precision = precision
    }

    var scope: WeightScope { WeightScope(loader: loader, prefix: prefix) }

    var report: LoadReport { LoadReport.make(loader: loader, source: source, files: files, prefix: prefix) }
}

extension AltCLIPModel {
    /// Loads a model folder. Strict: a missing or misshapen parameter throws with its full key.
    /// `precision` selects the linear layers' arithmetic (`.int8` quantizes their weights at load).
    public convenience init(directory: URL, precision: ComputePrecision = .float32) throws {
        let config = try AltCLIPConfig(contentsOf: ModelFolder.configURL(directory))
        let load = try FolderLoad(directory, precision: precision, prefixes: [""])
        try self.init(load.scope, config: config)
        loadReport = load.report
    }
}

extension AltCLIPTextModel {
    /// Loads the text tower from a standalone `AltCLIPTextModel` folder or from a combined
    /// `AltCLIPModel` folder (keys under `text_model.`). `precision` as for `AltCLIPModel`.
    public convenience init(directory: URL, precision: ComputePrecision = .float32) throws {
        let config = try AltCLIPTextConfig(contentsOf: ModelFolder.configURL(directory))
        let load = try FolderLoad(directory, precision: precision, prefixes: ["text_model.", ""])
        try self.init(load.scope, config: config)
        loadReport = load.report
    }
}

extension AltCLIPVisionModel {
    /// Loads the vision tower from a standalone `AltCLIPVisionModel` folder or from a combined
    /// `AltCLIPModel` folder (keys under `vision_model.` in both). `precision` as for `AltCLIPModel`.
    public convenience init(directory: URL, precision: ComputePrecision = .float32) throws {
        let config = try AltCLIPVisionConfig(contentsOf: ModelFolder.configURL(directory))
        let load = try FolderLoad(directory, precision: precision, prefixes: ["vision_model.", ""])
        try self.init(load.scope, config: config)
        loadReport = load.report
    }
}
