import Foundation
import AltCLIPTokenizer

/// Locates `Tests/Fixtures/tokenizer` from this file and loads the goldens written by
/// `Scripts/make_tokenizer_fixtures.py`.
enum Fixtures {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            let candidate = url.appendingPathComponent("Fixtures/tokenizer")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/tokenizer").standardized
    }()

    static let modelDirectory = root.appendingPathComponent("xlmr-mini")

    static let goldens: [String: Any] = {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("goldens.json")),
              let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
        else { return [:] }
        return object
    }()

    static var singles: [[String: Any]] { goldens["singles"] as? [[String: Any]] ?? [] }

    /// The folder as published (tokenizer.json + sentencepiece.bpe.model + configs).
    static let tokenizer: XLMRobertaTokenizer? = try? XLMRobertaTokenizer(directory: modelDirectory)

    /// How the same folder can be loaded; all must give identical results.
    enum Variant: String, CaseIterable, CustomStringConvertible, Sendable {
        case folder, tokenizerJSONOnly, sentencePieceOnly
        var description: String { rawValue }
    }

    static let variants: [Variant: XLMRobertaTokenizer] = {
        var result: [Variant: XLMRobertaTokenizer] = [:]
        let config = modelDirectory.appendingPathComponent("tokenizer_config.json")
        let map = modelDirectory.appendingPathComponent("special_tokens_map.json")
        result[.folder] = tokenizer
        result[.tokenizerJSONOnly] = try? XLMRobertaTokenizer(
            tokenizerJSON: modelDirectory.appendingPathComponent("tokenizer.json"), tokenizerConfig: config,
            specialTokensMap: map)
        result[.sentencePieceOnly] = try? XLMRobertaTokenizer(
            sentencePieceModel: modelDirectory.appendingPathComponent("sentencepiece.bpe.model"),
            tokenizerConfig: config, specialTokensMap: map)
        return result
    }()

    static func ints(_ value: Any?) -> [Int] { (value as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
    static func intRows(_ value: Any?) -> [[Int]] { (value as? [Any])?.map { ints($0) } ?? [] }
    static func strings(_ value: Any?) -> [String] { (value as? [Any])?.compactMap { $0 as? String } ?? [] }

    /// A fresh temporary directory (removed by the caller with `cleanUp`).
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Describes the first difference between two sequences for failure messages.
    static func firstDifference<T: Equatable>(_ actual: [T], _ expected: [T]) -> String {
        for i in 0..<min(actual.count, expected.count) where actual[i] != expected[i] {
            return "index \(i): got \(actual[i]), expected \(expected[i]) (lengths \(actual.count) vs \(expected.count))"
        }
        return "lengths \(actual.count) vs \(expected.count)"
    }
}
