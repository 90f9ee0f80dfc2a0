import AltCLIPJSON
import AltCLIPSupport
import Foundation

extension XLMRobertaTokenizer {
    /// Loads a model folder as published on the Hub: `tokenizer.json` if present (as transformers prefers it),
    /// otherwise `sentencepiece.bpe.model`; plus `tokenizer_config.json` and `special_tokens_map.json` when present.
    public convenience init(directory: URL) throws {
        let fm = FileManager.default
        let json = directory.appendingPathComponent(ModelFolderFiles.tokenizerJSON)
        let spm = directory.appendingPathComponent(ModelFolderFiles.sentencePiece)
        let config = directory.appendingPathComponent(ModelFolderFiles.tokenizerConfig)
        let map = directory.appendingPathComponent(ModelFolderFiles.specialTokensMap)
        let configURL = fm.fileExists(atPath: config.path) ? config : nil
        let mapURL = fm.fileExists(atPath: map.path) ? map : nil
        if fm.fileExists(atPath: json.path) {
            try self.init(tokenizerJSON: json, tokenizerConfig: configURL, specialTokensMap: mapURL)
        } else if fm.fileExists(atPath: spm.path) {
            try self.init(sentencePieceModel: spm, tokenizerConfig: configURL, specialTokensMap: mapURL)
        } else {
            throw TokenizerError.missingModelFile(directory: directory.path)
        }
    }

    /// Loads from a `tokenizer.json` (Unigram vocabulary and `precompiled_charsmap`) and optional config files.
    public convenience init(tokenizerJSON: URL, tokenizerConfig: URL? = nil, specialTokensMap: URL? = nil) throws {
        let file = tokenizerJSON.lastPathComponent
        let reader = try TokenizerJSONReader(bytes: try Self.read(tokenizerJSON), file: file)
        let configuration = try Self.configuration(tokenizerConfig, specialTokensMap, reader.addedTokens)
        // XLMRobertaTokenizer always builds `Unigram(vocab, unk_id=3)`, whatever `unk_id` the file states.
        let model = try UnigramModel(pieceBytes: reader.pieceBytes, pieceOffsets: reader.pieceOffsets,
                                     scores: reader.scores, unknownId: 3, file: file)
        let charsmap = try reader.precompiledCharsmap.flatMap { bytes in
            bytes.isEmpty ? nil : try PrecompiledCharsmap(bytes: bytes, file: file)
        }
        self.init(model: model, charsmap: charsmap, configuration: configuration)
    }

    /// Loads from a SentencePiece `sentencepiece.bpe.model` alone (plus optional config files), laying the ids out
    /// as fairseq did: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, SentencePiece piece i ≥ 3 → i + 1, `<mask>` last.
    public convenience init(sentencePieceModel: URL, tokenizerConfig: URL? = nil, specialTokensMap: URL? = nil) throws {
        let file = sentencePieceModel.lastPathComponent
        let proto = try SentencePieceModelReader(bytes: try Self.read(sentencePieceModel), file: file)
        guard proto.modelType == 1 else {
            let names = [2: "BPE", 3: "WORD", 4: "CHAR"]
            throw TokenizerError.unsupportedModelType(file: file, modelType: names[proto.modelType] ?? "model_type \(proto.modelType)")
        }
        var configuration = try Self.configuration(tokenizerConfig, specialTokensMap, [])
        // SentencePieceExtractor: control and user-defined pieces become added tokens that match the raw text.
        var known = Set(configuration.tokensToAdd.map(\.content))
        for piece in proto.pieces where (piece.type == 3 || piece.type == 4) && known.insert(piece.piece).inserted {
            configuration.tokensToAdd.append(AddedTokenSpec(content: piece.piece, normalized: false, special: piece.type == 3))
        }
        // XLMRobertaConverter.convert_from_spm
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        var scores: [Double] = []
        func add(_ piece: String, _ score: Double) {
            bytes.append(contentsOf: piece.utf8)
            offsets.append(Int32(bytes.count))
            scores.append(score)
        }
        for key in ["bos_token", "pad_token", "eos_token", "unk_token"] {
            add(configuration.namedTokens[key]!.content, 0)
        }
        for piece in proto.pieces.dropFirst(3) {
            add(piece.piece, Double(piece.score))
        }
        add(configuration.namedTokens["mask_token"]!.content, 0)
        let model = try UnigramModel(pieceBytes: bytes, pieceOffsets: offsets, scores: scores, unknownId: 3, file: file)
        let charsmap = proto.precompiledCharsmap.isEmpty
            ? nil : try PrecompiledCharsmap(bytes: proto.precompiledCharsmap, file: file)
        self.init(model: model, charsmap: charsmap, configuration: configuration)
    }

    static func read(_ url: URL) throws -> Data {
        do {
            // Regular files only (a FIFO never blocks); tokenizer files are a few MB, 1 GB is generous.
            return try InputFile.read(url.path, maxBytes: 1 << 30)
        } catch {
            throw TokenizerError.unreadableFile(file: url.lastPathComponent, reason: error.reason)
        }
    }

    private static func configuration(_ config: URL?, _ map: URL?, _ added: [(Int, AddedTokenSpec)]) throws -> TokenizerConfiguration {
        let configValue = try config.map { try JSONReader.parse(try read($0), file: $0.lastPathComponent) }
        let mapValue = try map.map { try JSONReader.parse(try read($0), file: $0.lastPathComponent) }
        return try TokenizerConfiguration(
            tokenizerConfig: configValue, configFile: config?.lastPathComponent ?? ModelFolderFiles.tokenizerConfig,
            specialTokensMap: mapValue, mapFile: map?.lastPathComponent ?? ModelFolderFiles.specialTokensMap,
            tokenizerJSONAddedTokens: added)
    }
}
