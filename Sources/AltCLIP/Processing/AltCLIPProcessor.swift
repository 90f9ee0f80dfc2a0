import AltCLIPImage
import AltCLIPTensor
import AltCLIPTokenizer
import Foundation

/// The processor's output, ready for `AltCLIPModel`.
public struct AltCLIPProcessorOutput: @unchecked Sendable {
    /// Token ids [texts][length], when texts were given.
    public var inputIds: [[Int]]?
    /// Attention mask [texts][length], when texts were given.
    public var attentionMask: [[Int]]?
    /// Pixel values [images, 3, H, W], when images were given.
    public var pixelValues: Tensor?

    /// The text part as model inputs.
    public var textInputs: TextInputs? {
        inputIds.map { TextInputs(inputIds: $0, attentionMask: attentionMask) }
    }
}

/// transformers `AltCLIPProcessor`: an `XLMRobertaTokenizer` and a `CLIPImageProcessor` loaded from one
/// model folder and called together.
public struct AltCLIPProcessor: Sendable {
    public let tokenizer: XLMRobertaTokenizer
    public let imageProcessor: CLIPImageProcessor

    public init(tokenizer: XLMRobertaTokenizer, imageProcessor: CLIPImageProcessor) {
        self.tokenizer = tokenizer
        self.imageProcessor = imageProcessor
    }

    /// Loads the tokenizer files and `preprocessor_config.json` (or `processor_config.json`) of a folder.
    public init(directory: URL) throws {
        tokenizer = try XLMRobertaTokenizer(directory: directory)
        imageProcessor = try CLIPImageProcessor(directory: directory)
    }

    /// Tokenizes `text` and preprocesses `images` as `processor(text=..., images=..., padding=...)` does.
    /// As in transformers there is no padding or truncation unless asked for; a batch of texts of
    /// different lengths needs `padding: .longest` before it can go through the model.
    public func callAsFunction(text: [String]? = nil, images: [ImageInput]? = nil, padding: Padding = .none,
                               truncation: Bool? = nil, maxLength: Int? = nil,
                               decodeOptions: DecodeOptions = .processor) throws -> AltCLIPProcessorOutput {
        guard text != nil || images != nil else {
            throw AltCLIPError.invalidInput("You have to specify either text or images. Both cannot be none.")
        }
        var output = AltCLIPProcessorOutput()
        if let text {
            let encoding = try tokenizer(text, padding: padding, truncation: truncation, maxLength: maxLength)
            output.inputIds = encoding.inputIds
            output.attentionMask = encoding.attentionMask
        }
        if let images {
            let decoded = try images.map { try $0.decoded(options: decodeOptions) }
            output.pixelValues = try Self.tensor(imageProcessor.preprocess(decoded))
        }
        return output
    }

    /// `tokenizer.decode`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// `tokenizer.batch_decode`.
    public func batchDecode(_ sequences: [[Int]], skipSpecialTokens: Bool = false) -> [String] {
        tokenizer.batchDecode(sequences, skipSpecialTokens: skipSpecialTokens)
    }

    static func tensor(_ pixels: PixelValues) -> Tensor {
        Tensor(shape: pixels.shape, scalars: pixels.values)
    }
}
