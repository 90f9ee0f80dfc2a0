import Foundation
import HTTPTypes

/// A request that cannot be served, with the HTTP status and the words for the client. Messages never
/// carry server-side paths or internals.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// TEI's error classes (`error_type`), which also fix the status code as TEI does.
    public enum Kind: String, Sendable {
        /// The request is malformed, asks for something this model cannot do, or holds an input that
        /// cannot be read (an image that does not decode): 400 on the OpenAI routes, 422 on the others.
        case invalid = "validation"
        /// 401: missing or wrong API key.
        case unauthorized
        /// 404: no such route or resource.
        case notFound = "not_found"
        /// 413: too large (body, texts, images, tokens with `truncate: false`).
        case tooLarge = "payload_too_large"
        /// 429: the queue is full.
        case overloaded
        /// 503: the model is loading or the server is shutting down.
        case unhealthy
        /// 500: a failure inside the model.
        case backend
    }

    public var kind: Kind
    public var message: String
    /// The request field at fault, when there is one (OpenAI's `param`).
    public var param: String?

    public init(_ kind: Kind, _ message: String, param: String? = nil) {
        self.kind = kind
        self.message = message
        self.param = param
    }

    static func invalid(_ message: String, param: String? = nil) -> APIError { APIError(.invalid, message, param: param) }
    static func tooLong(_ message: String) -> APIError { APIError(.tooLarge, message) }

    /// The status code in a route family's convention.
    func status(_ style: ErrorStyle) -> HTTPResponse.Status {
        switch kind {
        case .invalid: return style == .openAI ? .badRequest : .unprocessableContent
        case .unauthorized: return .unauthorized
        case .notFound: return .notFound
        case .tooLarge: return .contentTooLarge
        case .overloaded: return .tooManyRequests
        case .unhealthy: return .serviceUnavailable
        case .backend: return .internalServerError
        }
    }

    /// OpenAI's `error.type`.
    var openAIType: String {
        switch kind {
        case .unauthorized: return "authentication_error"
        case .overloaded: return "rate_limit_error"
        case .backend, .unhealthy: return "server_error"
        default: return "invalid_request_error"
        }
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// How a route family spells its errors.
enum ErrorStyle {
    /// `{"error": {"message", "type", "param", "code"}}` (OpenAI).
    case openAI
    /// `{"error": "...", "error_type": "..."}` (text-embeddings-inference; also the native routes).
    case tei

    func body(_ error: APIError) -> Data {
        let object: [String: Any]
        switch self {
        case .openAI:
            object = ["error": ["message": error.message, "type": error.openAIType,
                                "param": error.param ?? NSNull(), "code": NSNull()] as [String: Any]]
        case .tei:
            object = ["error": error.message, "error_type": error.kind.rawValue]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
