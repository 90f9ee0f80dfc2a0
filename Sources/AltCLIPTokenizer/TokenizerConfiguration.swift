import AltCLIPJSON
/// What `tokenizer_config.json`, `special_tokens_map.json` and the `added_tokens` of `tokenizer.json` say about
/// special tokens and limits, resolved the way transformers 5.x `from_pretrained` does.
struct TokenizerConfiguration: Sendable {
    /// transformers `SPECIAL_TOKENS_ATTRIBUTES` order.
    static let namedTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]
    /// XLMRobertaTokenizer's defaults.
    static let defaultNamedTokens = [
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>",
    ]

    /// Named special tokens (`bos_token`, ...), with their flags.
    var namedTokens: [String: AddedTokenSpec] = [:]
    /// Tokens to register, in the order transformers adds them (saved added tokens by id, then missing named
    /// tokens, then extra special tokens).
    var tokensToAdd: [AddedTokenSpec] = []
    /// nil when the folder sets no limit (transformers' `VERY_LARGE_INTEGER`).
    var modelMaxLength: Int? = nil
    var cleanUpTokenizationSpaces = false
    var addPrefixSpace = true

    /// Values above this are transformers' "no limit" sentinels (`int(1e30)`).
    private static let largeInteger = 1e20

    init(tokenizerConfig: JSONValue?, configFile: String, specialTokensMap: JSONValue?, mapFile: String,
         tokenizerJSONAddedTokens: [(Int, AddedTokenSpec)]) throws {
        var config: [String: JSONValue] = [:]
        if let tokenizerConfig {
            guard let object = tokenizerConfig.objectValue else {
                throw TokenizerError.wrongType(file: configFile, key: "(top level)", expected: "an object", actual: tokenizerConfig.kind)
            }
            config = object
        }
        // Where each named/extra token value came from, to parse it with the right defaults.
        var sourceFile: [String: String] = [:]
        for key in config.keys { sourceFile[key] = configFile }

        var savedAdded: [(Int, AddedTokenSpec)] = []
        var specialFromMap = Set<String>()
        if let decoder = config["added_tokens_decoder"] {
            guard let entries = decoder.objectValue else {
                throw TokenizerError.wrongType(file: configFile, key: "added_tokens_decoder", expected: "an object", actual: decoder.kind)
            }
            for (key, value) in entries {
                guard let id = Int(key), id >= 0 else {
                    throw TokenizerError.wrongType(file: configFile, key: "added_tokens_decoder.\(key)", expected: "an integer id key", actual: "'\(key)'")
                }
                savedAdded.append((id, try Self.tokenSpec(value, file: configFile, key: "added_tokens_decoder.\(key)", forceSpecial: nil)))
            }
        } else {
            // transformers' legacy path: special_tokens_map.json overrides the config, tokenizer.json's added_tokens
            // provide the flags.
            if let specialTokensMap {
                guard let map = specialTokensMap.objectValue else {
                    throw TokenizerError.wrongType(file: mapFile, key: "(top level)", expected: "an object", actual: specialTokensMap.kind)
                }
                for (key, value) in map {
                    config[key] = value
                    sourceFile[key] = mapFile
                    specialFromMap.insert(key)
                }
            }
            savedAdded = tokenizerJSONAddedTokens
        }
        savedAdded.sort { $0.0 < $1.0 }
        var savedByContent: [String: AddedTokenSpec] = [:]
        for (_, spec) in savedAdded { savedByContent[spec.content] = spec }

        for key in Self.namedTokenKeys {
            var spec: AddedTokenSpec
            if let value = config[key], !Self.isNull(value) {
                spec = try Self.tokenSpec(value, file: sourceFile[key] ?? configFile, key: key,
                                          forceSpecial: specialFromMap.contains(key) ? true : nil)
            } else {
                spec = AddedTokenSpec(content: Self.defaultNamedTokens[key]!, special: true)
            }
            if let saved = savedByContent[spec.content] { spec = saved }
            spec.special = true
            namedTokens[key] = spec
        }

        var extras: [AddedTokenSpec] = []
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            guard let value = config[key], !Self.isNull(value) else { continue }
            let file = sourceFile[key] ?? configFile
            if let list = value.arrayValue {
                for (i, item) in list.enumerated() {
                    var spec = try Self.tokenSpec(item, file: file, key: "\(key)[\(i)]", forceSpecial: true)
                    spec.special = true
                    extras.append(spec)
                }
            } else if let object = value.objectValue {
                for name in object.keys.sorted() {
                    var spec = try Self.tokenSpec(object[name]!, file: file, key: "\(key).\(name)", forceSpecial: true)
                    spec.special = true
                    extras.append(spec)
                }
            } else {
                throw TokenizerError.wrongType(file: file, key: key, expected: "an array or object", actual: value.kind)
            }
        }

        // TokenizersBackend.__init__: saved added tokens first, then named and extra tokens not yet present.
        var contents = Set<String>()
        let namedContents = Set(namedTokens.values.map(\.content))
        for (_, var spec) in savedAdded {
            if namedContents.contains(spec.content) { spec.special = true }
            tokensToAdd.append(spec)
            contents.insert(spec.content)
        }
        for key in Self.namedTokenKeys {
            let spec = namedTokens[key]!
            if contents.insert(spec.content).inserted { tokensToAdd.append(spec) }
        }
        for spec in extras where contents.insert(spec.content).inserted {
            tokensToAdd.append(spec)
        }

        if let value = config["model_max_length"], !Self.isNull(value) {
            guard let n = value.numberValue, n >= 0 else {
                throw TokenizerError.wrongType(file: sourceFile["model_max_length"] ?? configFile, key: "model_max_length",
                                               expected: "a non-negative number", actual: value.kind)
            }
            // transformers' "no limit" sentinel is 1e30; anything else is kept, saturated to Int.
            modelMaxLength = n > Self.largeInteger ? nil : (n >= 9.2e18 ? Int.max : Int(n))
        }
        if let value = config["clean_up_tokenization_spaces"], !Self.isNull(value) {
            guard let b = value.boolValue else {
                throw TokenizerError.wrongType(file: configFile, key: "clean_up_tokenization_spaces", expected: "a boolean", actual: value.kind)
            }
            cleanUpTokenizationSpaces = b
        }
        if let value = config["add_prefix_space"], !Self.isNull(value) {
            guard let b = value.boolValue else {
                throw TokenizerError.wrongType(file: configFile, key: "add_prefix_space", expected: "a boolean", actual: value.kind)
            }
            addPrefixSpace = b
        }
    }

    private static func isNull(_ value: JSONValue) -> Bool {
        if case .null = value { return true }
        return false
    }

    /// A token written as a string or as an `AddedToken` object (`{"content": ..., "lstrip": ..., ...}`,
    /// optionally with `"__type": "AddedToken"`). `forceSpecial` mirrors `AddedToken(**value, special=True)`.
    static func tokenSpec(_ value: JSONValue, file: String, key: String, forceSpecial: Bool?) throws -> AddedTokenSpec {
        if let content = value.stringValue {
            return AddedTokenSpec(content: content, special: forceSpecial ?? true)
        }
        guard let object = value.objectValue else {
            throw TokenizerError.wrongType(file: file, key: key, expected: "a string or an AddedToken object", actual: value.kind)
        }
        guard let content = object["content"]?.stringValue else {
            throw TokenizerError.missingKey(file: file, key: "\(key).content")
        }
        func flag(_ name: String) throws -> Bool? {
            guard let v = object[name], !isNull(v) else { return nil }
            guard let b = v.boolValue else {
                throw TokenizerError.wrongType(file: file, key: "\(key).\(name)", expected: "a boolean", actual: v.kind)
            }
            return b
        }
        let special = try forceSpecial ?? flag("special") ?? false
        return AddedTokenSpec(
            content: content, singleWord: try flag("single_word") ?? false, lstrip: try flag("lstrip") ?? false,
            rstrip: try flag("rstrip") ?? false, normalized: try flag("normalized"), special: special)
    }
}
