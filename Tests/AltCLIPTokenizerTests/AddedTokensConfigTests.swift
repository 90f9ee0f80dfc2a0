import Foundation
import Testing
import AltCLIPTokenizer

/// A transformers-5-style `tokenizer_config.json` (`added_tokens_decoder`) with every added-token flag.
@Suite("Added-token configuration goldens")
struct AddedTokensConfigTests {
    static var goldens: [String: Any] { Fixtures.goldens["added_tokens_config"] as? [String: Any] ?? [:] }

    static func load() throws -> XLMRobertaTokenizer {
        try XLMRobertaTokenizer(
            tokenizerJSON: Fixtures.modelDirectory.appendingPathComponent("tokenizer.json"),
            tokenizerConfig: Fixtures.root.appendingPathComponent("added-tokens/tokenizer_config.json"))
    }

    @Test("added tokens, their ids and flags", .tags(.goldens))
    func addedTokens() throws {
        let tokenizer = try Self.load()
        let expected = try #require(Self.goldens["added_tokens"] as? [[String: Any]])
        let actual = tokenizer.addedTokens.sorted { $0.id < $1.id }
        #expect(actual.count == expected.count)
        for (token, golden) in zip(actual, expected) {
            #expect(token.id == (golden["id"] as? NSNumber)?.intValue, "\(token)")
            #expect(token.content == golden["content"] as? String, "\(token)")
            #expect(token.lstrip == golden["lstrip"] as? Bool, "\(token)")
            #expect(token.rstrip == golden["rstrip"] as? Bool, "\(token)")
            #expect(token.singleWord == golden["single_word"] as? Bool, "\(token)")
            #expect(token.normalized == golden["normalized"] as? Bool, "\(token)")
            #expect(token.special == golden["special"] as? Bool, "\(token)")
        }
        let info = try #require(Self.goldens["info"] as? [String: Any])
        #expect(tokenizer.vocabSize == (info["vocab_size"] as? NSNumber)?.intValue)
        #expect(tokenizer.tokenCount == (info["length"] as? NSNumber)?.intValue)
        #expect(tokenizer.modelMaxLength == (info["model_max_length"] as? NSNumber)?.intValue)
        #expect(tokenizer.allSpecialIds == Fixtures.ints(info["all_special_ids"]))
        #expect(tokenizer.cleanUpTokenizationSpaces)
        // A normalized added token converts to its normalized text, but only its original content maps back.
        let i2t = try #require(Self.goldens["ids_to_tokens"] as? [String: Any])
        #expect(tokenizer.convertIdsToTokens(Fixtures.ints(i2t["ids"])).map { $0 ?? "<nil>" }
                == (i2t["tokens"] as? [Any])?.map { ($0 as? String) ?? "<nil>" })
        let t2i = try #require(Self.goldens["tokens_to_ids"] as? [String: Any])
        #expect(tokenizer.convertTokensToIds(Fixtures.strings(t2i["tokens"])) == Fixtures.ints(t2i["ids"]))
    }

    @Test("ids, tokens and decoding with lstrip/rstrip/single_word/normalized tokens", .tags(.goldens))
    func singles() throws {
        let tokenizer = try Self.load()
        let cases = try #require(Self.goldens["singles"] as? [[String: Any]])
        #expect(cases.count >= 10)
        for golden in cases {
            let text = golden["text"] as! String
            let batch = try tokenizer([text])
            #expect(batch.inputIds[0] == Fixtures.ints(golden["input_ids"]), "\(text.debugDescription)")
            #expect(batch.tokens[0] == Fixtures.strings(golden["tokens"]), "\(text.debugDescription)")
            let ids = Fixtures.ints(golden["input_ids"])
            #expect(tokenizer.decode(ids) == golden["decoded"] as? String, "\(text.debugDescription)")
            #expect(tokenizer.decode(ids, skipSpecialTokens: true) == golden["decoded_skip_special"] as? String,
                    "\(text.debugDescription)")
        }
    }
}
