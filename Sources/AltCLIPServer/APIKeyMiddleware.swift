import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `Authorization: Bearer KEY` on every route but the `open` ones, when keys are configured. Keys are
/// compared in time that does not depend on where they differ, and every key is tried.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let keys: [[UInt8]]
    let open: Set<String>

    init(keys: [String], open: Set<String>) {
        self.keys = keys.map { Array($0.utf8) }
        self.open = open
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !keys.isEmpty, !open.contains(request.uri.path) else { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        let presented = header.hasPrefix(prefix) ? Array(header.utf8.dropFirst(prefix.utf8.count)) : []
        var accepted = false
        for key in keys where Self.constantTimeEqual(key, presented) { accepted = true }
        guard accepted else {
            let style: ErrorStyle = request.uri.path.hasPrefix("/v1/embeddings") || request.uri.path == "/embeddings"
                || request.uri.path == "/v1/models" ? .openAI : .tei
            let message = header.isEmpty ? "an API key is required: send Authorization: Bearer <key>" : "the API key is not valid"
            return Routes.errorResponse(APIError(.unauthorized, message), style)
        }
        return try await next(request, context)
    }

    /// Equality whose running time depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
