import AltCLIPTensor

/// XLM-R encoder without pooler (`AltRobertaModel(add_pooling_layer=False)`).
/// Keys: `embeddings`, `encoder.layer.N` (or `encoder.layers.N`). A stored `pooler` is unused.
public struct AltRobertaModel: @unchecked Sendable {
    public let config: AltCLIPTextConfig
    public let embeddings: AltRobertaEmbeddings
    public let layers: [AltRobertaLayer]

    /// How many of the last encoder layers run bfloat16 products when the model's precision is int8. The
    /// int8 error of the text embeddings comes mostly from the last layers, and 0.999 is the bar
    /// `ComputePrecision.int8` promises. Measured on the full-size BAAI/AltCLIP-shaped checkpoint, min
    /// cosine to fp32 over 64 varied texts, projections in bf16:
    /// - one activation scale per row (token), the AMX kernel (`MatmulWeight.int8ScalesEachRow`): all
    ///   layers int8 0.99913, last 1 bf16 0.99929, last 2 0.99934, last 4 0.99952 → the last twelfth
    ///   (2 of 24);
    /// - one scale for the whole input (oneDNN): all int8 0.99892 (projections int8 too), last 4 layers
    ///   bf16 0.99936, + projections 0.99946, first 4 bf16 instead 0.99889 → the last sixth (4 of 24).
    public static func int8BFloat16Layers(of layers: Int) -> Int {
        MatmulWeight.int8ScalesEachRow ? layers / 12 : layers / 6
    }
    public let heads: Int

    init(_ scope: WeightScope, config: AltCLIPTextConfig) throws {
        self.config = config
        embeddings = try AltRobertaEmbeddings(scope("embeddings"), config: config)
        let encoder = scope("encoder")
        let list = encoder.listName("layer", alternative: "layers")
        // Under int8 the last layers stay bfloat16 (see `int8BFloat16Layers`).
        let firstKept = config.numHiddenLayers - AltRobertaModel.int8BFloat16Layers(of: config.numHiddenLayers)
        layers = try (0..<config.numHiddenLayers).map { index in
            let scope = encoder(list, index)
            return try AltRobertaLayer(index >= firstKept ? scope.keepingBFloat16UnderInt8() : scope, config: config)
        }
        heads = config.numAttentionHeads
    }

    /// transformers' `AltRobertaModel.forward`: embeddings, then the encoder layers, with the extended
    /// attention mask and the per-layer head mask built from `inputs`.
    public func callAsFunction(_ inputs: TextInputs, outputHiddenStates: Bool = false,
                               outputAttentions: Bool = false) throws -> AltRobertaModelOutput {
        let (batch, length) = try inputs.validatedShape(hiddenSize: config.hiddenSize)
        try ActivationBudget.check(batch: batch, tokens: length, hidden: config.hiddenSize,
                                   intermediate: config.intermediateSize, heads: config.numAttentionHeads,
                                   what: "a text batch of \(batch) x \(length) tokens")
        // Relative positions index the distance table with i − j + maxPositions − 1 (transformers fails
        // the lookup beyond that; here it is a typed error).
        if config.positionEmbedding?.isRelative == true, length > config.maxPositionEmbeddings {
            throw AltCLIPError.sequenceTooLong(length: length, maximum: config.maxPositionEmbeddings)
        }
        var x = try embeddings(inputIds: inputs.inputIds, inputsEmbeds: inputs.inputsEmbeds,
                               batch: batch, length: length, tokenTypeIds: inputs.tokenTypeIds,
                               positionIds: inputs.positionIds)
        let additiveMask = inputs.attentionMask.map(Self.additiveMask)
        let headMasks = try perLayerHeadMasks(inputs.headMask)
        var hiddenStates: [Tensor]? = outputHiddenStates ? [x] : nil
        var attentions: [Tensor]? = outputAttentions ? [] : nil
        for (index, layer) in layers.enumerated() {
            let (y, probabilities) = try layer(x, additiveMask: additiveMask, headMask: headMasks?[index],
                                           returnProbabilities: outputAttentions)
            x = y
            hiddenStates?.append(x)
            if let probabilities { attentions?.append(probabilities) }
        }
        return AltRobertaModelOutput(lastHiddenState: x, hiddenStates: hiddenStates, attentions: attentions)
    }

    /// transformers: `(1 − mask) · finfo(float32).min`, broadcast over heads and query rows.
    static func additiveMask(_ mask: [[Int]]) -> Tensor {
        let rows = mask.count, cols = mask.first?.count ?? 0
        return Tensor(shape: [rows, cols],
                      scalars: mask.flatMap { $0.map { $0 == 0 ? -Float.greatestFiniteMagnitude : 0 } })
    }

    /// transformers `get_head_mask`: [heads] is shared by every layer, [layers, heads] gives one row each.
    private func perLayerHeadMasks(_ mask: Tensor?) throws -> [Tensor?]? {
        guard let mask else { return nil }
        let layers = config.numHiddenLayers, heads = config.numAttentionHeads
        if mask.shape == [heads] { return Array(repeating: mask, count: layers) }
        if mask.shape == [layers, heads] { return (0..<layers).map { mask.select(axis: 0, index: $0) } }
        throw AltCLIPError.invalidInput("head_mask must be [\(heads)] or [\(layers), \(heads)], got \(mask.shape)")
    }
}

/// Output of `AltRobertaModel` (transformers `BaseModelOutputWithPoolingAndCrossAttentions` without the
/// pooler, which AltCLIP builds without).
public struct AltRobertaModelOutput: @unchecked Sendable {
    /// The last layer's output: [B, L, hidden].
    public var lastHiddenState: Tensor
    /// Embedding output, then each layer's output (numHiddenLayers + 1 tensors of [B, L, hidden]).
    public var hiddenStates: [Tensor]?
    /// Each layer's attention probabilities [B, heads, L, L].
    public var attentions: [Tensor]?
}
