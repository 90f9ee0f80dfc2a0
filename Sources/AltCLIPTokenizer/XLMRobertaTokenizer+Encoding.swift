extension XLMRobertaTokenizer {
    /// Per-thread scratch space for encoding (never shared between threads).
    final class Workspace {
        let viterbi = ViterbiWorkspace()
        var normalized: [UInt8] = []
        var piece: [UInt8] = []

        init() {
            normalized.reserveCapacity(1024)
            piece.reserveCapacity(256)
        }
    }

    /// Encodes one text without the template (transformers `add_special_tokens=False`).
    func encodeSequence(_ text: String, workspace: Workspace) -> TokenSink {
        var sink = TokenSink()
        var text = text
        text.withUTF8 { raw in
            addedVocabulary.split(raw, matcher: addedVocabulary.rawMatcher) { range, token in
                if let token {
                    appendAdded(token, UnsafeBufferPointer(rebasing: raw[range]), to: &sink)
                } else if !range.isEmpty {
                    normalizeAndEncode(UnsafeBufferPointer(rebasing: raw[range]), workspace: workspace, sink: &sink)
                }
            }
        }
        return sink
    }

    private func appendAdded(_ token: AddedToken, _ matched: UnsafeBufferPointer<UInt8>, to sink: inout TokenSink) {
        // The token's text is the matched span, which includes whitespace swallowed by lstrip/rstrip.
        if matched.elementsEqual(token.content.utf8) {
            sink.append(id: token.id)
        } else {
            sink.appendOverride(id: token.id, text: String(decoding: matched, as: UTF8.self))
        }
    }

    private func normalizeAndEncode(_ segment: UnsafeBufferPointer<UInt8>, workspace: Workspace, sink: inout TokenSink) {
        var normalized = workspace.normalized
        workspace.normalized = []
        normalized.removeAll(keepingCapacity: true)
        if let normalizer {
            normalizer.normalize(segment, into: &normalized)
        } else {
            normalized.append(contentsOf: segment)
        }
        normalized.withUnsafeBufferPointer { text in
            addedVocabulary.split(text, matcher: addedVocabulary.normalizedMatcher) { range, token in
                if let token {
                    appendAdded(token, UnsafeBufferPointer(rebasing: text[range]), to: &sink)
                } else if !range.isEmpty {
                    preTokenizeAndEncode(UnsafeBufferPointer(rebasing: text[range]), workspace: workspace, sink: &sink)
                }
            }
        }
        workspace.normalized = normalized
    }

    /// `WhitespaceSplit` (Rust `char::is_whitespace`) then Metaspace on each word.
    private func preTokenizeAndEncode(_ text: UnsafeBufferPointer<UInt8>, workspace: Workspace, sink: inout TokenSink) {
        guard let p = text.baseAddress else { return }
        let n = text.count
        var i = 0
        while i < n {
            if Self.isWhitespace(p, i, n) {
                i += UTF8Scalar.length(ofLeadByte: p[i])
                continue
            }
            var j = i
            while j < n && !Self.isWhitespace(p, j, n) {
                j += UTF8Scalar.length(ofLeadByte: p[j])
            }
            encodeWord(p + i, count: min(j, n) - i, workspace: workspace, sink: &sink)
            i = j
        }
    }

    @inline(__always)
    private static func isWhitespace(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
        let b = p[i]
        if b < 0x80 { return b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        let length = min(UTF8Scalar.length(ofLeadByte: b), n - i)
        return UTF8Scalar.isWhitespace(UTF8Scalar.decode(p + i, length: length))
    }

    @inline(__always)
    private static func isMetaspace(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
        i + 2 < n && p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81
    }

    /// Metaspace (`prepend_scheme="always"`, `split=true`): prepend `▁` unless the word starts with it, then split
    /// before every `▁` (MergedWithNext); each piece goes to the Unigram model.
    private func encodeWord(_ word: UnsafePointer<UInt8>, count: Int, workspace: Workspace, sink: inout TokenSink) {
        var firstMeta = 0
        while firstMeta < count && !Self.isMetaspace(word, firstMeta, count) { firstMeta += 1 }
        if firstMeta > 0 {
            if configuration.addPrefixSpace {
                var piece = workspace.piece
                workspace.piece = []
                piece.removeAll(keepingCapacity: true)
                piece.append(contentsOf: [0xE2, 0x96, 0x81])
                piece.append(contentsOf: UnsafeBufferPointer(start: word, count: firstMeta))
                piece.withUnsafeBufferPointer { buffer in
                    model.encode(buffer.baseAddress!, count: buffer.count, workspace: workspace.viterbi, output: &sink)
                }
                workspace.piece = piece
            } else {
                model.encode(word, count: firstMeta, workspace: workspace.viterbi, output: &sink)
            }
        }
        var start = firstMeta
        while start < count {
            var end = start + 3
            while end < count && !Self.isMetaspace(word, end, count) { end += 1 }
            model.encode(word + start, count: end - start, workspace: workspace.viterbi, output: &sink)
            start = end
        }
    }

    /// The token texts of an encoded sequence (vocabulary pieces, or the matched text where it differs).
    func tokenTexts(_ ids: [Int], overrides: [(Int, String)]) -> [String] {
        var texts = ids.map { token(forId: $0) ?? "" }
        for (index, text) in overrides where index < texts.count { texts[index] = text }
        return texts
    }

    // MARK: - Public single-text API

    /// The ids of `text` (and `pair`), with `<s> A </s>` / `<s> A </s></s> B </s>` when `addSpecialTokens`.
    /// An empty `pair` means no pair, as in transformers. Nothing is truncated.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> [Int] {
        let workspace = Workspace()
        let first = encodeSequence(text, workspace: workspace)
        let second = pair.flatMap { $0.isEmpty ? nil : encodeSequence($0, workspace: workspace) }
        return applyTemplate(first.ids, second?.ids, addSpecialTokens: addSpecialTokens)
    }

    /// The tokens of `text` without special tokens (transformers `tokenize`); unknown runs keep their text.
    public func tokenize(_ text: String) -> [String] {
        let sink = encodeSequence(text, workspace: Workspace())
        return tokenTexts(sink.ids, overrides: sink.overrides)
    }

    /// The text after the precompiled-charsmap normalizer alone (tokenizers `normalizer.normalize_str`).
    public func normalize(_ text: String) -> String {
        guard let normalizer else { return text }
        var output: [UInt8] = []
        var text = text
        text.withUTF8 { normalizer.normalize($0, into: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    func applyTemplate(_ a: [Int], _ b: [Int]?, addSpecialTokens: Bool) -> [Int] {
        guard addSpecialTokens else { return a + (b ?? []) }
        var ids: [Int] = []
        ids.reserveCapacity(a.count + (b?.count ?? 0) + 4)
        ids.append(bosTokenId)
        ids.append(contentsOf: a)
        ids.append(eosTokenId)
        if let b {
            ids.append(eosTokenId)
            ids.append(contentsOf: b)
            ids.append(eosTokenId)
        }
        return ids
    }
}
