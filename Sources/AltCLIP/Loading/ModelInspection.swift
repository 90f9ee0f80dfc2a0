import AltCLIPTensor
import AltCLIPWeights
import Foundation

/// A look inside a model folder without running it: what the config says, what the weight files hold,
/// and how they line up with the model the config describes (for `altclip inspect`).
public struct ModelInspection: Sendable {
    /// Which class the folder holds, by `config.json`'s `model_type`.
    public enum Kind: String, Sendable, Codable {
        case model = "altclip"
        case textModel = "altclip_text_model"
        case visionModel = "altclip_vision_model"
    }

    /// One stored tensor.
    public struct Entry: Sendable, Codable, Equatable {
        public var key: String
        public var dtype: String
        public var shape: [Int]
    }

    public var kind: Kind
    /// The decoded config of the folder's kind (text or vision part for standalone towers).
    public var config: AltCLIPConfig?
    public var textConfig: AltCLIPTextConfig?
    public var visionConfig: AltCLIPVisionConfig?
    public var files: [String]
    public var format: String
    /// Every stored tensor, sorted by key.
    public var entries: [Entry]
    /// Parameters the model needs that are absent or misshapen, as readable messages.
    public var problems: [String]
    /// Stored keys the model does not use and that are not known buffers.
    public var unusedKeys: [String]
    /// Stored keys real checkpoints carry that are deliberately skipped.
    public var ignoredKeys: [String]

    /// Element count over every floating-point tensor the model uses.
    public var parameterCount: Int
    /// Stored bytes per dtype.
    public var bytesByDType: [String: Int]

    /// The checkpoint's `logit_scale` parameter (the log of the temperature; nil when the checkpoint has
    /// none, as a tower alone). Not the config's `logit_scale_init_value`, which only seeds training.
    public var logitScale: Float?

    /// Inspects `directory`.
    public init(directory: URL) throws {
        let configURL = try ModelFolder.configURL(directory)
        let (data, path) = try ConfigJSON.read(configURL)
        let kind = try Kind(configData: data, path: path)
        self.kind = kind
        let store = try WeightStore.open(directory: directory)
        let source = CheckpointSource(store: store)
        let loader = ParameterLoader(auditing: source)
        var prefix = ""
        switch kind {
        case .model:
            let config = try AltCLIPConfig(jsonData: data, path: path)
            self.config = config
            _ = try AltCLIPModel(WeightScope(loader: loader), config: config)
        case .textModel:
            let config = try AltCLIPTextConfig(jsonData: data, path: path)
            textConfig = config
            prefix = ModelFolder.prefix(in: source, candidates: ["text_model.", ""])
            _ = try AltCLIPTextModel(WeightScope(loader: loader, prefix: prefix), config: config)
        case .visionModel:
            let config = try AltCLIPVisionConfig(jsonData: data, path: path)
            visionConfig = config
            prefix = ModelFolder.prefix(in: source, candidates: ["vision_model.", ""])
            _ = try AltCLIPVisionModel(WeightScope(loader: loader, prefix: prefix), config: config)
        }
        files = store.files.map(\.path)
        format = store.format.rawValue
        entries = store.keys.compactMap { key in
            store.info(key).map { Entry(key: key, dtype: $0.dtype.rawValue, shape: $0.shape) }
        }
        problems = loader.problems.map(\.description)
        let report = LoadReport.make(loader: loader, source: source, files: files, prefix: prefix)
        unusedKeys = report.unusedKeys
        ignoredKeys = report.ignoredKeys
        parameterCount = loader.usedKeys.reduce(0) { $0 + (store.info($1)?.elementCount ?? 0) }
        var bytes: [String: Int] = [:]
        for key in store.keys { if let info = store.info(key) { bytes[info.dtype.rawValue, default: 0] += info.byteCount } }
        bytesByDType = bytes
        if store.contains("logit_scale"), let value = try? store.float32("logit_scale"), value.values.count == 1 {
            logitScale = value.values[0]
        }
    }
}

extension ModelInspection.Kind {
    /// The kind of model a folder's `config.json` describes.
    public init(folder: URL) throws {
        let (data, path) = try ConfigJSON.read(try ModelFolder.configURL(folder))
        try self.init(configData: data, path: path)
    }

    /// The kind named by a config's `model_type` (a combined model when absent).
    init(configData data: Data, path: String) throws {
        let type = try ConfigJSON.modelType(in: data, path: path) ?? Self.model.rawValue
        guard let kind = Self(rawValue: type) else {
            throw AltCLIPConfigError.modelTypeMismatch(path: path, expected: [Self.model.rawValue, Self.textModel.rawValue,
                                                                              Self.visionModel.rawValue], actual: type)
        }
        self = kind
    }
}
