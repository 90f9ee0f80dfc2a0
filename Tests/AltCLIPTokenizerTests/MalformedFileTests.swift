import Foundation
import Testing
import AltCLIPTokenizer

/// Every way a model folder can be broken gets its own typed error.
@Suite("Malformed files")
struct MalformedFileTests {
    // MARK: helpers

    /// Writes `files` (name → bytes) into a fresh directory and calls `body` with it.
    private func withFolder(_ files: [String: [UInt8]], _ body: (URL) throws -> Void) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, bytes) in files { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
        try body(directory)
    }

    private func loadError(_ files: [String: [UInt8]]) throws -> TokenizerError? {
        var caught: TokenizerError? = nil
        try withFolder(files) { directory in
            do {
                _ = try XLMRobertaTokenizer(directory: directory)
            } catch let error as TokenizerError {
                caught = error
            }
        }
        return caught
    }

    private func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func tokenizerJSON(vocab: String = #"[["<s>",0.0],["<pad>",0.0],["</s>",0.0],["<unk>",0.0],["▁a",-1.5],["a",-2.0],["<mask>",0.0]]"#,
                               model: String? = nil, normalizer: String = "null") -> [UInt8] {
        let modelText = model ?? #"{"type":"Unigram","unk_id":3,"vocab":\#(vocab)}"#
        return json(#"{"version":"1.0","added_tokens":[],"normalizer":\#(normalizer),"model":\#(modelText)}"#)
    }

    /// Minimal protobuf writer for SentencePiece `ModelProto` test files.
    private struct Proto {
        var bytes: [UInt8] = []
        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }
        mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
        mutating func message(_ field: Int, _ body: [UInt8]) { key(field, 2); varint(UInt64(body.count)); bytes += body }
        static func piece(_ text: String, _ score: Float, _ type: Int) -> [UInt8] {
            var p = Proto()
            p.message(1, Array(text.utf8))
            p.key(2, 5)
            withUnsafeBytes(of: score.bitPattern.littleEndian) { p.bytes += $0 }
            p.key(3, 0)
            p.varint(UInt64(type))
            return p.bytes
        }
    }

    private func sentencePiece(modelType: Int = 1, pieces: [(String, Float, Int)]? = nil, charsmap: [UInt8]? = nil) -> [UInt8] {
        var proto = Proto()
        let list = pieces ?? [("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), ("▁a", -1.5, 1), ("a", -2, 1)]
        for (text, score, type) in list { proto.message(1, Proto.piece(text, score, type)) }
        var trainer = Proto()
        trainer.key(3, 0)
        trainer.varint(UInt64(modelType))
        proto.message(2, trainer.bytes)
        if let charsmap {
            var normalizer = Proto()
            normalizer.message(2, charsmap)
            proto.message(3, normalizer.bytes)
        }
        return proto.bytes
    }

    // MARK: sanity: the hand-made files load

    @Test("minimal hand-written files load and agree")
    func minimalFilesLoad() throws {
        try withFolder(["tokenizer.json": tokenizerJSON()]) { directory in
            let tokenizer = try XLMRobertaTokenizer(directory: directory)
            #expect(tokenizer.encode("a aa") == [0, 4, 4, 5, 2])
            #expect(tokenizer.vocabSize == 7)
            #expect(tokenizer.modelMaxLength == nil)
        }
        try withFolder(["sentencepiece.bpe.model": sentencePiece()]) { directory in
            let tokenizer = try XLMRobertaTokenizer(directory: directory)
            #expect(tokenizer.encode("a aa") == [0, 4, 4, 5, 2])
            #expect(tokenizer.maskTokenId == 6)
            #expect(tokenizer.encode("a b") == [0, 4, 3, 2])  // "▁b": neither ▁ nor b is a piece: one fused <unk>
        }
    }

    // MARK: folder and file access

    @Test("folder without a model file")
    func missingModel() throws {
        try withFolder(["tokenizer_config.json": json("{}")]) { directory in
            #expect(throws: TokenizerError.missingModelFile(directory: directory.path)) {
                try XLMRobertaTokenizer(directory: directory)
            }
        }
    }

    @Test("unreadable file")
    func unreadable() throws {
        let url = URL(fileURLWithPath: "/nonexistent/tokenizer.json")
        let error = #expect(throws: TokenizerError.self) { try XLMRobertaTokenizer(tokenizerJSON: url) }
        guard case .unreadableFile(let file, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(file == "tokenizer.json")
    }

    // MARK: tokenizer.json

    @Test("truncated tokenizer.json")
    func truncatedJSON() throws {
        let full = tokenizerJSON()
        let cut = Array(full.prefix(full.count - 9))
        let error = try loadError(["tokenizer.json": cut])
        guard case .malformedJSON(let file, let offset, let reason) = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(file == "tokenizer.json")
        #expect(offset == cut.count, "\(reason)")
    }

    @Test("tokenizer.json that is not JSON")
    func garbageJSON() throws {
        #expect(try loadError(["tokenizer.json": json("{\"model\": nope}")])
                == .malformedJSON(file: "tokenizer.json", offset: 10, reason: "invalid literal"))
        let trailing = #"{"model":{"type":"Unigram","vocab":[["a",0]]}} x"#
        #expect(try loadError(["tokenizer.json": json(trailing)])
                == .malformedJSON(file: "tokenizer.json", offset: trailing.utf8.count - 1, reason: "unexpected data after the JSON value"))
        #expect(try loadError(["tokenizer.json": [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]])
                == .malformedJSON(file: "tokenizer.json", offset: 2, reason: "string is not valid UTF-8"))
    }

    @Test("tokenizer.json structure errors")
    func structureErrors() throws {
        #expect(try loadError(["tokenizer.json": json("[]")])
                == .wrongType(file: "tokenizer.json", key: "(top level)", expected: "an object", actual: "another value"))
        #expect(try loadError(["tokenizer.json": json(#"{"version":"1.0"}"#)])
                == .missingKey(file: "tokenizer.json", key: "model"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"Unigram"}"#)])
                == .missingKey(file: "tokenizer.json", key: "model.vocab"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(model: "3")])
                == .wrongType(file: "tokenizer.json", key: "model", expected: "an object", actual: "a number"))
    }

    @Test("unsupported model types")
    func unsupportedModel() throws {
        #expect(try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"BPE","vocab":{"a":0},"merges":[]}"#)])
                == .wrongType(file: "tokenizer.json", key: "model.vocab", expected: "an array of [piece, score] pairs", actual: "an object"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(model: #"{"type":"WordPiece","vocab":[["a",0]]}"#)])
                == .unsupportedModelType(file: "tokenizer.json", modelType: "WordPiece"))
        #expect(try loadError(["sentencepiece.bpe.model": sentencePiece(modelType: 2)])
                == .unsupportedModelType(file: "sentencepiece.bpe.model", modelType: "BPE"))
    }

    @Test("bad vocabularies")
    func badVocabulary() throws {
        #expect(try loadError(["tokenizer.json": tokenizerJSON(vocab: "[]")])
                == .invalidVocabulary(file: "tokenizer.json", index: 0, reason: "the vocabulary is empty"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(vocab: #"[["<s>",0.0],"x"]"#)])
                == .invalidVocabulary(file: "tokenizer.json", index: 1, reason: "expected a [piece, score] pair, found a string"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(vocab: #"[["<s>","high"]]"#)])
                == .invalidVocabulary(file: "tokenizer.json", index: 0, reason: "the score is not a number"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(vocab: #"[[1,0.0]]"#)])
                == .invalidVocabulary(file: "tokenizer.json", index: 0, reason: "the piece is not a string"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(vocab: #"[["<s>"]]"#)])
                == .invalidVocabulary(file: "tokenizer.json", index: 0, reason: "expected [piece, score], found 1 field(s)"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(vocab: #"[["<s>",0.0,1]]"#)])
                == .invalidVocabulary(file: "tokenizer.json", index: 0, reason: "more than two fields"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(vocab: #"[["<s>",0.0],["<pad>",0.0]]"#)])
                == .invalidVocabulary(file: "tokenizer.json", index: 3, reason: "unknown-token id 3 is outside the 2 pieces"))
        #expect(try loadError(["sentencepiece.bpe.model": sentencePiece(pieces: [])])
                == .invalidVocabulary(file: "sentencepiece.bpe.model", index: 0, reason: "the model has no pieces"))
    }

    @Test("bad precompiled_charsmap")
    func badCharsmap() throws {
        func normalizer(_ bytes: [UInt8]) -> String {
            #"{"type":"Sequence","normalizers":[{"type":"Precompiled","precompiled_charsmap":"\#(Data(bytes).base64EncodedString())"}]}"#
        }
        #expect(try loadError(["tokenizer.json": tokenizerJSON(normalizer: #"{"type":"Precompiled","precompiled_charsmap":"%%%"}"#)])
                == .malformedCharsmap(file: "tokenizer.json", reason: "precompiled_charsmap is not valid base64"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(normalizer: normalizer([1, 2]))])
                == .malformedCharsmap(file: "tokenizer.json", reason: "2 bytes, need at least 4 for the trie size"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(normalizer: normalizer([8, 0, 0, 0, 1, 2, 3, 4]))])
                == .malformedCharsmap(file: "tokenizer.json", reason: "trie size 8 exceeds the 4 bytes that follow it"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(normalizer: normalizer([3, 0, 0, 0, 1, 2, 3, 4]))])
                == .malformedCharsmap(file: "tokenizer.json", reason: "trie size 3 is not a multiple of 4"))
        #expect(try loadError(["tokenizer.json": tokenizerJSON(normalizer: normalizer([4, 0, 0, 0, 0, 0, 0, 0, 0xC3]))])
                == .malformedCharsmap(file: "tokenizer.json", reason: "replacement table is not valid UTF-8"))
        #expect(try loadError(["sentencepiece.bpe.model": sentencePiece(charsmap: [9, 0, 0, 0])])
                == .malformedCharsmap(file: "sentencepiece.bpe.model", reason: "trie size 9 is not a multiple of 4"))
    }

    // MARK: sentencepiece.bpe.model

    @Test("truncated SentencePiece model")
    func truncatedModel() throws {
        let real = try Data(contentsOf: Fixtures.modelDirectory.appendingPathComponent("sentencepiece.bpe.model"))
        let cut = [UInt8](real.prefix(real.count / 2))
        let error = try loadError(["sentencepiece.bpe.model": cut])
        guard case .malformedProtobuf(let file, let offset, let field, let reason) = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(file == "sentencepiece.bpe.model")
        #expect(field == "ModelProto")
        #expect(offset < cut.count)
        #expect(reason.contains("remain") || reason.contains("truncated"), "\(reason)")
    }

    @Test("SentencePiece model with wrong wire types or garbage")
    func garbageModel() throws {
        #expect(try loadError(["sentencepiece.bpe.model": [0x0B, 0x00]])
                == .malformedProtobuf(file: "sentencepiece.bpe.model", offset: 0, field: "ModelProto",
                                      reason: "unsupported wire type 3 for field 1"))
        #expect(try loadError(["sentencepiece.bpe.model": [0x08, 0x01]])
                == .malformedProtobuf(file: "sentencepiece.bpe.model", offset: 1, field: "ModelProto.1",
                                      reason: "wire type 0, expected a length-delimited message"))
        #expect(try loadError(["sentencepiece.bpe.model": [0x0A, 0x02, 0x10, 0x05]])
                == .malformedProtobuf(file: "sentencepiece.bpe.model", offset: 3, field: "SentencePiece.2",
                                      reason: "unexpected wire type 0"))
        #expect(try loadError(["sentencepiece.bpe.model": [0x0A, 0x03, 0x0A, 0x01, 0xFF]])
                == .malformedProtobuf(file: "sentencepiece.bpe.model", offset: 4, field: "SentencePiece.piece",
                                      reason: "not valid UTF-8"))
        #expect(try loadError(["sentencepiece.bpe.model": [0x0A, 0x80]])
                == .malformedProtobuf(file: "sentencepiece.bpe.model", offset: 1, field: "ModelProto",
                                      reason: "truncated varint"))
    }

    // MARK: configuration files

    @Test("bad tokenizer_config.json and special_tokens_map.json")
    func badConfigs() throws {
        let model = tokenizerJSON()
        #expect(try loadError(["tokenizer.json": model, "tokenizer_config.json": json("{\"model_max_length\": 512")])
                == .malformedJSON(file: "tokenizer_config.json", offset: 24, reason: "unexpected end of input in object"))
        #expect(try loadError(["tokenizer.json": model, "tokenizer_config.json": json(#"{"model_max_length":"big"}"#)])
                == .wrongType(file: "tokenizer_config.json", key: "model_max_length", expected: "a non-negative number", actual: "a string"))
        #expect(try loadError(["tokenizer.json": model, "tokenizer_config.json": json(#"{"mask_token":{"lstrip":true}}"#)])
                == .missingKey(file: "tokenizer_config.json", key: "mask_token.content"))
        #expect(try loadError(["tokenizer.json": model, "tokenizer_config.json": json(#"{"mask_token":{"content":"<mask>","lstrip":"yes"}}"#)])
                == .wrongType(file: "tokenizer_config.json", key: "mask_token.lstrip", expected: "a boolean", actual: "a string"))
        #expect(try loadError(["tokenizer.json": model, "tokenizer_config.json": json(#"{"added_tokens_decoder":{"x":{"content":"<s>"}}}"#)])
                == .wrongType(file: "tokenizer_config.json", key: "added_tokens_decoder.x", expected: "an integer id key", actual: "'x'"))
        #expect(try loadError(["tokenizer.json": model, "special_tokens_map.json": json("[]")])
                == .wrongType(file: "special_tokens_map.json", key: "(top level)", expected: "an object", actual: "an array"))
        #expect(try loadError(["tokenizer.json": model, "special_tokens_map.json": json(#"{"pad_token":7}"#)])
                == .wrongType(file: "special_tokens_map.json", key: "pad_token", expected: "a string or an AddedToken object", actual: "a number"))
    }

    @Test("errors describe themselves")
    func descriptions() {
        let error = TokenizerError.malformedJSON(file: "tokenizer.json", offset: 7, reason: "oops")
        #expect(error.description == "tokenizer.json: malformed JSON at byte 7: oops")
        #expect(error.errorDescription == error.description)
    }
}
