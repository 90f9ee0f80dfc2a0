import Foundation

/// Data-dependent failures of tensor ops (bad ids or shapes that come from user input, not from code).
public enum TensorError: Error, Equatable, Sendable {
    /// `ids[position]` is `id`, outside `0..<bound` (e.g. a token id beyond the embedding table).
    case indexOutOfRange(operation: String, position: Int, id: Int, bound: Int)
    /// An input's shape does not fit: `expected` describes what the operation needs.
    case shapeMismatch(operation: String, expected: String, actual: [Int])
    /// The compute library refused an operation (e.g. oneDNN could not create a primitive).
    case backend(String)
}

extension TensorError: LocalizedError, CustomStringConvertible {
    public var description: String {
        switch self {
        case let .indexOutOfRange(operation, position, id, bound):
            return "\(operation): index \(id) at position \(position) is out of range 0..<\(bound)"
        case let .shapeMismatch(operation, expected, actual):
            return "\(operation): expected \(expected), got shape \(actual)"
        case let .backend(message):
            return message
        }
    }

    public var errorDescription: String? { description }
}
