import AltCLIPTensor

/// Post-LN XLM-R block. Keys: `attention.self`, `attention.output.{dense,LayerNorm}`,
/// `intermediate.dense`, `output.{dense,LayerNorm}`.
public struct AltRobertaLayer: @unchecked Sendable {
    public let selfAttention: AltRobertaSelfAttention
    public let attentionOutput: Linear
    public let attentionLayerNorm: LayerNorm
    public let intermediate: Linear
    public let activation: Activation
    public let output: Linear
    public let outputLayerNorm: LayerNorm

    init(_ scope: WeightScope, config: AltCLIPTextConfig) throws {
        let h = config.hiddenSize, i = config.intermediateSize, std = Float(config.initializerRange)
        let eps = Float(config.layerNormEps)
        selfAttention = try AltRobertaSelfAttention(scope("attention")("self"), config: config)
        attentionOutput = try Linear(scope("attention")("output")("dense"), input: h, output: h, weightStd: std)
        attentionLayerNorm = try LayerNorm(scope("attention")("output")("LayerNorm"), dimension: h, eps: eps)
        intermediate = try Linear(scope("intermediate")("dense"), input: h, output: i, weightStd: std)
        activation = try config.activation()
        output = try Linear(scope("output")("dense"), input: i, output: h, weightStd: std)
        outputLayerNorm = try LayerNorm(scope("output")("LayerNorm"), dimension: h, eps: eps)
    }

    func callAsFunction(_ x: Tensor, additiveMask: Tensor?, headMask: Tensor?,
                        returnProbabilities: Bool) throws -> (Tensor, Tensor?) {
        let (context, probabilities) = try selfAttention(x, additiveMask: additiveMask, headMask: headMask,
                                                     returnProbabilities: returnProbabilities)
        // Residual adds and the activation run in the products' epilogues (see `Linear`).
        let h1 = attentionLayerNorm(try attentionOutput(context, activation: nil, residual: x))
        let m = try intermediate(h1, activation: activation, residual: nil)
        let h2 = outputLayerNorm(try output(m, activation: nil, residual: h1))
        return (h2, probabilities)
    }
}
