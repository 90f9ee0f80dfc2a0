import AltCLIP
import Foundation
import Hummingbird
import MultipartKit

/// The native CLIP routes: zero-shot classification and image × text similarity.
extension Routes {
    struct LabelResult: Encodable {
        let label: String
        let probability: Float
        let cosine: Float
        let logit: Float
    }

    /// `POST /v1/classify`: JSON `{"images": [...], "labels": [...], "template": "a photo of {}"}` or
    /// `multipart/form-data` with `image` files and `label` (repeated) / `labels` (JSON array) fields.
    @Sendable func classify(_ data: Data, _ request: Request) async throws -> Response {
        struct Result: Encodable { let labels: [LabelResult] }
        struct Body: Encodable {
            let model: String
            let results: [Result]
        }
        let form = try ClassifyForm.parse(data, contentType: request.headers[.contentType])
        guard !form.labels.isEmpty else { throw APIError.invalid("`labels` is required and must not be empty", param: "labels") }
        let prompts = form.labels.map { label in form.template.map { $0.replacingOccurrences(of: "{}", with: label) } ?? label }
        let (model, _) = try core.ready()
        async let labelRows = core.labelEmbeddings(prompts, field: "labels")
        async let imageRows = core.embed(images: form.images, field: "images")
        let labels = try await labelRows, images = try await imageRows
        let scale = model.logitScale
        let results = images.map { image -> Result in
            let cosines = labels.map { dot(image, $0) }
            let logits = cosines.map { $0 * scale }
            let probabilities = ZeroShotClassifier.softmax(logits)
            let ranked = form.labels.indices.map {
                LabelResult(label: form.labels[$0], probability: probabilities[$0], cosine: cosines[$0], logit: logits[$0])
            }.sorted { $0.probability > $1.probability }
            return Result(labels: form.top.map { Array(ranked.prefix($0)) } ?? ranked)
        }
        return try Self.json(Body(model: core.options.modelName, results: results))
    }

    /// `POST /v1/similarity`: `{"texts": [...], "images": [...]}` → cosine, logits per image and per text.
    @Sendable func similarity(_ data: Data, _ request: Request) async throws -> Response {
        struct Body: Encodable {
            let model: String
            let cosine: [[Float]]
            let logits_per_image: [[Float]]
            let logits_per_text: [[Float]]
            let probabilities: [[Float]]
        }
        let body = try JSONBody(data)
        guard let texts = try body.strings("texts") else { throw APIError.invalid("`texts` is required", param: "texts") }
        guard let encoded = try body.strings("images") else { throw APIError.invalid("`images` is required", param: "images") }
        let images = try encoded.enumerated().map { index, text throws(APIError) in
            try ImagePayload.decode(text, field: "images[\(index)]")
        }
        let (model, _) = try core.ready()
        async let textRows = core.embed(texts: texts, field: "texts")
        async let imageRows = core.embed(images: images, field: "images")
        let textVectors = try await textRows.rows, imageVectors = try await imageRows
        let cosine = imageVectors.map { image in textVectors.map { dot(image, $0) } }
        let logits = cosine.map { $0.map { $0 * model.logitScale } }
        let perText = textVectors.indices.map { t in logits.map { $0[t] } }
        return try Self.json(Body(model: core.options.modelName, cosine: cosine, logits_per_image: logits,
                                  logits_per_text: perText, probabilities: logits.map(ZeroShotClassifier.softmax)))
    }
}

/// A classification request from JSON or from a multipart form.
struct ClassifyForm {
    var images: [Data] = []
    var labels: [String] = []
    var template: String?
    var top: Int?

    static func parse(_ data: Data, contentType: String?) throws(APIError) -> ClassifyForm {
        var form = ClassifyForm()
        if let contentType, contentType.lowercased().hasPrefix("multipart/form-data") {
            try form.read(multipart: data, contentType: contentType)
        } else {
            try form.read(json: data)
        }
        try form.check()
        return form
    }

    private mutating func read(json data: Data) throws(APIError) {
        let body = try JSONBody(data)
        guard let encoded = try body.strings("images") else { throw .invalid("`images` is required", param: "images") }
        images = try encoded.enumerated().map { index, text throws(APIError) in
            try ImagePayload.decode(text, field: "images[\(index)]")
        }
        labels = try body.strings("labels") ?? []
        template = try body.string("template")
        top = try body.int("top_k")
    }

    private mutating func read(multipart data: Data, contentType: String) throws(APIError) {
        guard let boundary = Self.boundary(contentType) else {
            throw .invalid("the multipart/form-data content type has no boundary")
        }
        var parts: [(name: String, body: Data)] = []
        var name = "", body = Data()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { field, value in
            if field.lowercased() == "content-disposition" { name = Self.formName(value) ?? "" }
        }
        parser.onBody = { buffer in body.append(contentsOf: buffer.readableBytesView) }
        parser.onPartComplete = {
            parts.append((name, body))
            name = ""
            body = Data()
        }
        do { try parser.execute(Array(data)) } catch { throw .invalid("the multipart/form-data body is malformed") }
        for part in parts {
            let text = String(decoding: part.body, as: UTF8.self)
            switch part.name {
            case "image", "images", "image[]", "images[]", "file": images.append(part.body)
            case "label", "label[]": labels.append(text)
            case "labels":
                // A JSON array, or labels separated by commas.
                if let array = try? JSONSerialization.jsonObject(with: part.body) as? [String] { labels += array } else {
                    labels += text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
            case "template": template = text
            case "top_k":
                guard let value = Int(text) else { throw .invalid("`top_k` must be an integer", param: "top_k") }
                top = value
            default: throw .invalid("unknown form field `\(part.name)`; expected image, label, labels, template, top_k")
            }
        }
    }

    private func check() throws(APIError) {
        if let top, top < 1 { throw .invalid("`top_k` must be at least 1", param: "top_k") }
        if let template, !template.contains("{}") {
            throw .invalid("`template` must contain {} where the label goes", param: "template")
        }
    }

    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    static func formName(_ disposition: String) -> String? {
        for parameter in disposition.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "name" { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }
}
