import AltCLIPImage
import AltCLIPSupport
import AltCLIPTensor
import AltCLIPTokenizer
import Foundation

/// One label's score for an image.
public struct LabelScore: Sendable, Equatable, Codable {
    public var label: String
    /// Softmax over the labels of `exp(logit_scale) · cosine`.
    public var probability: Float
    /// Cosine similarity between the image and the (templated) label.
    public var cosine: Float
}

/// Text embeddings and what truncation cut (see ``AltCLIPPipeline/encodeTexts(_:normalize:truncate:progress:)``).
public struct TextEmbeddings: Sendable {
    public var vectors: [[Float]]
    /// Tokens removed from each text to fit the model (0: the text was not cut).
    public var truncatedTokens: [Int]
}

/// The common jobs on one loaded model: embeddings, similarity, zero-shot classification.
///
/// Load once and share: every method may be called from many threads or tasks at once (the model is
/// read-only after loading). Inputs are batched internally; an unreadable image fails only its own
/// entry.
public final class AltCLIPPipeline: Sendable {
    public let model: AltCLIPModel
    public let processor: AltCLIPProcessor
    /// Texts per forward pass.
    public let textBatchSize: Int
    /// Images per forward pass.
    public let imageBatchSize: Int
    /// How image files are decoded (EXIF orientation ignored by default, as transformers with `Image.open`).
    public let decodeOptions: DecodeOptions
    /// The folder the model was loaded from (nil when built from parts).
    public let directory: URL?

    /// Loads the model, tokenizer and image processor of a folder. `precision: .int8` trades exactness
    /// for speed and memory (see `ComputePrecision`).
    public convenience init(directory: URL, precision: ComputePrecision = .float32, textBatchSize: Int = 32,
                            imageBatchSize: Int = 8, decodeOptions: DecodeOptions = .processor) throws {
        try self.init(model: AltCLIPModel(directory: directory, precision: precision),
                      processor: AltCLIPProcessor(directory: directory),
                      textBatchSize: textBatchSize, imageBatchSize: imageBatchSize, decodeOptions: decodeOptions,
                      directory: directory)
    }

    public init(model: AltCLIPModel, processor: AltCLIPProcessor, textBatchSize: Int = 32, imageBatchSize: Int = 8,
                decodeOptions: DecodeOptions = .processor, directory: URL? = nil) {
        self.directory = directory
        self.model = model
        self.processor = processor
        self.textBatchSize = max(textBatchSize, 1)
        self.imageBatchSize = max(imageBatchSize, 1)
        self.decodeOptions = decodeOptions
    }

    /// The longest token sequence the text tower accepts (positions start after the padding index).
    public var maxTextLength: Int {
        let text = model.config.textConfig
        let limit = text.maxPositionEmbeddings - (text.padTokenId ?? 1) - 1
        return min(limit, processor.tokenizer.modelMaxLength ?? limit)
    }

    /// Projected text embeddings, one row per text (L2-normalised unless `normalize` is false).
    /// Texts longer than `maxTextLength` tokens are truncated (CLIP tools do the same); pass
    /// `truncate: false` to get `AltCLIPError.sequenceTooLong` instead.
    public func embedTexts(_ texts: [String], normalize: Bool = true, truncate: Bool = true) throws -> [[Float]] {
        try encodeTexts(texts, normalize: normalize, truncate: truncate).vectors
    }

    /// Text embeddings with what truncation removed: `truncatedTokens[i]` is the number of tokens cut
    /// from text `i` (0 when it fitted). `progress` is called with the number of texts done after each batch.
    public func encodeTexts(_ texts: [String], normalize: Bool = true, truncate: Bool = true,
                            progress: ((Int) -> Void)? = nil) throws -> TextEmbeddings {
        var result = TextEmbeddings(vectors: [], truncatedTokens: [])
        result.vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: textBatchSize) {
            let batch = Array(texts[start..<min(start + textBatchSize, texts.count)])
            let encoding = try processor.tokenizer(batch, padding: .longest, truncation: truncate ? true : false,
                                                   maxLength: truncate ? maxTextLength : nil)
            var features = try model.getTextFeatures(TextInputs(inputIds: encoding.inputIds,
                                                                attentionMask: encoding.attentionMask))
            if normalize { features = Ops.l2Normalize(features) }
            result.vectors += Self.rows(features)
            result.truncatedTokens += encoding.numTruncatedTokens
            progress?(result.vectors.count)
        }
        return result
    }

    /// Projected image embeddings, one result per input: the vector, or the error that input met.
    /// `progress` is called with the number of images done (embedded or failed) after each batch.
    public func embedImages(_ images: [ImageInput], normalize: Bool = true,
                            progress: ((Int) -> Void)? = nil) -> [Result<[Float], Error>] {
        var results: [Result<[Float], Error>] = []
        results.reserveCapacity(images.count)
        forEachImageEmbedding(images, normalize: normalize) { _, result in
            results.append(result)
            if results.count % imageBatchSize == 0 || results.count == images.count { progress?(results.count) }
        }
        return results
    }

    /// Streams image embeddings: `body(index, result)` is called for every input in order, a batch at a
    /// time, so only one batch of pixels is held however many images there are. Images are decoded and
    /// preprocessed in parallel (within the thread budget), batched per pixel shape (a config without a
    /// fixed output size gives each image its own), and a failing image or batch fails only its own
    /// entries. An error `body` throws stops the stream and is rethrown.
    public func forEachImageEmbedding(_ images: [ImageInput], normalize: Bool = true,
                                      _ body: (Int, Result<[Float], Error>) throws -> Void) rethrows {
        for windowStart in stride(from: 0, to: images.count, by: imageBatchSize) {
            let window = windowStart..<min(windowStart + imageBatchSize, images.count)
            let prepared = preparePixels(Array(images[window]))
            var results = [Result<[Float], Error>?](repeating: nil, count: window.count)
            var ready: [(index: Int, pixels: PixelValues)] = []
            for (index, item) in prepared.enumerated() {
                switch item {
                case let .success(pixels): ready.append((index, pixels))
                case let .failure(error): results[index] = .failure(error)
                }
            }
            var start = 0
            while start < ready.count {
                var end = start + 1
                while end < ready.count, ready[end].pixels.shape == ready[start].pixels.shape { end += 1 }
                let batch = ready[start..<end]
                start = end
                do {
                    let pixels = try Self.stack(batch.map(\.pixels))
                    var features = try model.getImageFeatures(pixelValues: pixels)
                    if normalize { features = Ops.l2Normalize(features) }
                    for (row, item) in zip(Self.rows(features), batch) { results[item.index] = .success(row) }
                } catch {
                    for item in batch { results[item.index] = .failure(error) }
                }
            }
            for (offset, result) in results.enumerated() {
                try body(window.lowerBound + offset, result ?? .failure(AltCLIPError.invalidInput("image was not processed")))
            }
        }
    }

    /// Cosine similarity of every image (rows) with every text (columns); a row is nil for an image
    /// that could not be read, with its error in `errors`.
    public func similarity(texts: [String], images: [ImageInput]) throws -> (cosine: [[Float]?], errors: [Int: Error]) {
        let queries = try zeroShotClassifier(labels: texts)
        var errors: [Int: Error] = [:]
        var cosine: [[Float]?] = []
        forEachImageEmbedding(images) { index, result in
            switch result {
            case let .success(image): cosine.append(queries.cosines(image))
            case let .failure(error):
                errors[index] = error
                cosine.append(nil)
            }
        }
        return (cosine, errors)
    }

    /// Embeds a label set once for zero-shot classification. `template` may hold `{}` where the label
    /// goes (e.g. "a photo of {}"); the model's `logit_scale` comes with it.
    public func zeroShotClassifier(labels: [String], template: String? = nil) throws -> ZeroShotClassifier {
        guard !labels.isEmpty else { throw AltCLIPError.invalidInput("no labels to classify against") }
        let prompts = labels.map { ZeroShotClassifier.prompt($0, template: template) }
        return try ZeroShotClassifier(labels: labels, prompts: prompts, embeddings: try embedTexts(prompts),
                                      logitScale: model.logitScale)
    }

    /// Zero-shot classification: each image against every label, best first. `template` may hold `{}`
    /// where the label goes (e.g. "a photo of {}"). For many calls with one label set, make a
    /// ``ZeroShotClassifier`` once and use ``classify(images:with:progress:)``.
    public func classify(images: [ImageInput], labels: [String], template: String? = nil) throws
        -> [Result<[LabelScore], Error>] {
        classify(images: images, with: try zeroShotClassifier(labels: labels, template: template))
    }

    /// Classifies images against a label set embedded once; one result per image.
    public func classify(images: [ImageInput], with classifier: ZeroShotClassifier,
                         progress: ((Int) -> Void)? = nil) -> [Result<[LabelScore], Error>] {
        embedImages(images, progress: progress).map { $0.map(classifier.classify) }
    }

    // MARK: helpers

    private func preparePixels(_ images: [ImageInput]) -> [Result<PixelValues, Error>] {
        var results = [Result<PixelValues, Error>](repeating: .failure(AltCLIPError.invalidInput("")), count: images.count)
        let lock = NSLock()
        ThreadBudget.forEach(iterations: images.count) { index in
            let result = Result<PixelValues, Error> {
                try processor.imageProcessor.preprocess(images[index].decoded(options: decodeOptions))
            }
            lock.lock()
            results[index] = result
            lock.unlock()
        }
        return results
    }

    static func stack(_ items: [PixelValues]) throws -> Tensor {
        guard let first = items.first else { return Tensor(zeros: [0]) }
        guard items.allSatisfy({ $0.shape == first.shape }) else {
            throw AltCLIPError.invalidInput("images of one batch have different sizes: \(items.map(\.shape))")
        }
        let per = first.values.count
        var values = [Float]()
        values.reserveCapacity(per * items.count)
        for item in items { values += item.values }
        return Tensor(shape: [items.count] + Array(first.shape.dropFirst()), scalars: values)
    }

    static func rows(_ t: Tensor) -> [[Float]] {
        let width = t.shape.last ?? 0
        let flat = t.scalars
        return stride(from: 0, to: flat.count, by: max(width, 1)).map { Array(flat[$0..<($0 + width)]) }
    }

}
