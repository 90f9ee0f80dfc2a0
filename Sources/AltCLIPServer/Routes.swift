import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The router: every route, its error style, admission control, metrics and the API-key check.
struct Routes {
    let core: ServerCore

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIKeyMiddleware(keys: core.options.apiKeys, open: ["/health", "/openapi.json", "/"]))

        // OpenAI
        for path in ["/v1/embeddings", "/embeddings"] {
            router.post(RouterPath(path), use: handler("/v1/embeddings", .openAI, inference: true, openAIEmbeddings))
        }
        router.get("/v1/models", use: handler("/v1/models", .openAI, models))
        // text-embeddings-inference
        router.post("/embed", use: handler("/embed", .tei, inference: true, teiEmbed))
        router.post("/tokenize", use: handler("/tokenize", .tei, teiTokenize))
        router.post("/decode", use: handler("/decode", .tei, teiDecode))
        router.get("/info", use: handler("/info", .tei, info))
        router.get("/health", use: handler("/health", .tei, health))
        router.get("/metrics", use: handler("/metrics", .tei, metricsText))
        // CLIP
        router.post("/v1/classify", use: handler("/v1/classify", .tei, inference: true, classify))
        router.post("/v1/similarity", use: handler("/v1/similarity", .tei, inference: true, similarity))
        router.get("/openapi.json", use: handler("/openapi.json", .tei, openAPI))
        // Search (with --db)
        router.get("/v1/search", use: handler("/v1/search", .tei, inference: true, searchGet))
        router.post("/v1/search", use: handler("/v1/search", .tei, inference: true, searchPost))
        router.get("/v1/images/:id/thumbnail", use: handler("/v1/images/{id}/thumbnail", .tei) { data, request in
            try await self.thumbnail(data, request, id: request.uri.path.split(separator: "/").dropFirst(2).first.map(String.init) ?? "")
        })
        router.get("/", use: handler("/", .tei, searchPage))
        return router
    }

    /// Wraps a route: admission (429 beyond the concurrency limit), the body collected up to the
    /// payload limit (413), errors in the route family's shape, metrics. Inference routes run so that a
    /// client that disconnects cancels its work (its inputs leave the batcher's queue).
    private func handler(
        _ route: String, _ style: ErrorStyle, inference: Bool = false,
        _ handle: @escaping @Sendable (Data, Request) async throws -> Response
    ) -> @Sendable (Request, BasicRequestContext) async throws -> Response {
        let core = self.core
        return { request, _ in
            let start = ContinuousClock.now
            var response: Response
            do {
                try core.admit()
                defer { core.release() }
                let limit = core.options.payloadLimit
                if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
                    throw APIError(.tooLarge, "the request body is \(length) bytes; the limit is \(limit)")
                }
                if inference {
                    let arrival = core.expectArrival()
                    defer { arrival.arrived() }
                    response = try await ServerCore.$arrival.withValue(arrival) {
                        try await request.body.consumeWithCancellationOnInboundClose { body in
                            try await handle(try await Self.collect(body, limit: limit), request)
                        }
                    }
                } else {
                    response = try await handle(try await Self.collect(request.body, limit: limit), request)
                }
            } catch let error as APIError {
                response = Self.errorResponse(error, style)
            } catch is CancellationError {
                response = Self.errorResponse(APIError(.unhealthy, "the request was cancelled"), style)
            } catch {
                response = Self.errorResponse(APIError(.backend, "inference failed: \(error)"), style)
            }
            // Watching for the client going away consumes the connection's inbound stream, so
            // Hummingbird closes the connection after this response: say so, and clients open a new one
            // rather than reuse a closing one.
            if inference { response.headers[.connection] = "close" }
            core.metrics.request(route: route, status: Int(response.status.code), duration: ContinuousClock.now - start)
            return response
        }
    }

    private static func collect(_ body: RequestBody, limit: Int) async throws -> Data {
        do {
            let buffer = try await body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.tooLarge, "the request body is larger than the limit of \(limit) bytes")
        }
    }

    static func errorResponse(_ error: APIError, _ style: ErrorStyle) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.kind == .overloaded || error.kind == .unhealthy { headers[.retryAfter] = "1" }
        if error.kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: error.status(style), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: style.body(error))))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ value: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: value)))
    }
}
