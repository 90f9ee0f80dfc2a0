import Foundation
import Testing
import AltCLIPTokenizer

/// Every golden string of `goldens.json` against transformers 5.24, for each way of loading the folder.
@Suite("Single-text goldens")
struct GoldenSingleTests {
    @Test("fixtures are present", .tags(.goldens))
    func fixturesPresent() throws {
        #expect(Fixtures.singles.count >= 60, "goldens.json has \(Fixtures.singles.count) strings")
        for variant in Fixtures.Variant.allCases {
            #expect(Fixtures.variants[variant] != nil, "\(variant) failed to load")
        }
    }

    @Test("ids, tokens, decode", .tags(.goldens), arguments: Fixtures.Variant.allCases)
    func singles(variant: Fixtures.Variant) throws {
        let tokenizer = try #require(Fixtures.variants[variant])
        var failures = 0
        for golden in Fixtures.singles {
            let text = golden["text"] as! String
            let label = "\(variant) \(text.debugDescription.prefix(60))"
            let expectedIds = Fixtures.ints(golden["input_ids"])
            let batch = try tokenizer([text])
            let ids = batch.inputIds[0]
            if ids != expectedIds {
                failures += 1
                Issue.record("\(label): ids differ at \(Fixtures.firstDifference(ids, expectedIds))")
                continue
            }
            #expect(tokenizer.encode(text) == expectedIds, "\(label): encode")
            #expect(batch.attentionMask[0] == [Int](repeating: 1, count: ids.count), "\(label): mask")
            let tokens = Fixtures.strings(golden["tokens"])
            #expect(batch.tokens[0] == tokens, "\(label): tokens \(Fixtures.firstDifference(batch.tokens[0], tokens))")
            #expect(tokenizer.encode(text, addSpecialTokens: false) == Fixtures.ints(golden["ids_without_special"]),
                    "\(label): ids without special tokens")
            #expect(tokenizer.convertIdsToTokens(ids).map { $0 ?? "<nil>" } == Fixtures.strings(golden["id_tokens"]),
                    "\(label): convertIdsToTokens")
            #expect(tokenizer.decode(ids) == golden["decoded"] as? String,
                    "\(label): decode \(tokenizer.decode(ids).debugDescription)")
            #expect(tokenizer.decode(ids, skipSpecialTokens: true) == golden["decoded_skip_special"] as? String,
                    "\(label): decode skipping special tokens")
            #expect(tokenizer.normalize(text) == golden["normalized"] as? String, "\(label): normalized text")
        }
        #expect(failures == 0)
    }

    @Test("tokenize is the tokens without the template", .tags(.goldens))
    func tokenizeMatches() throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        for golden in Fixtures.singles {
            let text = golden["text"] as! String
            let tokens = Fixtures.strings(golden["tokens"])
            #expect(tokenizer.tokenize(text) == Array(tokens.dropFirst().dropLast()), "\(text.debugDescription)")
        }
    }

    @Test("an empty pair is no pair for a single text")
    func emptyPair() throws {
        let tokenizer = try #require(Fixtures.tokenizer)
        #expect(tokenizer.encode("a", pair: "") == tokenizer.encode("a"))
        #expect(tokenizer.encode("a", pair: " ").count == tokenizer.encode("a").count + 2)
    }
}

extension Tag {
    @Tag static var goldens: Self
}
