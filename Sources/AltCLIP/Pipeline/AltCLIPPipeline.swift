import AltCLIPImage
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

    /// Loads the model, tokenizer and image processor of a folder. `precision: .int8` trades exactness
    /// for speed and memory (see `ComputePrecision`).
    public convenience init(directory: URL, precision: ComputePrecision = .float32, textBatchSize: Int = 32,
                            imageBatchSize: Int = 8, decodeOptions: DecodeOptions = .processor) throws {
        try self.init(model: AltCLIPModel(directory: directory, precision: precision),
                      processor: AltCLIPProcessor(directory: directory),
                      textBatchSize: textBatchSize, imageBatchSize: imageBatchSize, decodeOptions: decodeOptions)
    }

    public init(model: AltCLIPModel, processor: AltCLIPProcessor, textBatchSize: Int = 32, imageBatchSize: Int = 8,
                decodeOptions: DecodeOptions = .processor) {
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
        guard !texts.isEmpty else { return [] }
        var rows: [[Float]] = []
        rows.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: textBatchSize) {
            let batch = Array(texts[start..<min(start + textBatchSize, texts.count)])
            let encoding = try processor.tokenizer(batch, padding: .longest, truncation: truncate ? true : false,
                                                   maxLength: truncate ? maxTextLength : nil)
            var features = try model.getTextFeatures(TextInputs(inputIds: encoding.inputIds,
                                                                attentionMask: encoding.attentionMask))
            if normalize { features = Ops.l2Normalize(features) }
            rows += Self.rows(features)
        }
        return rows
    }

    /// Projected image embeddings, one result per input: the vector, or the error that input met.
    public func embedImages(_ images: [ImageInput], normalize: Bool = true) -> [Result<[Float], Error>] {
        var results = [Result<[Float], Error>?](repeating: nil, count: images.count)
        let prepared = preparePixels(images)
        var ready: [(index: Int, pixels: PixelValues)] = []
        for (index, item) in prepared.enumerated() {
            switch item {
            case let .success(pixels): ready.append((index, pixels))
            case let .failure(error): results[index] = .failure(error)
            }
        }
        // Batches of one pixel shape (a config without a fixed output size gives each image its own);
        // a failing batch fails only its own images.
        var start = 0
        while start < ready.count {
            var end = start + 1
            while end < ready.count, end - start < imageBatchSize, ready[end].pixels.shape == ready[start].pixels.shape { end += 1 }
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
        return results.map { $0 ?? .failure(AltCLIPError.invalidInput("image was not processed")) }
    }

    /// Cosine similarity of every image (rows) with every text (columns); a row is nil for an image
    /// that could not be read, with its error in `errors`.
    public func similarity(texts: [String], images: [ImageInput]) throws -> (cosine: [[Float]?], errors: [Int: Error]) {
        let textRows = try embedTexts(texts)
        var errors: [Int: Error] = [:]
        let cosine: [[Float]?] = embedImages(images).enumerated().map { index, result in
            switch result {
            case let .success(image): return textRows.map { Self.dot(image, $0) }
            case let .failure(error):
                errors[index] = error
                return nil
            }
        }
        return (cosine, errors)
    }

    /// Zero-shot classification: each image against every label, best first. `template` may hold `{}`
    /// where the label goes (e.g. "a photo of {}").
    public func classify(images: [ImageInput], labels: [String], template: String? = nil) throws
        -> [Result<[LabelScore], Error>] {
        guard !labels.isEmpty else { throw AltCLIPError.invalidInput("no labels to classify against") }
        let prompts = labels.map { label in template.map { $0.replacingOccurrences(of: "{}", with: label) } ?? label }
        let textRows = try embedTexts(prompts)
        let scale = Foundation.exp(model.logitScale)
        return embedImages(images).map { result in
            result.map { image in
                let cosines = textRows.map { Self.dot(image, $0) }
                let logits = cosines.map { $0 * scale }
                let top = logits.max() ?? 0
                let exps = logits.map { Foundation.exp($0 - top) }
                let sum = exps.reduce(0, +)
                return zip(labels, zip(exps, cosines))
                    .map { LabelScore(label: $0, probability: $1.0 / sum, cosine: $1.1) }
                    .sorted { $0.probability > $1.probability }
            }
        }
    }

    // MARK: helpers

    private func preparePixels(_ images: [ImageInput]) -> [Result<PixelValues, Error>] {
        var results = [Result<PixelValues, Error>](repeating: .failure(AltCLIPError.invalidInput("")), count: images.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: images.count) { index in
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

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for i in 0..<min(a.count, b.count) { s += a[i] * b[i] }
        return s
    }
}
