/// The file names of a model folder in the Hugging Face layout, in one place: the hub client downloads
/// them, the model folder writer copies them, and the readers open them.
public enum ModelFolderFiles {
    /// The model config (`config.json`).
    public static let config = "config.json"
    /// A single safetensors checkpoint.
    public static let safetensors = "model.safetensors"
    /// The index of a sharded safetensors checkpoint.
    public static let safetensorsIndex = "model.safetensors.index.json"
    /// A single PyTorch checkpoint.
    public static let pytorch = "pytorch_model.bin"
    /// The index of a sharded PyTorch checkpoint.
    public static let pytorchIndex = "pytorch_model.bin.index.json"
    /// The fast tokenizer (vocabulary and normalizer in one JSON file).
    public static let tokenizerJSON = "tokenizer.json"
    /// The SentencePiece model of the slow tokenizer.
    public static let sentencePiece = "sentencepiece.bpe.model"
    /// Tokenizer settings (`model_max_length`, added tokens, …).
    public static let tokenizerConfig = "tokenizer_config.json"
    /// The special tokens' texts.
    public static let specialTokensMap = "special_tokens_map.json"
    /// The image processor's settings.
    public static let imageProcessorConfig = "preprocessor_config.json"
    /// A processor's settings; may hold the image processor's under `image_processor`.
    public static let processorConfig = "processor_config.json"

    /// Checkpoint files in order of preference (safetensors first: it maps without running a pickle).
    public static let weights = [safetensors, safetensorsIndex, pytorch, pytorchIndex]

    /// The tokenizer's and the processor's files, each optional (the folder needs `tokenizer.json` or
    /// `sentencepiece.bpe.model`, and `preprocessor_config.json` or an `image_processor` object in
    /// `processor_config.json`, only to tokenize or preprocess).
    public static let companions = [sentencePiece, tokenizerJSON, tokenizerConfig, specialTokensMap,
                                    imageProcessorConfig, processorConfig]
}
