import Foundation

/// Checks shared by the three configs; `section` prefixes every reported key (`text_config`, ...).
struct ConfigChecks {
    let section: String

    func positive(_ key: String, _ value: Int) throws {
        guard value > 0 else { throw AltCLIPConfigError.nonPositive(section: section, key: key, value: value) }
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
        try check.positive("vocab_size", vocabSize)
        try check.positive("hidden_size", hiddenSize)
        try check.positive("intermediate_size", intermediateSize)
        try check.nonNegative("num_hidden_layers", numHiddenLayers)
        try check.positive("num_attention_heads", numAttentionHeads)
        try check.positive("max_position_embeddings", maxPositionEmbeddings)
        try check.positive("type_vocab_size", typeVocabSize)
        try check.positive("project_dim", projectDim)
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
        try check.positive("hidden_size", hiddenSize)
        try check.positive("intermediate_size", intermediateSize)
        try check.positive("projection_dim", projectionDim)
        try check.nonNegative("num_hidden_layers", numHiddenLayers)
        try check.positive("num_attention_heads", numAttentionHeads)
        try check.positive("num_channels", numChannels)
        try check.positive("image_size", imageSize)
        try check.positive("patch_size", patchSize)
        try check.divisible("hidden_size", hiddenSize, by: "num_attention_heads", numAttentionHeads)
        // transformers floors image_size / patch_size; no published checkpoint needs that, so reject it.
        try check.divisible("image_size", imageSize, by: "patch_size", patchSize)
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
        try check.positive("projection_dim", projectionDim)
        try check.finite("logit_scale_init_value", logitScaleInitValue)
    }
}
