import Foundation
import Testing
import AltCLIPTokenizer

/// Every Unicode scalar value through the charsmap normalizer, alone and followed by U+0301, compared per block of
/// 4096 with FNV-1a 64 hashes of tokenizers' output. This pins both the double-array lookups and the grapheme
/// segmentation (Swift `Character` vs Rust `unicode-segmentation`) over every assigned plane (0-3 and 14; planes
/// 4-13 are unassigned and 15-16 private use, skipped to keep the debug run short).
@Suite("Normalizer sweep")
struct NormalizerSweepTests {
    @Test("hash per block matches tokenizers", .tags(.goldens), arguments: ["plain", "combining_acute"])
    func sweep(kind: String) throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        let sweep = try #require(Fixtures.goldens["normalizer_sweep"] as? [String: Any])
        let block = try #require((sweep["block"] as? NSNumber)?.intValue)
        let hashes = Fixtures.strings(sweep[kind])
        #expect(hashes.count == 0x110000 / block)
        let suffix = kind == "plain" ? "" : "\u{0301}"
        var mismatches: [String] = []
        for (n, expected) in hashes.enumerated() {
            let plane = (n * block) >> 16
            guard plane <= 3 || plane == 14 else { continue }
            var text = String.UnicodeScalarView()
            for value in UInt32(n * block)..<UInt32((n + 1) * block) {
                guard value != 0x0D, let scalar = Unicode.Scalar(value) else { continue }
                text.append(scalar)
                text.append(contentsOf: suffix.unicodeScalars)
                text.append("\n")
            }
            let normalized = tokenizer.normalize(String(text))
            if Self.fnv1a64(normalized.utf8) != expected {
                mismatches.append(String(format: "U+%04X..U+%04X", n * block, (n + 1) * block - 1))
            }
        }
        #expect(mismatches.isEmpty, "blocks whose normalization differs from tokenizers: \(mismatches)")
    }

    static func fnv1a64(_ bytes: String.UTF8View) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @Test("FNV-1a 64 implementation")
    func fnv() {
        #expect(Self.fnv1a64("".utf8) == "cbf29ce484222325")
        #expect(Self.fnv1a64("a".utf8) == "af63dc4c8601ec8c")
    }
}
