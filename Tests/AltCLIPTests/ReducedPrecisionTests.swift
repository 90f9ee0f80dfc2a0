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
        // Under int8 the text tower's last `int8BFloat16Layers` layers and its projections stay bf16.
        let textLayers = model.textModel.roberta.layers
        let kept = precision == .int8 ? AltRobertaModel.int8BFloat16Layers(of: textLayers.count) : 0
        #expect(AltRobertaModel.int8BFloat16Layers(of: 24) == (MatmulWeight.int8ScalesEachRow ? 2 : 4))
        for (index, layer) in textLayers.enumerated() {
            let a = layer.selfAttention
            let expected: ComputePrecision = index >= textLayers.count - kept ? .bfloat16 : precision
            #expect([a.query, a.key, a.value, layer.attentionOutput, layer.intermediate, layer.output]
                .allSatisfy { $0.precision == expected }, "text layer \(index): \(expected) expected")
        }
        let textSide: ComputePrecision = precision == .int8 ? .bfloat16 : precision
        #expect(model.textProjection.precision == textSide && model.textModel.transformation.precision == textSide)
        #expect(model.visualProjection.precision == precision)
        // Tiny random towers (hidden 18) quantize coarsely; the full-size test below holds 0.999.
        #expect(text.allSatisfy { $0 > 0.99 }, "text cosines \(text)")
        #expect(image.allSatisfy { $0 > 0.99 }, "image cosines \(image)")
        // Reduced, not secretly fp32: the fp32 model reproduces the reference to ~1e-7, these do not.
        #expect((text + image).contains { $0 < 1 - 1e-6 }, "\(precision) cosines \(text) \(image) look exact")
    }

    /// Loading converts nothing; fp32 and bf16 layers run unpacked on first use and are packed by the second;
    /// `prepare()` converts a whole tower at once. q, k and v run stacked (`FusedLinear`), so the parts
    /// themselves are never converted.
    @Test(arguments: ComputePrecision.allCases)
    func weightsAreConvertedLazilyOrByPrepare(precision: ComputePrecision) throws {
        let fixture = try #require(ModelFixture.all.first { $0.name == "altclip-m18-shaped" })
        let model = try AltCLIPModel(directory: fixture.folder, precision: precision)
        let vision = model.visionModel.layers.flatMap { [$0.outProj, $0.fc1, $0.fc2] }
        let visionParts = model.visionModel.layers.flatMap { [$0.qProj, $0.kProj, $0.vProj] }
        let text = model.textModel.roberta.layers.flatMap { [$0.attentionOutput, $0.intermediate, $0.output] }
            + [model.textModel.transformation]
        #expect((vision + visionParts + text).allSatisfy { !$0.storage.isConverted })
        let pixels = try ModelParityTests.tensor(try WeightStore(file: fixture.folder.appendingPathComponent("inputs.safetensors")),
                                                 "pixel_values")
        _ = try model.getImageFeatures(pixelValues: pixels)
        #expect(vision.allSatisfy { $0.storage.isConverted == (precision == .int8) })
        _ = try model.getImageFeatures(pixelValues: pixels)
        #expect(vision.allSatisfy { $0.storage.isConverted })
        #expect((text + visionParts).allSatisfy { !$0.storage.isConverted })
        try model.textModel.prepare()
        #expect(text.allSatisfy { $0.storage.isConverted })
        #expect(visionParts.allSatisfy { !$0.storage.isConverted })
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

/// Half-precision checkpoints (as `altclip convert --dtype bf16|fp16` or `save_pretrained` with a 16-bit
/// dtype write them): linear weights and embedding tables are not widened to Float32 at load; bf16
/// weights are packed straight from the stored values and give the same products as rounding the fp32
/// checkpoint; Float32 compute on them equals Float32 compute on the widened values.
@Suite("Half-precision checkpoints")
struct HalfPrecisionCheckpointTests {
    /// The m18 fixture converted to `dtype` in a temporary folder (caller removes it).
    static func converted(_ dtype: CheckpointConverter.Precision, from fixture: ModelFixture) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-\(dtype)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture.folder.appendingPathComponent("config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(file: fixture.folder.appendingPathComponent("model.safetensors"))
        try CheckpointConverter.convert(store: store, to: folder.appendingPathComponent("model.safetensors"), dtype: dtype)
        return folder
    }

    static func linearLayers(_ model: AltCLIPModel) -> [Linear] {
        model.visionModel.linearLayers + model.textModel.linearLayers + [model.textProjection, model.visualProjection]
    }

    @Test func bfloat16CheckpointStaysCompactAndMatchesRoundedFloat32() throws {
        let fixture = try #require(ModelFixture.all.first { $0.name == "altclip-m18-shaped" })
        let folder = try Self.converted(.bfloat16, from: fixture)
        defer { try? FileManager.default.removeItem(at: folder) }
        let compact = try AltCLIPModel(directory: folder, precision: .bfloat16)
        let layers = Self.linearLayers(compact)
        #expect(layers.allSatisfy { $0.storage.isCompactSource && $0.precision == .bfloat16 })
        // Packed from the stored bfloat16 values: 2 bytes per weight (tiny shapes pad to whole blocks).
        #expect(try layers.allSatisfy { try $0.weightBytes >= 2 * $0.inputFeatures * $0.outputFeatures })
        // And the values the products use are bfloat16 (low 16 bits of every Float32 zero).
        #expect(try layers.allSatisfy { try $0.weight.scalars.allSatisfy { $0.bitPattern & 0xFFFF == 0 } })
        let fromFloat = try AltCLIPModel(directory: fixture.folder, precision: .bfloat16)
        #expect(!fromFloat.visualProjection.storage.isCompactSource)
        // Same bfloat16 weights either way (converter and load-time rounding are both nearest-even).
        for (a, b) in zip(layers, Self.linearLayers(fromFloat)) { #expect(try a.weight.scalars == b.weight.scalars) }
        // The embeddings still track the fp32 reference (other parameters are bfloat16 too now).
        let inputs = try WeightStore(file: fixture.folder.appendingPathComponent("inputs.safetensors"))
        let outputs = try FixtureSafetensors(contentsOf: fixture.folder.appendingPathComponent("outputs.safetensors"))
        let out = try compact(ModelParityTests.textInputs(inputs), pixelValues: ModelParityTests.tensor(inputs, "pixel_values"))
        let text = ReducedPrecisionTests.rowCosines(out.textEmbeds, try outputs.tensor("text_embeds"))
        let image = ReducedPrecisionTests.rowCosines(out.imageEmbeds, try outputs.tensor("image_embeds"))
        #expect((text + image).allSatisfy { $0 > 0.99 }, "cosines \(text) \(image)")
    }

    /// Float32 (and bfloat16) compute on a bf16/fp16 checkpoint equals the same compute on its values
    /// stored as Float32, on the first (unpacked) and second (packed) use.
    @Test(arguments: [CheckpointConverter.Precision.bfloat16, .float16])
    func computeOnHalfCheckpointEqualsComputeOnItsWidenedValues(dtype: CheckpointConverter.Precision) throws {
        let fixture = try #require(ModelFixture.all.first { $0.name == "altclip-m18-shaped" })
        let folder = try Self.converted(dtype, from: fixture)
        defer { try? FileManager.default.removeItem(at: folder) }
        let widenedFolder = folder.appendingPathComponent("fp32")
        try FileManager.default.createDirectory(at: widenedFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("config.json"),
                                         to: widenedFolder.appendingPathComponent("config.json"))
        try CheckpointConverter.convert(store: try WeightStore(file: folder.appendingPathComponent("model.safetensors")),
                                        to: widenedFolder.appendingPathComponent("model.safetensors"), dtype: .float32)
        let inputs = try WeightStore(file: fixture.folder.appendingPathComponent("inputs.safetensors"))
        let text = try ModelParityTests.textInputs(inputs), pixels = try ModelParityTests.tensor(inputs, "pixel_values")
        for precision in [ComputePrecision.float32, .bfloat16] {
            let compact = try AltCLIPModel(directory: folder, precision: precision)
            #expect(Self.linearLayers(compact).allSatisfy { $0.storage.isCompactSource && $0.precision == precision })
            let widened = try AltCLIPModel(directory: widenedFolder, precision: precision)
            for use in 0..<2 {
                let a = try compact(text, pixelValues: pixels), b = try widened(text, pixelValues: pixels)
                for (x, y, name) in [(a.textEmbeds, b.textEmbeds, "text_embeds"), (a.imageEmbeds, b.imageEmbeds, "image_embeds")] {
                    let worst = zip(x.scalars, y.scalars).map { abs($0 - $1) }.max() ?? .infinity
                    #expect(x.shape == y.shape && worst <= 1e-6,
                            "\(precision) on \(dtype) checkpoint, use \(use + 1): \(name) max |diff| \(worst)")
                }
            }
        }
    }
}
