import AltCLIP
@testable import AltCLIPServer
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Dynamic batching", .serialized)
struct BatchingTests {
    /// The value of one sample line of the Prometheus text (0 when absent).
    static func metric(_ text: String, _ name: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    @Test func sixtyFourConcurrentRequestsEachGetTheirOwnVectorInFewerBatches() async throws {
        let texts = (0..<64).map { "text number \($0) " + String(repeating: "circle ", count: $0 % 7) }
        let expected = try Harness.pipeline.embedTexts(texts)
        var options = ServerOptions()
        options.maxQueueDelay = .milliseconds(50)
        options.maxBatchTokens = 100_000
        try await Harness.withServer(options) { server in
            let replies = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
                for (index, text) in texts.enumerated() {
                    group.addTask {
                        let reply = try await Harness.post(server, "/embed", ["inputs": text])
                        return (index, Harness.matrix(reply.json))
                    }
                }
                var rows = [[Float]](repeating: [], count: texts.count)
                for try await (index, matrix) in group { rows[index] = matrix.first ?? [] }
                return rows
            }
            #expect(Harness.maxDifference(replies, expected) <= 1e-5)
            let metrics = try await Harness.request(server, "GET", "/metrics").text
            let batches = Self.metric(metrics, #"altclip_batches_total{kind="text"}"#)
            let items = Self.metric(metrics, #"altclip_batch_size_sum{kind="text"}"#)
            #expect(items == 64)
            #expect(batches >= 1 && batches < 32, "64 requests ran in \(batches) batches")
        }
    }

    @Test func imagesAndTextsInterleaveAndStayCorrect() async throws {
        let names = ["red_circle", "green_square", "blue_triangle", "yellow_star"]
        let expectedImages = Harness.pipeline.embedImages(try names.map { .encoded(try Harness.sample($0), name: $0) }).map { try! $0.get() }
        let expectedTexts = try Harness.pipeline.embedTexts(names)
        var options = ServerOptions()
        options.maxQueueDelay = .milliseconds(30)
        options.maxBatchImages = 2
        try await Harness.withServer(options) { server in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, name) in names.enumerated() {
                    group.addTask {
                        let reply = try await Harness.post(server, "/v1/embeddings", ["input": [["image": try Harness.dataURI(name)]]])
                        let row = Harness.matrix((reply.object["data"] as? [[String: Any]] ?? []).map { $0["embedding"] ?? [] })
                        #expect(Harness.maxDifference(row, [expectedImages[index]]) <= 1e-5)
                    }
                    group.addTask {
                        let reply = try await Harness.post(server, "/embed", ["inputs": name])
                        #expect(Harness.maxDifference(Harness.matrix(reply.json), [expectedTexts[index]]) <= 1e-5)
                    }
                }
                try await group.waitForAll()
            }
            let metrics = try await Harness.request(server, "GET", "/metrics").text
            #expect(Self.metric(metrics, #"altclip_batch_size_sum{kind="image"}"#) == 4)
            #expect(Self.metric(metrics, #"altclip_batches_total{kind="image"}"#) >= 2)  // at most 2 images per batch
        }
    }

    @Test func aDisconnectedClientsWorkLeavesTheQueue() async throws {
        try await Harness.withServer { server in
            let (_, batcher) = try server.core.ready()
            batcher.setPaused(true)  // the executor is busy: the text waits in the queue
            let port = server.base.port!
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            let body = #"{"inputs": ["left behind"]}"#
            let request = "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            var deadline = ContinuousClock.now + .seconds(5)
            while batcher.queuedCount == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(batcher.queuedCount == 1)
            close(fd)
            deadline = ContinuousClock.now + .seconds(5)
            while batcher.queuedCount > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(batcher.queuedCount == 0, "the disconnected client's text is still queued")
            batcher.setPaused(false)
            let metrics = try await Harness.request(server, "GET", "/metrics").text
            #expect(Self.metric(metrics, #"altclip_batches_total{kind="text"}"#) == 0)  // it never ran
        }
    }

    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        var options = ServerOptions()
        options.maxQueuedItems = 2
        try await Harness.withServer(options) { server in
            let (_, batcher) = try server.core.ready()
            batcher.setPaused(true)
            async let first = Harness.post(server, "/embed", ["inputs": ["one", "two"]])
            let deadline = ContinuousClock.now + .seconds(5)
            while batcher.queuedCount < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let refused = try await Harness.post(server, "/embed", ["inputs": "three"])
            #expect(refused.status == 429)
            #expect(refused.headers["retry-after"] == "1")
            #expect(refused.object["error_type"] as? String == "overloaded")
            let openAI = try await Harness.post(server, "/v1/embeddings", ["input": "three"])
            #expect(openAI.status == 429 && (openAI.object["error"] as? [String: Any])?["type"] as? String == "rate_limit_error")
            batcher.setPaused(false)
            #expect(try await first.status == 200)
        }
    }

    @Test func tooManyConcurrentRequestsAnswer429() async throws {
        var options = ServerOptions()
        options.maxConcurrentRequests = 1
        try await Harness.withServer(options) { server in
            let (_, batcher) = try server.core.ready()
            batcher.setPaused(true)
            async let first = Harness.post(server, "/embed", ["inputs": "one"])
            let deadline = ContinuousClock.now + .seconds(5)
            while batcher.queuedCount < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let refused = try await Harness.post(server, "/embed", ["inputs": "two"])
            #expect(refused.status == 429 && refused.headers["retry-after"] == "1")
            batcher.setPaused(false)
            #expect(try await first.status == 200)
        }
    }

    @Test func textBatchesRespectTheTokenBudget() async throws {
        var options = ServerOptions()
        options.maxQueueDelay = .milliseconds(200)
        options.maxBatchTokens = 40  // with 10-token texts: 4 per batch
        try await Harness.withServer(options) { server in
            let text = "one two three four five six seven"  // check its length below
            let length = Harness.pipeline.processor.tokenizer.encode(text).count
            let reply = try await Harness.post(server, "/embed", ["inputs": Array(repeating: text, count: 12)])
            #expect(reply.status == 200)
            let metrics = try await Harness.request(server, "GET", "/metrics").text
            let perBatch = 40 / length
            let batches = Self.metric(metrics, #"altclip_batches_total{kind="text"}"#)
            #expect(batches == Double((12 + perBatch - 1) / perBatch), "\(length) tokens a text, \(batches) batches")
        }
    }
}
