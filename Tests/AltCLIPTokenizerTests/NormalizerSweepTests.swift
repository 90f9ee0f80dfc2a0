import Foundation
import Testing
import AltCLIPTokenizer

/// Every Unicode scalar value through the charsmap normalizer, alone and followed by U+0301, compared per block of
/// 4096 with SHA-256 hashes of tokenizers' output. This pins both the double-array lookups and the grapheme
/// segmentation (Swift `Character` vs Rust `unicode-segmentation`) over the whole code space.
@Suite("Normalizer sweep")
struct NormalizerSweepTests {
    @Test("SHA-256 per block matches tokenizers", .tags(.goldens), arguments: ["plain", "combining_acute"])
    func sweep(kind: String) throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        let sweep = try #require(Fixtures.goldens["normalizer_sweep"] as? [String: Any])
        let block = try #require((sweep["block"] as? NSNumber)?.intValue)
        let hashes = Fixtures.strings(sweep[kind])
        #expect(hashes.count == 0x110000 / block)
        let suffix = kind == "plain" ? "" : "\u{0301}"
        var mismatches: [String] = []
        for (n, expected) in hashes.enumerated() {
            var text = String.UnicodeScalarView()
            for value in UInt32(n * block)..<UInt32((n + 1) * block) {
                guard value != 0x0D, let scalar = Unicode.Scalar(value) else { continue }
                text.append(scalar)
                text.append(contentsOf: suffix.unicodeScalars)
                text.append("\n")
            }
            let normalized = tokenizer.normalize(String(text))
            if SHA256.hex(Array(normalized.utf8)) != expected {
                mismatches.append(String(format: "U+%04X..U+%04X", n * block, (n + 1) * block - 1))
            }
        }
        #expect(mismatches.isEmpty, "blocks whose normalization differs from tokenizers: \(mismatches)")
    }

    @Test("SHA-256 implementation")
    func sha() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
