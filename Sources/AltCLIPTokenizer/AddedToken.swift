/// A token matched in the raw (or normalized) text before the model runs, such as `<s>` or `<mask>`
/// (tokenizers `AddedToken`).
public struct AddedToken: Sendable, Hashable, CustomStringConvertible {
    /// The literal text of the token.
    public let content: String
    /// Its id (the vocabulary id when the vocabulary already holds `content`).
    public let id: Int
    /// Only match when not surrounded by word characters.
    public let singleWord: Bool
    /// Swallow the whitespace on its left.
    public let lstrip: Bool
    /// Swallow the whitespace on its right.
    public let rstrip: Bool
    /// Match against the normalized text instead of the raw text.
    public let normalized: Bool
    /// Special tokens are dropped by `decode(_:skipSpecialTokens:)`.
    public let special: Bool

    public var description: String {
        "AddedToken(\(content.debugDescription), id: \(id), lstrip: \(lstrip), rstrip: \(rstrip), "
            + "singleWord: \(singleWord), normalized: \(normalized), special: \(special))"
    }
}

/// A token's flags before it has an id (as read from the configuration files).
struct AddedTokenSpec: Sendable, Equatable {
    var content: String
    var singleWord = false
    var lstrip = false
    var rstrip = false
    var normalized: Bool
    var special: Bool

    init(content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
         normalized: Bool? = nil, special: Bool) {
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        // tokenizers `AddedToken::from(content, special)`: special tokens are not normalized by default.
        self.normalized = normalized ?? !special
        self.special = special
    }
}
