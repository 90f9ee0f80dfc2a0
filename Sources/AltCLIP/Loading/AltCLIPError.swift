import Foundation

/// Errors raised while loading or running AltCLIP models.
public enum AltCLIPError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// A parameter the model needs is not in the checkpoint.
    case missingParameter(key: String, file: String?)
    /// A parameter has a shape other than the config implies.
    case shapeMismatch(key: String, expected: [Int], actual: [Int])
    /// The checkpoint could not be read.
    case checkpoint(key: String, underlying: String)
    /// An input tensor or list is malformed (ragged batch, wrong rank, mismatched batch sizes...).
    case invalidInput(String)
    /// A token sequence is longer than the model's position table allows.
    case sequenceTooLong(length: Int, maximum: Int)
    /// Pixel values whose size differs from the config, without `interpolatePosEncoding`.
    case imageSizeMismatch(height: Int, width: Int, expected: Int)
    /// A model folder lacks a file it needs.
    case missingFile(path: String, hint: String)

    public var description: String {
        switch self {
        case let .missingParameter(key, file):
            return "missing parameter '\(key)'" + (file.map { " in \($0)" } ?? "")
        case let .shapeMismatch(key, expected, actual):
            return "parameter '\(key)' has shape \(actual), expected \(expected)"
        case let .checkpoint(key, underlying):
            return "cannot read parameter '\(key)': \(underlying)"
        case let .invalidInput(message):
            return "invalid input: \(message)"
        case let .sequenceTooLong(length, maximum):
            return "token sequence of length \(length) is longer than the model allows (\(maximum)); "
                + "truncate it (e.g. truncation with max length \(maximum))"
        case let .imageSizeMismatch(height, width, expected):
            return "Input image size (\(height)*\(width)) doesn't match model (\(expected)*\(expected)); "
                + "resize to \(expected)x\(expected) or pass interpolate_pos_encoding (interpolatePosEncoding: true)"
        case let .missingFile(path, hint):
            return "missing file \(path): \(hint)"
        }
    }

    public var errorDescription: String? { description }
}
