import AltCLIPImage
import AltCLIPTensor
import AltCLIPWeights
import Foundation
import Testing
@testable import AltCLIP

/// The trained demo model (Models/altclip-demo) on the sample pictures (Samples/): every number
/// against transformers' (Samples/expected.json, Samples/reference.safetensors), and the right labels
/// in every language.
@Suite("Demo model against transformers")
struct DemoModelTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests", url.path != "/" { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent()
    }()
    static let modelFolder = root.appendingPathComponent("Models/altclip-demo")
    static let samples = root.appendingPathComponent("Samples")

    struct Expected: Decodable {
        struct Sample: Decodable {
            var file: String
            var trueLabel: [String: String]
            var probs: [String: [Float]]
            enum CodingKeys: String, CodingKey { case file, trueLabel = "true_label", probs }
        }
        var labels: [String: [String]]
        var languages: [String]
        var samples: [Sample]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: samples.appendingPathComponent("expected.json")))
    }

    static func close(_ a: [Float], _ b: [Float]) -> (Bool, Float) {
        let worst = zip(a, b).map { abs($0 - $1) - 1e-3 * abs($1) }.max() ?? 0
        return (a.count == b.count && worst <= 1e-4, worst)
    }

    @Test func modelMatchesTransformersOnStoredInputs() throws {
        let model = try AltCLIPModel(directory: Self.modelFolder)
        #expect(model.loadReport?.unusedKeys == [])
        let reference = try WeightStore(file: Self.samples.appendingPathComponent("reference.safetensors"))
        let (pixelShape, pixels) = try reference.float32("pixel_values")
        let pixelValues = Tensor(shape: pixelShape, scalars: pixels)
        for language in try Self.expected().languages {
            let (shape, ids) = try reference.int64("\(language).input_ids")
            let (_, mask) = try reference.int64("\(language).attention_mask")
            let rows = (0..<shape[0]).map { r in (0..<shape[1]).map { Int(ids[r * shape[1] + $0]) } }
            let maskRows = (0..<shape[0]).map { r in (0..<shape[1]).map { Int(mask[r * shape[1] + $0]) } }
            let out = try model(TextInputs(inputIds: rows, attentionMask: maskRows), pixelValues: pixelValues)
            for (name, tensor) in [("logits_per_image", out.logitsPerImage), ("text_embeds", out.textEmbeds)] {
                let (ok, worst) = Self.close(tensor.scalars, try reference.float32("\(language).\(name)").values)
                #expect(ok, "\(language).\(name): max excess \(worst)")
            }
            let referenceImage = try reference.float32("image_embeds").values
            let (ok, worst) = Self.close(out.imageEmbeds.scalars, referenceImage)
            #expect(ok, "image_embeds: max excess \(worst); \(Array(out.imageEmbeds.scalars.prefix(4))) vs \(Array(referenceImage.prefix(4)))")
        }
    }

    @Test func processorReproducesTransformersInputs() throws {
        let expected = try Self.expected()
        let processor = try AltCLIPProcessor(directory: Self.modelFolder)
        let reference = try WeightStore(file: Self.samples.appendingPathComponent("reference.safetensors"))
        let files = expected.samples.map { ImageInput.file(Self.samples.appendingPathComponent($0.file)) }
        for language in expected.languages {
            let out = try processor(text: expected.labels[language]!, padding: .longest)
            let (_, ids) = try reference.int64("\(language).input_ids")
            #expect(out.inputIds!.joined().map(Int64.init) == ids, "\(language) ids")
        }
        let pixels = try #require(try processor(images: files).pixelValues)
        let (shape, values) = try reference.float32("pixel_values")
        #expect(pixels.shape == shape)
        #expect(zip(pixels.scalars, values).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func zeroShotPicksTheTrueLabelInEveryLanguage() throws {
        let expected = try Self.expected()
        let pipeline = try AltCLIPPipeline(directory: Self.modelFolder)
        let files = expected.samples.map { ImageInput.file(Self.samples.appendingPathComponent($0.file)) }
        for language in expected.languages {
            let labels = expected.labels[language]!
            let results = try pipeline.classify(images: files, labels: labels)
            for (sample, result) in zip(expected.samples, results) {
                let ranked = try result.get()
                #expect(ranked.first?.label == sample.trueLabel[language], "\(sample.file) in \(language)")
                let probabilities = labels.map { label in ranked.first { $0.label == label }!.probability }
                let (ok, worst) = Self.close(probabilities, sample.probs[language]!)
                #expect(ok, "\(sample.file) \(language) probabilities: max excess \(worst)")
            }
        }
    }

    /// Reduced precision must not change a single top-1 label on the samples, in any language.
    @Test(arguments: [ComputePrecision.int8, .bfloat16])
    func reducedPrecisionKeepsEveryTopLabel(precision: ComputePrecision) throws {
        let expected = try Self.expected()
        let pipeline = try AltCLIPPipeline(directory: Self.modelFolder, precision: precision)
        let files = expected.samples.map { ImageInput.file(Self.samples.appendingPathComponent($0.file)) }
        for language in expected.languages {
            let results = try pipeline.classify(images: files, labels: expected.labels[language]!)
            for (sample, result) in zip(expected.samples, results) {
                #expect(try result.get().first?.label == sample.trueLabel[language], "\(sample.file) in \(language) (\(precision))")
            }
        }
    }

    /// A label set embedded once: logits and probabilities from precomputed embeddings are transformers'
    /// `logits_per_image` (and its softmax), whether the embeddings come from the pipeline or from a file.
    @Test func zeroShotClassifierFromPrecomputedEmbeddingsMatchesTransformers() throws {
        let expected = try Self.expected()
        let reference = try WeightStore(file: Self.samples.appendingPathComponent("reference.safetensors"))
        let pipeline = try AltCLIPPipeline(directory: Self.modelFolder)
        let (imageShape, imageValues) = try reference.float32("image_embeds")
        let images = (0..<imageShape[0]).map { Array(imageValues[($0 * imageShape[1])..<(($0 + 1) * imageShape[1])]) }
        let files = expected.samples.map { ImageInput.file(Self.samples.appendingPathComponent($0.file)) }
        for language in expected.languages {
            let labels = expected.labels[language]!
            let (textShape, textValues) = try reference.float32("\(language).text_embeds")
            let stored = (0..<textShape[0]).map { Array(textValues[($0 * textShape[1])..<(($0 + 1) * textShape[1])]) }
            let fromFile = try ZeroShotClassifier(labels: labels, embeddings: stored, logitScale: pipeline.model.logitScale)
            let fromPipeline = try pipeline.zeroShotClassifier(labels: labels)
            let logits = try reference.float32("\(language).logits_per_image").values
            for (index, image) in images.enumerated() {
                let row = Array(logits[(index * labels.count)..<((index + 1) * labels.count)])
                for classifier in [fromFile, fromPipeline] {
                    let (ok, worst) = Self.close(classifier.logits(image), row)
                    #expect(ok, "\(language) image \(index) logits: max excess \(worst)")
                    let (okP, worstP) = Self.close(classifier.probabilities(image), expected.samples[index].probs[language]!)
                    #expect(okP, "\(language) image \(index) probabilities: max excess \(worstP)")
                }
            }
            // classify(images:with:) gives what classify(images:labels:) gives.
            let once = pipeline.classify(images: files, with: fromPipeline).map { try? $0.get() }
            let each = try pipeline.classify(images: files, labels: labels).map { try? $0.get() }
            #expect(once == each)
        }
        #expect(throws: AltCLIPError.self) { try ZeroShotClassifier(labels: ["a", "b"], embeddings: [[1, 0]], logitScale: 1) }
        #expect(throws: AltCLIPError.self) { try ZeroShotClassifier(labels: [], embeddings: [], logitScale: 1) }
    }
}
