import AltCLIPTensor

/// CLIP patch embeddings. Keys: `class_embedding`, `patch_embedding.weight` (conv without bias),
/// `position_embedding`.
public struct AltCLIPVisionEmbeddings: @unchecked Sendable {
    public let classEmbedding: Tensor
    public let patchEmbedding: Tensor
    public let positionEmbedding: Embedding
    public let imageSize: Int
    public let patchSize: Int
    /// Sizes of the layers behind the embeddings, for the activation budget.
    let hiddenSize: Int, intermediateSize: Int, heads: Int

    init(_ scope: WeightScope, config: AltCLIPVisionConfig) throws {
        let h = config.hiddenSize, factor = Float(config.initializerFactor)
        let std = Float(config.initializerRange) * factor
        classEmbedding = try scope.parameter("class_embedding", shape: [h],
                                             initializer: .normal(std: 1 / Float(h).squareRoot() * factor))
        patchEmbedding = try scope("patch_embedding").parameter(
            "weight", shape: [h, config.numChannels, config.patchSize, config.patchSize], initializer: .normal(std: std))
        let grid = config.imageSize / config.patchSize
        positionEmbedding = try Embedding(scope("position_embedding"), count: grid * grid + 1, dimension: h, std: std)
        imageSize = config.imageSize
        patchSize = config.patchSize
        hiddenSize = config.hiddenSize
        intermediateSize = config.intermediateSize
        heads = config.numAttentionHeads
    }

    /// pixels [B, C, H, W] → [B, 1 + patches, hidden].
    func callAsFunction(_ pixels: Tensor, interpolatePosEncoding: Bool) throws -> Tensor {
        guard pixels.rank == 4, pixels.shape[1] == patchEmbedding.shape[1] else {
            throw AltCLIPError.invalidInput(
                "pixel_values must be [batch, \(patchEmbedding.shape[1]), height, width], got \(pixels.shape)")
        }
        let b = pixels.shape[0], height = pixels.shape[2], width = pixels.shape[3]
        guard b > 0 else { throw AltCLIPError.invalidInput("pixel_values holds no image (batch of 0, \(pixels.shape))") }
        guard interpolatePosEncoding || (height == imageSize && width == imageSize) else {
            throw AltCLIPError.imageSizeMismatch(height: height, width: width, expected: imageSize)
        }
        guard height >= patchSize, width >= patchSize else {
            throw AltCLIPError.invalidInput("image \(height)x\(width) is smaller than one \(patchSize)-pixel patch")
        }
        try ActivationBudget.check(
            batch: b, tokens: (height / patchSize) * (width / patchSize) + 1, hidden: hiddenSize, intermediate: intermediateSize,
            heads: heads, what: "an image batch of \(b) x \(height) x \(width) pixels")
        let patches = Ops.patchEmbedding(pixels, weight: patchEmbedding, patchSize: patchSize)  // [B, P, h]
        let hidden = classEmbedding.shape[0]
        let cls = Tensor.stack(Array(repeating: classEmbedding.reshaped([1, hidden]), count: b), axis: 0)
        let tokens = Tensor.concatenate([cls, patches], axis: 1)
        let positions = positionTable(height: height, width: width, interpolate: interpolatePosEncoding)
        return Ops.add(tokens, positions)
    }

    /// transformers `interpolate_pos_encoding`: the original table unless the patch grid differs or the
    /// image is not square; otherwise the patch part resized bicubically (align_corners=False).
    private func positionTable(height: Int, width: Int, interpolate: Bool) -> Tensor {
        let table = positionEmbedding.weight
        let positions = table.shape[0] - 1, hidden = table.shape[1]
        let newHeight = height / patchSize, newWidth = width / patchSize
        if !interpolate || (newHeight * newWidth == positions && height == width) { return table }
        let side = Int(Double(positions).squareRoot())
        let cls = table.slice(axis: 0, range: 0..<1)
        let grid = table.slice(axis: 0, range: 1..<(positions + 1))
            .reshaped([1, side, side, hidden]).permuted([0, 3, 1, 2])
        let resized = Ops.bicubicInterpolate(grid, outHeight: newHeight, outWidth: newWidth)
            .permuted([0, 2, 3, 1]).reshaped([newHeight * newWidth, hidden])
        return Tensor.concatenate([cls, resized], axis: 0)
    }
}
