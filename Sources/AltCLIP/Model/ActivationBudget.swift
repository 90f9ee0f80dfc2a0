import AltCLIPSupport

/// The memory a forward pass will need, checked against `MemoryBudget` before anything is allocated:
/// a request of a million texts, or one whose sequence or image makes the attention scores explode, is
/// refused with the number it would need instead of failing halfway (or taking the machine down).
enum ActivationBudget {
    /// The largest buffers of one encoder layer: hidden states, stacked q/k/v and the MLP's
    /// intermediate activations (`batch × tokens × (6·hidden + intermediate)`), plus the attention
    /// scores (`batch × heads × tokens²`), as Float32.
    static func check(batch: Int, tokens: Int, hidden: Int, intermediate: Int, heads: Int, what: String) throws {
        do {
            let perToken = try CheckedSize.sum(try CheckedSize.product([6, hidden], field: what), intermediate, field: what)
            let activations = try CheckedSize.product([batch, tokens, perToken], field: what)
            let scores = try CheckedSize.product([batch, heads, tokens, tokens], field: what)
            let bytes = try CheckedSize.product([try CheckedSize.sum(activations, scores, field: what), 4], field: what)
            try MemoryBudget.check(bytes: bytes, for: what)
        } catch {
            throw AltCLIPError.invalidInput("\(error)")
        }
    }
}
