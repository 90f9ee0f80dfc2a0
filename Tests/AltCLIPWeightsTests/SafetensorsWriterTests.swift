import Foundation
import Testing
@testable import AltCLIPWeights

@Suite("safetensors writer")
struct SafetensorsWriterTests {
    /// Rewrites every tensor of a Python-written file and expects the very same bytes.
    @Test("rewriting a file Python wrote gives byte-identical output",
          arguments: ["dtypes.safetensors", "tiny/model.safetensors", "dtypes_expected.safetensors"])
    func byteIdentical(file: String) throws {
        let original = try Fixtures.bytes(file)
        let store = try WeightStore(file: Fixtures.url(file))
        var writer = SafetensorsWriter(metadata: store.metadata.isEmpty ? nil : store.metadata)
        for key in store.keys.reversed() { try writer.add(try store.tensor(key)) }
        let written = try writer.serialized()
        #expect(written.count == original.count)
        let firstDifference = zip(written, original).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "\(file): first differing byte at \(firstDifference ?? -1)")
    }

    @Test("F32 → F16 and F32 → BF16 round exactly as torch's .half() and .bfloat16() do",
          arguments: [(WeightDType.float16, "narrow_f16"), (.bfloat16, "narrow_bf16")])
    func narrowing(dtype: WeightDType, reference: String) throws {
        let store = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        let (shape, source) = try store.float32("narrow_source")
        var writer = SafetensorsWriter()
        try writer.add("x", shape: shape, float32: source, as: dtype)
        let reread = try WeightStore(contents: try writer.serialized(), name: "x.safetensors")
        let ours = try reread.tensor("x")
        let torch = try store.tensor(reference)
        #expect(ours.dtype == dtype)
        let ourBits = (0..<source.count).map { ours.bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
        let torchBits = (0..<source.count).map { torch.bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
        let mismatch = (0..<source.count).first { ourBits[$0] != torchBits[$0] }
        #expect(mismatch == nil, """
            \(dtype): value \(mismatch.map { source[$0] } ?? 0) (bits \(mismatch.map { String(source[$0].bitPattern, radix: 16) } ?? "")) \
            gives \(mismatch.map { String(ourBits[$0], radix: 16) } ?? ""), torch \(mismatch.map { String(torchBits[$0], radix: 16) } ?? "")
            """)
    }

    @Test("written files read back: F32 bit-exact, I64, metadata, empty and scalar tensors")
    func roundTrip() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("out.safetensors")
        let values: [Float] = [1, -0.0, .infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 3.14159]
        var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "quote \" and newline \n"])
        try writer.add("text_model_output/last_hidden_state", shape: [2, 3], float32: values)
        try writer.add("input_ids", shape: [1, 3], int64: [0, Int64.max, -5])
        try writer.add("loss", shape: [], float32: [0.25])
        try writer.add("empty", shape: [0, 7], float32: [])
        try writer.add("half", shape: [2], float32: [1, 65504], as: .float16)
        try writer.write(to: url)
        // Overwriting an existing file replaces it atomically and leaves no temporary behind.
        try writer.write(to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.safetensors"])

        let store = try WeightStore(file: url)
        #expect(store.metadata == ["format": "pt", "note": "quote \" and newline \n"])
        let hidden = try store.float32("text_model_output/last_hidden_state")
        #expect(hidden.shape == [2, 3])
        #expect(hidden.values.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try store.int64("input_ids").values == [0, Int64.max, -5])
        #expect(try store.float32("loss") == (shape: [], values: [0.25]))
        #expect(try store.float32("empty").shape == [0, 7])
        #expect(try store.float32("half").values == [1, 65504])
    }

    @Test("store tensors are written as they are, or converted between float dtypes like torch does")
    func convertTensors() throws {
        let model = try WeightStore(file: Fixtures.url("tiny/model.safetensors"))
        let dtypes = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for key in model.keys { try writer.add(try model.tensor(key), as: .bfloat16) }
        try writer.add(try dtypes.tensor("f16"), name: "widened", as: .float32)
        try writer.add(try dtypes.tensor("narrow_source"), name: "narrowed", as: .float16)
        try writer.add(try dtypes.tensor("i64"))
        expectError(.invalidTensor(key: "i32", reason: "cannot convert I32 to F16")) {
            try writer.add(try dtypes.tensor("i32"), as: .float16)
        }
        let converted = try WeightStore(contents: try writer.serialized(), name: "converted.safetensors")
        for key in model.keys {
            let source = try model.float32(key)
            let tensor = try converted.tensor(key)
            #expect(tensor.dtype == .bfloat16 && tensor.shape == source.shape)
            let bits = (0..<source.values.count).map { tensor.bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
            #expect(bits == source.values.map(HalfPrecision.bfloat16Bits(from:)), "\(key)")
        }
        expectIdentical(try converted.tensor("narrowed"), try dtypes.tensor("narrow_f16"))
        #expect(try converted.float32("widened").values.map(\.bitPattern)
            == (try dtypes.float32("f16_as_f32").values.map(\.bitPattern)))
        #expect(try converted.int64("i64").values == (try dtypes.int64("i64").values))
    }

    @Test("inconsistent tensors are refused")
    func invalidTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add("a", shape: [1], float32: [1])
        expectError(.invalidTensor(key: "a", reason: "added twice")) { try writer.add("a", shape: [1], float32: [2]) }
        expectError(.invalidTensor(key: "b", reason: "shape [2, 2] does not match 3 values")) {
            try writer.add("b", shape: [2, 2], float32: [1, 2, 3])
        }
        expectError(.invalidTensor(key: "c", reason: "float values can be stored as F32, F16 or BF16, not I32")) {
            try writer.add("c", shape: [1], float32: [1], as: .int32)
        }
        expectError(.invalidTensor(key: "__metadata__", reason: "reserved name")) {
            try writer.add("__metadata__", shape: [1], float32: [1])
        }
        expectError(.invalidTensor(key: "d", reason: "shape [3] × I64 does not match 8 bytes")) {
            let bytes = [UInt8](repeating: 0, count: 8)
            try bytes.withUnsafeBytes { try writer.add("d", dtype: .int64, shape: [3], bytes: $0) }
        }
        expectError(.invalidTensor(key: "e", reason: "invalid shape [-1]")) {
            try writer.add("e", dtype: .float32, shape: [-1]) { _ in }
        }
        #expect(writer.names == ["a"])
    }

    @Test("writing into a missing folder fails with the path")
    func writeFailure() throws {
        let url = URL(fileURLWithPath: "/nonexistent-folder-\(UUID().uuidString)/out.safetensors")
        var writer = SafetensorsWriter()
        try writer.add("a", shape: [1], float32: [1])
        expectError("writeFailed", matching: {
            if case .writeFailed(file: url.path, _) = $0 { return true } else { return false }
        }) { try writer.write(to: url) }
    }

    @Test("large F16 tensors convert on several threads to the same values as one at a time")
    func largeConversion() throws {
        let count = 700_000  // more than two conversion chunks
        let values = (0..<count).map { Float(Int($0 % 4099) - 2049) * 0.37 }
        var writer = SafetensorsWriter()
        try writer.add("big", shape: [count], float32: values, as: .float16)
        let store = try WeightStore(contents: try writer.serialized(), name: "big.safetensors")
        let tensor = try store.tensor("big")
        let widened = try tensor.float32Values()
        let mismatch = (0..<count).first { index in
            let bits = tensor.bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
            return widened[index].bitPattern != HalfPrecision.float(fromFloat16Bits: bits).bitPattern
        }
        #expect(mismatch == nil, "first mismatch at \(mismatch ?? -1)")
    }
}
