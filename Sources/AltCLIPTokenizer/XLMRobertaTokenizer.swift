import Foundation

/// XLM-RoBERTa's SentencePiece Unigram tokenizer, giving the same ids as transformers 5.x `XLMRobertaTokenizer`.
///
/// The pipeline is the one transformers rebuilds in code (it ignores the normalizer and pre-tokenizer written in
/// `tokenizer.json`): added/special tokens are split off the raw text, each remaining span goes through the
/// precompiled-charsmap normalizer (per grapheme cluster), is split on whitespace, gets `▁` prepended to every
/// word (Metaspace, `prepend_scheme="always"`) and is segmented by Unigram Viterbi; then the template
/// `<s> A </s>` / `<s> A </s></s> B </s>` is applied.
///
/// Instances are immutable and safe to share between threads.
public final class XLMRobertaTokenizer: Sendable {
    let model: UnigramModel
    let normalizer: CharsmapNormalizer?
    let addedVocabulary: AddedVocabulary
    let configuration: TokenizerConfiguration

    /// The longest sequence the model accepts, from `tokenizer_config.json` (`nil` when the folder sets none).
    /// Encoding longer texts without truncation is not an error (transformers only warns); callers check
    /// `BatchEncoding.longestSequenceLength` against this.
    public let modelMaxLength: Int?
    /// `<s>`: starts every sequence (also the classifier token).
    public let bosTokenId: Int
    /// `</s>`: ends every sequence (also the separator).
    public let eosTokenId: Int
    /// `<pad>`: right padding, attention mask 0.
    public let padTokenId: Int
    /// `<unk>`: characters the vocabulary cannot spell.
    public let unkTokenId: Int
    /// `<mask>`: the masked-LM token (the last id).
    public let maskTokenId: Int
    /// Ids of every special token (skipped by `decode(_:skipSpecialTokens:)`).
    public let allSpecialIds: [Int]

    init(model: UnigramModel, charsmap: PrecompiledCharsmap?, configuration: TokenizerConfiguration) {
        self.model = model
        let normalizer = charsmap.map(CharsmapNormalizer.init)
        self.normalizer = normalizer
        self.configuration = configuration
        modelMaxLength = configuration.modelMaxLength

        // tokenizers `AddedVocabulary::add_tokens`: a content already in the vocabulary keeps its id, new ones
        // are appended after the model's ids.
        var tokens: [AddedToken] = []
        var indexByContent: [String: Int] = [:]
        var nextId = model.count
        for spec in configuration.tokensToAdd where !spec.content.isEmpty {
            let id: Int
            if let existing = indexByContent[spec.content] {
                id = tokens[existing].id
            } else if let vocabId = model.id(of: spec.content) {
                id = vocabId
            } else {
                id = nextId
                nextId += 1
            }
            let token = AddedToken(content: spec.content, id: id, singleWord: spec.singleWord, lstrip: spec.lstrip,
                                   rstrip: spec.rstrip, normalized: spec.normalized, special: spec.special)
            if let existing = indexByContent[spec.content] {
                tokens[existing] = token
            } else {
                indexByContent[spec.content] = tokens.count
                tokens.append(token)
            }
        }
        addedVocabulary = AddedVocabulary(tokens: tokens) { content in
            var bytes: [UInt8] = []
            var content = content
            content.withUTF8 { buffer in
                if let normalizer { normalizer.normalize(buffer, into: &bytes) } else { bytes.append(contentsOf: buffer) }
            }
            return bytes
        }

        func namedId(_ key: String) -> Int {
            let content = configuration.namedTokens[key]!.content
            return tokens.first { $0.content == content }?.id ?? model.id(of: content) ?? model.unknownId
        }
        bosTokenId = namedId("bos_token")
        eosTokenId = namedId("eos_token")
        padTokenId = namedId("pad_token")
        unkTokenId = namedId("unk_token")
        maskTokenId = namedId("mask_token")
        allSpecialIds = Array(Set(tokens.filter(\.special).map(\.id))).sorted()
    }

    /// Number of ids: the vocabulary plus added tokens that are not in it (transformers `len(tokenizer)`).
    public var vocabSize: Int {
        max(model.count, (addedVocabulary.tokens.map(\.id).max() ?? -1) + 1)
    }

    /// Added and special tokens recognised inside text, with their flags.
    public var addedTokens: [AddedToken] { addedVocabulary.tokens }

    /// Whether `decode` applies transformers' `clean_up_tokenization` (from `tokenizer_config.json`).
    public var cleanUpTokenizationSpaces: Bool { configuration.cleanUpTokenizationSpaces }

    /// The token text of `id` (an added token's content or the vocabulary piece), nil when out of range.
    public func token(forId id: Int) -> String? {
        if let added = addedVocabulary.token(forId: id) { return added.content }
        return model.piece(id)
    }

    /// The id of `token`, nil when it is neither an added token nor a vocabulary piece.
    public func id(forToken token: String) -> Int? {
        if let added = addedVocabulary.token(forContent: token) { return added.id }
        return model.id(of: token)
    }

    /// transformers `convert_ids_to_tokens`: nil for ids outside the vocabulary.
    public func convertIdsToTokens(_ ids: [Int]) -> [String?] {
        ids.map { token(forId: $0) }
    }

    /// transformers `convert_tokens_to_ids`: unknown tokens map to `unkTokenId`.
    public func convertTokensToIds(_ tokens: [String]) -> [Int] {
        tokens.map { id(forToken: $0) ?? unkTokenId }
    }

    /// Number of special tokens the template adds (2 for one text, 4 for a pair).
    public func numSpecialTokensToAdd(pair: Bool) -> Int {
        pair ? 4 : 2
    }
}
