/// The tokenizers `Precompiled` normalizer: applies a `PrecompiledCharsmap` per extended grapheme cluster.
///
/// tokenizers `normalizers/precompiled.rs`: a grapheme shorter than 6 UTF-8 bytes whose bytes start with a
/// charsmap key is replaced *whole* by that key's replacement (so `Ａ` + U+0301 becomes `A`); otherwise each
/// character is looked up on its own. Swift's `Character` is the same Unicode extended grapheme cluster as
/// `unicode-segmentation`'s `graphemes(true)`; the fixture sweep over all scalar values checks this.
struct CharsmapNormalizer: Sendable {
    private let charsmap: PrecompiledCharsmap
    /// Replacement for each single-byte ASCII grapheme, or nil to copy the byte.
    private let asciiReplacements: [[UInt8]?]

    init(charsmap: PrecompiledCharsmap) {
        self.charsmap = charsmap
        var table = [[UInt8]?](repeating: nil, count: 128)
        for c in 0..<128 {
            var byte = UInt8(c)
            if let range = charsmap.firstMatch(&byte, count: 1) {
                table[c] = charsmap.withReplacement(range) { Array($0) }
            }
        }
        asciiReplacements = table
    }

    /// Appends the normalized form of `text` (valid UTF-8, starting at a grapheme boundary) to `output`.
    func normalize(_ text: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        do {
            guard let base = text.baseAddress else { return }
            let n = text.count
            var i = 0
            while i < n {
                let b = base[i]
                if b < 0x80 && (i + 1 == n || (base[i + 1] < 0x80 && !(b == 0x0D && base[i + 1] == 0x0A))) {
                    // An ASCII byte followed by another ASCII byte (not CR LF) is a grapheme on its own.
                    if let replacement = asciiReplacements[Int(b)] {
                        output.append(contentsOf: replacement)
                    } else {
                        output.append(b)
                    }
                    i += 1
                    continue
                }
                // A region of graphemes that ends at the next ASCII-ASCII boundary (always a grapheme boundary).
                var j = i + 1
                while j < n && !(base[j - 1] < 0x80 && base[j] < 0x80 && !(base[j - 1] == 0x0D && base[j] == 0x0A)) {
                    j += 1
                }
                let region = Substring(decoding: UnsafeBufferPointer(start: base + i, count: j - i), as: UTF8.self)
                var a = i
                for grapheme in region {
                    let length = grapheme.utf8.count
                    normalizeGrapheme(base + a, count: length, into: &output)
                    a += length
                }
                i = j
            }
        }
    }

    @inline(__always)
    private func normalizeGrapheme(_ p: UnsafePointer<UInt8>, count: Int, into output: inout [UInt8]) {
        if count < 6, let range = charsmap.firstMatch(p, count: count) {
            charsmap.withReplacement(range) { output.append(contentsOf: $0) }
            return
        }
        var k = 0
        while k < count {
            let length = min(UTF8Scalar.length(ofLeadByte: p[k]), count - k)
            if let range = charsmap.firstMatch(p + k, count: length) {
                charsmap.withReplacement(range) { output.append(contentsOf: $0) }
            } else {
                output.append(contentsOf: UnsafeBufferPointer(start: p + k, count: length))
            }
            k += length
        }
    }
}
