import AltCLIPTensor

/// The CLIP ViT image tower. Keys: `embeddings`, `pre_layrnorm` (upstream spelling),
/// `encoder.layers.N` (or `encoder.layer.N`), `post_layernorm`.
public final class AltCLIPVisionModel: @unchecked Sendable {
    /// What loading found besides the parameters used (nil for a randomly initialised model).
    public internal(set) var loadReport: LoadReport?
    public let config: AltCLIPVisionConfig
    public let embeddings: AltCLIPVisionEmbeddings
    public let preLayerNorm: LayerNorm
    public let layers: [AltCLIPEncoderLayer]
    public let postLayerNorm: LayerNorm

    init(_ scope: WeightScope, config: AltCLIPVisionConfig) throws {
        try config.validate()
        self.config = config
        let eps = Float(config.layerNormEps)
        embeddings = try AltCLIPVisionEmbeddings(scope("embeddings"), config: config)
        preLayerNorm = try LayerNorm(scope("pre_layrnorm"), dimension: config.hiddenSize, eps: eps)
        let encoder = scope("encoder")
        let list = encoder.listName("layers", alternative: "layer")
        layers = try (0..<config.numHiddenLayers).map { try AltCLIPEncoderLayer(encoder(list, $0), config: config) }
        postLayerNorm = try LayerNorm(scope("post_layernorm"), dimension: config.hiddenSize, eps: eps)
    }

    /// A vision model with random parameters initialised as transformers does; `precision`
    /// selects the linear layers' arithmetic.
    public convenience init(config: AltCLIPVisionConfig, seed: UInt64 = 0,
                            precision: ComputePrecision = .float32) throws {
        let loader = ParameterLoader(randomSeed: seed)
        loader.precision = precision
        try self.init(WeightScope(loader: loader), config: config)
    }

    /// Runs the tower on pixel values [B, C, H, W].
    public func callAsFunction(pixelValues: Tensor, interpolatePosEncoding: Bool = false,
                               outputHiddenStates: Bool = false,
                               outputAttentions: Bool = false) throws -> AltCLIPVisionModelOutput {
        var x = preLayerNorm(try embeddings(pixelValues, interpolatePosEncoding: interpolatePosEncoding))
        var hiddenStates: [Tensor]? = outputHiddenStates ? [x] : nil
        var attentions: [Tensor]? = outputAttentions ? [] : nil
        for layer in layers {
            let (y, probabilities) = try layer(x, returnProbabilities: outputAttentions)
            x = y
            hiddenStates?.append(x)
            if let probabilities { attentions?.append(probabilities) }
        }
        return AltCLIPVisionModelOutput(lastHiddenState: x, poolerOutput: postLayerNorm(x.select(axis: 1, index: 0)),
                                        hiddenStates: hiddenStates, attentions: attentions)
    }
}
