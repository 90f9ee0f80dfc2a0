/// How `XLMRobertaTokenizer.callAsFunction` pads a batch (transformers `padding=`). Padding is on the right with
/// `<pad>` (id 1) and attention mask 0.
public enum Padding: String, Sendable, CaseIterable {
    /// No padding (`padding=False`).
    case none = "do_not_pad"
    /// Pad to the longest row of the batch (`padding=True` / `"longest"`).
    case longest
    /// Pad to `maxLength`, or to the folder's `model_max_length` (`"max_length"`).
    case maxLength = "max_length"
}
