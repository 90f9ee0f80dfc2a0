import AltCLIPTensor
import AltCLIPTokenizer
import Foundation
import Testing
@testable import AltCLIP

/// Opt-in: `ALTCLIP_FULLSIZE_DIR=.build-fullsize/altclip-random swift test --filter ReducedPrecisionAccuracy`
/// (the folder from `Scripts/make_fullsize_checkpoint.py`). The reduced precisions' promise on the
/// BAAI/AltCLIP-shaped checkpoint: over 64 varied inputs per tower, every embedding keeps cosine ≥ 0.999
/// to the fp32 one — texts of 4 to ~190 tokens in many scripts padded into one batch (tokenized with the
/// demo model's XLM-R tokenizer; its ids are valid in the full vocabulary), and images both smooth with
/// shapes (natural-looking) and uniform noise.
@Suite("Reduced-precision accuracy on the full-size checkpoint (opt-in)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["ALTCLIP_FULLSIZE_DIR"] != nil))
struct ReducedPrecisionAccuracyTests {
    static var folder: URL { FullSizeCheckpointTests.folder }

    static let phrases = [
        "a photo of a cat", "一只猫的照片", "фотография кошки", "صورة قطة", "ein Foto einer Katze", "猫の写真",
        "a red car parked in front of an old stone house, late afternoon light", "🐱🐶 pets!", "x",
        "Une vieille bicyclette bleue appuyée contre un mur couvert de lierre, sous la pluie fine d'automne.",
        "高速公路上行驶的红色跑车，背景是雪山和蓝天", "Λευκό σπίτι δίπλα στη θάλασσα", "हिमालय में बर्फ से ढकी चोटियाँ",
        String(repeating: "a diagram of the water cycle with arrows, clouds, rain, rivers and the sea, labelled in English ", count: 2),
    ]

    /// 64 texts: the phrases, then variations with suffixes of growing length.
    static var texts: [String] {
        (0..<64).map { i in
            let base = phrases[i % phrases.count]
            return i < phrases.count ? base : "\(base) \(i)" + String(repeating: " and more", count: i % 7)
        }
    }

    /// 64 normalized images [64, 3, S, S]: even ones smooth colour fields with a disc, odd ones noise.
    static func images(size: Int) -> Tensor {
        var generator = SplitMix(seed: 7)
        func next() -> Float { generator.nextUnit() }
        let mean: [Float] = [0.48145466, 0.4578275, 0.40821073], std: [Float] = [0.26862954, 0.26130258, 0.27577711]
        var values = [Float](repeating: 0, count: 64 * 3 * size * size)
        for n in 0..<64 {
            let corners = (0..<12).map { _ in next() }
            let cy = Float(size) * (0.2 + 0.6 * next()), cx = Float(size) * (0.2 + 0.6 * next())
            let radius = Float(size) * (0.05 + 0.15 * next()), disc = (0..<3).map { _ in next() }
            for c in 0..<3 {
                for y in 0..<size {
                    for x in 0..<size {
                        var v: Float
                        if n % 2 == 1 {
                            v = next()
                        } else {
                            let fy = Float(y) / Float(size - 1), fx = Float(x) / Float(size - 1)
                            v = corners[c] * (1 - fy) * (1 - fx) + corners[3 + c] * (1 - fy) * fx
                                + corners[6 + c] * fy * (1 - fx) + corners[9 + c] * fy * fx
                            let dy = Float(y) - cy, dx = Float(x) - cx
                            if dy * dy + dx * dx < radius * radius { v = disc[c] }
                        }
                        values[((n * 3 + c) * size + y) * size + x] = (v - mean[c]) / std[c]
                    }
                }
            }
        }
        return Tensor(shape: [64, 3, size, size], scalars: values)
    }

    static func cosines(_ a: Tensor, _ b: Tensor) -> [Double] {
        let n = a.shape[0], d = a.shape[1], x = a.scalars, y = b.scalars
        return (0..<n).map { i in
            var dot = 0.0, xx = 0.0, yy = 0.0
            for j in 0..<d {
                let p = Double(x[i * d + j]), q = Double(y[i * d + j])
                dot += p * q; xx += p * p; yy += q * q
            }
            return dot / (xx * yy).squareRoot()
        }
    }

    static func embeddings(_ precision: ComputePrecision, inputs: TextInputs, pixels: Tensor) throws -> (text: Tensor, image: Tensor) {
        let model = try AltCLIPModel(directory: folder, precision: precision)
        let text = try model.getTextFeatures(inputs)
        var parts: [Tensor] = []
        for start in stride(from: 0, to: 64, by: 8) {
            parts.append(try model.getImageFeatures(pixelValues: pixels.slice(axis: 0, range: start..<(start + 8))))
        }
        return (text, Tensor.concatenate(parts, axis: 0))
    }

    @Test func reducedPrecisionsStayAboveCosine0999() throws {
        let tokenizer = try XLMRobertaTokenizer(directory: DemoModelTests.modelFolder)
        let encoding = try tokenizer(Self.texts, padding: .longest)
        let lengths = encoding.attentionMask.map { $0.reduce(0, +) }
        #expect(lengths.min()! <= 5 && lengths.max()! >= 150, "texts of varied lengths: \(lengths.min()!)–\(lengths.max()!)")
        let inputs = TextInputs(inputIds: encoding.inputIds, attentionMask: encoding.attentionMask)
        let size = try AltCLIPConfig(contentsOf: Self.folder).visionConfig.imageSize
        let pixels = Self.images(size: size)
        let reference = try Self.embeddings(.float32, inputs: inputs, pixels: pixels)
        for precision in [ComputePrecision.int8, .bfloat16] {
            let got = try Self.embeddings(precision, inputs: inputs, pixels: pixels)
            let text = Self.cosines(got.text, reference.text), image = Self.cosines(got.image, reference.image)
            print("\(precision): min cosine to fp32 — text \(text.min()!), image \(image.min()!)")
            #expect(text.min()! >= 0.999, "\(precision) text: \(text.min()!)")
            #expect(image.min()! >= 0.999, "\(precision) image: \(image.min()!)")
        }
    }
}
