import AltCLIPJSON
import Foundation

/// Reads what transformers' `XLMRobertaTokenizer` takes from `tokenizer.json`: the Unigram vocabulary, the
/// `precompiled_charsmap` of a `Precompiled` normalizer (alone or inside a `Sequence`) and `added_tokens`.
///
/// Everything else in the file (the written normalizer/pre-tokenizer/post-processor/decoder) is ignored on
/// purpose: transformers 5.x rebuilds that pipeline in code.
struct TokenizerJSONReader {
    private(set) var pieceBytes: [UInt8] = []
    private(set) var pieceOffsets: [Int32] = [0]
    private(set) var scores: [Double] = []
    private(set) var precompiledCharsmap: [UInt8]? = nil
    /// (id, flags) from `added_tokens`.
    private(set) var addedTokens: [(Int, AddedTokenSpec)] = []

    private let file: String

    init(bytes: Data, file: String) throws {
        self.file = file
        var sawModel = false
        do {
            try read(bytes, sawModel: &sawModel)
        } catch let error as JSONError {
            throw TokenizerError(error, file: file)
        }
        guard sawModel else { throw TokenizerError.missingKey(file: file, key: "model") }
    }

    private mutating func read(_ bytes: Data, sawModel: inout Bool) throws {
        try bytes.withUnsafeBytes { raw in
            let buffer = raw.bindMemory(to: UInt8.self)
            var reader = JSONReader(bytes: buffer)
            guard reader.peek() == UInt8(ascii: "{") else {
                throw TokenizerError.wrongType(file: file, key: "(top level)", expected: "an object", actual: "another value")
            }
            try reader.forEachMember { reader, key in
                switch key {
                case "model":
                    sawModel = true
                    try readModel(&reader)
                case "normalizer":
                    let value = try reader.parseValue()
                    precompiledCharsmap = try findCharsmap(value)
                case "added_tokens":
                    let value = try reader.parseValue()
                    try readAddedTokens(value)
                default:
                    _ = try reader.parseValue()
                }
            }
            try reader.expectEnd()
        }
    }

    private mutating func readModel(_ reader: inout JSONReader) throws {
        guard reader.peek() == UInt8(ascii: "{") else {
            let value = try reader.parseValue()
            throw TokenizerError.wrongType(file: file, key: "model", expected: "an object", actual: value.kind)
        }
        var type: String? = nil
        var sawVocab = false
        try reader.forEachMember { reader, key in
            switch key {
            case "type":
                let value = try reader.parseValue()
                guard let s = value.stringValue else {
                    throw TokenizerError.wrongType(file: file, key: "model.type", expected: "a string", actual: value.kind)
                }
                type = s
            case "vocab":
                sawVocab = true
                try readVocab(&reader)
            default:
                _ = try reader.parseValue()
            }
        }
        if let type, type != "Unigram" {
            throw TokenizerError.unsupportedModelType(file: file, modelType: type)
        }
        guard sawVocab else { throw TokenizerError.missingKey(file: file, key: "model.vocab") }
        guard !scores.isEmpty else {
            throw TokenizerError.invalidVocabulary(file: file, index: 0, reason: "the vocabulary is empty")
        }
    }

    /// `[[piece, score], ...]` straight into the compact arrays.
    private mutating func readVocab(_ reader: inout JSONReader) throws {
        guard reader.peek() == UInt8(ascii: "[") else {
            let value = try reader.parseValue()
            // A BPE/WordPiece vocabulary is an object of piece -> id.
            throw TokenizerError.wrongType(
                file: file, key: "model.vocab", expected: "an array of [piece, score] pairs", actual: value.kind)
        }
        pieceBytes.reserveCapacity(1 << 20)
        try reader.forEachElement { reader in
            let index = scores.count
            guard reader.peek() == UInt8(ascii: "[") else {
                let value = try reader.parseValue()
                throw TokenizerError.invalidVocabulary(
                    file: file, index: index, reason: "expected a [piece, score] pair, found \(value.kind)")
            }
            var fields = 0
            try reader.forEachElement { reader in
                fields += 1
                switch fields {
                case 1:
                    guard reader.peek() == UInt8(ascii: "\"") else {
                        throw TokenizerError.invalidVocabulary(file: file, index: index, reason: "the piece is not a string")
                    }
                    let piece = try reader.parseString()
                    pieceBytes.append(contentsOf: piece.utf8)
                    pieceOffsets.append(Int32(pieceBytes.count))
                case 2:
                    guard let next = reader.peek(), next == UInt8(ascii: "-") || (next >= 0x30 && next <= 0x39) else {
                        throw TokenizerError.invalidVocabulary(file: file, index: index, reason: "the score is not a number")
                    }
                    let score = try reader.parseNumber()
                    guard score.isFinite else {
                        throw TokenizerError.invalidVocabulary(file: file, index: index, reason: "the score is not finite")
                    }
                    scores.append(score)
                default:
                    throw TokenizerError.invalidVocabulary(file: file, index: index, reason: "more than two fields")
                }
            }
            guard fields == 2 else {
                throw TokenizerError.invalidVocabulary(file: file, index: index, reason: "expected [piece, score], found \(fields) field(s)")
            }
            guard pieceBytes.count < Int(Int32.max) else {
                throw TokenizerError.invalidVocabulary(file: file, index: index, reason: "vocabulary larger than 2 GB")
            }
        }
    }

    private func findCharsmap(_ normalizer: JSONValue) throws -> [UInt8]? {
        var candidates: [JSONValue] = []
        if normalizer["type"]?.stringValue == "Sequence", let list = normalizer["normalizers"]?.arrayValue {
            candidates = list
        } else if case .object = normalizer {
            candidates = [normalizer]
        }
        for candidate in candidates where candidate["type"]?.stringValue == "Precompiled" {
            guard let value = candidate["precompiled_charsmap"] else { continue }
            guard let text = value.stringValue else {
                if case .null = value { return nil }
                throw TokenizerError.wrongType(
                    file: file, key: "normalizer.precompiled_charsmap", expected: "a base64 string", actual: value.kind)
            }
            guard let data = Data(base64Encoded: text) else {
                throw TokenizerError.malformedCharsmap(file: file, reason: "precompiled_charsmap is not valid base64")
            }
            return [UInt8](data)
        }
        return nil
    }

    private mutating func readAddedTokens(_ value: JSONValue) throws {
        if case .null = value { return }
        guard let list = value.arrayValue else {
            throw TokenizerError.wrongType(file: file, key: "added_tokens", expected: "an array", actual: value.kind)
        }
        for (index, entry) in list.enumerated() {
            guard let id = entry["id"]?.numberValue, id >= 0, id == id.rounded(), id < 1e9 else {
                throw TokenizerError.wrongType(
                    file: file, key: "added_tokens[\(index)].id", expected: "a non-negative integer",
                    actual: entry["id"]?.kind ?? "nothing")
            }
            let spec = try TokenizerConfiguration.tokenSpec(entry, file: file, key: "added_tokens[\(index)]", forceSpecial: nil)
            addedTokens.append((Int(id), spec))
        }
    }
}
