import AltCLIPTensor

/// Output of `AltCLIPTextModel` (transformers `BaseModelOutputWithPoolingAndProjection`).
public struct AltCLIPTextModelOutput: @unchecked Sendable {
    /// The projected sequence after `pre_LN` and `transformation`: [B, L, projectDim].
    public var lastHiddenState: Tensor
    /// Position 0 of `lastHiddenState`: [B, projectDim].
    public var poolerOutput: Tensor
    /// Embedding output, then each layer's output (numHiddenLayers + 1 tensors of [B, L, hidden]).
    public var hiddenStates: [Tensor]?
    /// Each layer's attention probabilities [B, heads, L, L].
    public var attentions: [Tensor]?
}

/// Output of `AltCLIPVisionModel` (transformers `BaseModelOutputWithPooling`).
public struct AltCLIPVisionModelOutput: @unchecked Sendable {
    /// Encoder output (not post-normalised): [B, 1 + patches, hidden].
    public var lastHiddenState: Tensor
    /// `post_layernorm` of the class token: [B, hidden].
    public var poolerOutput: Tensor
    /// `pre_layrnorm` output, then each layer's output.
    public var hiddenStates: [Tensor]?
    /// Each layer's attention probabilities [B, heads, T, T].
    public var attentions: [Tensor]?
}

/// Output of `AltCLIPModel` (transformers `AltCLIPOutput`).
public struct AltCLIPOutput: @unchecked Sendable {
    /// Contrastive loss, when asked for.
    public var loss: Float?
    /// [images, texts]
    public var logitsPerImage: Tensor
    /// [texts, images]
    public var logitsPerText: Tensor
    /// L2-normalised projected text features [texts, projectionDim].
    public var textEmbeds: Tensor
    /// L2-normalised projected image features [images, projectionDim].
    public var imageEmbeds: Tensor
    public var textModelOutput: AltCLIPTextModelOutput
    public var visionModelOutput: AltCLIPVisionModelOutput
}
