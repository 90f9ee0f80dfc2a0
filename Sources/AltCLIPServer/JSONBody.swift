import Foundation

/// A request body parsed as a JSON object, with typed accessors whose errors name the field.
///
/// The routes take polymorphic fields (`input` is a string, an array of strings, token ids or image
/// objects), so bodies are read as JSON values and interpreted field by field rather than decoded into
/// fixed structs; every wrong type is a 400/422 that says which field and what was expected.
struct JSONBody {
    let object: [String: Any]

    init(_ data: Data) throws(APIError) {
        guard !data.isEmpty else { throw .invalid("the request body is empty; send a JSON object") }
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw .invalid("the request body is not valid JSON")
        }
        guard let object = value as? [String: Any] else { throw .invalid("the request body must be a JSON object") }
        self.object = object
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func string(_ key: String) throws(APIError) -> String? {
        guard has(key) else { return nil }
        guard let value = object[key] as? String else { throw .invalid("`\(key)` must be a string", param: key) }
        return value
    }

    func bool(_ key: String, default fallback: Bool) throws(APIError) -> Bool {
        guard has(key) else { return fallback }
        guard let number = object[key] as? NSNumber, Self.isBool(number) else {
            throw .invalid("`\(key)` must be true or false", param: key)
        }
        return number.boolValue
    }

    func int(_ key: String) throws(APIError) -> Int? {
        guard has(key) else { return nil }
        guard let number = object[key] as? NSNumber, !Self.isBool(number), let value = Int(exactly: number.doubleValue) else {
            throw .invalid("`\(key)` must be an integer", param: key)
        }
        return value
    }

    /// A string or an array of strings, as an array.
    func strings(_ key: String) throws(APIError) -> [String]? {
        guard has(key) else { return nil }
        if let one = object[key] as? String { return [one] }
        guard let array = object[key] as? [Any] else { throw .invalid("`\(key)` must be a string or an array of strings", param: key) }
        var result: [String] = []
        for (index, item) in array.enumerated() {
            guard let text = item as? String else { throw .invalid("`\(key)[\(index)]` must be a string", param: key) }
            result.append(text)
        }
        return result
    }

    /// JSON booleans arrive as NSNumber too; tell them apart from 0 and 1.
    static func isBool(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}

/// Image bytes from a JSON string: a `data:image/...;base64,` URI or bare base64.
enum ImagePayload {
    static func decode(_ text: String, field: String) throws(APIError) -> Data {
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ",") else {
                throw .invalid("`\(field)` is a data URI without a comma", param: field)
            }
            let header = payload[payload.index(payload.startIndex, offsetBy: 5)..<comma]
            guard header.hasSuffix(";base64") else {
                throw .invalid("`\(field)` must be a base64 data URI (data:image/...;base64,...)", param: field)
            }
            payload = payload[payload.index(after: comma)...]
        } else if payload.hasPrefix("http://") || payload.hasPrefix("https://") || payload.hasPrefix("/") || payload.hasPrefix("file:") {
            throw .invalid("`\(field)` must hold the image itself (base64 or a data URI); the server does not fetch URLs or read paths", param: field)
        }
        guard let data = Data(base64Encoded: String(payload), options: .ignoreUnknownCharacters), !data.isEmpty else {
            throw .invalid("`\(field)` is not valid base64 image data", param: field)
        }
        return data
    }
}
