import AltCLIP
@testable import AltCLIPServer
import AltCLIPImage
import AltCLIPStore
import Foundation
import Testing

/// `altclip serve --db`: search by text, image and "more like this", thumbnails of indexed files only,
/// the page at `/`; every response checked against the OpenAPI document.
@Suite("altclip serve search routes", .serialized)
struct SearchRouteTests {
    let spec = try! OpenAPIChecker()
    static let names = ["blue_triangle", "green_square", "purple_circle", "purple_triangle", "red_circle", "red_star",
                        "yellow_square", "yellow_star"]

    /// A store of the eight samples, embedded by the pipeline (what `altclip index` writes).
    static func store() async throws -> (SQLiteStore, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("s.sqlite").path)
        try await store.prepare(for: try Fingerprint.model(folder: Harness.demoFolder, dtype: "fp32", dimension: 64))
        var entries: [IndexEntry] = []
        for name in names {
            let url = Harness.repository.appendingPathComponent("Samples/\(name).png")
            let vector = try Harness.pipeline.embedImages([.file(url)])[0].get()
            entries.append(IndexEntry(record: ImageRecord(path: url.path, size: 1, mtime: 1, hash: name, width: 64, height: 64,
                                                          indexedAt: 1), embedding: vector))
        }
        try await store.write(entries)
        return (store, folder)
    }

    func call(_ server: Harness.Server, _ method: String, _ path: String, _ json: Any? = nil,
              documentedAs: String? = nil) async throws -> Harness.Reply {
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0) }
        let reply = try await Harness.request(server, method, path, body: body)
        let problems = spec.problems(method, documentedAs ?? path, reply.status, body: reply.body, contentType: reply.headers["content-type"])
        #expect(problems.isEmpty, "\(method) \(path) → \(reply.status): \(problems) \(reply.text.prefix(300))")
        return reply
    }

    static func names(_ reply: Harness.Reply) -> [String] {
        (reply.object["results"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func searchByTextImageAndLikeThis() async throws {
        let (store, folder) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = ServerOptions()
        options.store = store
        try await Harness.withServer(options) { server in
            let text = try await call(server, "GET", "/v1/search?q=%E7%B4%AB%E8%89%B2%E7%9A%84%E4%B8%89%E8%A7%92%E5%BD%A2&k=3",
                                      documentedAs: "/v1/search")
            #expect(text.status == 200 && Self.names(text).first == "purple_triangle.png", "\(text.text)")
            // Scores are the pipeline's cosines.
            let expected = try Harness.pipeline.similarity(texts: ["紫色的三角形"],
                                                           images: [.file(Harness.repository.appendingPathComponent("Samples/purple_triangle.png"))])
            let score = (text.object["results"] as? [[String: Any]])?.first?["score"] as? Double ?? 0
            #expect(abs(Float(score) - (expected.cosine[0]?[0] ?? 0)) < 1e-5)

            let posted = try await call(server, "POST", "/v1/search", ["text": "a red circle", "k": 2])
            #expect(Self.names(posted) == ["red_circle.png", "red_star.png"] || Self.names(posted).first == "red_circle.png")
            let image = try await call(server, "POST", "/v1/search", ["image": try Harness.dataURI("yellow_star"), "k": 1])
            #expect(Self.names(image) == ["yellow_star.png"])
            let id = try #require((image.object["results"] as? [[String: Any]])?.first?["id"] as? String)
            let like = try await call(server, "POST", "/v1/search", ["like": id, "k": 2])
            #expect(Self.names(like).first == "yellow_star.png")

            // A thumbnail: a real BMP of the indexed image, reachable by id only.
            let thumbnail = try await call(server, "GET", "/v1/images/\(id)/thumbnail", documentedAs: "/v1/images/{id}/thumbnail")
            #expect(thumbnail.status == 200 && thumbnail.headers["content-type"] == "image/bmp")
            let bytes = [UInt8](thumbnail.body)
            #expect(bytes.count > 54 && bytes[0] == 0x42 && bytes[1] == 0x4D)
            let width = Int(bytes[18]) | Int(bytes[19]) << 8
            let original = try ImageDecoder.decode(data: try Harness.sample("yellow_star"), name: "star")
            #expect(width == min(original.width, 256) && bytes.count == 54 + ((width * 3 + 3) & ~3) * min(original.height, 256))
            let unknown = try await call(server, "GET", "/v1/images/0123456789abcdef0123456789abcdef/thumbnail",
                                         documentedAs: "/v1/images/{id}/thumbnail")
            #expect(unknown.status == 404)
            let traversal = try await Harness.request(server, "GET", "/v1/images/..%2F..%2Fetc%2Fpasswd/thumbnail")
            #expect(traversal.status == 404 && !traversal.text.contains("root:"))

            let bad = try await call(server, "POST", "/v1/search", ["text": "a", "like": id])
            #expect(bad.status == 422)
            let badK = try await call(server, "GET", "/v1/search?q=a&k=0", documentedAs: "/v1/search")
            #expect(badK.status == 422)
            let noLike = try await call(server, "POST", "/v1/search", ["like": "nope"])
            #expect(noLike.status == 404)

            let page = try await call(server, "GET", "/")
            #expect(page.status == 200 && page.text.contains("<title>altclip search</title>") && page.text.contains("/v1/search"))
        }
    }

    @Test func withoutAStoreSearchIs404() async throws {
        try await Harness.withServer { server in
            let reply = try await call(server, "GET", "/v1/search?q=a", documentedAs: "/v1/search")
            #expect(reply.status == 404 && reply.text.contains("--db"))
        }
    }
}
