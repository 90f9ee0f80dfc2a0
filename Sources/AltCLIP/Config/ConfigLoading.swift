import Foundation

extension AltCLIPConfig {
    /// Loads and validates `config.json` from a file, or from a model folder containing one.
    public init(contentsOf url: URL) throws {
        let (data, path) = try ConfigJSON.read(url)
        try self.init(jsonData: data, path: path)
    }

    /// Decodes and validates a combined config; `path` only labels errors.
    public init(jsonData data: Data, path: String? = nil) throws {
        if let type = try ConfigJSON.modelType(in: data, path: path), type != Self.modelType {
            throw AltCLIPConfigError.modelTypeMismatch(path: path, expected: [Self.modelType], actual: type)
        }
        self = try ConfigJSON.decode(AltCLIPConfig.self, from: data, path: path)
        try ConfigJSON.validating(path) { try validate() }
    }

    /// The config as JSON in transformers' 5.x layout (sorted keys, indented).
    public func jsonData() throws -> Data { try ConfigJSON.encode(self) }

    /// Writes the config to a file, or to `config.json` inside an existing folder.
    public func write(to url: URL) throws { try ConfigJSON.write(jsonData(), to: url) }
}

extension AltCLIPTextConfig {
    /// Loads and validates a text config from a file or model folder: a standalone
    /// `altclip_text_model` config, or the `text_config` of a combined `altclip` config (as
    /// `AltCLIPTextModel.from_pretrained` does).
    public init(contentsOf url: URL) throws {
        let (data, path) = try ConfigJSON.read(url)
        try self.init(jsonData: data, path: path)
    }

    /// Decodes and validates a standalone or combined config's text part; `path` only labels errors.
    public init(jsonData data: Data, path: String? = nil) throws {
        switch try ConfigJSON.modelType(in: data, path: path) {
        case nil, Self.modelType?:
            self = try ConfigJSON.decode(AltCLIPTextConfig.self, from: data, path: path)
        case AltCLIPConfig.modelType?:
            self = try ConfigJSON.decode(AltCLIPConfig.self, from: data, path: path).textConfig
        case let other?:
            throw AltCLIPConfigError.modelTypeMismatch(
                path: path, expected: [Self.modelType, AltCLIPConfig.modelType], actual: other)
        }
        try ConfigJSON.validating(path) { try validate() }
    }

    /// The config as a standalone `altclip_text_model` JSON file (sorted keys, indented).
    public func jsonData() throws -> Data { try ConfigJSON.encode(self) }

    /// Writes the config to a file, or to `config.json` inside an existing folder.
    public func write(to url: URL) throws { try ConfigJSON.write(jsonData(), to: url) }
}

extension AltCLIPVisionConfig {
    /// Loads and validates a vision config from a file or model folder: a standalone
    /// `altclip_vision_model` config, or the `vision_config` of a combined `altclip` config.
    public init(contentsOf url: URL) throws {
        let (data, path) = try ConfigJSON.read(url)
        try self.init(jsonData: data, path: path)
    }

    /// Decodes and validates a standalone or combined config's vision part; `path` only labels errors.
    public init(jsonData data: Data, path: String? = nil) throws {
        switch try ConfigJSON.modelType(in: data, path: path) {
        case nil, Self.modelType?:
            self = try ConfigJSON.decode(AltCLIPVisionConfig.self, from: data, path: path)
        case AltCLIPConfig.modelType?:
            self = try ConfigJSON.decode(AltCLIPConfig.self, from: data, path: path).visionConfig
        case let other?:
            throw AltCLIPConfigError.modelTypeMismatch(
                path: path, expected: [Self.modelType, AltCLIPConfig.modelType], actual: other)
        }
        try ConfigJSON.validating(path) { try validate() }
    }

    /// The config as a standalone `altclip_vision_model` JSON file (sorted keys, indented).
    public func jsonData() throws -> Data { try ConfigJSON.encode(self) }

    /// Writes the config to a file, or to `config.json` inside an existing folder.
    public func write(to url: URL) throws { try ConfigJSON.write(jsonData(), to: url) }
}
