import AltCLIPWeights
import Foundation
import Testing

@Suite("altclip classify / similarity / embed")
struct ClassifySimilarityEmbedTests {
    static let model = CLI.repository.appendingPathComponent("Models/altclip-demo").path
    static func sample(_ name: String) -> String { CLI.repository.appendingPathComponent("Samples/\(name)").path }
    static let labels = "a red circle,绿色的正方形,un triangle bleu,una estrella amarilla,a blue circle"

    @Test func classifyPicksTheTrueMultilingualLabels() throws {
        let result = try CLI.run(["classify", "--model", Self.model, "--labels", Self.labels, "--json",
                                  Self.sample("red_circle.png"), Self.sample("green_square.png"),
                                  Self.sample("blue_triangle.png"), Self.sample("yellow_star.png")])
        #expect(result.status == 0, "\(result.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let top = items.map { (($0["labels"] as? [[String: Any]])?.first?["label"] as? String) ?? "" }
        #expect(top == ["a red circle", "绿色的正方形", "un triangle bleu", "una estrella amarilla"])
        let probabilities = (items[0]["labels"] as? [[String: Any]])?.compactMap { $0["probability"] as? Double } ?? []
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-4)
    }

    /// Reduced precision from the command line: same top labels; an unknown dtype is a usage error.
    @Test(arguments: ["bf16", "int8"])
    func classifyWithReducedPrecision(dtype: String) throws {
        let result = try CLI.run(["classify", "--model", Self.model, "--labels", Self.labels, "--json", "--dtype", dtype,
                                  Self.sample("red_circle.png"), Self.sample("green_square.png"),
                                  Self.sample("blue_triangle.png"), Self.sample("yellow_star.png")])
        #expect(result.status == 0, "\(result.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let top = items.map { (($0["labels"] as? [[String: Any]])?.first?["label"] as? String) ?? "" }
        #expect(top == ["a red circle", "绿色的正方形", "un triangle bleu", "una estrella amarilla"])
    }

    @Test func unknownDTypeIsAUsageError() throws {
        let result = try CLI.run(["classify", "--model", Self.model, "--labels", "a", "--dtype", "fp16", Self.sample("red_circle.png")])
        #expect(result.status == 64 && result.stderr.contains("fp32, bf16 or int8"), "\(result.stderr)")
    }

    @Test func classifyWithTemplateAndFolderAndTop() throws {
        let result = try CLI.run(["classify", "--model", Self.model, "--label", "red circle", "--label", "blue circle",
                                  "--template", "a {}", "--top", "1", CLI.repository.appendingPathComponent("Samples").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("red_circle.png\n") && result.stdout.components(separatedBy: "%").count == 9)
    }

    @Test func classifyReportsAnUnreadableImageAndKeepsTheOthers() throws {
        let bad = CLI.fixture("image/sources/bad/truncated.png")
        let result = try CLI.run(["classify", "--model", Self.model, "--labels", Self.labels, Self.sample("red_circle.png"), bad])
        #expect(result.status == 1)
        #expect(result.stdout.contains("a red circle"))
        #expect(result.stdout.contains("error:") && result.stderr.contains("1 of 2 images"))
    }

    @Test func classifyUsageErrors() throws {
        #expect(try CLI.run(["classify", "--model", Self.model, Self.sample("red_circle.png")]).status == 64)  // no labels
        #expect(try CLI.run(["classify", "--model", Self.model, "--labels", " , ", Self.sample("red_circle.png")]).status == 64)
        #expect(try CLI.run(["classify", "--model", Self.model, "--labels", "a"]).status == 64)  // no images
        #expect(try CLI.run(["classify", "--model", Self.model, "--labels", "a", "--template", "no slot",
                             Self.sample("red_circle.png")]).status == 64)
    }

    @Test func classifyFailsClearlyOnMissingFileAndModelFile() throws {
        let missing = try CLI.run(["classify", "--model", Self.model, "--labels", "a", "/nonexistent/cat.jpg"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/cat.jpg"))
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json"] {
            try FileManager.default.copyItem(atPath: Self.model + "/" + name, toPath: dir.appendingPathComponent(name).path)
        }
        let noWeights = try CLI.run(["classify", "--model", dir.path, "--labels", "a", Self.sample("red_circle.png")])
        #expect(noWeights.status == 1 && noWeights.stderr.contains("model.safetensors"))
    }

    @Test func similarityIsHighestOnTheDiagonal() throws {
        let result = try CLI.run(["similarity", "--model", Self.model, "--json", "--text", "a red circle", "--text", "绿色的正方形",
                                  Self.sample("red_circle.png"), Self.sample("green_square.png")])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let cosine = try #require(json["cosine"] as? [[Double]])
        #expect(cosine[0][0] > cosine[0][1] && cosine[1][1] > cosine[1][0])
        #expect(cosine.joined().allSatisfy { $0 >= -1.0001 && $0 <= 1.0001 })
    }

    @Test func embedWritesEveryFormatWithNames() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let st = dir.appendingPathComponent("e.safetensors")
        var result = try CLI.run(["embed", "--model", Self.model, "--text", "a red circle", "--out", st.path,
                                  CLI.repository.appendingPathComponent("Samples").path])
        #expect(result.status == 0, "\(result.stderr)")
        let store = try WeightStore(file: st)
        #expect(store.info("image_embeds")?.shape == [8, 64] && store.info("text_embeds")?.shape == [1, 64])
        #expect(store.metadata["image_names"]?.contains("red_circle.png") == true)
        let row = try store.float32("text_embeds").values
        #expect(abs(row.map { $0 * $0 }.reduce(0, +) - 1) < 1e-4)

        let npy = dir.appendingPathComponent("e.npy")
        result = try CLI.run(["embed", "--model", Self.model, "--out", npy.path, Self.sample("red_circle.png"), Self.sample("red_star.png")])
        #expect(result.status == 0, "\(result.stderr)")
        let data = try Data(contentsOf: npy)
        #expect(data.prefix(6) == Data([0x93]) + Data("NUMPY".utf8))
        #expect(String(decoding: data.prefix(128), as: UTF8.self).contains("'shape': (2, 64)"))
        #expect(data.count % 64 == (2 * 64 * 4) % 64 && data.count > 2 * 64 * 4)
        #expect(try String(contentsOf: URL(fileURLWithPath: npy.path + ".names.json"), encoding: .utf8).contains("red_star.png"))

        result = try CLI.run(["embed", "--model", Self.model, "--text", "un cercle rouge", "--no-normalize"])
        #expect(result.status == 0)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(line["name"] as? String == "un cercle rouge" && (line["embedding"] as? [Double])?.count == 64)
    }

    @Test func embedRefusesAnEmptyFolderAndBadExtensions() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = try CLI.run(["embed", "--model", Self.model, dir.path])
        #expect(empty.status == 1 && empty.stderr.contains("holds no images"))
        #expect(try CLI.run(["embed", "--model", Self.model, "--text", "a", "--out", "x.csv"]).status == 64)
        #expect(try CLI.run(["embed", "--model", Self.model, "--text", "a", "--out", "x.npy",
                             Self.sample("red_circle.png")]).status == 64)
    }
}
