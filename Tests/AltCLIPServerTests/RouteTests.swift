import AltCLIP
@testable import AltCLIPServer
import Foundation
import Testing

/// Every route's happy path and error statuses against a live server on loopback with the demo
/// model; every response is also checked against the served OpenAPI document.
@Suite("altclip serve routes", .serialized)
struct RouteTests {
    let spec = try! OpenAPIChecker()
    let texts = ["a red circle", "红色的圆形", "un triangle bleu", "ein violetter Kreis"]

    /// Sends a request and checks the reply against the OpenAPI document.
    func call(_ server: Harness.Server, _ method: String, _ path: String, _ json: Any? = nil,
              raw: Data? = nil, headers: [String: String] = [:], documentedAs: String? = nil) async throws -> Harness.Reply {
        let body = try raw ?? json.map { try JSONSerialization.data(withJSONObject: $0) }
        let reply = try await Harness.request(server, method, path, body: body, headers: headers)
        let problems = spec.problems(method, documentedAs ?? path, reply.status, body: reply.body, contentType: reply.headers["content-type"])
        #expect(problems.isEmpty, "\(method) \(path) → \(reply.status): \(problems) \(reply.text.prefix(300))")
        return reply
    }

    @Test func openAIEmbeddingsEqualThePipelineAsFloatsAndBase64() async throws {
        let expected = try Harness.pipeline.embedTexts(texts)
        try await Harness.withServer { server in
            let floats = try await call(server, "POST", "/v1/embeddings", ["input": texts, "model": "altclip-demo"])
            #expect(floats.status == 200)
            let data = floats.object["data"] as? [[String: Any]] ?? []
            let rows = Harness.matrix(data.map { $0["embedding"] ?? [] })
            #expect(Harness.maxDifference(rows, expected) <= 1e-6)
            #expect(data.map { $0["index"] as? Int } == [0, 1, 2, 3])
            let tokens = texts.map { Harness.pipeline.processor.tokenizer.encode($0).count }.reduce(0, +)
            #expect((floats.object["usage"] as? [String: Any])?["prompt_tokens"] as? Int == tokens)

            let encoded = try await call(server, "POST", "/embeddings", ["input": texts, "encoding_format": "base64"])
            let decoded = (encoded.object["data"] as? [[String: Any]] ?? []).map { item -> [Float] in
                let bytes = Data(base64Encoded: item["embedding"] as? String ?? "") ?? Data()
                return stride(from: 0, to: bytes.count, by: 4).map { offset in
                    Float(bitPattern: bytes[bytes.startIndex + offset..<bytes.startIndex + offset + 4]
                        .enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
                }
            }
            #expect(decoded == rows)  // base64 carries exactly the floats of the float response

            let single = try await call(server, "POST", "/v1/embeddings", ["input": "a red circle"])
            #expect(Harness.maxDifference(Harness.matrix((single.object["data"] as? [[String: Any]] ?? []).map { $0["embedding"] ?? [] }),
                                          [expected[0]]) <= 1e-6)
        }
    }

    @Test func openAIEmbeddingsTakeImagesBothWays() async throws {
        let names = ["red_circle", "blue_triangle"]
        let expected = Harness.pipeline.embedImages(try names.map { .encoded(try Harness.sample($0), name: $0) }).map { try! $0.get() }
        let expectedText = try Harness.pipeline.embedTexts(["a red circle"])
        try await Harness.withServer { server in
            let objects = try await call(server, "POST", "/v1/embeddings",
                                         ["input": [["image": try Harness.dataURI(names[0])], "a red circle",
                                                    ["image": try Harness.sample(names[1]).base64EncodedString()]]])
            #expect(objects.status == 200)
            let rows = Harness.matrix((objects.object["data"] as? [[String: Any]] ?? []).map { $0["embedding"] ?? [] })
            #expect(Harness.maxDifference(rows, [expected[0], expectedText[0], expected[1]]) <= 1e-6)
            let modality = try await call(server, "POST", "/v1/embeddings",
                                          ["input": try names.map(Harness.dataURI), "modality": "image"])
            let imageRows = Harness.matrix((modality.object["data"] as? [[String: Any]] ?? []).map { $0["embedding"] ?? [] })
            #expect(Harness.maxDifference(imageRows, expected) <= 1e-6)
        }
    }

    @Test func openAIErrorsAre400WithOpenAIShape() async throws {
        try await Harness.withServer { server in
            let ids = try await call(server, "POST", "/v1/embeddings", ["input": [[1, 2, 3]]])
            #expect(ids.status == 400)
            let error = ids.object["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.contains("check_embedding_ctx_length=False") == true)
            #expect(error?["type"] as? String == "invalid_request_error")
            #expect(error?["param"] as? String == "input")
            let flat = try await call(server, "POST", "/v1/embeddings", ["input": [5, 6]])
            #expect(flat.status == 400)
            let dimension = Harness.pipeline.model.config.projectionDim
            let dims = try await call(server, "POST", "/v1/embeddings", ["input": "x", "dimensions": dimension + 1])
            #expect(dims.status == 400 && (dims.object["error"] as? [String: Any])?["param"] as? String == "dimensions")
            #expect(try await call(server, "POST", "/v1/embeddings", ["input": "x", "dimensions": dimension]).status == 200)
            #expect(try await call(server, "POST", "/v1/embeddings", ["input": "x", "encoding_format": "int8"]).status == 400)
            #expect(try await call(server, "POST", "/v1/embeddings", ["model": "x"]).status == 400)
            #expect(try await call(server, "POST", "/v1/embeddings", raw: Data("{not json".utf8)).status == 400)
            let url = try await call(server, "POST", "/v1/embeddings", ["input": [["image": "/etc/passwd"]]])
            #expect(url.status == 400)
            #expect((url.object["error"] as? [String: Any])?["message"] as? String
                == "`input[0].image` must hold the image itself (base64 or a data URI); the server does not fetch URLs or read paths")
            let broken = try await call(server, "POST", "/v1/embeddings", ["input": [["image": "aGVsbG8="]]])
            #expect(broken.status == 400)
            let message = (broken.object["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.hasPrefix("`input[0]` is not a readable image"))
            #expect(!message.contains(Harness.repository.path))
            let models = try await call(server, "GET", "/v1/models")
            #expect(((models.object["data"] as? [[String: Any]])?.first?["id"] as? String) == "altclip-demo")
        }
    }

    @Test func teiRoutesMatchTheModelAndTEIStatusCodes() async throws {
        let raw = try Harness.pipeline.embedTexts(texts, normalize: false)
        try await Harness.withServer { server in
            let embed = try await call(server, "POST", "/embed", ["inputs": texts, "normalize": false])
            #expect(embed.status == 200)
            #expect(Harness.maxDifference(Harness.matrix(embed.json), raw) <= 1e-5)
            let one = try await call(server, "POST", "/embed", ["inputs": "a red circle"])
            #expect(Harness.maxDifference(Harness.matrix(one.json), [try Harness.pipeline.embedTexts(["a red circle"])[0]]) <= 1e-6)

            let long = String(repeating: "circle ", count: 2000)
            let tooLong = try await call(server, "POST", "/embed", ["inputs": long, "truncate": false])
            #expect(tooLong.status == 413 && tooLong.object["error_type"] as? String == "payload_too_large")
            let truncated = try await call(server, "POST", "/embed", ["inputs": long, "truncate": true])
            #expect(Harness.maxDifference(Harness.matrix(truncated.json), [try Harness.pipeline.embedTexts([long])[0]]) <= 1e-6)
            #expect(try await call(server, "POST", "/embed", ["inputs": []]).status == 422)
            #expect(try await call(server, "POST", "/embed", ["inputs": 3]).status == 422)

            let tokenize = try await call(server, "POST", "/tokenize", ["inputs": ["a red circle", "红色的圆形"]])
            let tokens = tokenize.json as? [[[String: Any]]] ?? []
            #expect(tokens.map { $0.compactMap { $0["id"] as? Int } }
                == ["a red circle", "红色的圆形"].map { Harness.pipeline.processor.tokenizer.encode($0) })
            #expect(tokens.first?.first?["special"] as? Bool == true && tokens.first?.first?["text"] as? String == "<s>")

            let ids = Harness.pipeline.processor.tokenizer.encode("红色的圆形")
            let decode = try await call(server, "POST", "/decode", ["ids": ids])
            #expect(decode.json as? [String] == ["红色的圆形"])
            let nested = try await call(server, "POST", "/decode", ["ids": [ids, ids], "skip_special_tokens": false])
            #expect((nested.json as? [String])?.first == Harness.pipeline.processor.tokenizer.decode(ids))
            #expect(try await call(server, "POST", "/decode", ["ids": [-1]]).status == 422)
            #expect(try await call(server, "POST", "/decode", ["ids": [10_000_000]]).status == 422)

            let info = try await call(server, "GET", "/info")
            #expect(info.object["max_input_length"] as? Int == Harness.pipeline.maxTextLength)
            #expect(info.object["embedding_dimension"] as? Int == Harness.pipeline.model.config.projectionDim)
            #expect(try await call(server, "GET", "/health").status == 200)
            let metrics = try await call(server, "GET", "/metrics")
            #expect(metrics.text.contains(#"altclip_requests_total{route="/embed",status="200"} 3"#))
            #expect(metrics.text.contains(#"altclip_requests_total{route="/embed",status="413"} 1"#))
            #expect(metrics.text.contains("altclip_stage_duration_seconds_count{stage=\"inference\"}"))
            let openapi = try await call(server, "GET", "/openapi.json")
            #expect((openapi.object["openapi"] as? String) == "3.1.0")
        }
    }

    @Test func classifyFromJSONAndMultipartMatchesThePipeline() async throws {
        let labels = ["a red circle", "绿色的正方形", "un triangle bleu", "una estrella amarilla"]
        let expected = try Harness.pipeline.classify(images: [.encoded(try Harness.sample("red_circle"), name: "r")],
                                                     labels: labels, template: "{}")[0].get()
        try await Harness.withServer { server in
            let json = try await call(server, "POST", "/v1/classify",
                                      ["images": [try Harness.dataURI("red_circle"), try Harness.dataURI("green_square")],
                                       "labels": labels, "template": "{}"])
            #expect(json.status == 200)
            let results = json.object["results"] as? [[String: Any]] ?? []
            let first = results.first?["labels"] as? [[String: Any]] ?? []
            #expect(first.compactMap { $0["label"] as? String } == expected.map(\.label))
            for (got, want) in zip(first, expected) {
                #expect(abs(((got["probability"] as? NSNumber)?.floatValue ?? -1) - want.probability) <= 1e-6)
                #expect(abs(((got["cosine"] as? NSNumber)?.floatValue ?? -1) - want.cosine) <= 1e-6)
            }
            #expect(((results.last?["labels"] as? [[String: Any]])?.first?["label"] as? String) == "绿色的正方形")

            let boundary = "altclip-test-boundary"
            var form = Data()
            func field(_ name: String, _ value: Data, file: Bool = false) {
                form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\(file ? "; filename=\"x.png\"" : "")\r\n\r\n".utf8)
                form += value + Data("\r\n".utf8)
            }
            field("image", try Harness.sample("red_circle"), file: true)
            for label in labels { field("label", Data(label.utf8)) }
            field("top_k", Data("2".utf8))
            form += Data("--\(boundary)--\r\n".utf8)
            let multipart = try await call(server, "POST", "/v1/classify", raw: form,
                                           headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
            let top = (multipart.object["results"] as? [[String: Any]])?.first?["labels"] as? [[String: Any]] ?? []
            #expect(top.compactMap { $0["label"] as? String } == Array(expected.map(\.label).prefix(2)))

            #expect(try await call(server, "POST", "/v1/classify", ["images": [try Harness.dataURI("red_circle")], "labels": []]).status == 422)
            #expect(try await call(server, "POST", "/v1/classify", ["images": [try Harness.dataURI("red_circle")], "labels": ["a"], "template": "no slot"]).status == 422)
            let metrics = try await call(server, "GET", "/metrics")
            #expect(metrics.text.contains(#"altclip_label_cache_total{result="hit"} 1"#))  // the multipart request reused the label set
        }
    }

    @Test func similarityMatchesThePipeline() async throws {
        let images = ["red_circle", "yellow_star"]
        let expected = try Harness.pipeline.similarity(texts: texts, images: try images.map { .encoded(try Harness.sample($0), name: $0) })
        try await Harness.withServer { server in
            let reply = try await call(server, "POST", "/v1/similarity", ["texts": texts, "images": try images.map(Harness.dataURI)])
            #expect(reply.status == 200)
            #expect(Harness.maxDifference(Harness.matrix(reply.object["cosine"] ?? []), expected.cosine.map { $0 ?? [] }) <= 1e-6)
            let scale = Foundation.exp(Harness.pipeline.model.logitScale)
            let logits = Harness.matrix(reply.object["logits_per_text"] ?? [])
            #expect(abs(logits[1][0] - (expected.cosine[0]?[1] ?? 0) * scale) <= 1e-4)
        }
    }

    @Test func limitsAnswer413And422() async throws {
        var options = ServerOptions()
        options.payloadLimit = 2000
        options.maxInputsPerRequest = 3
        options.maxCharactersPerText = 50
        try await Harness.withServer(options) { server in
            let big = try await call(server, "POST", "/embed", ["inputs": String(repeating: "x", count: 3000)])
            #expect(big.status == 413 && big.object["error_type"] as? String == "payload_too_large")
            let bigOpenAI = try await call(server, "POST", "/v1/embeddings", ["input": String(repeating: "x", count: 3000)])
            #expect(bigOpenAI.status == 413 && (bigOpenAI.object["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            #expect(try await call(server, "POST", "/embed", ["inputs": ["a", "b", "c", "d"]]).status == 413)
            let long = try await call(server, "POST", "/embed", ["inputs": ["a", String(repeating: "y", count: 51)]])
            #expect(long.status == 413 && (long.object["error"] as? String)?.contains("`inputs[1]` has 51 characters") == true)
        }
    }

    @Test func apiKeysAreRequiredWhenConfigured() async throws {
        var options = ServerOptions()
        options.apiKeys = ["k-one", "k-two"]
        try await Harness.withServer(options) { server in
            let missing = try await call(server, "POST", "/v1/embeddings", ["input": "x"])
            #expect(missing.status == 401 && (missing.object["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            #expect(try await call(server, "POST", "/embed", ["inputs": "x"], headers: ["Authorization": "Bearer k-on"]).status == 401)
            #expect(try await call(server, "POST", "/embed", ["inputs": "x"], headers: ["Authorization": "Bearer k-two"]).status == 200)
            #expect(try await call(server, "GET", "/metrics").status == 401)
            #expect(try await call(server, "GET", "/health").status == 200)
        }
        #expect(APIKeyMiddleware.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!APIKeyMiddleware.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!APIKeyMiddleware.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func everythingIs503UntilTheModelIsReady() async throws {
        let gate = DispatchSemaphore(value: 0)
        try await Harness.withServer(waitForReady: false, load: {
            gate.wait()
            return InferenceModel(pipeline: Harness.pipeline)
        }) { server in
            let health = try await call(server, "GET", "/health")
            #expect(health.status == 503 && health.object["error_type"] as? String == "unhealthy")
            #expect(try await call(server, "POST", "/embed", ["inputs": "x"]).status == 503)
            #expect(try await call(server, "POST", "/v1/embeddings", ["input": "x"]).status == 503)
            gate.signal()
            let deadline = ContinuousClock.now + .seconds(30)
            while !server.server.isReady && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await call(server, "GET", "/health").status == 200)
            #expect(try await call(server, "POST", "/embed", ["inputs": "x"]).status == 200)
        }
    }
}
