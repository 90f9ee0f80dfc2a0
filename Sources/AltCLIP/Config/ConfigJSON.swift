import AltCLIPSupport
import Foundation

/// Reading `config.json` files: locating the file, probing `model_type`, and turning Foundation's
/// decoding errors into `AltCLIPConfigError` with the file and the dotted key.
enum ConfigJSON {
    /// The name transformers gives the config file inside a model folder.
    static let fileName = ModelFolderFiles.config

    /// Reads `url`, or `url/config.json` when `url` is a folder.
    static func read(_ url: URL) throws -> (data: Data, path: String) {
        var isDirectory: ObjCBool = false
        var file = url
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = url.appendingPathComponent(fileName)
        }
        do {
            // Regular files only (a FIFO never blocks), and no config is larger than a few MB.
            return (try InputFile.read(file.path, maxBytes: 64 << 20), file.path)
        } catch {
            throw AltCLIPConfigError.unreadableFile(path: file.path, reason: error.reason)
        }
    }

    /// Runs a validation, naming the file in any config error it throws.
    static func validating(_ path: String?, _ body: () throws -> Void) throws {
        do { try body() } catch let error as AltCLIPConfigError {
            guard let path else { throw error }
            throw AltCLIPConfigError.inFile(path: path, error)
        }
    }

    /// Writes `data` to a file, or to `config.json` inside an existing folder.
    static func write(_ data: Data, to url: URL) throws {
        var isDirectory: ObjCBool = false
        var file = url
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = url.appendingPathComponent(fileName)
        }
        do {
            try data.write(to: file, options: .atomic)
        } catch {
            throw AltCLIPConfigError.unwritableFile(path: file.path, reason: error.localizedDescription)
        }
    }

    /// `model_type` of a config file, or nil when the key is absent or null.
    static func modelType(in data: Data, path: String?) throws -> String? {
        try decode(ModelTypeProbe.self, from: data, path: path).modelType
    }

    /// Decodes `T`, mapping every failure to an `AltCLIPConfigError` that names `path` and the key.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String?) throws -> T {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw AltCLIPConfigError.malformedJSON(path: path, reason: error.localizedDescription)
        }
        guard object is [String: Any] else {
            throw AltCLIPConfigError.malformedJSON(path: path, reason: "the top level is not a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as AltCLIPConfigError {
            if case let .invalidField(nil, key, reason) = error {
                throw AltCLIPConfigError.invalidField(path: path, key: key, reason: reason)
            }
            throw error
        } catch let error as DecodingError {
            throw map(error, path: path)
        }
    }

    /// Encodes with sorted keys and indentation, as `save_pretrained` lays files out.
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    private static func map(_ error: DecodingError, path: String?) -> AltCLIPConfigError {
        func key(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .typeMismatch(type, context):
            return .invalidField(path: path, key: key(context.codingPath), reason: "expected \(type)")
        case let .valueNotFound(type, context):
            return .invalidField(path: path, key: key(context.codingPath), reason: "expected \(type), found null")
        case let .keyNotFound(missing, context):
            return .invalidField(path: path, key: key(context.codingPath + [missing]), reason: "missing")
        case let .dataCorrupted(context):
            return .invalidField(path: path, key: key(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .malformedJSON(path: path, reason: String(describing: error))
        }
    }

    private struct ModelTypeProbe: Decodable {
        var modelType: String?
        enum CodingKeys: String, CodingKey { case modelType = "model_type" }
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent or null (transformers then uses the
    /// class default).
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// A square size written either as `224` or as `[224, 224]` (transformers' type allows both).
    func squareSize(_ key: Key, default fallback: Int) throws -> Int {
        guard contains(key), try !decodeNil(forKey: key) else { return fallback }
        if let single = try? decode(Int.self, forKey: key) { return single }
        let pair = try decode([Int].self, forKey: key)
        guard let first = pair.first, pair.allSatisfy({ $0 == first }) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "only square sizes are supported, got \(pair)")
        }
        return first
    }

    /// A token id written as an integer, a list (the first entry is kept) or null.
    func tokenID(_ key: Key, default fallback: Int?) throws -> Int? {
        guard contains(key) else { return fallback }
        if try decodeNil(forKey: key) { return nil }
        if let single = try? decode(Int.self, forKey: key) { return single }
        return try decode([Int].self, forKey: key).first
    }
}
