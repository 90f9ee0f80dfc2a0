import AltCLIPImage
import AltCLIPStore
import AltCLIPSupport
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Search over the store `altclip serve --db` names: by text (any language), by an uploaded image, or
/// "more like this" an indexed image; thumbnails of indexed files only (by id, never by path).
extension Routes {
    struct Hit: Encodable {
        let id: String
        let path: String
        let name: String
        let score: Float
        let width: Int?
        let height: Int?
        let thumbnail: String
    }

    struct SearchBody: Encodable {
        let model: String
        let query: [String: String]
        let results: [Hit]
    }

    /// `GET /v1/search?q=TEXT&k=20&threshold=0.2`.
    @Sendable func searchGet(_ data: Data, _ request: Request) async throws -> Response {
        let items = request.uri.queryParameters
        guard let text = items["q"].map(String.init), !text.isEmpty else {
            throw APIError.invalid("give the query as ?q=TEXT", param: "q")
        }
        let k = try Self.integer(items["k"].map(String.init), "k") ?? 20
        let threshold = try Self.number(items["threshold"].map(String.init), "threshold")
        return try await search(.text(text), k: k, threshold: threshold)
    }

    /// `POST /v1/search`: `{"text": "…"}`, `{"image": "<data URI or base64>"}` or `{"like": "<id>"}`, with
    /// optional `k` and `threshold`.
    @Sendable func searchPost(_ data: Data, _ request: Request) async throws -> Response {
        let body = try JSONBody(data)
        let given = ["text", "image", "like"].filter { body.has($0) }
        guard given.count == 1 else { throw APIError.invalid("give exactly one of `text`, `image` and `like`") }
        let k = try body.int("k") ?? 20
        let threshold = try body.has("threshold") ? Self.number("\(body.object["threshold"]!)", "threshold") : nil
        switch given[0] {
        case "text": return try await search(.text(try body.string("text") ?? ""), k: k, threshold: threshold)
        case "image": return try await search(.image(try ImagePayload.decode(try body.string("image") ?? "", field: "image")), k: k, threshold: threshold)
        default: return try await search(.like(try body.string("like") ?? ""), k: k, threshold: threshold)
        }
    }

    enum Query {
        case text(String), image(Data), like(String)
    }

    func search(_ query: Query, k: Int, threshold: Float?) async throws -> Response {
        let store = try core.searchStore()
        guard (1...1000).contains(k) else { throw APIError.invalid("`k` must be between 1 and 1000", param: "k") }
        let vector: [Float]
        let described: [String: String]
        switch query {
        case let .text(text):
            guard !text.isEmpty else { throw APIError.invalid("`text` is empty", param: "text") }
            vector = try await core.embed(texts: [text], field: "text").rows[0]
            described = ["text": text]
        case let .image(data):
            vector = try await core.embed(images: [data], field: "image")[0]
            described = ["image": "\(data.count) bytes"]
        case let .like(id):
            ServerCore.arrival?.arrived()
            guard let record = try await core.indexedRecord(id: id), record.error == nil,
                  let stored = try await store.embedding(forHash: record.hash) else {
                throw APIError(.notFound, "no indexed image has the id \(id)", param: "like")
            }
            vector = stored
            described = ["like": id]
        }
        let hits = try await store.search(vector, k: k, threshold: threshold)
        let results = hits.map { hit in
            let id = Fingerprint.pathID(hit.path)
            return Hit(id: id, path: hit.path, name: (hit.path as NSString).lastPathComponent, score: hit.score,
                       width: hit.width, height: hit.height, thumbnail: "/v1/images/\(id)/thumbnail")
        }
        return try Self.json(SearchBody(model: core.options.modelName, query: described, results: results))
    }

    /// `GET /v1/images/{id}/thumbnail`: an indexed image scaled to at most 256 pixels a side (BMP). Only
    /// files the store holds can be reached, by their id; a path is never taken from the request.
    @Sendable func thumbnail(_ data: Data, _ request: Request, id: String) async throws -> Response {
        _ = try core.searchStore()
        guard let record = try await core.indexedRecord(id: id) else { throw APIError(.notFound, "no indexed image has this id") }
        let bytes: Data
        do { bytes = try InputFile.read(record.path, maxBytes: 256 << 20) } catch {
            throw APIError(.notFound, "the indexed file is no longer readable")
        }
        let image: RGBImage
        do { image = try ImageDecoder.decode(data: bytes, name: "image", options: core.options.decodeOptions) } catch {
            throw APIError(.notFound, "the indexed file is no longer a readable image")
        }
        let small = Thumbnail.scaled(image, maxSide: 256)
        return Response(status: .ok, headers: [.contentType: "image/bmp", .cacheControl: "private, max-age=300"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: Thumbnail.bmp(small))))
    }

    /// `GET /`: the search page.
    @Sendable func searchPage(_ data: Data, _ request: Request) async throws -> Response {
        var response = Self.text(SearchPage.html, contentType: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' blob: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
        return response
    }

    static func integer(_ text: String?, _ name: String) throws(APIError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else { throw .invalid("`\(name)` must be an integer", param: name) }
        return value
    }

    static func number(_ text: String?, _ name: String) throws(APIError) -> Float? {
        guard let text else { return nil }
        guard let value = Float(text), value.isFinite else { throw .invalid("`\(name)` must be a number", param: name) }
        return value
    }
}

/// Small previews for the search page.
enum Thumbnail {
    /// Box-filtered downscale so the longer side is at most `maxSide` (never upscaled).
    static func scaled(_ image: RGBImage, maxSide: Int) -> RGBImage {
        let longer = max(image.width, image.height)
        guard longer > maxSide else { return image }
        let scale = Double(longer) / Double(maxSide)
        let width = max(1, Int((Double(image.width) / scale).rounded())), height = max(1, Int((Double(image.height) / scale).rounded()))
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let source = image.pixels
        for y in 0..<height {
            let y0 = y * image.height / height, y1 = max(y0 + 1, (y + 1) * image.height / height)
            for x in 0..<width {
                let x0 = x * image.width / width, x1 = max(x0 + 1, (x + 1) * image.width / width)
                var sum = (0, 0, 0)
                for sy in y0..<y1 {
                    var i = (sy * image.width + x0) * 3
                    for _ in x0..<x1 {
                        sum.0 += Int(source[i]); sum.1 += Int(source[i + 1]); sum.2 += Int(source[i + 2])
                        i += 3
                    }
                }
                let n = (y1 - y0) * (x1 - x0), o = (y * width + x) * 3
                out[o] = UInt8(sum.0 / n); out[o + 1] = UInt8(sum.1 / n); out[o + 2] = UInt8(sum.2 / n)
            }
        }
        return (try? RGBImage(width: width, height: height, pixels: out)) ?? image
    }

    /// An uncompressed 24-bit BMP (every browser shows it; no encoder library needed).
    static func bmp(_ image: RGBImage) -> [UInt8] {
        let rowBytes = (image.width * 3 + 3) & ~3
        let pixelBytes = rowBytes * image.height
        var out: [UInt8] = []
        out.reserveCapacity(54 + pixelBytes)
        func le32(_ v: Int) { for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> s)) } }
        func le16(_ v: Int) { out.append(UInt8(v & 0xFF)); out.append(UInt8((v >> 8) & 0xFF)) }
        out += [0x42, 0x4D]; le32(54 + pixelBytes); le32(0); le32(54)
        le32(40); le32(image.width); le32(-image.height)  // negative height: rows top-down
        le16(1); le16(24); le32(0); le32(pixelBytes); le32(2835); le32(2835); le32(0); le32(0)
        let pixels = image.pixels
        for y in 0..<image.height {
            for x in 0..<image.width {
                let i = (y * image.width + x) * 3
                out += [pixels[i + 2], pixels[i + 1], pixels[i]]
            }
            out += [UInt8](repeating: 0, count: rowBytes - image.width * 3)
        }
        return out
    }
}
