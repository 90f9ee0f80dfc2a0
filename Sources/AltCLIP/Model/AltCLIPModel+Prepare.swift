import AltCLIPTensor

// Linear weights are converted to their compute form (packed, bfloat16, int8) on first use; these
// convert them ahead of time, e.g. before a server takes requests, so the first request is not slower.

extension AltCLIPVisionModel {
    /// Every linear layer of the tower, as in the checkpoint (q, k and v run stacked, see `FusedLinear`).
    public var linearLayers: [Linear] {
        layers.flatMap { [$0.qProj, $0.kProj, $0.vProj, $0.outProj, $0.fc1, $0.fc2] }
    }

    /// Converts every weight the tower computes with now (see `Linear`). Thread-safe.
    public func prepare() throws {
        for layer in layers { try layer.prepare() }
    }
}

extension AltCLIPTextModel {
    /// Every linear layer of the tower, as in the checkpoint, the final transformation included.
    public var linearLayers: [Linear] {
        roberta.layers.flatMap {
            [$0.selfAttention.query, $0.selfAttention.key, $0.selfAttention.value, $0.attentionOutput,
             $0.intermediate, $0.output]
        } + [transformation]
    }

    /// Converts every weight the tower computes with now (see `Linear`).
    public func prepare() throws {
        for layer in roberta.layers {
            try layer.selfAttention.prepare()
            for linear in [layer.attentionOutput, layer.intermediate, layer.output] { try linear.prepare() }
        }
        try transformation.prepare()
    }
}

extension AltCLIPModel {
    /// Converts every weight of both towers and both projections now (see `Linear`).
    public func prepare() throws {
        try visionModel.prepare()
        try textModel.prepare()
        try textProjection.prepare()
        try visualProjection.prepare()
    }
}
