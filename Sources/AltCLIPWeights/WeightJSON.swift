import AltCLIPJSON

/// safetensors headers and shard indexes through the shared strict reader: duplicate keys are refused
/// (Foundation's JSONSerialization silently keeps one), nesting is limited, errors say where.
enum WeightJSON {
    static let maxDepth = 128

    /// Parses exactly one JSON value; `baseOffset` is where `bytes` starts in the file.
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String, baseOffset: Int = 0) throws -> JSONValue {
        do {
            return try JSONReader.parse(bytes, baseOffset: baseOffset, maxDepth: maxDepth, duplicateKeys: .reject)
        } catch let error as JSONError {
            switch error {
            case let .malformed(offset, reason): throw WeightError.malformedJSON(file: file, offset: offset, reason: reason)
            case let .duplicateKey(key, _): throw WeightError.duplicateKey(file: file, key: key)
            }
        }
    }
}
