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
    func prepare() {
        if distanceEmbedding == nil { qkv.prepare() } else { for layer in [query, key, value] { layer.prepare() } }
    }

    /// x [B, L, H] → context [B, L, H] and, when asked, probabilities [B, heads, L, L].
    func callAsFunction(_ x: Tensor, additiveMask: Tensor?, headMask: Tensor?,
                        returnProbabilities: Bool) -> (Tensor, Tensor?) {
        if distanceEmbedding == nil, let stacked = qkv.stackedIfReady() {
            return Ops.attention(qkv: stacked(x), heads: heads, additiveMask: additiveMask, headMask: headMask,
                                 returnProbabilities: returnProbabilities)
        }
        let q = query(x), k = key(x), v = value(x)
        guard let distanceEmbedding else {
            return Ops.attention(query: q, key: k, value: v, heads: heads, additiveMask: additiveMask,
                                 headMask: headMask, returnProbabilities: returnProbabilities)
        }
        return relativeAttention(q: q, k: k, v: v, distance: distanceEmbedding, additiveMask: additiveMask,
                                 headMask: headMask, returnProbabilities: returnProbabilities)
    }

    /// transformers 4.x `RobertaSelfAttention` with relative positions: the position terms are added to
    /// q·kᵀ before the 1/sqrt(d) scaling.
    private func relativeAttention(q: Tensor, k: Tensor, v: Tensor, distance: Embedding, additiveMask: Tensor?,
                                   headMask: Tensor?, returnProbabilities: Bool) -> (Tensor, Tensor?) {
        let b = q.shape[0], l = q.shape[1], hidden = q.shape[2], d = hidden / heads
        // [B, L, heads, d] → [B, heads, L, d]
        let qh = q.reshaped([b, l, heads, d]).permuted([0, 2, 1, 3])
        let kh = k.reshaped([b, l, heads, d]).permuted([0, 2, 1, 3])
        let vh = v.reshaped([b, l, heads, d]).permuted([0, 2, 1, 3])
        var scores = Ops.matmul(qh, kh, transposeB: true)  // [B, heads, L, L]
        // pos[l][r] = distance_embedding(l - r + maxPos - 1): [L, L, d]
        var table = [Float](repeating: 0, count: l * l * d)
        distance.weight.withUnsafeBufferPointer { w in
            for i in 0..<l {
                for j in 0..<l {
                    let row = i - j + maxPositionEmbeddings - 1
                    for c in 0..<d { table[(i * l + j) * d + c] = w[row * d + c] }
                }
            }
        }
        let both = positionEmbedding == .relativeKeyQuery
        qh.withUnsafeBufferPointer { qp in
            kh.withUnsafeBufferPointer { kp in
                scores.withUnsafeMutableBufferPointer { sp in
                    for bh in 0..<(b * heads) {
                        for i in 0..<l {
                            for j in 0..<l {
                                var acc: Float = 0
                                let pos = (i * l + j) * d
                                // relative_key: q_i · pos(i, j); relative_key_query adds k_j · pos(i, j).
                                for c in 0..<d { acc += qp[(bh * l + i) * d + c] * table[pos + c] }
                                if both {
                                    for c in 0..<d { acc += kp[(bh * l + j) * d + c] * table[pos + c] }
                                }
                                sp[(bh * l + i) * l + j] += acc
                            }
                        }
                    }
                }
            }
        }
        scores = Ops.mul(scores, 1 / Float(d).squareRoot())
        if let additiveMask {
            scores.withUnsafeMutableBufferPointer { sp in
                additiveMask.withUnsafeBufferPointer { mp in
                    for bi in 0..<b { for r in 0..<(heads * l) { for j in 0..<l {
                        sp[(bi * heads * l + r) * l + j] += mp[bi * l + j]
                    } } }
                }
            }
        }
        var probs = Ops.softmax(scores)
        if let headMask {
            probs.withUnsafeMutableBufferPointer { pp in
                headMask.withUnsafeBufferPointer { hm in
                    for bi in 0..<b { for h in 0..<heads { for e in 0..<(l * l) {
                        pp[(bi * heads + h) * l * l + e] *= hm[h]
                    } } }
                }
            }
        }
        let context = Ops.matmul(probs, vh).permuted([0, 2, 1, 3]).reshaped([b, l, hidden])
        return (context, returnProbabilities ? probs : nil)
    }
}
