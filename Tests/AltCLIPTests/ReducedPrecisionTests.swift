import AltCLIPTensor
import AltCLIPWeights
import Foundation
import Testing
@testable import AltCLIP

/// `ComputePrecision.int8` / `.bfloat16`: every linear layer runs in that precision, and the embeddings
/// stay close to transformers' fp32 references (cosine similarity per row) without being equal to them.
@Suite("Reduced precision")
struct ReducedPrecisionTests {
    /// Cosine similarity of each row of `a` with the same row of `reference`, in Double.
    static func rowCosines(_ a: Tensor, _ reference: FixtureTensor) -> [Double] {
        let x = a.scalars, y = reference.floats, width = a.shape.last ?? 1
        return (0..<(x.count / width)).map { r in
            var dot = 0.0, xx = 0.0, yy = 0.0
            for i in (r * width)..<((r + 1) * width) {
                dot += Double(x[i]) * Double(y[i]); xx += Double(x[i]) * Double(x[i]); yy += Double(y[i]) * Double(y[i])
            }
            return dot / (xx * yy).squareRoot()
        }
    }

    /// Embeddings of `folder`'s stored inputs at `precision`, cosines against the stored fp32 outputs.
    static func embeddingCosines(_ folder: URL, precision: ComputePrecision) throws
        -> (text: [Double], image: [Double], model: AltCLIPModel) {
        let inputs = try WeightStore(file: folder.appendingPathComponent("inputs.safetensors"))
        let outputs = try FixtureSafetensors(contentsOf: folder.appendingPathComponent("outputs.safetensors"))
        let model = try AltCLIPModel(directory: folder, precision: precision)
        let out = try model(ModelParityTests.textInputs(inputs), pixelValues: ModelParityTests.tensor(inputs, "pixel_values"))
        #expect(out.textEmbeds.shape == (try outputs.shape("text_embeds")))
        #expect(out.imageEmbeds.shape == (try outputs.shape("image_embeds")))
        return (rowCosines(out.textEmbeds, try outputs.tensor("text_embeds")),
                rowCosines(out.imageEmbeds, try outputs.tensor("image_embeds")), model)
    }

    @Test(arguments: [ComputePrecision.int8, .bfloat16])
    func everyLinearRunsReducedAndTracksReference(precision: ComputePrecision) throws {
        let fixture = try #require(ModelFixture.all.first { $0.name == "altclip-m18-shaped" })
        let (text, image, model) = try Self.embeddingCosines(fixture.folder, precision: precision)
        let layers = model.visionModel.layers
        #expect(layers.allSatisfy { [$0.qProj, $0.kProj, $0.vProj, $0.outProj, $0.fc1, $0.fc2].allSatisfy { $0.precision == precision } })
        #expect(model.textModel.roberta.layers.allSatisfy { layer in
            let a = layer.selfAttention
            return [a.query, a.key, a.value, layer.attentionOutput, layer.intermediate, layer.output]
                .allSatisfy { $0.precision == precision }
        })
        #expect(model.textProjection.precision == precision && model.visualProjection.precision == precision)
        #expect(model.textModel.transformation.precision == precision)
        // Tiny random towers (hidden 18) quantize coarsely; the full-size test below holds 0.999.
        #expect(text.allSatisfy { $0 > 0.99 }, "text cosines \(text)")
        #expect(image.allSatisfy { $0 > 0.99 }, "image cosines \(image)")
        // Reduced, not secretly fp32: the fp32 model reproduces the reference to ~1e-7, these do not.
        #expect((text + image).contains { $0 < 1 - 1e-6 }, "\(precision) cosines \(text) \(image) look exact")
    }

    @Test func float32IsTheDefault() throws {
        let fixture = try #require(ModelFixture.all.first { $0.name == "altclip-m18-shaped" })
        let model = try AltCLIPModel(directory: fixture.folder)
        #expect(model.visualProjection.precision == .float32 && model.textModel.transformation.precision == .float32)
        #expect(ComputePrecision(rawValue: "int8") == .int8 && ComputePrecision(rawValue: "fp32") == .float32)
        #expect(ComputePrecision(rawValue: "bf16") == .bfloat16)
    }
}

/// Opt-in (`ALTCLIP_FULLSIZE_DIR`, see `FullSizeCheckpointTests`): int8 and bfloat16 embeddings of the BAAI-shaped
/// random checkpoint agree with transformers' fp32 embeddings to cosine ≥ 0.999 per row.
@Suite("Full-size reduced precision (opt-in)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["ALTCLIP_FULLSIZE_DIR"] != nil))
struct FullSizeReducedPrecisionTests {
    @Test(arguments: [ComputePrecision.int8, .bfloat16])
    func reducedEmbeddingsMatchFloat32(precision: ComputePrecision) throws {
        let (text, image, _) = try ReducedPrecisionTests.embeddingCosines(FullSizeCheckpointTests.folder, precision: precision)
        print("full-size \(precision) vs fp32 cosines: text \(text), image \(image)")
        #expect(text.allSatisfy { $0 >= 0.999 }, "text cosines \(text)")
        #expect(image.allSatisfy { $0 >= 0.999 }, "image cosines \(image)")
    }
}
