import AltCLIPTensor

/// XLM-R self-attention: keys `query`, `key`, `value` (and `distance_embedding` for the legacy
/// relative position types of transformers 4.x).
public struct AltRobertaSelfAttention: @unchecked Sendable {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let heads: Int
    /// `relative_key` / `relative_key_query` (transformers 4.x): [2·maxPositions − 1, headSize].
    public let distanceEmbedding: Embedding?
    public let positionEmbedding: AltCLIPTextConfig.PositionEmbedding
    let maxPositionEmbeddings: Int
    /// query, key and value as one product (see `FusedLinear`); used unless positions are relative.
    let qkv: FusedLinear

    init(_ scope: WeightScope, config: AltCLIPTextConfig) throws {
        let h = config.hiddenSize, std = Float(config.initializerRange)
        query = try Linear(scope("query"), input: h, output: h, weightStd: std)
        key = try Linear(scope("key"), input: h, output: h, weightStd: std)
        value = try Linear(scope("value"), input: h, output: h, weightStd: std)
        heads = config.numAttentionHeads
        guard let positionEmbedding = config.positionEmbedding else {
            throw AltCLIPConfigError.unsupportedPositionEmbeddingType(
                value: config.positionEmbeddingType, supported: AltCLIPTextConfig.supportedPositionEmbeddingTypes)
        }
        self.positionEmbedding = positionEmbedding
        maxPositionEmbeddings = config.maxPositionEmbeddings
        if positionEmbedding.isRelative {
            distanceEmbedding = try Embedding(scope("distance_embedding"), count: 2 * config.maxPositionEmbeddings - 1,
                                              dimension: h / heads, std: std)
        } else {
            distanceEmbedding = nil
        }
        qkv = FusedLinear([query, key, value])
    }

    /// Converts the weights this module computes with (see `Linear`).
    func prepare() throws {
        if distanceEmbedding == nil { try qkv.prepare() } else { for layer in [query, key, value] { try layer.prepare() } }
    }

    /// x [B, L, H] → context [B, L, H] and, when asked, probabilities [B, heads, L, L].
    func callAsFunction(_ x: Tensor, additiveMask: Tensor?, headMask: Tensor?,
                        returnProbabilities: Bool) throws -> (Tensor, Tensor?) {
        if distanceEmbedding == nil, let stacked = try qkv.stackedIfReady() {
            return Ops.attention(qkv: try stacked(x), heads: heads, additiveMask: additiveMask, headMask: headMask,
                                 returnProbabilities: returnProbabilities, precision: query.precision)
        }
        let q = try query(x), k = try key(x), v = try value(x)
        guard let distanceEmbedding else {
            return Ops.attention(query: q, key: k, value: v, heads: heads, additiveMask: additiveMask,
                                 headMask: headMask, returnProbabilities: returnProbabilities,
                                 precision: query.precision)
        }
        return relativeAttention(q: q, k: k, v: v, distance: distanceEmbedding, additiveMask: additiveMask,
                                 headMask: headMask, returnProbabilities: returnProbabilities)
    }

    /// transformers 4.x `RobertaSelfAttention` with relative positions: the position terms are added to
    /// q·kᵀ before the 1/sqrt(d) scaling (the tensor core's `scoreBias`).
    private func relativeAttention(q: Tensor, k: Tensor, v: Tensor, distance: Embedding, additiveMask: Tensor?,
                                   headMask: Tensor?, returnProbabilities: Bool) -> (Tensor, Tensor?) {
        let bias = Self.relativeScoreBias(query: q, key: positionEmbedding == .relativeKeyQuery ? k : nil,
                                          distance: distance.weight, heads: heads,
                                          maxPositions: maxPositionEmbeddings)
        let (context, probabilities) = Ops.attention(query: q, key: k, value: v, heads: heads,
                                                     additiveMask: additiveMask, headMask: headMask,
                                                     scoreBias: bias, returnProbabilities: returnProbabilities)
        return (context, probabilities)
    }

    /// The relative position scores [B, heads, L, L] of transformers 4.x, with
    /// `pos(i, j) = distance[i − j + maxPositions − 1]`:
    /// `relative_key`: `bias[b, h, i, j] = q[b, h, i] · pos(i, j)`;
    /// `relative_key_query` (`key` given) adds `k[b, h, j] · pos(i, j)`.
    ///
    /// Only the 2L − 1 distances that occur matter, so each term is one product against that slice of the
    /// table, `[B·heads·L, d] · [2L − 1, d]ᵀ`, read back along the diagonals `i − j = const`.
    /// Needs `L ≤ maxPositions` (the caller checks).
    static func relativeScoreBias(query: Tensor, key: Tensor?, distance: Tensor, heads: Int,
                                  maxPositions: Int) -> Tensor {
        let b = query.shape[0], l = query.shape[1], d = query.shape[2] / heads
        let span = 2 * l - 1
        // Rows maxPositions − L ... maxPositions + L − 2: row r is the distance i − j = r − (L − 1).
        let table = distance.slice(axis: 0, range: (maxPositions - l)..<(maxPositions + l - 1))
        func perDistance(_ x: Tensor) -> Tensor {  // [B, L, heads·d] → [B, heads, L, 2L − 1]
            Ops.matmul(x.reshaped([b, l, heads, d]).permuted([0, 2, 1, 3]), table, transposeB: true)
        }
        var bias = Tensor(zeros: [b, heads, l, l])
        let fromQuery = perDistance(query)
        let fromKey = key.map(perDistance)
        bias.withUnsafeMutableBufferPointer { out in
            fromQuery.withUnsafeBufferPointer { qs in
                for bh in 0..<(b * heads) {
                    for i in 0..<l {
                        let row = (bh * l + i) * span + l - 1 + i
                        let target = (bh * l + i) * l
                        for j in 0..<l { out[target + j] = qs[row - j] }
                    }
                }
            }
            fromKey?.withUnsafeBufferPointer { ks in
                for bh in 0..<(b * heads) {
                    for i in 0..<l {
                        let target = (bh * l + i) * l
                        // k_j's row, column i − j + L − 1.
                        for j in 0..<l { out[target + j] += ks[(bh * l + j) * span + l - 1 + i - j] }
                    }
                }
            }
        }
        return bias
    }
}
