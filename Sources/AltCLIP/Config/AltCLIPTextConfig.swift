import Foundation

/// Configuration of the XLM-RoBERTa text tower (`AltCLIPTextModel`), `model_type` `altclip_text_model`.
///
/// Fields and defaults follow transformers 5.24 `configuration_altclip.py` plus the two fields the
/// seed documents from older versions (`position_embedding_type`, `use_cache`). The defaults describe
/// the BAAI/AltCLIP text tower (XLM-R large).
public struct AltCLIPTextConfig: Codable, Equatable, Sendable {
    /// The `model_type` transformers writes for this config.
    public static let modelType = "altclip_text_model"
    /// Activations the Swift towers implement (names as in transformers' `ACT2FN`).
    public static let supportedActivations = AltCLIPVisionConfig.supportedActivations
    /// Values of `position_embedding_type` that transformers 4.x accepted.
    public static let supportedPositionEmbeddingTypes = PositionEmbedding.allCases.map(\.rawValue)

    /// How the text tower encodes positions (`position_embedding_type`).
    public enum PositionEmbedding: String, CaseIterable, Sendable {
        /// A learned table added to the token embeddings (transformers 5; AltCLIP's checkpoints).
        case absolute
        /// transformers 4.x: a learned distance table in each attention, query · distance.
        case relativeKey = "relative_key"
        /// transformers 4.x: as `relativeKey`, plus key · distance.
        case relativeKeyQuery = "relative_key_query"

        public var isRelative: Bool { self != .absolute }
    }

    /// `positionEmbeddingType` as the enum; nil for a value `validate()` refuses.
    public var positionEmbedding: PositionEmbedding? { PositionEmbedding(rawValue: positionEmbeddingType) }

    /// Number of token ids (`vocab_size`).
    public var vocabSize: Int
    /// Width of the encoder (`hidden_size`).
    public var hiddenSize: Int
    /// Feed-forward width (`intermediate_size`).
    public var intermediateSize: Int
    /// Number of encoder layers (`num_hidden_layers`).
    public var numHiddenLayers: Int
    /// Attention heads per layer (`num_attention_heads`).
    public var numAttentionHeads: Int
    /// Rows of the position embedding table (`max_position_embeddings`); usable length is this minus `pad_token_id + 1`.
    public var maxPositionEmbeddings: Int
    /// Feed-forward activation (`hidden_act`); `"gelu"` is the exact erf form.
    public var hiddenAct: String
    /// Epsilon of every LayerNorm in the tower (`layer_norm_eps`).
    public var layerNormEps: Double
    /// Standard deviation of the normal initialiser (`initializer_range`).
    public var initializerRange: Double
    /// Initialisation scale factor (`initializer_factor`).
    public var initializerFactor: Double
    /// Padding token (`pad_token_id`); position ids start at `pad_token_id + 1`.
    public var padTokenId: Int?
    /// Beginning-of-sequence token (`bos_token_id`).
    public var bosTokenId: Int?
    /// End-of-sequence token (`eos_token_id`); when the file holds a list, its first entry.
    public var eosTokenId: Int?
    /// Every end-of-sequence token when the file holds a list (kept, and written back as a list).
    public var eosTokenIds: [Int]?
    /// Dropout after dense layers (`hidden_dropout_prob`); unused at inference.
    public var hiddenDropoutProb: Double
    /// Dropout on attention probabilities (`attention_probs_dropout_prob`); unused at inference.
    public var attentionProbsDropoutProb: Double
    /// Rows of the token type embedding table (`type_vocab_size`).
    public var typeVocabSize: Int
    /// Output width of `transformation`, the teacher's width (`project_dim`).
    public var projectDim: Int
    /// `absolute`, `relative_key` or `relative_key_query` (`position_embedding_type`, transformers 4.x).
    public var positionEmbeddingType: String
    /// Decoder cache flag (`use_cache`); meaningless for this encoder, kept for round-trips.
    public var useCache: Bool
    /// `architectures` as saved by transformers for a standalone text model, if present.
    public var architectures: [String]?
    /// `transformers_version` that wrote the file, if present.
    public var transformersVersion: String?
    /// Stored weight dtype (`dtype`, or `torch_dtype` in files written by transformers 4.x), if present.
    public var dtype: String?

    /// A config with the given values; the defaults are transformers 5.24's.
    public init(
        vocabSize: Int = 250_002,
        hiddenSize: Int = 1024,
        intermediateSize: Int = 4096,
        numHiddenLayers: Int = 24,
        numAttentionHeads: Int = 16,
        maxPositionEmbeddings: Int = 514,
        hiddenAct: String = "gelu",
        layerNormEps: Double = 1e-5,
        initializerRange: Double = 0.02,
        initializerFactor: Double = 0.02,
        padTokenId: Int? = 1,
        bosTokenId: Int? = 0,
        eosTokenId: Int? = 2,
        hiddenDropoutProb: Double = 0.1,
        // transformers 5.24 defaults this to 0; the 4.x signature in the seed had 0.1.
        attentionProbsDropoutProb: Double = 0,
        typeVocabSize: Int = 1,
        projectDim: Int = 768,
        positionEmbeddingType: String = "absolute",
        useCache: Bool = true,
        architectures: [String]? = nil,
        transformersVersion: String? = nil,
        dtype: String? = nil
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
        self.initializerRange = initializerRange
        self.initializerFactor = initializerFactor
        self.padTokenId = padTokenId
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.typeVocabSize = typeVocabSize
        self.projectDim = projectDim
        self.positionEmbeddingType = positionEmbeddingType
        self.useCache = useCache
        self.architectures = architectures
        self.transformersVersion = transformersVersion
        self.dtype = dtype
    }

    /// Width of one attention head (`hidden_size / num_attention_heads`).
    public var headDim: Int { numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0 }

    public enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case initializerRange = "initializer_range"
        case initializerFactor = "initializer_factor"
        case padTokenId = "pad_token_id"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case typeVocabSize = "type_vocab_size"
        case projectDim = "project_dim"
        case positionEmbeddingType = "position_embedding_type"
        case useCache = "use_cache"
        case architectures
        case transformersVersion = "transformers_version"
        case dtype
        case torchDtype = "torch_dtype"
        case modelType = "model_type"
    }

    /// Decodes a `text_config` object; absent or null keys take the defaults and unknown keys are ignored,
    /// as transformers does.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AltCLIPTextConfig()
        vocabSize = try c.value(.vocabSize, default: d.vocabSize)
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        numHiddenLayers = try c.value(.numHiddenLayers, default: d.numHiddenLayers)
        numAttentionHeads = try c.value(.numAttentionHeads, default: d.numAttentionHeads)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: d.maxPositionEmbeddings)
        hiddenAct = try c.value(.hiddenAct, default: d.hiddenAct)
        layerNormEps = try c.value(.layerNormEps, default: d.layerNormEps)
        initializerRange = try c.value(.initializerRange, default: d.initializerRange)
        initializerFactor = try c.value(.initializerFactor, default: d.initializerFactor)
        padTokenId = try c.tokenID(.padTokenId, default: d.padTokenId)
        bosTokenId = try c.tokenID(.bosTokenId, default: d.bosTokenId)
        eosTokenId = try c.tokenID(.eosTokenId, default: d.eosTokenId)
        eosTokenIds = c.contains(.eosTokenId) ? try? c.decode([Int].self, forKey: .eosTokenId) : nil
        hiddenDropoutProb = try c.value(.hiddenDropoutProb, default: d.hiddenDropoutProb)
        attentionProbsDropoutProb = try c.value(.attentionProbsDropoutProb, default: d.attentionProbsDropoutProb)
        typeVocabSize = try c.value(.typeVocabSize, default: d.typeVocabSize)
        projectDim = try c.value(.projectDim, default: d.projectDim)
        positionEmbeddingType = try c.value(.positionEmbeddingType, default: d.positionEmbeddingType)
        useCache = try c.value(.useCache, default: d.useCache)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        transformersVersion = try c.decodeIfPresent(String.self, forKey: .transformersVersion)
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype)
            ?? c.decodeIfPresent(String.self, forKey: .torchDtype)
    }

    /// Encodes every field under its JSON key, plus `model_type`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(initializerFactor, forKey: .initializerFactor)
        try c.encode(padTokenId, forKey: .padTokenId)
        try c.encode(bosTokenId, forKey: .bosTokenId)
        if let eosTokenIds, eosTokenIds.first == eosTokenId {
            try c.encode(eosTokenIds, forKey: .eosTokenId)
        } else {
            try c.encode(eosTokenId, forKey: .eosTokenId)
        }
        try c.encode(hiddenDropoutProb, forKey: .hiddenDropoutProb)
        try c.encode(attentionProbsDropoutProb, forKey: .attentionProbsDropoutProb)
        try c.encode(typeVocabSize, forKey: .typeVocabSize)
        try c.encode(projectDim, forKey: .projectDim)
        try c.encode(positionEmbeddingType, forKey: .positionEmbeddingType)
        try c.encode(useCache, forKey: .useCache)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encodeIfPresent(transformersVersion, forKey: .transformersVersion)
        try c.encodeIfPresent(dtype, forKey: .dtype)
        try c.encode(Self.modelType, forKey: .modelType)
    }
}
