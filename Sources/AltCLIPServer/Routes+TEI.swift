import Foundation
import Hummingbird

/// The text-embeddings-inference routes: `/embed`, `/tokenize`, `/decode`, `/info`, `/health`, `/metrics`.
extension Routes {
    @Sendable func teiEmbed(_ data: Data, _ request: Request) async throws -> Response {
        let body = try JSONBody(data)
        guard let inputs = try body.strings("inputs") else { throw APIError.invalid("`inputs` is required", param: "inputs") }
        let normalize = try body.bool("normalize", default: true)
        let truncate = try body.bool("truncate", default: false)
        if let direction = try body.string("truncation_direction"), direction.lowercased() != "right" {
            throw APIError.invalid("only `truncation_direction` \"Right\" is supported", param: "truncation_direction")
        }
        if let dimensions = try body.int("dimensions"), let (model, _) = try? core.ready(), dimensions != model.dimension {
            throw APIError.invalid("this model's embeddings have \(model.dimension) dimensions", param: "dimensions")
        }
        let rows = try await core.embed(texts: inputs, field: "inputs", truncate: truncate, normalize: normalize).rows
        return try Self.json(rows)
    }

    @Sendable func teiTokenize(_ data: Data, _ request: Request) async throws -> Response {
        struct Token: Encodable {
            let id: Int
            let text: String
            let special: Bool

            enum Key: String, CodingKey { case id, text, special, start, stop }

            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(id, forKey: .id)
                try c.encode(text, forKey: .text)
                try c.encode(special, forKey: .special)
                // Offsets into the text are not tracked by the tokenizer: null, as TEI allows.
                try c.encodeNil(forKey: .start)
                try c.encodeNil(forKey: .stop)
            }
        }
        let body = try JSONBody(data)
        guard let inputs = try body.strings("inputs") else { throw APIError.invalid("`inputs` is required", param: "inputs") }
        try core.check(texts: inputs, field: "inputs")
        let addSpecial = try body.bool("add_special_tokens", default: true)
        let (model, _) = try core.ready()
        let tokenizer = model.tokenizer
        let special = Set(tokenizer.addedTokens.filter(\.special).map(\.id))
        let result = inputs.map { text in
            let ids = tokenizer.encode(text, addSpecialTokens: addSpecial)
            return zip(ids, tokenizer.convertIdsToTokens(ids)).map { id, piece in
                Token(id: id, text: piece ?? "", special: special.contains(id))
            }
        }
        return try Self.json(result)
    }

    @Sendable func teiDecode(_ data: Data, _ request: Request) async throws -> Response {
        let body = try JSONBody(data)
        let skip = try body.bool("skip_special_tokens", default: true)
        let (model, _) = try core.ready()
        let sequences: [[Int]]
        switch body.object["ids"] {
        case let flat as [Any] where flat.allSatisfy({ $0 is NSNumber }):
            sequences = [try Self.ids(flat, field: "ids", vocabulary: model.tokenizer.tokenCount)]
        case let nested as [Any] where nested.allSatisfy({ $0 is [Any] }):
            sequences = try nested.enumerated().map { index, row throws(APIError) in
                try Self.ids(row as? [Any] ?? [], field: "ids[\(index)]", vocabulary: model.tokenizer.tokenCount)
            }
        default:
            throw APIError.invalid("`ids` must be an array of token ids or an array of such arrays", param: "ids")
        }
        guard sequences.count <= core.options.maxInputsPerRequest else {
            throw APIError(.tooLarge, "`ids` has \(sequences.count) sequences; at most \(core.options.maxInputsPerRequest)", param: "ids")
        }
        return try Self.json(sequences.map { model.tokenizer.decode($0, skipSpecialTokens: skip) })
    }

    private static func ids(_ values: [Any], field: String, vocabulary: Int) throws(APIError) -> [Int] {
        try values.enumerated().map { index, value throws(APIError) in
            guard let number = value as? NSNumber, !JSONBody.isBool(number), let id = Int(exactly: number.doubleValue),
                  (0..<vocabulary).contains(id) else {
                throw .invalid("`\(field)[\(index)]` is not a token id of this model (0..<\(vocabulary))", param: "ids")
            }
            return id
        }
    }

    @Sendable func info(_ data: Data, _ request: Request) async throws -> Response {
        struct Info: Encodable {
            struct ModelType: Encodable {
                struct Embedding: Encodable { let pooling = "cls" }
                let embedding = Embedding()
            }
            let model_id: String
            let model_sha: String? = nil
            let model_dtype: String
            let model_type = ModelType()
            let modalities = ["text", "image"]
            let embedding_dimension: Int?
            let max_concurrent_requests: Int
            let max_input_length: Int?
            let max_batch_tokens: Int
            let max_batch_images: Int
            let max_batch_requests: Int? = nil
            let max_client_batch_size: Int
            let tokenization_workers: Int
            let version: String

            func encode(to encoder: Encoder) throws {
                // Encodable's synthesis skips nil optionals; TEI writes null, so write every key.
                var c = encoder.container(keyedBy: Key.self)
                for (key, value) in [("model_id", model_id as Any?), ("model_sha", model_sha), ("model_dtype", model_dtype),
                                     ("embedding_dimension", embedding_dimension), ("max_concurrent_requests", max_concurrent_requests),
                                     ("max_input_length", max_input_length), ("max_batch_tokens", max_batch_tokens),
                                     ("max_batch_images", max_batch_images), ("max_batch_requests", max_batch_requests),
                                     ("max_client_batch_size", max_client_batch_size), ("tokenization_workers", tokenization_workers),
                                     ("version", version)] {
                    let k = Key(key)
                    switch value {
                    case let v as String: try c.encode(v, forKey: k)
                    case let v as Int: try c.encode(v, forKey: k)
                    default: try c.encodeNil(forKey: k)
                    }
                }
                try c.encode(model_type, forKey: Key("model_type"))
                try c.encode(modalities, forKey: Key("modalities"))
            }

            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(_ s: String) { stringValue = s }
                init?(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
        }
        let model = try? core.ready().0
        let options = core.options
        return try Self.json(Info(
            model_id: options.modelName, model_dtype: model?.dtype ?? "unknown",
            embedding_dimension: model?.dimension, max_concurrent_requests: options.maxConcurrentRequests,
            max_input_length: model?.maxTextLength, max_batch_tokens: options.maxBatchTokens,
            max_batch_images: options.maxBatchImages, max_client_batch_size: options.maxInputsPerRequest,
            tokenization_workers: ProcessInfo.processInfo.activeProcessorCount, version: AltCLIPServer.version))
    }

    @Sendable func health(_ data: Data, _ request: Request) async throws -> Response {
        _ = try core.ready()
        return Response(status: .ok)
    }

    @Sendable func metricsText(_ data: Data, _ request: Request) async throws -> Response {
        Self.text(core.metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    @Sendable func openAPI(_ data: Data, _ request: Request) async throws -> Response {
        Self.text(OpenAPIDocument.json, contentType: "application/json")
    }
}
