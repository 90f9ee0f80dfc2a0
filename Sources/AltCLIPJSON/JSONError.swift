/// Why a JSON text was refused, and where: `offset` counts bytes from the start of the file (the reader's
/// `baseOffset` included). Each reader of a file format wraps it into its own error with the file name.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not JSON (RFC 8259) at `offset`.
    case malformed(offset: Int, reason: String)
    /// An object names `key` twice (only when the reader rejects duplicates); `offset` is the second one's.
    case duplicateKey(key: String, offset: Int)

    /// The byte offset of the problem.
    public var offset: Int {
        switch self {
        case .malformed(let offset, _), .duplicateKey(_, let offset): return offset
        }
    }

    /// The problem without its position.
    public var reason: String {
        switch self {
        case .malformed(_, let reason): return reason
        case .duplicateKey(let key, _): return "duplicate key '\(key)'"
        }
    }

    public var description: String { "byte \(offset): \(reason)" }
}
