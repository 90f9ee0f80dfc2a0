import Foundation

/// Configuration of `AltCLIPModel` (`model_type` `altclip`): both towers plus the shared projection.
///
/// Decodes `config.json` as published on the hub and as written by transformers 4.x and 5.x: nested
/// `text_config` / `vision_config`, the legacy `text_config_dict` / `vision_config_dict` (which win),
/// and any number of unknown keys (FlagAI leftovers such as `direct_kd`, `num_layers`, `_commit_hash`).
public struct AltCLIPConfig: Codable, Equatable, Sendable {
    /// The `model_type` transformers writes for this config.
    public static let modelType = "altclip"

    /// The text tower (`text_config`).
    public var textConfig: AltCLIPTextConfig
    /// The image tower (`vision_config`).
    public var visionConfig: AltCLIPVisionConfig
    /// Width of the shared embedding space: output of `text_projection` and `visual_projection`.
    public var projectionDim: Int
    /// Initial value of the `logit_scale` parameter (ln(1/0.07)); trained checkpoints store their own.
    public var logitScaleInitValue: Double
    /// Initialisation scale factor (`initializer_factor`).
    public var initializerFactor: Double
    /// `architectures` as saved by transformers, if present.
    public var architectures: [String]?
    /// `transformers_version` that wrote the file, if present.
    public var transformersVersion: String?
    /// Stored weight dtype (`dtype`, or `torch_dtype` in files written by transformers 4.x), if present.
    public var dtype: String?

    /// A config with the given values; the defaults are transformers 5.24's (the BAAI/AltCLIP text tower
    /// and a ViT-B/32 image tower).
    public init(
        textConfig: AltCLIPTextConfig = AltCLIPTextConfig(),
        visionConfig: AltCLIPVisionConfig = AltCLIPVisionConfig(),
        projectionDim: Int = 768,
        logitScaleInitValue: Double = 2.6592,
        initializerFactor: Double = 1.0,
        architectures: [String]? = nil,
        transformersVersion: String? = nil,
        dtype: String? = nil
    ) {
        self.textConfig = textConfig
        self.visionConfig = visionConfig
        self.projectionDim = projectionDim
        self.logitScaleInitValue = logitScaleInitValue
        self.initializerFactor = initializerFactor
        self.architectures = architectures
        self.transformersVersion = transformersVersion
        self.dtype = dtype
    }

    /// Joins a text and a vision config (transformers' `from_text_vision_configs`, removed in 5.x where
    /// the constructor takes both directly).
    public static func fromTextVisionConfigs(
        _ textConfig: AltCLIPTextConfig,
        _ visionConfig: AltCLIPVisionConfig,
        projectionDim: Int = 768,
        logitScaleInitValue: Double = 2.6592
    ) -> AltCLIPConfig {
        AltCLIPConfig(
            textConfig: textConfig, visionConfig: visionConfig,
            projectionDim: projectionDim, logitScaleInitValue: logitScaleInitValue)
    }

    public enum CodingKeys: String, CodingKey {
        case textConfig = "text_config"
        case visionConfig = "vision_config"
        case textConfigDict = "text_config_dict"
        case visionConfigDict = "vision_config_dict"
        case projectionDim = "projection_dim"
        case logitScaleInitValue = "logit_scale_init_value"
        case initializerFactor = "initializer_factor"
        case architectures
        case transformersVersion = "transformers_version"
        case dtype
        case torchDtype = "torch_dtype"
        case modelType = "model_type"
    }

    /// Decodes a combined config. When `text_config_dict` is present, transformers expands it with the
    /// class defaults and lets it overwrite every field of `text_config`, so it alone decides the text
    /// tower; the same holds for `vision_config_dict`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AltCLIPConfig()
        textConfig = try c.decodeIfPresent(AltCLIPTextConfig.self, forKey: .textConfigDict)
            ?? c.value(.textConfig, default: d.textConfig)
        visionConfig = try c.decodeIfPresent(AltCLIPVisionConfig.self, forKey: .visionConfigDict)
            ?? c.value(.visionConfig, default: d.visionConfig)
        projectionDim = try c.value(.projectionDim, default: d.projectionDim)
        logitScaleInitValue = try c.value(.logitScaleInitValue, default: d.logitScaleInitValue)
        initializerFactor = try c.value(.initializerFactor, default: d.initializerFactor)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        transformersVersion = try c.decodeIfPresent(String.self, forKey: .transformersVersion)
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype)
            ?? c.decodeIfPresent(String.self, forKey: .torchDtype)
    }

    /// Encodes in the layout transformers 5.x writes (nested `text_config` / `vision_config`, no legacy
    /// `_dict` keys), plus `model_type`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(textConfig, forKey: .textConfig)
        try c.encode(visionConfig, forKey: .visionConfig)
        try c.encode(projectionDim, forKey: .projectionDim)
        try c.encode(logitScaleInitValue, forKey: .logitScaleInitValue)
        try c.encode(initializerFactor, forKey: .initializerFactor)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encodeIfPresent(transformersVersion, forKey: .transformersVersion)
        try c.encodeIfPresent(dtype, forKey: .dtype)
        try c.encode(Self.modelType, forKey: .modelType)
    }
}
