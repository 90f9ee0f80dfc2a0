import Foundation
import Testing
@testable import AltCLIPWeights

/// Builds a safetensors file from a literal header and a data area.
private func safetensors(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    return littleEndianBytes(declaredLength ?? UInt64(json.count)) + json + data
}

private func open(_ bytes: [UInt8], name: String = "test.safetensors") throws -> WeightStore {
    try WeightStore(contents: bytes, name: name)
}

@Suite("safetensors reader")
struct SafetensorsReaderTests {
    @Test("the tiny AltCLIP checkpoint written by transformers opens with every key, shape and metadata")
    func tinyModel() throws {
        let store = try WeightStore(file: Fixtures.url("tiny/model.safetensors"))
        #expect(store.format == .safetensors)
        #expect(store.keys.count == 51)
        #expect(store.metadata == ["format": "pt"])
        #expect(store.info("logit_scale") == TensorInfo(dtype: .float32, shape: []))
        #expect(store.info("vision_model.embeddings.patch_embedding.weight") == TensorInfo(dtype: .float32, shape: [16, 3, 4, 4]))
        #expect(store.info("text_model.roberta.encoder.layer.0.intermediate.dense.weight")
            == TensorInfo(dtype: .float32, shape: [24, 16]))
        #expect(store.info("missing") == nil)
        let (shape, values) = try store.float32("text_projection.weight")
        #expect(shape == [8, 12])
        #expect(values.count == 96)
    }

    @Test("F32 data is handed out without copying: the buffer points into the mapped file")
    func zeroCopy() throws {
        let store = try WeightStore(file: Fixtures.url("tiny/model.safetensors"))
        let tensor = try store.tensor("vision_model.embeddings.position_embedding.weight")
        let pointer = try tensor.withFloat32 { UnsafeRawPointer($0.baseAddress!) }
        #expect(pointer == tensor.bytes.baseAddress)
        let file = try #require(tensor.owner as? MappedFile)
        let base = try #require(file.bytes.baseAddress)
        #expect(pointer >= base && pointer < base + file.count)
    }

    @Test("F16, BF16 and F64 widen to exactly the F32 values torch computes (bit for bit, NaN included)",
          arguments: ["f16", "bf16", "f64"])
    func floatConversion(name: String) throws {
        let store = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        let tensor = try store.tensor(name)
        let converted = try tensor.float32Values()
        let expected = try store.tensor("\(name)_as_f32")
        #expect(tensor.shape == expected.shape)
        let reference = try expected.float32Values()
        let mismatch = zip(converted, reference).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
        #expect(mismatch == nil, "\(name): element \(mismatch?.offset ?? -1) is \(mismatch?.element.0 ?? 0), torch gives \(mismatch?.element.1 ?? 0)")
        #expect(converted.count == reference.count)
    }

    @Test("every integer dtype and BOOL widens to the Int64 values torch reports",
          arguments: ["i64", "i32", "i16", "i8", "u8", "bool", "u16", "u32", "u64"])
    func integerConversion(name: String) throws {
        let store = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        let (shape, values) = try store.int64(name)
        let (expectedShape, expected) = try store.int64("\(name)_as_i64")
        #expect(shape == expectedShape)
        #expect(values == expected)
    }

    @Test("dtype coverage file: metadata, scalars, empty tensors and accessor errors")
    func dtypeCoverage() throws {
        let store = try WeightStore(file: Fixtures.url("dtypes.safetensors"))
        #expect(store.metadata == ["format": "pt"])
        #expect(try store.float32("scalar").values == [-1.75])
        #expect(try store.float32("scalar").shape == [])
        let empty = try store.float32("empty")
        #expect(empty.shape == [0, 3] && empty.values.isEmpty)
        let path = Fixtures.url("dtypes.safetensors").path
        expectError(.dtypeMismatch(file: path, key: "i64", expected: "F32, F16, BF16 or F64", actual: "I64")) {
            _ = try store.float32("i64")
        }
        expectError(.dtypeMismatch(file: path, key: "f16", expected: "an integer dtype or BOOL", actual: "F16")) {
            _ = try store.int64("f16")
        }
        expectError(.valueOutOfRange(file: path, key: "u64_big", index: 1)) { _ = try store.int64("u64_big") }
        expectError(.keyNotFound(file: path, key: "nope")) { _ = try store.tensor("nope") }
    }

    @Test("a minimal valid file built by hand reads back")
    func handBuilt() throws {
        let data: [UInt8] = littleEndianBytes(Float(1.5).bitPattern) + littleEndianBytes(Float(-2).bitPattern)
        let store = try open(safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: data))
        #expect(try store.float32("a").values == [1.5, -2])
        let empty = try open(safetensors("{}"))
        #expect(empty.keys.isEmpty)
    }

    // MARK: Bad files, each with its own error.

    @Test("a file shorter than the length prefix")
    func tooSmall() {
        expectError(.fileTooSmall(file: "test.safetensors", size: 5)) { _ = try open([1, 2, 3, 4, 5]) }
        expectError(.fileTooSmall(file: "test.safetensors", size: 0)) { _ = try open([]) }
    }

    @Test("a header length larger than the file")
    func headerLengthTooLarge() {
        let bytes = safetensors("{}", declaredLength: 1000)
        expectError(.headerLengthExceedsFile(file: "test.safetensors", headerLength: 1000, fileSize: 10)) {
            _ = try open(bytes)
        }
        let huge = safetensors("{}", declaredLength: UInt64.max)
        expectError(.headerLengthExceedsFile(file: "test.safetensors", headerLength: UInt64.max, fileSize: 10)) {
            _ = try open(huge)
        }
    }

    @Test("malformed JSON headers", arguments: [
        #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"#,  // unterminated object
        #"{"a" {}}"#, #"{'a':1}"#, #"{"a":1,}"#, #"{"a":tru}"#, #"{"a":01}"#, #"{"a":"\x"}"#,
        "{\"a\":\"\u{01}\"}", #"{"a":"\ud800"}"#, #"{} {}"#, "", "   ", #"{"a":-}"#, #"{"a":1.}"#,
    ])
    func malformedJSON(header: String) {
        expectError("malformedJSON", matching: {
            if case .malformedJSON(file: "test.safetensors", _, _) = $0 { return true } else { return false }
        }) { _ = try open(safetensors(header)) }
    }

    @Test("a header that is not valid UTF-8")
    func invalidUTF8() {
        let json: [UInt8] = Array(#"{""#.utf8) + [0xFF] + Array(#"":1}"#.utf8)
        let bytes = littleEndianBytes(UInt64(json.count)) + json
        expectError("malformedJSON", matching: {
            if case .malformedJSON = $0 { return true } else { return false }
        }) { _ = try open(bytes) }
    }

    @Test("a JSON header that is not an object", arguments: ["[]", "1", "\"s\"", "null"])
    func notObject(header: String) {
        expectError(.headerNotObject(file: "test.safetensors")) { _ = try open(safetensors(header)) }
    }

    @Test("duplicate tensor names (JSONSerialization would keep one silently)")
    func duplicateNames() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectError(.duplicateKey(file: "test.safetensors", key: "a")) {
            _ = try open(safetensors(header, data: [UInt8](repeating: 0, count: 8)))
        }
        let nested = #"{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}"#
        expectError(.duplicateKey(file: "test.safetensors", key: "dtype")) {
            _ = try open(safetensors(nested, data: [UInt8](repeating: 0, count: 4)))
        }
    }

    @Test("an unknown dtype")
    func unknownDType() {
        let header = #"{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#
        expectError(.unknownDType(file: "test.safetensors", key: "a", dtype: "F8_E4M3")) {
            _ = try open(safetensors(header, data: [0, 0, 0, 0]))
        }
    }

    @Test("shape × dtype size different from the byte range")
    func byteLengthMismatch() {
        let header = #"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#
        expectError(.byteLengthMismatch(file: "test.safetensors", key: "a", shape: [2, 3], dtype: "F32", expected: 24, actual: 20)) {
            _ = try open(safetensors(header, data: [UInt8](repeating: 0, count: 20)))
        }
    }

    @Test("offsets outside the data area, or reversed")
    func offsetsOutOfBounds() {
        let past = #"{"a":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}}"#
        expectError(.offsetsOutOfBounds(file: "test.safetensors", key: "a", begin: 4, end: 12, dataSize: 8)) {
            _ = try open(safetensors(past, data: [UInt8](repeating: 0, count: 8)))
        }
        let reversed = #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#
        expectError(.offsetsOutOfBounds(file: "test.safetensors", key: "a", begin: 4, end: 0, dataSize: 8)) {
            _ = try open(safetensors(reversed, data: [UInt8](repeating: 0, count: 8)))
        }
    }

    @Test("overlapping tensors")
    func overlapping() {
        let header = #"{"a":{"dtype":"U8","shape":[6],"data_offsets":[0,6]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#
        expectError(.overlappingTensors(file: "test.safetensors", key: "b", other: "a")) {
            _ = try open(safetensors(header, data: [UInt8](repeating: 0, count: 8)))
        }
    }

    @Test("data not covered: a gap between tensors, or bytes after the last")
    func notCovered() {
        let gap = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}"#
        expectError(.dataNotCovered(file: "test.safetensors", reason: "2 unused bytes before 'b' at offset 2")) {
            _ = try open(safetensors(gap, data: [UInt8](repeating: 0, count: 6)))
        }
        let trailing = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        expectError(.dataNotCovered(file: "test.safetensors", reason: "3 bytes after the last tensor belong to none")) {
            _ = try open(safetensors(trailing, data: [UInt8](repeating: 0, count: 5)))
        }
    }

    @Test("malformed entries", arguments: [
        (#"{"a":[]}"#, "must be an object, is an array"),
        (#"{"a":{"shape":[1],"data_offsets":[0,1]}}"#, "missing dtype"),
        (#"{"a":{"dtype":"U8","data_offsets":[0,1]}}"#, "missing shape"),
        (#"{"a":{"dtype":"U8","shape":[1]}}"#, "missing data_offsets"),
        (#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#, "shape must hold non-negative integers"),
        (#"{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}"#, "shape must hold non-negative integers"),
        (#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, "data_offsets must be an array of two integers"),
        (#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,-1]}}"#, "data_offsets must hold non-negative integers"),
        (#"{"a":{"dtype":7,"shape":[1],"data_offsets":[0,1]}}"#, "dtype must be a string"),
        (#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}}"#, "unexpected field 'extra'"),
        (#"{"a":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,1]}}"#,
         "shape [4294967296, 4294967296, 4294967296] overflows"),
    ])
    func malformedEntry(header: String, reason: String) {
        expectError(.invalidEntry(file: "test.safetensors", key: "a", reason: reason)) {
            _ = try open(safetensors(header, data: [0]))
        }
    }

    @Test("__metadata__ must map strings to strings")
    func badMetadata() {
        expectError(.invalidEntry(file: "test.safetensors", key: "__metadata__", reason: "value of 'n' must be a string, is a number")) {
            _ = try open(safetensors(#"{"__metadata__":{"n":1}}"#))
        }
        expectError(.invalidEntry(file: "test.safetensors", key: "__metadata__", reason: "must be an object, is an array")) {
            _ = try open(safetensors(#"{"__metadata__":[]}"#))
        }
    }

    @Test("an unaligned F32 tensor is converted instead of read in place")
    func unalignedF32() throws {
        // One U8 byte first puts the F32 tensor one byte past the (8-byte aligned) start of the data area.
        var data: [UInt8] = [7]
        data += littleEndianBytes(Float(3.25).bitPattern)
        var header = #"{"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}"#
        header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        let store = try open(safetensors(header, data: data))
        let tensor = try store.tensor("f")
        #expect(Int(bitPattern: tensor.bytes.baseAddress!) % 4 != 0)
        #expect(try tensor.float32Values() == [3.25])
    }
}
