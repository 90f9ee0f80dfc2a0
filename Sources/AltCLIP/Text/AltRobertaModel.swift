import AltCLIPTensor

/// XLM-R encoder without pooler (`AltRobertaModel(add_pooling_layer=False)`).
/// Keys: `embeddings`, `encoder.layer.N` (or `encoder.layers.N`). A stored `pooler` is unused.
public struct AltRobertaModel: @unchecked Sendable {
    public let embeddings: AltRobertaEmbeddings
    public let layers: [AltRobertaLayer]
    public let heads: Int

    init(_ scope: WeightScope, config: AltCLIPTextConfig) throws {
        embeddings = try AltRobertaEmbeddings(scope("embeddings"), config: config)
        let encoder = scope("encoder")
        let list = encoder.listName("layer", alternative: "layers")
        layers = try (0..<config.numHiddenLayers).map { try AltRobertaLayer(encoder(list, $0), config: config) }
        heads = config.numAttentionHeads
    }
}
