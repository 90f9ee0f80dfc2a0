@testable import AltCLIPServer
import Foundation

/// Checks JSON values against the schemas of the served OpenAPI document (the subset of JSON Schema
/// the document uses: type, const, enum, properties, required, items, minItems, oneOf, $ref).
struct OpenAPIChecker {
    let document: [String: Any]

    init() throws {
        document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
    }

    /// The response schema for `method path` and `status`, or nil if the document lacks one.
    func responseSchema(_ method: String, _ path: String, _ status: Int) -> [String: Any]? {
        let paths = document["paths"] as? [String: Any]
        guard let operation = (paths?[path] as? [String: Any])?[method.lowercased()] as? [String: Any],
              var response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else { return nil }
        if let ref = response["$ref"] as? String { response = resolve(ref) }
        guard let content = response["content"] as? [String: Any] else { return [:] }  // no body described
        let media = content["application/json"] ?? content["text/plain"]
        return (media as? [String: Any])?["schema"] as? [String: Any]
    }

    /// The documented media types of a response.
    func documentedContent(_ method: String, _ path: String, _ status: Int) -> [String: Any]? {
        let paths = document["paths"] as? [String: Any]
        guard let operation = (paths?[path] as? [String: Any])?[method.lowercased()] as? [String: Any],
              var response = (operation["responses"] as? [String: Any])?[String(status)] as? [String: Any] else { return nil }
        if let ref = response["$ref"] as? String { response = resolve(ref) }
        return response["content"] as? [String: Any]
    }

    /// Problems of `value` against the schema for the response (empty when it conforms).
    func problems(_ method: String, _ path: String, _ status: Int, body: Data, contentType: String?) -> [String] {
        // A documented non-JSON body (an image, the HTML page): its media type must be the documented one.
        if let type = contentType?.split(separator: ";").first.map(String.init), !type.hasSuffix("json"), type != "text/plain",
           let content = documentedContent(method, path, status) {
            return content.keys.contains(type) ? [] : ["\(method) \(path) \(status): \(type) is not documented (\(content.keys.sorted()))"]
        }
        guard let schema = responseSchema(method, path, status) else { return ["\(method) \(path): status \(status) is not documented"] }
        if schema.isEmpty { return [] }
        if contentType?.hasPrefix("text/plain") == true { return [] }
        guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return ["\(method) \(path) \(status): body is not JSON"]
        }
        return check(value, schema, at: "$")
    }

    func resolve(_ ref: String) -> [String: Any] {
        var node: Any = document
        for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] ?? [:] }
        return node as? [String: Any] ?? [:]
    }

    func check(_ value: Any, _ schema: [String: Any], at path: String) -> [String] {
        if let ref = schema["$ref"] as? String { return check(value, resolve(ref), at: path) }
        if let options = schema["oneOf"] as? [[String: Any]] {
            let matching = options.filter { check(value, $0, at: path).isEmpty }.count
            return matching == 1 ? [] : ["\(path): matches \(matching) of the oneOf schemas"]
        }
        var problems: [String] = []
        if let constant = schema["const"] {
            if "\(constant)" != "\(value)" { problems.append("\(path): \(value) is not \(constant)") }
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            problems.append("\(path): \(value) is not one of \(allowed)")
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [type as? String ?? ""]
            if !types.contains(where: { matches(value, $0) }) { return ["\(path): \(value) is not of type \(types)"] }
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): required key \(key) is missing")
            }
            for (key, sub) in schema["properties"] as? [String: Any] ?? [:] {
                if let item = object[key], let sub = sub as? [String: Any] { problems += check(item, sub, at: "\(path).\(key)") }
            }
        }
        if let array = value as? [Any] {
            if let minimum = schema["minItems"] as? Int, array.count < minimum { problems.append("\(path): fewer than \(minimum) items") }
            if let items = schema["items"] as? [String: Any] {
                for (index, item) in array.enumerated() { problems += check(item, items, at: "\(path)[\(index)]") }
            }
        }
        return problems
    }

    private func matches(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "string": return value is String
        case "boolean": return (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
        case "integer":
            guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return false }
            return n.doubleValue == n.doubleValue.rounded()
        case "number": return (value as? NSNumber).map { String(cString: $0.objCType) != "c" } ?? false
        case "array": return value is [Any]
        case "object": return value is [String: Any]
        default: return false
        }
    }
}
