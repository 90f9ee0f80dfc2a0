import AltCLIP
import AltCLIPImage
import AltCLIPTensor
import AltCLIPTokenizer
import Foundation

/// The model as the server uses it: tokenizing, decoding and preprocessing run on any thread (the
/// request's task); the two `embed` methods run on the inference executor only, one batch at a time.
public final class InferenceModel: Sendable {
    public let pipeline: AltCLIPPipeline
    /// The linear layers' arithmetic, as `--dtype` spells it (fp32, bf16, int8).
    public let dtype: String

    public init(pipeline: AltCLIPPipeline, dtype: String = "fp32") {
        self.pipeline = pipeline
        self.dtype = dtype
    }

    /// Width of the projected embeddings.
    public var dimension: Int { pipeline.model.config.projectionDim }
    /// Longest token sequence the text tower takes, special tokens included.
    public var maxTextLength: Int { pipeline.maxTextLength }
    /// `exp(logit_scale)`, the factor from cosine to logit.
    public var logitScale: Float { Foundation.exp(pipeline.model.logitScale) }
    var tokenizer: XLMRobertaTokenizer { pipeline.processor.tokenizer }

    /// Token ids of one text with `<s>`/`</s>`; when it is longer than the model takes, truncated
    /// (as transformers truncates: the last kept token is `</s>`) or, if `truncate` is false, an error.
    func tokenize(_ text: String, truncate: Bool) throws(APIError) -> (ids: [Int], truncated: Bool) {
        let ids = tokenizer.encode(text)
        let limit = maxTextLength
        guard ids.count > limit else { return (ids, false) }
        guard truncate else {
            throw APIError.tooLong("input has \(ids.count) tokens; the model takes at most \(limit) (send truncate: true to cut it)")
        }
        return (Array(ids.prefix(limit - 1)) + [ids[ids.count - 1]], true)
    }

    /// Decoded, checked and preprocessed image bytes, ready to stack into a batch.
    func preprocess(_ data: Data, name: String, options: DecodeOptions) throws -> PixelValues {
        let image = try ImageDecoder.decode(data: data, name: name, options: options)
        return try pipeline.processor.imageProcessor.preprocess(image)
    }

    /// Projected (unnormalised) text features of a batch of token sequences, padded to the longest.
    func embed(tokens rows: [[Int]]) throws -> [[Float]] {
        let longest = rows.map(\.count).max() ?? 0
        let pad = pipeline.model.config.textConfig.padTokenId ?? 1
        let ids = rows.map { $0 + Array(repeating: pad, count: longest - $0.count) }
        let mask = rows.map { Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: longest - $0.count) }
        let features = try pipeline.model.getTextFeatures(TextInputs(inputIds: ids, attentionMask: mask))
        return Self.rows(features)
    }

    /// Projected (unnormalised) image features of a batch of preprocessed images.
    func embed(pixels items: [PixelValues]) throws -> [[Float]] {
        guard let first = items.first else { return [] }
        var values: [Float] = []
        values.reserveCapacity(first.values.count * items.count)
        for item in items {
            guard item.shape == first.shape else {
                throw APIError.invalid("images in one batch have different sizes \(first.shape) and \(item.shape)")
            }
            values += item.values
        }
        let pixels = Tensor(shape: [items.count] + Array(first.shape.dropFirst()), scalars: values)
        return Self.rows(try pipeline.model.getImageFeatures(pixelValues: pixels))
    }

    /// Runs one text and one image through the model so that the first request does not pay for
    /// weight conversion, and checks the model answers at all.
    func warmUp() throws {
        try pipeline.model.prepare()
        _ = try embed(tokens: [tokenize("warm-up", truncate: true).ids])
        let size = pipeline.model.config.visionConfig.imageSize
        let pixels = try PixelValues(shape: [1, 3, size, size], values: Array(repeating: 0, count: 3 * size * size))
        _ = try embed(pixels: [pixels])
    }

    static func rows(_ t: Tensor) -> [[Float]] {
        let width = t.shape.last ?? 0
        let flat = t.scalars
        return stride(from: 0, to: flat.count, by: max(width, 1)).map { Array(flat[$0..<($0 + width)]) }
    }
}

/// L2-normalised copy of `v` (zero stays zero).
func normalized(_ v: [Float]) -> [Float] {
    var sum: Float = 0
    for x in v { sum += x * x }
    let norm = sum.squareRoot()
    return norm > 0 ? v.map { $0 / norm } : v
}

func dot(_ a: [Float], _ b: [Float]) -> Float {
    var s: Float = 0
    for i in 0..<min(a.count, b.count) { s += a[i] * b[i] }
    return s
}
