import AltCLIPJSON
import Foundation

extension TokenizerError {
    /// The shared reader's error as the tokenizer reports it, with the file's name.
    init(_ error: JSONError, file: String) {
        self = .malformedJSON(file: file, offset: error.offset, reason: error.reason)
    }
}

extension JSONReader {
    /// Parses a whole tokenizer JSON file (`tokenizer_config.json`, `special_tokens_map.json`).
    static func parse(_ data: Data, file: String) throws -> JSONValue {
        do {
            return try parse(data)
        } catch let error as JSONError {
            throw TokenizerError(error, file: file)
        }
    }
}
