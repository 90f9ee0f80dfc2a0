/// SentencePiece's `precompiled_charsmap`: a Darts double-array trie from UTF-8 keys to offsets in a table of
/// NUL-terminated replacement strings.
///
/// Layout (sentencepiece `normalizer.cc` `EncodePrecompiledCharsMap`): `<u32 LE trie byte size><trie units
/// (u32 LE)><replacement table>`. Lookups follow `spm_precompiled` (`common_prefix_search`, first hit wins),
/// which is what the tokenizers `Precompiled` normalizer uses, not SentencePiece's longest match.
struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let table: [UInt8]

    init(bytes: [UInt8], file: String) throws {
        guard bytes.count >= 4 else {
            throw TokenizerError.malformedCharsmap(file: file, reason: "\(bytes.count) bytes, need at least 4 for the trie size")
        }
        let trieSize = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        guard trieSize % 4 == 0 else {
            throw TokenizerError.malformedCharsmap(file: file, reason: "trie size \(trieSize) is not a multiple of 4")
        }
        guard trieSize <= bytes.count - 4 else {
            throw TokenizerError.malformedCharsmap(
                file: file, reason: "trie size \(trieSize) exceeds the \(bytes.count - 4) bytes that follow it")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for i in 0..<units.count {
            let o = 4 + 4 * i
            units[i] = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        let table = Array(bytes[(4 + trieSize)...])
        guard String(validating: table, as: UTF8.self) != nil else {
            throw TokenizerError.malformedCharsmap(file: file, reason: "replacement table is not valid UTF-8")
        }
        self.units = units
        self.table = table
    }

    /// The replacement for the first (shortest) key that prefixes `key[0..<count]`, as a range of `table`.
    /// A NUL byte ends the search, as in `spm_precompiled`.
    @inline(__always)
    func firstMatch(_ key: UnsafePointer<UInt8>, count: Int) -> Range<Int>? {
        guard let offset = firstMatchOffset(key, count: count) else { return nil }
        var end = offset
        table.withUnsafeBufferPointer { t in
            while end < t.count && t[end] != 0 { end += 1 }
        }
        return offset..<end
    }

    private func firstMatchOffset(_ key: UnsafePointer<UInt8>, count: Int) -> Int? {
        units.withUnsafeBufferPointer { a -> Int? in
            guard !a.isEmpty else { return nil }
            var nodePos = Self.offset(a[0])
            for i in 0..<count {
                let c = key[i]
                if c == 0 { return nil }
                nodePos ^= Int(c)
                guard nodePos < a.count else { return nil }
                let unit = a[nodePos]
                guard unit & 0x8000_00FF == UInt32(c) else { return nil }
                nodePos ^= Self.offset(unit)
                if (unit >> 8) & 1 == 1 {
                    guard nodePos < a.count else { return nil }
                    let value = Int(a[nodePos] & 0x7FFF_FFFF)
                    // A bad offset cannot come from sentencepiece; treat it as no rule rather than trap.
                    guard value < table.count, table[value] & 0xC0 != 0x80 else { return nil }
                    return value
                }
            }
            return nil
        }
    }

    @inline(__always) private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }

    /// Calls `body` with the replacement bytes.
    @inline(__always)
    func withReplacement<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        table.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
    }
}
