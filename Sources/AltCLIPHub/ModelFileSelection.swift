import AltCLIPSupport

/// Which files of a repository make up a usable model folder.
///
/// ```swift
/// var files = ModelFileSelection.altclip
/// files.optional.removeAll { $0 == "tokenizer.json" }   // skip the 17 MB fast-tokenizer file
/// ```
public struct ModelFileSelection: Sendable, Equatable {
    /// Files that must exist (a 404 is an error).
    public var required: [String]
    /// Weight files in order of preference; the first one present is taken. A name ending in
    /// `.index.json` is a shard index: it is fetched, and then every shard it names.
    public var weights: [String]
    /// Files fetched when present; a 404 is remembered (in `.no_exist`, as huggingface_hub does) and fine.
    public var optional: [String]

    /// Creates a selection.
    public init(required: [String], weights: [String], optional: [String]) {
        self.required = required
        self.weights = weights
        self.optional = optional
    }

    /// What an AltCLIP folder needs (`ModelFolderFiles`): the config, the weights (safetensors preferred:
    /// they map without a pickle), the tokenizer files (`tokenizer.json` and/or `sentencepiece.bpe.model`,
    /// its config and special tokens) and the image processor's config (`preprocessor_config.json`, or
    /// `processor_config.json`'s `image_processor`).
    public static let altclip = ModelFileSelection(
        required: [ModelFolderFiles.config], weights: ModelFolderFiles.weights, optional: ModelFolderFiles.companions)
}
