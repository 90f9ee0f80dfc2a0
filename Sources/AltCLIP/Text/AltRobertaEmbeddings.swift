import AltCLIPTensor

/// XLM-R embeddings: word + token type + position (absolute), then LayerNorm.
/// Keys: `word_embeddings`, `position_embeddings`, `token_type_embeddings`, `LayerNorm`.
public struct AltRobertaEmbeddings: @unchecked Sendable {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    public let paddingIndex: Int
    /// transformers 4.x added position embeddings only for "absolute".
    public let usesAbsolutePositions: Bool

    init(_ scope: WeightScope, config: AltCLIPTextConfig) throws {
        let std = Float(config.initializerRange)
        wordEmbeddings = try Embedding(scope("word_embeddings"), count: config.vocabSize,
                                       dimension: config.hiddenSize, std: std, paddingIndex: config.padTokenId ?? 1)
        positionEmbeddings = try Embedding(scope("position_embeddings"), count: config.maxPositionEmbeddings,
                                           dimension: config.hiddenSize, std: std, paddingIndex: config.padTokenId ?? 1)
        tokenTypeEmbeddings = try Embedding(scope("token_type_embeddings"), count: config.typeVocabSize,
                                            dimension: config.hiddenSize, std: std)
        layerNorm = try LayerNorm(scope("LayerNorm"), dimension: config.hiddenSize, eps: Float(config.layerNormEps))
        paddingIndex = config.padTokenId ?? 1
        usesAbsolutePositions = config.positionEmbedding == .absolute
    }

    /// transformers `create_position_ids_from_input_ids`: real tokens count up from
    /// `padding_idx + 1`, pads keep `padding_idx`.
    static func positionIds(fromInputIds ids: [[Int]], paddingIndex: Int) -> [[Int]] {
        ids.map { row in
            var running = 0
            return row.map { id in
                if id == paddingIndex { return paddingIndex }
                running += 1
                return running + paddingIndex
            }
        }
    }

    /// Embeds a batch. Exactly one of `inputIds` and `inputsEmbeds` is given (checked by the caller).
    func callAsFunction(inputIds: [[Int]]?, inputsEmbeds: Tensor?, batch: Int, length: Int,
                        tokenTypeIds: [[Int]]?, positionIds: [[Int]]?) throws -> Tensor {
        let shape = [batch, length]
        var x: Tensor
        if let inputIds {
            x = try wordEmbeddings(inputIds.flatMap { $0 }, shape: shape)
        } else if let inputsEmbeds {
            x = inputsEmbeds
        } else {
            throw AltCLIPError.invalidInput("You must specify exactly one of input_ids or inputs_embeds")
        }
        // transformers: ids → fairseq positions; embeddings alone → arange(pad+1, L+pad+1).
        let positions = positionIds
            ?? inputIds.map { Self.positionIds(fromInputIds: $0, paddingIndex: paddingIndex) }
            ?? Array(repeating: Array((paddingIndex + 1)..<(paddingIndex + 1 + length)), count: batch)
        let types = tokenTypeIds ?? Array(repeating: Array(repeating: 0, count: length), count: batch)
        x = Ops.add(x, try tokenTypeEmbeddings(types.flatMap { $0 }, shape: shape))
        if usesAbsolutePositions {
            let flat = positions.flatMap { $0 }
            if let bad = flat.first(where: { $0 < 0 || $0 >= positionEmbeddings.count }) {
                throw AltCLIPError.sequenceTooLong(length: length,
                                                   maximum: positionEmbeddings.count - paddingIndex - 1)
                    .ifPositionIdsGiven(positionIds != nil, badId: bad, table: positionEmbeddings.count)
            }
            x = Ops.add(x, try positionEmbeddings(flat, shape: shape))
        }
        return layerNorm(x)
    }
}

private extension AltCLIPError {
    /// With explicit position ids an out-of-range id is an input error, not a length problem.
    func ifPositionIdsGiven(_ given: Bool, badId: Int, table: Int) -> AltCLIPError {
        given ? .invalidInput("position id \(badId) is outside the position table of \(table) rows") : self
    }
}
