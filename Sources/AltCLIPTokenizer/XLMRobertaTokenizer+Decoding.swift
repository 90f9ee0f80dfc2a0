extension XLMRobertaTokenizer {
    /// Text of `ids` (transformers `decode`). Ids outside the vocabulary are dropped. With `skipSpecialTokens`,
    /// every special token is dropped, `<unk>` included (it is a special added token in transformers 5.x).
    /// The Metaspace decoder turns `▁` into spaces and removes the ones in the first token.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var output = ""
        var first = true
        for id in ids {
            guard let token = token(forId: id) else { continue }
            if skipSpecialTokens && addedVocabulary.isSpecial(token) { continue }
            if first && configuration.addPrefixSpace {
                output += token.replacingMetaspace(with: nil)
            } else {
                output += token.replacingMetaspace(with: " ")
            }
            first = false
        }
        if configuration.cleanUpTokenizationSpaces {
            output = Self.cleanUpTokenization(output)
        }
        return output
    }

    /// `decode` for each row.
    public func batchDecode(_ sequences: [[Int]], skipSpecialTokens: Bool = false) -> [String] {
        sequences.map { decode($0, skipSpecialTokens: skipSpecialTokens) }
    }

    /// transformers `clean_up_tokenization`.
    static func cleanUpTokenization(_ text: String) -> String {
        var text = text
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        return text
    }
}

extension String {
    /// Replaces every `▁` (U+2581) by `replacement`, or removes it when `replacement` is nil.
    func replacingMetaspace(with replacement: Character?) -> String {
        guard unicodeScalars.contains("\u{2581}") else { return self }
        var result = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if scalar == "\u{2581}" {
                if let replacement { result.append(contentsOf: replacement.unicodeScalars) }
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
