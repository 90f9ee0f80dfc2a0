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
        transformation = try Linear(scope("transformation").keepingBFloat16UnderInt8(), input: config.hiddenSize, output: config.projectDim,
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

    /// Runs the tower: `roberta`, then `pre_LN` and `transformation` on its last hidden state.
    public func callAsFunction(_ inputs: TextInputs, outputHiddenStates: Bool = false,
                               outputAttentions: Bool = false) throws -> AltCLIPTextModelOutput {
        let encoded = try roberta(inputs, outputHiddenStates: outputHiddenStates, outputAttentions: outputAttentions)
        let projected = try transformation(preLayerNorm(encoded.lastHiddenState))
        return AltCLIPTextModelOutput(lastHiddenState: projected, poolerOutput: projected.select(axis: 1, index: 0),
                                      hiddenStates: encoded.hiddenStates, attentions: encoded.attentions)
    }
}
