import Foundation

/// Checks shared by the three configs; `section` prefixes every reported key (`text_config`, ...).
struct ConfigChecks {
    let section: String

    func positive(_ key: String, _ value: Int) throws {
        guard value > 0 else { throw AltCLIPConfigError.nonPositive(section: section, key: key, value: value) }
    }

    /// `value` lies in `1...limit`: sizes from a downloaded config are bounded before anything is built
    /// from them, so a hostile or corrupt value is an error naming its key, never a wrapped size.
    func positive(_ key: String, _ value: Int, atMost limit: Int) throws {
        try positive(key, value)
        guard value <= limit else {
            throw AltCLIPConfigError.outOfRange(section: section, key: key, value: "\(value)", expected: "at most \(limit)")
        }
    }

    func nonNegative(_ key: String, _ value: Int, atMost limit: Int) throws {
        try nonNegative(key, value)
        guard value <= limit else {
            throw AltCLIPConfigError.outOfRange(section: section, key: key, value: "\(value)", expected: "at most \(limit)")
        }
    }

    func nonNegative(_ key: String, _ value: Int) throws {
        guard value >= 0 else {
            throw AltCLIPConfigError.outOfRange(section: section, key: key, value: "\(value)", expected: ">= 0")
        }
    }

    func divisible(_ key: String, _ value: Int, by divisorKey: String, _ divisor: Int) throws {
        guard value % divisor == 0 else {
            throw AltCLIPConfigError.notDivisible(
                section: section, key: key, value: value, divisorKey: divisorKey, divisor: divisor)
        }
    }

    func activation(_ value: String, supported: [String]) throws {
        guard supported.contains(value) else {
            throw AltCLIPConfigError.unsupportedActivation(section: section, value: value, supported: supported)
        }
    }

    /// LayerNorm epsilon: finite and not negative (torch accepts 0).
    func epsilon(_ key: String, _ value: Double) throws {
        guard value.isFinite, value >= 0 else {
            throw AltCLIPConfigError.outOfRange(
                section: section, key: key, value: "\(value)", expected: "a finite number >= 0")
        }
    }

    func finite(_ key: String, _ value: Double) throws {
        guard value.isFinite else {
            throw AltCLIPConfigError.outOfRange(section: section, key: key, value: "\(value)", expected: "a finite number")
        }
    }
}

extension AltCLIPTextConfig {
    /// Throws the first reason the text tower cannot be built from this config.
    public func validate() throws {
        let check = ConfigChecks(section: "text_config")
        let limits = ConfigLimits.self
        try check.positive("vocab_size", vocabSize, atMost: limits.vocabulary)
        try check.positive("hidden_size", hiddenSize, atMost: limits.width)
        try check.positive("intermediate_size", intermediateSize, atMost: limits.intermediate)
        try check.nonNegative("num_hidden_layers", numHiddenLayers, atMost: limits.layers)
        try check.positive("num_attention_heads", numAttentionHeads, atMost: limits.width)
        try check.positive("max_position_embeddings", maxPositionEmbeddings, atMost: limits.positions)
        try check.positive("type_vocab_size", typeVocabSize, atMost: limits.tokenTypes)
        try check.positive("project_dim", projectDim, atMost: limits.width)
        // transformers: AltRobertaSelfAttention raises the same ValueError.
        try check.divisible("hidden_size", hiddenSize, by: "num_attention_heads", numAttentionHeads)
        try check.activation(hiddenAct, supported: Self.supportedActivations)
        try check.epsilon("layer_norm_eps", layerNormEps)
        guard Self.supportedPositionEmbeddingTypes.contains(positionEmbeddingType) else {
            throw AltCLIPConfigError.unsupportedPositionEmbeddingType(
                value: positionEmbeddingType, supported: Self.supportedPositionEmbeddingTypes)
        }
        guard let pad = padTokenId else { throw AltCLIPConfigError.missingPadToken }
        guard pad >= 0, pad < vocabSize else {
            throw AltCLIPConfigError.outOfRange(
                section: "text_config", key: "pad_token_id", value: "\(pad)", expected: "0 ..< vocab_size (\(vocabSize))")
        }
        // Positions start at pad_token_id + 1, so the table needs at least one row past it.
        guard pad + 1 < maxPositionEmbeddings else {
            throw AltCLIPConfigError.outOfRange(
                section: "text_config", key: "max_position_embeddings", value: "\(maxPositionEmbeddings)",
                expected: "> pad_token_id + 1 (\(pad + 1))")
        }
    }
}

extension AltCLIPVisionConfig {
    /// Throws the first reason the image tower cannot be built from this config.
    public func validate() throws {
        let check = ConfigChecks(section: "vision_config")
        let limits = ConfigLimits.self
        try check.positive("hidden_size", hiddenSize, atMost: limits.width)
        try check.positive("intermediate_size", intermediateSize, atMost: limits.intermediate)
        try check.positive("projection_dim", projectionDim, atMost: limits.width)
        try check.nonNegative("num_hidden_layers", numHiddenLayers, atMost: limits.layers)
        try check.positive("num_attention_heads", numAttentionHeads, atMost: limits.width)
        try check.positive("num_channels", numChannels, atMost: limits.channels)
        try check.positive("image_size", imageSize, atMost: limits.imageSize)
        try check.positive("patch_size", patchSize, atMost: limits.imageSize)
        try check.divisible("hidden_size", hiddenSize, by: "num_attention_heads", numAttentionHeads)
        // transformers floors image_size / patch_size; no published checkpoint needs that, so reject it.
        try check.divisible("image_size", imageSize, by: "patch_size", patchSize)
        // One position per patch plus the class token; bounded so the table and attention stay sane.
        let side = imageSize / patchSize
        guard side * side + 1 <= limits.positions else {
            throw AltCLIPConfigError.outOfRange(
                section: "vision_config", key: "image_size", value: "\(imageSize)",
                expected: "(image_size / patch_size)^2 + 1 <= \(limits.positions) positions (patch_size \(patchSize))")
        }
        try check.activation(hiddenAct, supported: Self.supportedActivations)
        try check.epsilon("layer_norm_eps", layerNormEps)
    }
}

extension AltCLIPConfig {
    /// Validates both towers and the shared projection.
    public func validate() throws {
        try textConfig.validate()
        try visionConfig.validate()
        let check = ConfigChecks(section: "")
        try check.positive("projection_dim", projectionDim, atMost: ConfigLimits.width)
        try check.finite("logit_scale_init_value", logitScaleInitValue)
    }
}

/// Upper bounds on config sizes: generous for every published CLIP / XLM-R checkpoint (BAAI/AltCLIP:
/// vocabulary 250,002, width 1,024, 24 layers, 514 text positions, 257 image positions), small enough
/// that products of them cannot overflow and a hostile config is refused before anything is built.
public enum ConfigLimits {
    /// Token vocabulary (2^24).
    public static let vocabulary = 1 << 24
    /// `hidden_size`, `projection_dim`, `project_dim`, attention heads (2^16).
    public static let width = 1 << 16
    /// `intermediate_size` (2^18).
    public static let intermediate = 1 << 18
    /// Encoder layers.
    public static let layers = 1024
    /// Text positions, and image patches + 1 (2^20).
    public static let positions = 1 << 20
    /// `type_vocab_size`.
    public static let tokenTypes = 1024
    /// Image channels.
    public static let channels = 64
    /// `image_size` and `patch_size` in pixels.
    public static let imageSize = 1 << 16
}
