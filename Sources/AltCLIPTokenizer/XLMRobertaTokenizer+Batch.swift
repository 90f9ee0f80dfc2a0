import AltCLIPSupport
import Foundation

extension XLMRobertaTokenizer {
    /// Encodes a batch like transformers' `tokenizer(texts, pairs, padding=..., truncation=..., max_length=...)`.
    ///
    /// - `truncation`: `nil` behaves as transformers' default: truncate only when `maxLength` is given and
    ///   `padding` is `.none`. Truncation is longest-first for pairs and counts the special tokens; with no
    ///   `maxLength` it uses `modelMaxLength` (no truncation when the folder sets none).
    /// - `pairs`: every row becomes a pair, even when its second text is empty.
    /// Rows are encoded in parallel. Throws only for invalid arguments.
    public func callAsFunction(
        _ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true, padding: Padding = .none,
        truncation: Bool? = nil, maxLength: Int? = nil, padToMultipleOf: Int? = nil
    ) throws -> BatchEncoding {
        if let pairs, pairs.count != texts.count {
            throw TokenizerError.invalidArgument(name: "pairs", reason: "\(pairs.count) pairs for \(texts.count) texts")
        }
        if let maxLength, maxLength < 0 {
            throw TokenizerError.invalidArgument(name: "maxLength", reason: "\(maxLength) is negative")
        }
        if let padToMultipleOf, padToMultipleOf <= 0 {
            throw TokenizerError.invalidArgument(name: "padToMultipleOf", reason: "\(padToMultipleOf) is not positive")
        }
        // transformers `_get_padding_truncation_strategies`
        var truncate = truncation ?? (maxLength != nil && padding == .none)
        var padding = padding
        var limit = maxLength
        if limit == nil {
            if padding == .maxLength {
                if let modelMaxLength { limit = modelMaxLength } else { padding = .none }
            }
            if truncate {
                if let modelMaxLength { limit = modelMaxLength } else { truncate = false }
            }
        }
        if truncate, padding != .none, let padToMultipleOf, let limit, limit % padToMultipleOf != 0 {
            throw TokenizerError.invalidArgument(
                name: "padToMultipleOf", reason: "truncation length \(limit) is not a multiple of \(padToMultipleOf)")
        }

        let firsts = encodeAll(texts)
        let seconds = pairs.map { encodeAll($0) }

        var rows: [[Int]] = []
        var rowOverrides: [[(Int, String)]] = []
        var removed = [Int](repeating: 0, count: texts.count)
        rows.reserveCapacity(texts.count)
        for i in 0..<texts.count {
            var a = firsts[i]
            var b = seconds?[i]
            if truncate, let limit {
                let before = a.ids.count + (b?.ids.count ?? 0)
                Self.truncate(&a, &b, to: limit - (addSpecialTokens ? numSpecialTokensToAdd(pair: b != nil) : 0))
                removed[i] = before - a.ids.count - (b?.ids.count ?? 0)
            }
            rows.append(applyTemplate(a.ids, b?.ids, addSpecialTokens: addSpecialTokens))
            let shift = addSpecialTokens ? 1 : 0
            var overrides = a.overrides.map { ($0.0 + shift, $0.1) }
            if let b {
                let offset = a.ids.count + (addSpecialTokens ? 3 : 0)
                overrides += b.overrides.map { ($0.0 + offset, $0.1) }
            }
            rowOverrides.append(overrides)
        }

        var target: Int? = nil
        switch padding {
        case .none: break
        case .longest: target = rows.map(\.count).max() ?? 0
        case .maxLength: target = limit
        }
        if var length = target, let padToMultipleOf, length % padToMultipleOf != 0 {
            let (rounded, overflow) = length.addingReportingOverflow(padToMultipleOf - length % padToMultipleOf)
            length = overflow ? Int.max : rounded
            target = length
        }
        // Padding is built in memory: a length from a config or an argument is bounded first.
        if let target, target > Self.maxPaddedLength {
            throw TokenizerError.invalidArgument(
                name: padding == .maxLength && maxLength == nil ? "model_max_length" : "maxLength",
                reason: "padding to \(target) tokens is more than the \(Self.maxPaddedLength) a sequence may have")
        }
        var masks: [[Int]] = []
        masks.reserveCapacity(rows.count)
        for i in 0..<rows.count {
            let real = rows[i].count
            var mask = [Int](repeating: 1, count: real)
            if let target, real < target {
                rows[i].append(contentsOf: repeatElement(padTokenId, count: target - real))
                mask.append(contentsOf: repeatElement(0, count: target - real))
            }
            masks.append(mask)
        }
        return BatchEncoding(inputIds: rows, attentionMask: masks, overrides: rowOverrides, tokenizer: self,
                             numTruncatedTokens: removed)
    }

    /// The longest sequence padding may produce (2^20 tokens: far beyond any model's positions).
    public static let maxPaddedLength = 1 << 20

    /// Encodes `texts` without the template, in parallel when the batch is large enough to pay for it.
    func encodeAll(_ texts: [String]) -> [TokenSink] {
        let n = texts.count
        let workers = min(ThreadBudget.count, max(1, n / 8))
        if workers <= 1 {
            let workspace = Workspace()
            return texts.map { encodeSequence($0, workspace: workspace) }
        }
        var results = [TokenSink](repeating: TokenSink(), count: n)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            let chunks = workers * 4
            ThreadBudget.forEach(iterations: chunks) { chunk in
                let workspace = Workspace()
                var i = chunk * n / chunks
                let end = (chunk + 1) * n / chunks
                while i < end {
                    output[i] = encodeSequence(texts[i], workspace: workspace)
                    i += 1
                }
            }
        }
        return results
    }

    /// tokenizers `truncate_encodings` with `LongestFirst`, direction right, stride 0. A negative budget (the
    /// limit is below the number of special tokens) leaves the rows as they are, as tokenizers does.
    static func truncate(_ a: inout TokenSink, _ b: inout TokenSink?, to budget: Int) {
        guard budget >= 0 else { return }
        guard var second = b else {
            if a.ids.count > budget { cut(&a, to: budget) }
            return
        }
        let total = a.ids.count + second.ids.count
        guard total > budget else { return }
        var n1 = a.ids.count
        var n2 = second.ids.count
        let swapped = n1 > n2
        if swapped { swap(&n1, &n2) }
        if n1 > budget {
            n2 = n1
        } else {
            n2 = max(n1, budget - n1)
        }
        if n1 + n2 > budget {
            n1 = budget / 2
            n2 = n1 + budget % 2
        }
        if swapped { swap(&n1, &n2) }
        cut(&a, to: n1)
        cut(&second, to: n2)
        b = second
    }

    private static func cut(_ sink: inout TokenSink, to length: Int) {
        guard sink.ids.count > length else { return }
        sink.ids.removeLast(sink.ids.count - length)
        sink.overrides.removeAll { $0.0 >= length }
    }
}
