import Foundation
import AltCLIPTensor

/// Configuration of the CLIP ViT image tower (`AltCLIPVisionModel`), `model_type` `altclip_vision_model`.
///
/// Fields and defaults follow transformers 5.24 `configuration_altclip.py`. The defaults are CLIP
/// ViT-B/32's, not BAAI/AltCLIP's (which is ViT-L/14: hidden 1024, 24 layers, patch 14): always read
/// the published `config.json`.
public struct AltCLIPVisionConfig: Codable, Equatable, Sendable {
    /// The `model_type` transformers writes for this config.
    public static let modelType = "altclip_vision_model"
    /// Activations the Swift towers implement (names as in transformers' `ACT2FN`).
    /// Every parameter-free activation of transformers' `ACT2FN` (`Activation`).
    public static let supportedActivations = Activation.allCases.map(\.rawValue)

    /// Width of the encoder (`hidden_size`).
    public var hiddenSize: Int
    /// MLP width (`intermediate_size`).
    public var intermediateSize: Int
    /// Projection width of the CLIP vision config (`projection_dim`); `AltCLIPModel` uses the top-level one.
    public var projectionDim: Int
    /// Number of encoder layers (`num_hidden_layers`).
    public var numHiddenLayers: Int
    /// Attention heads per layer (`num_attention_heads`).
    public var numAttentionHeads: Int
    /// Input channels (`num_channels`).
    public var numChannels: Int
    /// Side of the square input image in pixels (`image_size`).
    public var imageSize: Int
    /// Side of a square patch in pixels (`patch_size`).
    public var patchSize: Int
    /// MLP activation (`hidden_act`).
    public var hiddenAct: String
    /// Epsilon of every LayerNorm in the tower (`layer_norm_eps`).
    public var layerNormEps: Double
    /// Dropout on attention probabilities (`attention_dropout`); unused at inference.
    public var attentionDropout: Double
    /// Standard deviation of the normal initialiser (`initializer_range`).
    public var initializerRange: Double
    /// Initialisation scale factor (`initializer_factor`).
    public var initializerFactor: Double
    /// `architectures` as saved by transformers for a standalone vision model, if present.
    public var architectures: [String]?
    /// `transformers_version` that wrote the file, if present.
    public var transformersVersion: String?
    /// Stored weight dtype (`dtype`, or `torch_dtype` in files written by transformers 4.x), if present.
    public var dtype: String?

    /// A config with the given values; the defaults are transformers 5.24's.
    public init(
        hiddenSize: Int = 768,
        intermediateSize: Int = 3072,
        projectionDim: Int = 512,
        numHiddenLayers: Int = 12,
        numAttentionHeads: Int = 12,
        numChannels: Int = 3,
        imageSize: Int = 224,
        patchSize: Int = 32,
        hiddenAct: String = "quick_gelu",
        layerNormEps: Double = 1e-5,
        attentionDropout: Double = 0,
        initializerRange: Double = 0.02,
        initializerFactor: Double = 1.0,
        architectures: [String]? = nil,
        transformersVersion: String? = nil,
        dtype: String? = nil
    ) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.projectionDim = projectionDim
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numChannels = numChannels
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
        self.attentionDropout = attentionDropout
        self.initializerRange = initializerRange
        self.initializerFactor = initializerFactor
        self.architectures = architectures
        self.transformersVersion = transformersVersion
        self.dtype = dtype
    }

    /// Width of one attention head (`hidden_size / num_attention_heads`).
    public var headDim: Int { numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0 }
    /// Patches per side at `image_size` (transformers: `image_size // patch_size`).
    public var patchesPerSide: Int { patchSize > 0 ? imageSize / patchSize : 0 }
    /// Patch count plus the class token: rows of `position_embedding`.
    public var numPositions: Int { patchesPerSide * patchesPerSide + 1 }

    public enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case projectionDim = "projection_dim"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case attentionDropout = "attention_dropout"
        case initializerRange = "initializer_range"
        case initializerFactor = "initializer_factor"
        case architectures
        case transformersVersion = "transformers_version"
        case dtype
        case torchDtype = "torch_dtype"
        case modelType = "model_type"
    }

    /// Decodes a `vision_config` object; absent or null keys take the defaults and unknown keys are
    /// ignored, as transformers does.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AltCLIPVisionConfig()
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        projectionDim = try c.value(.projectionDim, default: d.projectionDim)
        numHiddenLayers = try c.value(.numHiddenLayers, default: d.numHiddenLayers)
        numAttentionHeads = try c.value(.numAttentionHeads, default: d.numAttentionHeads)
        numChannels = try c.value(.numChannels, default: d.numChannels)
        imageSize = try c.squareSize(.imageSize, default: d.imageSize)
        patchSize = try c.squareSize(.patchSize, default: d.patchSize)
        hiddenAct = try c.value(.hiddenAct, default: d.hiddenAct)
        layerNormEps = try c.value(.layerNormEps, default: d.layerNormEps)
        attentionDropout = try c.value(.attentionDropout, default: d.attentionDropout)
        initializerRange = try c.value(.initializerRange, default: d.initializerRange)
        initializerFactor = try c.value(.initializerFactor, default: d.initializerFactor)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        transformersVersion = try c.decodeIfPresent(String.self, forKey: .transformersVersion)
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype)
            ?? c.decodeIfPresent(String.self, forKey: .torchDtype)
    }

    /// Encodes every field under its JSON key, plus `model_type`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(projectionDim, forKey: .projectionDim)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numChannels, forKey: .numChannels)
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encode(attentionDropout, forKey: .attentionDropout)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(initializerFactor, forKey: .initializerFactor)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encodeIfPresent(transformersVersion, forKey: .transformersVersion)
        try c.encodeIfPresent(dtype, forKey: .dtype)
        try c.encode(Self.modelType, forKey: .modelType)
    }
}
