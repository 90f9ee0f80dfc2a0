/// Finds added tokens in text the way tokenizers' `AddedVocabulary` does: leftmost-longest matches, tokens with
/// `normalized == false` on the raw text first, the others on each normalized remainder.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let byId: [Int: AddedToken]
    private let byContent: [String: AddedToken]
    /// Contents of special tokens (tokenizers checks `is_special_token` on the token text).
    private let specialContents: Set<String>
    let rawMatcher: Matcher
    let normalizedMatcher: Matcher

    /// A set of byte patterns with a first-byte filter; a handful of patterns, so a direct scan is fastest.
    struct Matcher: Sendable {
        let patterns: [(bytes: [UInt8], token: Int)]
        let firstBytes: [Bool]

        init(_ patterns: [(bytes: [UInt8], token: Int)]) {
            self.patterns = patterns.filter { !$0.bytes.isEmpty }
            var first = [Bool](repeating: false, count: 256)
            for p in self.patterns { first[Int(p.bytes[0])] = true }
            firstBytes = first
        }

        var isEmpty: Bool { patterns.isEmpty }

        /// Leftmost-longest match at or after `from`: (start, end, index into `tokens`).
        func next(in text: UnsafeBufferPointer<UInt8>, from: Int) -> (Int, Int, Int)? {
            var position = from
            while position < text.count {
                if firstBytes[Int(text[position])] {
                    var best: (Int, Int)? = nil
                    for p in patterns where p.bytes.count <= text.count - position && (best == nil || p.bytes.count > best!.0) {
                        var equal = true
                        for k in 0..<p.bytes.count where text[position + k] != p.bytes[k] {
                            equal = false
                            break
                        }
                        if equal { best = (p.bytes.count, p.token) }
                    }
                    if let (length, token) = best { return (position, position + length, token) }
                }
                position += 1
            }
            return nil
        }
    }

    init(tokens: [AddedToken], normalize: (String) -> [UInt8]) {
        self.tokens = tokens
        var byId: [Int: AddedToken] = [:]
        var byContent: [String: AddedToken] = [:]
        for token in tokens {
            byId[token.id] = token
            byContent[token.content] = token
        }
        self.byId = byId
        self.byContent = byContent
        specialContents = Set(tokens.filter(\.special).map(\.content))
        var raw: [(bytes: [UInt8], token: Int)] = []
        var normalized: [(bytes: [UInt8], token: Int)] = []
        for (index, token) in tokens.enumerated() {
            if token.normalized {
                normalized.append((normalize(token.content), index))
            } else {
                raw.append((Array(token.content.utf8), index))
            }
        }
        rawMatcher = Matcher(raw)
        normalizedMatcher = Matcher(normalized)
    }

    func token(forId id: Int) -> AddedToken? { byId[id] }
    func token(forContent content: String) -> AddedToken? { byContent[content] }
    func isSpecial(_ content: String) -> Bool { specialContents.contains(content) }

    /// Splits `text` into runs of plain text (`token == nil`) and matched added tokens, applying
    /// `single_word`, `lstrip` and `rstrip` (tokenizers `find_matches`).
    func split(_ text: UnsafeBufferPointer<UInt8>, matcher: Matcher,
               _ body: (_ range: Range<Int>, _ token: AddedToken?) -> Void) {
        if matcher.isEmpty {
            body(0..<text.count, nil)
            return
        }
        var startOffset = 0
        var searchFrom = 0
        while let (matchStart, matchEnd, index) = matcher.next(in: text, from: searchFrom) {
            searchFrom = matchEnd
            let token = tokens[index]
            var start = matchStart
            var stop = matchEnd
            if token.singleWord {
                let startSpace = start == 0 || !Self.endsWithWordCharacter(text, before: start)
                let stopSpace = stop == text.count || !Self.startsWithWordCharacter(text, at: stop)
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                start = max(Self.leftmostSpace(text, endingAt: start), startOffset)
            }
            if token.rstrip {
                stop = Self.rightmostSpace(text, startingAt: stop)
            }
            start = max(start, startOffset)
            if startOffset < start { body(startOffset..<start, nil) }
            body(start..<stop, token)
            startOffset = stop
            searchFrom = max(searchFrom, stop)
        }
        if startOffset != text.count || text.isEmpty {
            body(startOffset..<text.count, nil)
        }
    }

    private static func scalarBefore(_ text: UnsafeBufferPointer<UInt8>, _ end: Int) -> (UInt32, Int) {
        var start = end - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        let length = end - start
        return (UTF8Scalar.decode(text.baseAddress! + start, length: length), start)
    }

    /// Start of the whitespace run that ends at `end` (regex `\s*$`).
    private static func leftmostSpace(_ text: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> Int {
        var position = end
        while position > 0 {
            let (scalar, start) = scalarBefore(text, position)
            guard UTF8Scalar.isWhitespace(scalar) else { break }
            position = start
        }
        return position
    }

    /// End of the whitespace run that starts at `start` (regex `^\s*`).
    private static func rightmostSpace(_ text: UnsafeBufferPointer<UInt8>, startingAt start: Int) -> Int {
        var position = start
        while position < text.count {
            let length = UTF8Scalar.length(ofLeadByte: text[position])
            guard UTF8Scalar.isWhitespace(UTF8Scalar.decode(text.baseAddress! + position, length: length)) else { break }
            position += length
        }
        return position
    }

    private static func endsWithWordCharacter(_ text: UnsafeBufferPointer<UInt8>, before end: Int) -> Bool {
        isWordCharacter(scalarBefore(text, end).0)
    }

    private static func startsWithWordCharacter(_ text: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        let length = UTF8Scalar.length(ofLeadByte: text[start])
        return isWordCharacter(UTF8Scalar.decode(text.baseAddress! + start, length: length))
    }

    /// Regex `\w` in Unicode mode (Rust `regex`): Alphabetic, marks, decimal digits, connector punctuation,
    /// join controls.
    private static func isWordCharacter(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        let p = scalar.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
