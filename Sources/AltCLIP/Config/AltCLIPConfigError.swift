import Foundation

/// Errors raised while reading or validating an AltCLIP `config.json`.
///
/// Keys are reported in the JSON spelling (`hidden_size`, `text_config`) so a message can be matched
/// against the file and against transformers' `configuration_altclip.py`.
public indirect enum AltCLIPConfigError: Error, Equatable, Sendable {
    /// The file (or `config.json` inside a folder) could not be read.
    case unreadableFile(path: String, reason: String)
    /// The config could not be written to `path`.
    case unwritableFile(path: String, reason: String)
    /// The bytes are not a JSON object.
    case malformedJSON(path: String?, reason: String)
    /// A known key holds a value of the wrong JSON type (e.g. a string for `hidden_size`).
    case invalidField(path: String?, key: String, reason: String)
    /// `model_type` names another model (e.g. a text-only config where a full AltCLIP config is needed).
    case modelTypeMismatch(path: String?, expected: [String], actual: String)
    /// A size that must be positive is zero or negative.
    case nonPositive(section: String, key: String, value: Int)
    /// `key` must be a multiple of `divisorKey` (e.g. `hidden_size` of `num_attention_heads`).
    case notDivisible(section: String, key: String, value: Int, divisorKey: String, divisor: Int)
    /// `hidden_act` names an activation the Swift towers do not implement.
    case unsupportedActivation(section: String, value: String, supported: [String])
    /// `position_embedding_type` is not one of `absolute`, `relative_key`, `relative_key_query`.
    case unsupportedPositionEmbeddingType(value: String, supported: [String])
    /// A value lies outside the range the model can run with.
    case outOfRange(section: String, key: String, value: String, expected: String)
    /// `pad_token_id` is null, but the text tower derives position ids from it.
    case missingPadToken
    /// A validation error of the config file at `path`.
    case inFile(path: String, AltCLIPConfigError)
}

extension AltCLIPConfigError: LocalizedError, CustomStringConvertible {
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "cannot read config file \(path): \(reason)"
        case let .unwritableFile(path, reason):
            return "cannot write config file \(path): \(reason)"
        case let .malformedJSON(path, reason):
            return "malformed config JSON\(Self.at(path)): \(reason)"
        case let .invalidField(path, key, reason):
            return "invalid value for '\(key)'\(Self.at(path)): \(reason)"
        case let .modelTypeMismatch(path, expected, actual):
            let list = expected.map { "'\($0)'" }.joined(separator: " or ")
            return "model_type '\(actual)'\(Self.at(path)) is not \(list)"
        case let .nonPositive(section, key, value):
            return "\(Self.qualified(section, key)) must be positive, got \(value)"
        case let .notDivisible(section, key, value, divisorKey, divisor):
            return "\(Self.qualified(section, key)) (\(value)) is not a multiple of "
                + "\(Self.qualified(section, divisorKey)) (\(divisor))"
        case let .unsupportedActivation(section, value, supported):
            let learned = ["prelu", "xielu"].contains(value)
                ? " (transformers' \(value) has learned parameters, which AltCLIP's layers do not store)" : ""
            return "\(Self.qualified(section, "hidden_act")) '\(value)' is not supported\(learned); expected one of "
                + supported.joined(separator: ", ")
        case let .unsupportedPositionEmbeddingType(value, supported):
            return "text_config.position_embedding_type '\(value)' is not supported; expected one of "
                + supported.joined(separator: ", ")
        case let .outOfRange(section, key, value, expected):
            return "\(Self.qualified(section, key)) = \(value) is out of range; expected \(expected)"
        case let .inFile(path, error):
            return "\(path): \(error.description)"
        case .missingPadToken:
            return "text_config.pad_token_id is null; the text tower needs it to build position ids"
        }
    }

    public var errorDescription: String? { description }

    private static func at(_ path: String?) -> String {
        path.map { " in \($0)" } ?? ""
    }

    private static func qualified(_ section: String, _ key: String) -> String {
        section.isEmpty ? key : "\(section).\(key)"
    }
}
