import Foundation
import Testing

@Suite("altclip tokenize / decode")
struct TokenizeDecodeTests {
    static let model = CLI.fixture("tokenizer/xlmr-mini")

    static func goldens() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("tokenizer/goldens.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func batchWithPaddingMatchesTransformers() throws {
        let batch = try #require((try Self.goldens()["batches"] as? [[String: Any]])?.first)
        let texts = try #require(batch["texts"] as? [String])
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("texts.json")
        try JSONSerialization.data(withJSONObject: texts).write(to: file)
        let result = try CLI.run(["tokenize", "--model", Self.model, "--padding", "longest", "--json",
                                  "--texts-json", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["input_ids"] as? [[Int]] == batch["input_ids"] as? [[Int]])
        #expect(json["attention_mask"] as? [[Int]] == batch["attention_mask"] as? [[Int]])
        #expect(json["tokens"] as? [[String]] == batch["tokens"] as? [[String]])
    }

    @Test func humanOutputListsIdsAndTokens() throws {
        let result = try CLI.run(["tokenize", "--model", Self.model, "Hello World!"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("ids:    0 5 523 155 936 1079 157 2"))
        #expect(result.stdout.contains("tokens: <s> ▁ Hello ▁W or ld ! </s>"))
    }

    @Test func decodeMatchesTransformers() throws {
        let single = try #require((try Self.goldens()["singles"] as? [[String: Any]])?.first)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("ids.json")
        try JSONSerialization.data(withJSONObject: single["input_ids"]!).write(to: file)
        let plain = try CLI.run(["decode", "--model", Self.model, "--ids-json", file.path, "--json"])
        #expect(plain.status == 0)
        #expect(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String] == [single["decoded"] as! String])
        let skipped = try CLI.run(["decode", "--model", Self.model, "--ids-json", file.path, "--skip-special-tokens"])
        #expect(skipped.stdout == (single["decoded_skip_special"] as! String) + "\n")
    }

    @Test func noTextsIsAUsageError() throws {
        #expect(try CLI.run(["tokenize", "--model", Self.model]).status == 64)
    }

    @Test func malformedTextsFileIsAFailureNamingTheFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.json")
        try Data("{\"not\": \"an array\"}".utf8).write(to: file)
        let result = try CLI.run(["tokenize", "--model", Self.model, "--texts-json", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains(file.path) && result.stderr.contains("JSON array of strings"))
    }

    @Test func folderWithoutTokenizerFilesFails() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["tokenize", "--model", dir.path, "hello"])
        #expect(result.status == 1)
        #expect(!result.stderr.isEmpty)
    }
}
