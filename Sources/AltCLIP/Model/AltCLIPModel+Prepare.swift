import AltCLIPTensor

// Linear weights are converted to their compute form (packed, bfloat16, int8) on first use; these
// convert them ahead of time, e.g. before a server takes requests, so the first request is not slower.

extension AltCLIPVisionModel {
    /// Every linear layer of the tower.
    public var linearLayers: [Linear] {
        layers.flatMap { [$0.qProj, $0.kProj, $0.vProj, $0.outProj, $0.fc1, $0.fc2] }
    }

    /// Converts every linear weight now (see `Linear`). Thread-safe; later calls return at once.
    public func prepare() { prepareEach(linearLayers) }
}

extension AltCLIPTextModel {
    /// Every linear layer of the tower, the final transformation included.
    public var linearLayers: [Linear] {
        roberta.layers.flatMap {
            [$0.selfAttention.query, $0.selfAttention.key, $0.selfAttention.value, $0.attentionOutput,
             $0.intermediate, $0.output]
        } + [transformation]
    }

    /// Converts every linear weight now (see `Linear`).
    public func prepare() { prepareEach(linearLayers) }
}

extension AltCLIPModel {
    /// Converts every linear weight of both towers and both projections now (see `Linear`).
    public func prepare() {
        prepareEach(visionModel.linearLayers + textModel.linearLayers + [textProjection, visualProjection])
    }
}

/// One layer at a time: each conversion is already spread over the threads by oneDNN.
private func prepareEach(_ layers: [Linear]) {
    for layer in layers { layer.prepare() }
}
