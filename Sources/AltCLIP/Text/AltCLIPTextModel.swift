import AltCLIPTensor

/// The AltCLIP text tower: XLM-R, then `pre_LN` and the `transformation` projection.
/// Keys: `roberta`, `pre_LN`, `transformation`.
public final class AltCLIPTextModel: @unchecked Sendable {
    /// What loading found besides the parameters used (nil for a randomly initialised model).
    public internal(set) var loadReport: LoadReport?
    public let config: AltCLIPTextConfig
    public let roberta: AltRobertaModel
    public let preLayerNorm: LayerNorm
    public let transformation: Linear

    init(_ scope: WeightScope, config: AltCLIPTextConfig) throws {
        try config.validate()
        self.config = config
        roberta = try AltRobertaModel(scope("roberta"), config: config)
        preLayerNorm = try LayerNorm(scope("pre_LN"), dimension: config.hiddenSize, eps: Float(config.layerNormEps))
        transformation = try Linear(scope("transformation"), input: config.hiddenSize, output: config.projectDim,
                                    weightStd: Float(config.initializerRange))
    }

    /// A text model with random parameters initialised as transformers does; `precision`
    /// selects the linear layers' arithmetic.
    public convenience init(config: AltCLIPTextConfig, seed: UInt64 = 0,
                            precision: ComputePrecision = .float32) throws {
        let loader = ParameterLoader(randomSeed: seed)
        loader.precision = precision
        try self.init(WeightScope(loader: loader), config: config)
    }

    /// Runs the tower.
    public func callAsFunction(_ inputs: TextInputs, outputHiddenStates: Bool = false,
                               outputAttentions: Bool = false) throws -> AltCLIPTextModelOutput {
        let (batch, length) = try inputs.validatedShape(hiddenSize: config.hiddenSize)
        try ActivationBudget.check(batch: batch, tokens: length, hidden: config.hiddenSize,
                                   intermediate: config.intermediateSize, heads: config.numAttentionHeads,
                                   what: "a text batch of \(batch) x \(length) tokens")
        var x = try roberta.embeddings(inputIds: inputs.inputIds, inputsEmbeds: inputs.inputsEmbeds,
                                       batch: batch, length: length, tokenTypeIds: inputs.tokenTypeIds,
                                       positionIds: inputs.positionIds)
        let additiveMask = inputs.attentionMask.map(Self.additiveMask)
        let headMasks = try perLayerHeadMasks(inputs.headMask)
        var hiddenStates: [Tensor]? = outputHiddenStates ? [x] : nil
        var attentions: [Tensor]? = outputAttentions ? [] : nil
        for (index, layer) in roberta.layers.enumerated() {
            let (y, probabilities) = layer(x, additiveMask: additiveMask, headMask: headMasks?[index],
                                           returnProbabilities: outputAttentions)
            x = y
            hiddenStates?.append(x)
            if let probabilities { attentions?.append(probabilities) }
        }
        let projected = transformation(preLayerNorm(x))
        return AltCLIPTextModelOutput(lastHiddenState: projected, poolerOutput: projected.select(axis: 1, index: 0),
                                      hiddenStates: hiddenStates, attentions: attentions)
    }

    /// transformers: `(1 − mask) · finfo(float32).min`, broadcast over heads and query rows.
    static func additiveMask(_ mask: [[Int]]) -> Tensor {
        let rows = mask.count, cols = mask.first?.count ?? 0
        return Tensor(shape: [rows, cols],
                      scalars: mask.flatMap { $0.map { $0 == 0 ? -Float.greatestFiniteMagnitude : 0 } })
    }

    private func perLayerHeadMasks(_ mask: Tensor?) throws -> [Tensor?]? {
        guard let mask else { return nil }
        let layers = config.numHiddenLayers, heads = config.numAttentionHeads
        if mask.shape == [heads] { return Array(repeating: mask, count: layers) }
        if mask.shape == [layers, heads] { return (0..<layers).map { mask.select(axis: 0, index: $0) } }
        throw AltCLIPError.invalidInput("head_mask must be [\(heads)] or [\(layers), \(heads)], got \(mask.shape)")
    }
}
