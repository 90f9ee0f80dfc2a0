import AltCLIPTensor

/// The inputs of the text tower, as transformers' `AltCLIPTextModel.forward` takes them.
public struct TextInputs: @unchecked Sendable {
    /// Token ids [B][L]; give either this or `inputsEmbeds`.
    public var inputIds: [[Int]]?
    /// 1 for tokens to attend to, 0 for padding [B][L]; all ones when nil.
    public var attentionMask: [[Int]]?
    /// Segment ids [B][L]; zeros when nil.
    public var tokenTypeIds: [[Int]]?
    /// Position ids [B][L]; derived from `inputIds` (fairseq style) when nil.
    public var positionIds: [[Int]]?
    /// Multiplies attention probabilities: [heads] or [layers, heads] (transformers 4.x semantics).
    public var headMask: Tensor?
    /// Word embeddings given directly [B, L, hidden]; give either this or `inputIds`.
    public var inputsEmbeds: Tensor?

    public init(inputIds: [[Int]]? = nil, attentionMask: [[Int]]? = nil, tokenTypeIds: [[Int]]? = nil,
                positionIds: [[Int]]? = nil, headMask: Tensor? = nil, inputsEmbeds: Tensor? = nil) {
        self.inputIds = inputIds
        self.attentionMask = attentionMask
        self.tokenTypeIds = tokenTypeIds
        self.positionIds = positionIds
        self.headMask = headMask
        self.inputsEmbeds = inputsEmbeds
    }

    /// Batch size and sequence length, after checking every given input agrees.
    func validatedShape(hiddenSize: Int) throws -> (batch: Int, length: Int) {
        let batch: Int, length: Int
        switch (inputIds, inputsEmbeds) {
        case let (ids?, nil):
            guard let first = ids.first, !first.isEmpty else {
                throw AltCLIPError.invalidInput("input_ids is empty")
            }
            batch = ids.count
            length = first.count
        case let (nil, embeds?):
            guard embeds.rank == 3, embeds.shape[2] == hiddenSize else {
                throw AltCLIPError.invalidInput("inputs_embeds must be [batch, length, \(hiddenSize)], got \(embeds.shape)")
            }
            batch = embeds.shape[0]
            length = embeds.shape[1]
            guard batch > 0, length > 0 else { throw AltCLIPError.invalidInput("inputs_embeds is empty (\(embeds.shape))") }
        default:
            throw AltCLIPError.invalidInput("You must specify exactly one of input_ids or inputs_embeds")
        }
        for (name, rows) in [("input_ids", inputIds), ("attention_mask", attentionMask),
                             ("token_type_ids", tokenTypeIds), ("position_ids", positionIds)] {
            guard let rows else { continue }
            guard rows.count == batch, rows.allSatisfy({ $0.count == length }) else {
                throw AltCLIPError.invalidInput(
                    "\(name) must be \(batch) rows of \(length) (pad the batch to one length first)")
            }
        }
        return (batch, length)
    }
}
