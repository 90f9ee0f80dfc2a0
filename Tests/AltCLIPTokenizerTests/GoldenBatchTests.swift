import Foundation
import Testing
import AltCLIPTokenizer

/// Batches, pairs, padding, truncation, decoding and id/token conversions against transformers 5.24.
@Suite("Batch goldens")
struct GoldenBatchTests {
    private func run(_ cases: [[String: Any]], _ tokenizer: XLMRobertaTokenizer, _ label: String) throws {
        #expect(!cases.isEmpty)
        for (n, golden) in cases.enumerated() {
            let texts = Fixtures.strings(golden["texts"])
            let pairs = golden["pairs"].map { Fixtures.strings($0) }
            let padding: Padding
            switch golden["padding"] as? String {
            case "longest": padding = .longest
            case "max_length": padding = .maxLength
            default: padding = .none
            }
            let truncation = golden["truncation"] as? Bool
            let maxLength = (golden["max_length"] as? NSNumber)?.intValue
            let batch = try tokenizer(texts, pairs: pairs, padding: padding, truncation: truncation, maxLength: maxLength)
            let context = "\(label) case \(n) (padding \(padding), truncation \(String(describing: truncation)), max \(String(describing: maxLength)))"
            #expect(batch.inputIds == Fixtures.intRows(golden["input_ids"]), "\(context): input_ids")
            #expect(batch.attentionMask == Fixtures.intRows(golden["attention_mask"]), "\(context): attention_mask")
            let tokens = (golden["tokens"] as? [Any])?.map { Fixtures.strings($0) } ?? []
            #expect(batch.tokens == tokens, "\(context): tokens")
        }
    }

    @Test("padding and truncation", .tags(.goldens), arguments: Fixtures.Variant.allCases)
    func batches(variant: Fixtures.Variant) throws {
        let tokenizer = try #require(Fixtures.variants[variant])
        try run(Fixtures.goldens["batches"] as? [[String: Any]] ?? [], tokenizer, "\(variant) batch")
    }

    @Test("pairs (longest-first truncation)", .tags(.goldens), arguments: Fixtures.Variant.allCases)
    func pairs(variant: Fixtures.Variant) throws {
        let tokenizer = try #require(Fixtures.variants[variant])
        try run(Fixtures.goldens["pairs"] as? [[String: Any]] ?? [], tokenizer, "\(variant) pair")
    }

    @Test("decode and batchDecode", .tags(.goldens))
    func decodes() throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        let cases = Fixtures.goldens["decodes"] as? [[String: Any]] ?? []
        #expect(!cases.isEmpty)
        let rows = cases.map { Fixtures.ints($0["ids"]) }
        #expect(tokenizer.batchDecode(rows) == cases.map { $0["text"] as! String })
        #expect(tokenizer.batchDecode(rows, skipSpecialTokens: true) == cases.map { $0["text_skip_special"] as! String })
        // Ids outside the vocabulary are dropped, as tokenizers does.
        #expect(tokenizer.decode([0, 999_999, 2]) == tokenizer.decode([0, 2]))
    }

    @Test("token and id conversions", .tags(.goldens))
    func conversions() throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        let t2i = try #require(Fixtures.goldens["tokens_to_ids"] as? [String: Any])
        #expect(tokenizer.convertTokensToIds(Fixtures.strings(t2i["tokens"])) == Fixtures.ints(t2i["ids"]))
        let i2t = try #require(Fixtures.goldens["ids_to_tokens"] as? [String: Any])
        #expect(tokenizer.convertIdsToTokens(Fixtures.ints(i2t["ids"])).map { $0 ?? "<nil>" } == Fixtures.strings(i2t["tokens"]))
        #expect(tokenizer.convertIdsToTokens([-1, tokenizer.vocabSize]) == [nil, nil])
    }

    @Test("sizes and special ids", .tags(.goldens), arguments: Fixtures.Variant.allCases)
    func info(variant: Fixtures.Variant) throws {
        let tokenizer = try #require(Fixtures.variants[variant])
        let info = try #require(Fixtures.goldens["info"] as? [String: Any])
        #expect(tokenizer.vocabSize == (info["length"] as? NSNumber)?.intValue)
        #expect(tokenizer.modelMaxLength == (info["model_max_length"] as? NSNumber)?.intValue)
        let ids = try #require(info["special_ids"] as? [String: Any])
        #expect(tokenizer.bosTokenId == (ids["bos"] as? NSNumber)?.intValue)
        #expect(tokenizer.padTokenId == (ids["pad"] as? NSNumber)?.intValue)
        #expect(tokenizer.eosTokenId == (ids["eos"] as? NSNumber)?.intValue)
        #expect(tokenizer.unkTokenId == (ids["unk"] as? NSNumber)?.intValue)
        #expect(tokenizer.maskTokenId == (ids["mask"] as? NSNumber)?.intValue)
        #expect(tokenizer.allSpecialIds == Fixtures.ints(info["all_special_ids"]))
        let mask = try #require(tokenizer.addedTokens.first { $0.content == "<mask>" })
        #expect(mask.lstrip && mask.normalized && mask.special && !mask.rstrip)
    }

    @Test("over-long text is kept whole without truncation, with its length exposed")
    func overLong() throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 12)
        let batch = try tokenizer([text, "short"])
        let limit = try #require(tokenizer.modelMaxLength)
        #expect(batch.longestSequenceLength > limit)
        let truncated = try tokenizer([text], truncation: true)
        #expect(truncated.longestSequenceLength == limit)
        #expect(truncated.inputIds[0].last == tokenizer.eosTokenId)
    }

    @Test("argument errors")
    func argumentErrors() throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        #expect(throws: TokenizerError.invalidArgument(name: "pairs", reason: "1 pairs for 2 texts")) {
            try tokenizer(["a", "b"], pairs: ["c"])
        }
        #expect(throws: TokenizerError.invalidArgument(name: "maxLength", reason: "-1 is negative")) {
            try tokenizer(["a"], maxLength: -1)
        }
        #expect(throws: TokenizerError.invalidArgument(name: "padToMultipleOf", reason: "0 is not positive")) {
            try tokenizer(["a"], padToMultipleOf: 0)
        }
    }

    @Test("parallel batch equals one-by-one encoding")
    func parallelBatch() throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        let texts = Fixtures.singles.map { $0["text"] as! String }
        let many = Array(repeating: texts, count: 4).flatMap { $0 }
        let batch = try tokenizer(many)
        for (i, text) in many.enumerated() {
            #expect(batch.inputIds[i] == tokenizer.encode(text), "row \(i)")
        }
    }
}
