import Foundation
import Hummingbird

/// `POST /v1/embeddings` (and `/embeddings`), `GET /v1/models`, as OpenAI's API has them.
extension Routes {
    struct EmbeddingList: Encodable {
        struct Item: Encodable {
            let object = "embedding"
            let index: Int
            let embedding: Vector
        }

        struct Usage: Encodable {
            let prompt_tokens: Int
            let total_tokens: Int
        }

        let object = "list"
        let data: [Item]
        let model: String
        let usage: Usage
    }

    /// An embedding as floats or as base64 of little-endian float32 (`encoding_format`).
    enum Vector: Encodable {
        case floats([Float])
        case base64(String)

        init(_ row: [Float], base64: Bool) {
            guard base64 else { self = .floats(row); return }
            var bytes = Data(capacity: row.count * 4)
            for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            self = .base64(bytes.base64EncodedString())
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .floats(values): try container.encode(values)
            case let .base64(text): try container.encode(text)
            }
        }
    }

    /// One item of `input`: a text, or an image (a `{"image": ...}` object, or any string when the
    /// request says `"modality": "image"`).
    private enum Item {
        case text(String)
        case image(Data)
    }

    @Sendable func openAIEmbeddings(_ data: Data, _ request: Request) async throws -> Response {
        let body = try JSONBody(data)
        let (model, _) = try core.ready()
        let format = try body.string("encoding_format") ?? "float"
        guard format == "float" || format == "base64" else {
            throw APIError.invalid("`encoding_format` must be \"float\" or \"base64\", not \"\(format)\"", param: "encoding_format")
        }
        if let dimensions = try body.int("dimensions"), dimensions != model.dimension {
            throw APIError.invalid("this model's embeddings have \(model.dimension) dimensions; `dimensions` \(dimensions) cannot be served",
                                   param: "dimensions")
        }
        let modality = try body.string("modality") ?? "text"
        guard modality == "text" || modality == "image" else {
            throw APIError.invalid("`modality` must be \"text\" or \"image\"", param: "modality")
        }
        let items = try Self.items(body.object["input"], imagesByDefault: modality == "image")

        var rows = [[Float]](repeating: [], count: items.count)
        let texts = items.enumerated().compactMap { index, item -> (Int, String)? in
            if case let .text(text) = item { return (index, text) } else { return nil }
        }
        let images = items.enumerated().compactMap { index, item -> (Int, Data)? in
            if case let .image(bytes) = item { return (index, bytes) } else { return nil }
        }
        async let textPart = texts.isEmpty ? ([], 0) : core.embed(texts: texts.map(\.1), field: "input")
        async let imagePart = images.isEmpty ? [] : core.embed(images: images.map(\.1), field: "input")
        let (textRows, tokens) = try await textPart
        for ((index, _), row) in zip(texts, textRows) { rows[index] = row }
        for ((index, _), row) in zip(images, try await imagePart) { rows[index] = row }

        let list = EmbeddingList(
            data: rows.enumerated().map { .init(index: $0, embedding: Vector($1, base64: format == "base64")) },
            model: core.options.modelName, usage: .init(prompt_tokens: tokens, total_tokens: tokens))
        return try Self.json(list)
    }

    private static func items(_ input: Any?, imagesByDefault: Bool) throws(APIError) -> [Item] {
        guard let input, !(input is NSNull) else { throw .invalid("`input` is required", param: "input") }
        if let text = input as? String { return [try item(text, imagesByDefault, "input")] }
        guard let array = input as? [Any] else {
            throw .invalid("`input` must be a string, an array of strings or an array of {\"image\": ...} objects", param: "input")
        }
        guard !array.isEmpty else { throw .invalid("`input` is empty", param: "input") }
        if array.allSatisfy({ $0 is NSNumber || (($0 as? [Any])?.allSatisfy { $0 is NSNumber } ?? false) }) {
            throw .invalid("""
                `input` holds token ids; this server takes text (it tokenizes with the model's own XLM-R \
                tokenizer). With LangChain's OpenAIEmbeddings set check_embedding_ctx_length=False.
                """, param: "input")
        }
        return try array.enumerated().map { index, value throws(APIError) in
            let field = "input[\(index)]"
            if let text = value as? String { return try item(text, imagesByDefault, field) }
            if let object = value as? [String: Any] {
                if let image = object["image"] as? String { return .image(try ImagePayload.decode(image, field: field + ".image")) }
                if let text = object["text"] as? String { return .text(text) }
            }
            throw .invalid("`\(field)` must be a string or an object with an \"image\" or \"text\" string", param: "input")
        }
    }

    private static func item(_ text: String, _ image: Bool, _ field: String) throws(APIError) -> Item {
        image ? .image(try ImagePayload.decode(text, field: field)) : .text(text)
    }

    @Sendable func models(_ data: Data, _ request: Request) async throws -> Response {
        struct Model: Encodable {
            let id: String
            let object = "model"
            let created = 0
            let owned_by = "altclip-swift"
        }
        struct List: Encodable {
            let object = "list"
            let data: [Model]
        }
        return try Self.json(List(data: [Model(id: core.options.modelName)]))
    }
}
