/// The result of encoding a batch: one row per text, padded and truncated as requested.
public struct BatchEncoding: Sendable {
    /// Token ids per row (transformers `input_ids`).
    public let inputIds: [[Int]]
    /// 1 for real tokens, 0 for padding (transformers `attention_mask`).
    public let attentionMask: [[Int]]
    /// Tokens truncation removed from each row (0 when it was not cut; transformers reports the same
    /// count as `num_truncated_tokens` with `return_overflowing_tokens`).
    public let numTruncatedTokens: [Int]
    private let overrides: [[(Int, String)]]
    private let tokenizer: XLMRobertaTokenizer

    init(inputIds: [[Int]], attentionMask: [[Int]], overrides: [[(Int, String)]], tokenizer: XLMRobertaTokenizer,
         numTruncatedTokens: [Int]? = nil) {
        self.inputIds = inputIds
        self.attentionMask = attentionMask
        self.numTruncatedTokens = numTruncatedTokens ?? [Int](repeating: 0, count: inputIds.count)
        self.overrides = overrides
        self.tokenizer = tokenizer
    }

    /// Token texts per row, as the Rust tokenizer reports them (`BatchEncoding.tokens(i)`): vocabulary pieces,
    /// `<s>`/`</s>`/`<pad>`, the original text of fused unknown runs, and matched added tokens with any stripped
    /// whitespace. Computed on each access.
    public var tokens: [[String]] {
        zip(inputIds, overrides).map { tokenizer.tokenTexts($0, overrides: $1) }
    }

    /// Length of the longest row (compare with `XLMRobertaTokenizer.modelMaxLength`).
    public var longestSequenceLength: Int {
        inputIds.map(\.count).max() ?? 0
    }

    /// Number of rows.
    public var count: Int { inputIds.count }
}
