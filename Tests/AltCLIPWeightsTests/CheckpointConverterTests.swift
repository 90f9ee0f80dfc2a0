import Foundation
import Testing
@testable import AltCLIPWeights

/// The 16-bit patterns of a tensor's elements.
private func bits16(_ tensor: WeightTensor) -> [UInt16] {
    (0..<tensor.elementCount).map { UInt16(littleEndian: tensor.bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
}

private func bits32(_ tensor: WeightTensor) -> [UInt32] {
    (0..<tensor.elementCount).map { UInt32(littleEndian: tensor.bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
}

/// Reports the first element where two bit patterns differ.
private func expectSameBits<T: BinaryInteger>(_ actual: [T], _ expected: [T], _ what: String,
                                              sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) elements, expected \(expected.count)",
            sourceLocation: sourceLocation)
    if let index = zip(actual, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
        let message = "\(what): element \(index) is 0x\(String(actual[index], radix: 16)), torch gives "
            + "0x\(String(expected[index], radix: 16))"
        Issue.record("\(message)", sourceLocation: sourceLocation)
    }
}

@Suite("CheckpointConverter")
struct CheckpointConverterTests {
    @Test("pytorch_model.bin → fp32 safetensors keeps every tensor byte for byte, and equals the file transformers wrote",
          arguments: ["tiny-bin", "tiny-sharded-bin", "tiny-sharded-safetensors"])
    func float32RoundTrip(folder: String) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try WeightStore.open(directory: Fixtures.url(folder))
        let output = directory.appendingPathComponent("model.safetensors")
        let summary = try CheckpointConverter.convert(store: source, to: output, dtype: .float32)
        #expect(summary.tensorCount == source.keys.count && summary.convertedCount == 0)

        let converted = try WeightStore(file: output)
        #expect(converted.format == .safetensors)
        #expect(converted.keys == source.keys)
        #expect(converted.metadata == ["format": "pt"])
        for key in source.keys { expectIdentical(try converted.tensor(key), try source.tensor(key)) }

        // The .bin twins hold exactly the tensors of tiny/model.safetensors (written by save_pretrained),
        // so the converted file must be that file, byte for byte.
        let written = try Fixtures.bytes("tiny/model.safetensors")
        let ours = [UInt8](try Data(contentsOf: output))
        #expect(ours.count == summary.fileSize)
        let firstDifference = zip(ours, written).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(ours.count == written.count && firstDifference == nil,
                "\(folder): \(ours.count) bytes vs \(written.count), first difference at \(firstDifference ?? -1)")
    }

    @Test("every dtype and view of a torch file: floats widen exactly to fp32, integers and bools are kept")
    func mixedDTypesToFloat32() throws {
        let source = try WeightStore(file: Fixtures.url("dtypes.bin"))
        let expected = try WeightStore(file: Fixtures.url("dtypes_expected.safetensors"))
        let converted = try WeightStore(contents: try CheckpointConverter.serialized(store: source, dtype: .float32),
                                        name: "converted.safetensors")
        #expect(converted.keys == source.keys)
        for key in source.keys {
            let ours = try converted.tensor(key)
            let reference = try expected.tensor(key)
            #expect(ours.shape == reference.shape, "\(key)")
            if reference.dtype.isFloatingPoint {
                #expect(ours.dtype == .float32, "\(key)")
            } else {
                expectIdentical(ours, reference)
            }
        }
        // torch's own `.float()` of the F16, BF16 and F64 tensors, stored next to them.
        for (key, widened) in [("f16", "f16_as_f32"), ("bf16", "bf16_as_f32"), ("f64", "f64_as_f32"), ("f32", "f32"),
                               ("view_f16_transposed", nil)] as [(String, String?)] {
            let ours = bits32(try converted.tensor(key))
            if let widened {
                expectSameBits(ours, bits32(try expected.tensor(widened)), "\(key) → fp32")
            } else {
                let values = try expected.tensor(key).float32Values()
                expectSameBits(ours, values.map(\.bitPattern), "\(key) → fp32")
            }
        }
    }

    @Test("fp16 and bf16 outputs round like torch's .half() / .bfloat16() (ties to even, subnormals, overflow, NaN)",
          arguments: [(CheckpointConverter.Precision.float16, "narrow_f16"), (.bfloat16, "narrow_bf16")])
    func narrowingMatchesTorch(precision: CheckpointConverter.Precision, reference: String) throws {
        let source = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        let summary = try CheckpointConverter.serialized(store: source, dtype: precision)
        let converted = try WeightStore(contents: summary, name: "converted.safetensors")
        let ours = try converted.tensor("narrow_source")
        #expect(ours.dtype == precision.dtype)
        expectSameBits(bits16(ours), bits16(try source.tensor(reference)), "narrow_source → \(precision)")
        // Integer tensors are untouched whatever the precision.
        for key in ["i64", "u8", "bool", "u64_big"] { expectIdentical(try converted.tensor(key), try source.tensor(key)) }
    }

    /// Bit patterns torch 2.15 gives for `x.to(torch.float16)` / `x.to(torch.bfloat16)` of the fixture's
    /// `f64`, `f16` and `bf16` tensors (printed with `y.view(torch.int16)` in /work/venv).
    static let torchConversions: [(source: String, precision: CheckpointConverter.Precision, bits: [UInt16])] = [
        ("f64", .float16, [11878, 64512, 0, 16968, 32256, 15360]),
        ("f64", .bfloat16, [15821, 65408, 0, 16457, 32704, 16256]),
        ("f16", .bfloat16, [0, 32768, 16256, 49184, 18304, 51072, 32640, 65408, 32704, 13184, 14464, 0, 32640, 46888,
                            15821, 16043, 48792, 16204, 48814, 16134, 16254, 15922, 48458, 49053, 13184, 45952, 13704]),
        ("bf16", .float16, [0, 32768, 15360, 49408, 31744, 64512, 31744, 64512, 65528, 1, 1024, 0, 31744, 32936,
                            11880, 13656, 46480, 15224, 48192, 15768, 47184, 48528, 47624, 48328, 0, 32768]),
    ]

    @Test("F64, F16 and BF16 sources convert to the other 16-bit type as torch converts them",
          arguments: torchConversions.indices)
    func crossConversions(case index: Int) throws {
        let (key, precision, expected) = Self.torchConversions[index]
        let source = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        let converted = try WeightStore(contents: try CheckpointConverter.serialized(store: source, dtype: precision),
                                        name: "converted.safetensors")
        expectSameBits(bits16(try converted.tensor(key)), expected, "\(key) → \(precision)")
    }

    @Test("a tensor already in the target precision is copied byte for byte (NaN payloads included)",
          arguments: [(CheckpointConverter.Precision.float16, "f16"), (.bfloat16, "bf16"), (.float32, "f32")])
    func samePrecisionIsCopied(precision: CheckpointConverter.Precision, key: String) throws {
        let source = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        let converted = try WeightStore(contents: try CheckpointConverter.serialized(store: source, dtype: precision),
                                        name: "converted.safetensors")
        expectIdentical(try converted.tensor(key), try source.tensor(key))
    }

    @Test("the converted fp16 model loads back with values equal to torch's .half() of the fp32 weights")
    func halfModelValues() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try WeightStore.open(directory: Fixtures.url("tiny-bin"))
        let output = directory.appendingPathComponent("model.safetensors")
        let summary = try CheckpointConverter.convert(store: source, to: output, dtype: .float16)
        let converted = try WeightStore(file: output)
        #expect(summary.convertedCount == source.keys.filter { source.info($0)!.dtype.isFloatingPoint }.count)
        for key in source.keys where source.info(key)!.dtype == .float32 {
            let expected = try source.tensor(key).float32Values().map(HalfPrecision.float16Bits(from:))
            expectSameBits(bits16(try converted.tensor(key)), expected, key)
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)) == ["model.safetensors"])
    }

    @Test("precision names parse from the CLI spelling")
    func precisionNames() {
        #expect(CheckpointConverter.Precision(rawValue: "fp16") == .float16)
        #expect(CheckpointConverter.Precision(rawValue: "bf16")?.dtype == .bfloat16)
        #expect(CheckpointConverter.Precision.allCases.map(\.description) == ["fp32", "fp16", "bf16"])
    }

    @Test("writing into a folder that does not exist fails with writeFailed naming the file")
    func unwritableTarget() throws {
        let source = try WeightStore.open(directory: Fixtures.url("tiny"))
        let target = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/model.safetensors")
        expectError("writeFailed", matching: {
            if case let .writeFailed(file, _) = $0 { return file == target.path }
            return false
        }) {
            try CheckpointConverter.convert(store: source, to: target)
        }
    }
}
