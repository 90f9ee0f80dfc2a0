import AltCLIPImage
import AltCLIPTensor
import AltCLIPTokenizer
import Foundation
import Testing
@testable import AltCLIP

/// Behaviour of the high-level API on a small random model (numbers against transformers are in
/// ModelParityTests and DemoModelTests): batching must not change results, per-item errors stay
/// per item, classification is the softmax of scaled cosines, concurrency is safe.
@Suite("AltCLIPPipeline")
struct PipelineTests {
    static let fixtures: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests", url.path != "/" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures")
    }()

    static func pipeline(textBatch: Int = 2, imageBatch: Int = 2) throws -> AltCLIPPipeline {
        let tokenizer = try XLMRobertaTokenizer(directory: fixtures.appendingPathComponent("tokenizer/xlmr-mini"))
        var text = AltCLIPTextConfig()
        text.vocabSize = tokenizer.vocabSize
        text.hiddenSize = 32; text.numHiddenLayers = 2; text.numAttentionHeads = 4; text.intermediateSize = 48
        text.maxPositionEmbeddings = 40; text.projectDim = 24
        var vision = AltCLIPVisionConfig()
        vision.hiddenSize = 32; vision.numHiddenLayers = 2; vision.numAttentionHeads = 4; vision.intermediateSize = 48
        vision.imageSize = 32; vision.patchSize = 8
        let config = AltCLIPConfig.fromTextVisionConfigs(text, vision, projectionDim: 16)
        var imageConfig = CLIPImageProcessorConfig()
        imageConfig.size = .shortestEdge(32)
        imageConfig.cropSize = (32, 32)
        let processor = AltCLIPProcessor(tokenizer: tokenizer, imageProcessor: try CLIPImageProcessor(config: imageConfig))
        return AltCLIPPipeline(model: try AltCLIPModel(config: config, seed: 7), processor: processor,
                               textBatchSize: textBatch, imageBatchSize: imageBatch)
    }

    static func source(_ name: String) -> ImageInput {
        .file(fixtures.appendingPathComponent("image/sources").appendingPathComponent(name))
    }

    static let images = ["jpeg_photo.jpg", "bmp_24.bmp", "gif_p.gif", "jpeg_gray.jpg", "bmp_8.bmp"].map(source)

    @Test func batchingDoesNotChangeEmbeddings() throws {
        let small = try Self.pipeline(textBatch: 1, imageBatch: 1), large = try Self.pipeline(textBatch: 8, imageBatch: 8)
        let texts = ["a red circle", "红色的圆形", "un cercle rouge", "x"]
        let a = try small.embedTexts(texts), b = try large.embedTexts(texts)
        for (x, y) in zip(a.joined(), b.joined()) { #expect(abs(x - y) <= 1e-5) }
        let ia = try small.embedImages(Self.images).map { try $0.get() }
        let ib = try large.embedImages(Self.images).map { try $0.get() }
        for (x, y) in zip(ia.joined(), ib.joined()) { #expect(abs(x - y) <= 1e-5) }
        // Normalised rows.
        for row in a + ia { #expect(abs(row.map { $0 * $0 }.reduce(0, +) - 1) < 1e-4) }
    }

    @Test func oneBadImageFailsOnlyItsOwnEntry() throws {
        let pipeline = try Self.pipeline()
        let inputs = [Self.images[0], Self.source("bad/truncated.jpg"), Self.images[1], Self.source("bad/text.jpg"),
                      .file(URL(fileURLWithPath: "/nonexistent/x.png"))]
        let results = pipeline.embedImages(inputs)
        let good = try pipeline.embedImages([Self.images[0], Self.images[1]]).map { try $0.get() }
        #expect(try results[0].get() == good[0])
        #expect(try results[2].get() == good[1])
        for index in [1, 3, 4] {
            #expect(throws: ImageError.self) { try results[index].get() }
        }
    }

    @Test func classificationIsTheSoftmaxOfScaledCosines() throws {
        let pipeline = try Self.pipeline()
        let labels = ["circle", "square", "triangle"]
        let ranked = try pipeline.classify(images: [Self.images[0]], labels: labels, template: "a photo of a {}")[0].get()
        let textRows = try pipeline.embedTexts(labels.map { "a photo of a \($0)" })
        let image = try pipeline.embedImages([Self.images[0]])[0].get()
        let scale = Foundation.exp(pipeline.model.logitScale)
        let logits = textRows.map { row in zip(row, image).map { $0 * $1 }.reduce(0, +) * scale }
        let sum = logits.map { Foundation.exp($0 - logits.max()!) }.reduce(0, +)
        for score in ranked {
            let i = labels.firstIndex(of: score.label)!
            #expect(abs(score.probability - Foundation.exp(logits[i] - logits.max()!) / sum) < 1e-5)
        }
        #expect(ranked.map(\.probability) == ranked.map(\.probability).sorted(by: >))
        #expect(abs(ranked.map(\.probability).reduce(0, +) - 1) < 1e-5)
    }

    @Test func emptyLabelsAreRefused() throws {
        let pipeline = try Self.pipeline()
        #expect(throws: AltCLIPError.self) { try pipeline.classify(images: [Self.images[0]], labels: []) }
    }

    @Test func overLongTextIsTruncatedOrRefusedOnRequest() throws {
        let pipeline = try Self.pipeline()
        let long = Array(repeating: "word", count: 200).joined(separator: " ")
        #expect(try pipeline.embedTexts([long]).count == 1)
        #expect(throws: AltCLIPError.self) { try pipeline.embedTexts([long], truncate: false) }
        do {
            _ = try pipeline.embedTexts([long], truncate: false)
        } catch let error as AltCLIPError {
            #expect(error == .sequenceTooLong(length: pipeline.processor.tokenizer.encode(long).count, maximum: 38))
        }
    }

    @Test func concurrentCallsGiveTheSameResults() async throws {
        let pipeline = try Self.pipeline()
        let texts = ["a red circle", "红色的圆形", "un cercle rouge", "un círculo rojo"]
        let expected = try pipeline.embedTexts(texts)
        let results = try await withThrowingTaskGroup(of: [[Float]].self) { group in
            for _ in 0..<8 { group.addTask { try pipeline.embedTexts(texts) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results { #expect(result == expected) }
    }

    @Test func processorRefusesNoInputsAndPadsWhenAsked() throws {
        let pipeline = try Self.pipeline()
        #expect(throws: AltCLIPError.self) { try pipeline.processor() }
        let out = try pipeline.processor(text: ["a", "a much longer text"], images: [Self.images[0]], padding: .longest)
        #expect(out.inputIds?.map(\.count) == [out.inputIds![1].count, out.inputIds![1].count])
        #expect(out.pixelValues?.shape == [1, 3, 32, 32])
    }
}
