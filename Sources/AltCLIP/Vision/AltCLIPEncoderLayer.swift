import AltCLIPTensor

/// Pre-LN CLIP block. Keys: `self_attn.{q,k,v,out}_proj`, `layer_norm1`, `mlp.fc1`, `mlp.fc2`, `layer_norm2`.
public struct AltCLIPEncoderLayer: @unchecked Sendable {
    public let qProj: Linear
    public let kProj: Linear
    public let vProj: Linear
    public let outProj: Linear
    public let layerNorm1: LayerNorm
    public let fc1: Linear
    public let fc2: Linear
    public let layerNorm2: LayerNorm
    public let activation: Activation
    public let heads: Int
    /// q, k and v as one product (see `FusedLinear`).
    let qkv: FusedLinear

    init(_ scope: WeightScope, config: AltCLIPVisionConfig) throws {
        let h = config.hiddenSize, i = config.intermediateSize, eps = Float(config.layerNormEps)
        let factor = Float(config.initializerFactor), layers = Float(2 * config.numHiddenLayers)
        // transformers AltCLIPPreTrainedModel._init_weights (AltCLIPAttention / AltCLIPMLP branches).
        let inStd = 1 / Float(h).squareRoot() / layers.squareRoot() * factor
        let outStd = 1 / Float(h).squareRoot() * factor
        let attention = scope("self_attn")
        qProj = try Linear(attention("q_proj"), input: h, output: h, weightStd: inStd)
        kProj = try Linear(attention("k_proj"), input: h, output: h, weightStd: inStd)
        vProj = try Linear(attention("v_proj"), input: h, output: h, weightStd: inStd)
        outProj = try Linear(attention("out_proj"), input: h, output: h, weightStd: outStd)
        layerNorm1 = try LayerNorm(scope("layer_norm1"), dimension: h, eps: eps)
        fc1 = try Linear(scope("mlp")("fc1"), input: h, output: i, weightStd: 1 / Float(2 * h).squareRoot() * factor)
        fc2 = try Linear(scope("mlp")("fc2"), input: i, output: h, weightStd: inStd)
        layerNorm2 = try LayerNorm(scope("layer_norm2"), dimension: h, eps: eps)
        activation = try config.activation()
        heads = config.numAttentionHeads
        qkv = FusedLinear([qProj, kProj, vProj])
    }

    /// Converts the weights this layer computes with (see `Linear`).
    func prepare() throws {
        try qkv.prepare()
        for layer in [outProj, fc1, fc2] { try layer.prepare() }
    }

    func callAsFunction(_ x: Tensor, returnProbabilities: Bool) throws -> (Tensor, Tensor?) {
        let n1 = layerNorm1(x)
        let context: Tensor, probabilities: Tensor?
        if let stacked = try qkv.stackedIfReady() {
            (context, probabilities) = Ops.attention(qkv: try stacked(n1), heads: heads, additiveMask: nil, headMask: nil,
                                                     returnProbabilities: returnProbabilities,
                                                     precision: qProj.precision)
        } else {
            (context, probabilities) = Ops.attention(query: try qProj(n1), key: try kProj(n1), value: try vProj(n1),
                                                     heads: heads, additiveMask: nil, headMask: nil,
                                                     returnProbabilities: returnProbabilities,
                                                     precision: qProj.precision)
        }
        // Residual adds and the MLP activation run in the products' epilogues (see `Linear`).
        let h1 = try outProj(context, activation: nil, residual: x)
        let h2 = try fc2(try fc1(layerNorm2(h1), activation: activation, residual: nil), activation: nil, residual: h1)
        return (h2, probabilities)
    }
}
