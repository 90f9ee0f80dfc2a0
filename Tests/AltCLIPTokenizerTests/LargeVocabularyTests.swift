import Foundation
import Testing
import AltCLIPTokenizer

/// A synthetic `tokenizer.json` the size of XLM-R's (250,002 pieces), generated here rather than committed.
@Suite("Large vocabulary")
struct LargeVocabularyTests {
    static let pieceCount = 250_002

    /// Deterministic pieces from several scripts, half of them with a leading `▁`, unique, with scores in (-20, 0).
    static func syntheticVocabulary() -> [(String, Double)] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let scripts: [ClosedRange<UInt32>] = [
            0x61...0x7A, 0x61...0x7A, 0x61...0x7A, 0xE0...0xFF, 0x430...0x44F, 0x3B1...0x3C9, 0x5D0...0x5EA,
            0x627...0x64A, 0x905...0x939, 0xE01...0xE2E, 0x3041...0x3093, 0x4E00...0x9FA5, 0xAC00...0xD7A3,
        ]
        var seen = Set<String>(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
        var vocabulary: [(String, Double)] = [("<s>", 0), ("<pad>", 0), ("</s>", 0), ("<unk>", 0)]
        while vocabulary.count < pieceCount - 1 {
            let script = scripts[Int(next() % UInt64(scripts.count))]
            let length = 1 + Int(next() % 7)
            var scalars = String.UnicodeScalarView()
            if next() % 2 == 0 { scalars.append("\u{2581}") }
            for _ in 0..<length {
                let value = script.lowerBound + UInt32(next() % UInt64(script.count))
                scalars.append(Unicode.Scalar(value)!)
            }
            let piece = String(scalars)
            if seen.insert(piece).inserted {
                vocabulary.append((piece, -Double(next() % 2_000_000) / 100_000 - 1e-6))
            }
        }
        vocabulary.append(("<mask>", 0))
        return vocabulary
    }

    static func writeTokenizerJSON(_ vocabulary: [(String, Double)], to url: URL) throws {
        let config = try Data(contentsOf: Fixtures.modelDirectory.appendingPathComponent("tokenizer.json"))
        let object = try JSONSerialization.jsonObject(with: config) as! [String: Any]
        let normalizer = try JSONSerialization.data(withJSONObject: object["normalizer"]!)
        var text = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],\"normalizer\":"
        text += String(decoding: normalizer, as: UTF8.self)
        text += ",\"model\":{\"type\":\"Unigram\",\"unk_id\":3,\"vocab\":[\n"
        for (i, (piece, score)) in vocabulary.enumerated() {
            let escaped = piece.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            text += "[\"\(escaped)\",\(score)]" + (i + 1 < vocabulary.count ? ",\n" : "\n")
        }
        text += "]}}\n"
        try Data(text.utf8).write(to: url)
    }

    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    @Test("250,002 pieces load, map and encode")
    func largeVocabulary() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let vocabulary = Self.syntheticVocabulary()
        let url = directory.appendingPathComponent("tokenizer.json")
        try Self.writeTokenizerJSON(vocabulary, to: url)
        let fileSize = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0

        let rssBefore = Self.residentBytes()
        let start = Date()
        let tokenizer = try XLMRobertaTokenizer(tokenizerJSON: url)
        let seconds = Date().timeIntervalSince(start)
        let rssAfter = Self.residentBytes()
        print("large vocabulary: \(vocabulary.count) pieces, \(fileSize / 1_000_000) MB file, loaded in "
              + String(format: "%.3f", seconds) + " s, resident memory +\((rssAfter - rssBefore) / 1_000_000) MB")
        #if !DEBUG
        // Release build: the issue asks for well under a second.
        #expect(seconds < 1.0, "load took \(seconds) s")
        #endif

        #expect(tokenizer.vocabSize == Self.pieceCount)
        #expect(tokenizer.maskTokenId == Self.pieceCount - 1)
        var probe = 0
        for id in stride(from: 4, to: vocabulary.count - 1, by: 997) {
            #expect(tokenizer.id(forToken: vocabulary[id].0) == id, "piece \(id)")
            #expect(tokenizer.token(forId: id) == vocabulary[id].0)
            probe += 1
        }
        #expect(probe > 200)
        // Lower-case ASCII pieces are unchanged by the normalizer, so a text made of them has no <unk>.
        let words = vocabulary.lazy.map(\.0).filter { $0.hasPrefix("\u{2581}") && $0.dropFirst().allSatisfy { ("a"..."z").contains($0) } }
        let text = Array(words.prefix(50)).map { String($0.dropFirst()) }.joined(separator: " ")
        let ids = tokenizer.encode(text)
        #expect(ids.count > 50)
        #expect(!ids.dropFirst().dropLast().contains(tokenizer.unkTokenId))
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == text)
    }
}
