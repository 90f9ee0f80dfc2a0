import Foundation

/// Everything that can go wrong while loading a tokenizer folder or calling the tokenizer with bad arguments.
///
/// Each case names the file (last path component) and what was expected, so a user can fix the input.
public enum TokenizerError: Error, Equatable, Sendable {
    /// The folder holds neither `tokenizer.json` nor `sentencepiece.bpe.model`.
    case missingModelFile(directory: String)
    /// A file could not be read from disk.
    case unreadableFile(file: String, reason: String)
    /// A JSON file is not valid JSON (byte `offset` where parsing stopped).
    case malformedJSON(file: String, offset: Int, reason: String)
    /// A required key is missing (`key` is a dotted path such as `model.vocab`).
    case missingKey(file: String, key: String)
    /// A key holds a value of the wrong kind.
    case wrongType(file: String, key: String, expected: String, actual: String)
    /// The file describes a model this tokenizer does not implement (only Unigram is supported).
    case unsupportedModelType(file: String, modelType: String)
    /// A SentencePiece model file is not a valid `ModelProto` (byte `offset`, field being read).
    case malformedProtobuf(file: String, offset: Int, field: String, reason: String)
    /// The `precompiled_charsmap` blob is inconsistent.
    case malformedCharsmap(file: String, reason: String)
    /// The vocabulary is empty or an entry is unusable.
    case invalidVocabulary(file: String, index: Int, reason: String)
    /// A call argument is out of range (for example `pairs.count != texts.count`).
    case invalidArgument(name: String, reason: String)
}

extension TokenizerError: LocalizedError, CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingModelFile(let directory):
            return "no tokenizer.json or sentencepiece.bpe.model in \(directory)"
        case .unreadableFile(let file, let reason):
            return "\(file): cannot be read (\(reason))"
        case .malformedJSON(let file, let offset, let reason):
            return "\(file): malformed JSON at byte \(offset): \(reason)"
        case .missingKey(let file, let key):
            return "\(file): missing key '\(key)'"
        case .wrongType(let file, let key, let expected, let actual):
            return "\(file): '\(key)' should be \(expected), found \(actual)"
        case .unsupportedModelType(let file, let modelType):
            return "\(file): unsupported model type '\(modelType)' (only Unigram is supported)"
        case .malformedProtobuf(let file, let offset, let field, let reason):
            return "\(file): malformed SentencePiece model at byte \(offset) (\(field)): \(reason)"
        case .malformedCharsmap(let file, let reason):
            return "\(file): malformed precompiled_charsmap: \(reason)"
        case .invalidVocabulary(let file, let index, let reason):
            return "\(file): vocabulary entry \(index): \(reason)"
        case .invalidArgument(let name, let reason):
            return "invalid argument '\(name)': \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
