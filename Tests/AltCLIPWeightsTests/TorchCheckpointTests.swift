import Foundation
import Testing
@testable import AltCLIPWeights

private func open(_ bytes: [UInt8], name: String = "test.bin") throws -> WeightStore {
    try WeightStore(contents: bytes, name: name)
}

/// A one-tensor state dict `{"w": FloatStorage view}` over storage "0" holding `values`.
private func oneTensorArchive(values: [Float], numel: Int32, offset: Int32, size: [Int32], stride: [Int32],
                              storageType: String = "FloatStorage") -> [UInt8] {
    let pickle = PickleBuilder.stateDict([("w", {
        $0.tensor(storageType: storageType, key: "0", numel: numel, offset: offset, size: size, stride: stride)
    })])
    let data = values.flatMap { littleEndianBytes($0.bitPattern) }
    return ArchiveBuilder.torch(pickle: pickle, storages: [("0", data)]).build()
}

@Suite("PyTorch zip checkpoints")
struct TorchCheckpointTests {
    @Test("the tiny .bin (OrderedDict with _metadata) matches its safetensors twin bit for bit")
    func tinyTwin() throws {
        let bin = try WeightStore(file: Fixtures.url("tiny-bin/pytorch_model.bin"))
        let reference = try WeightStore(file: Fixtures.url("tiny/model.safetensors"))
        #expect(bin.format == .pytorch)
        #expect(bin.keys == reference.keys)
        for key in reference.keys {
            expectIdentical(try bin.tensor(key), try reference.tensor(key))
        }
    }

    @Test("contiguous F32 storages are read in place from the mapped archive")
    func zeroCopy() throws {
        let store = try WeightStore(file: Fixtures.url("tiny-bin/pytorch_model.bin"))
        let tensor = try store.tensor("text_model.roberta.embeddings.word_embeddings.weight")
        let file = try #require(tensor.owner as? MappedFile)
        let pointer = try tensor.withFloat32 { UnsafeRawPointer($0.baseAddress!) }
        #expect(pointer == tensor.bytes.baseAddress)
        #expect(pointer >= file.bytes.baseAddress! && pointer < file.bytes.baseAddress! + file.count)
        #expect(Int(bitPattern: pointer) % 64 == 0)  // torch aligns storages to 64 bytes
    }

    @Test("every dtype, offset, stride, shared storage, parameter and v3 view equals torch's contiguous copy",
          arguments: ["dtypes.bin", "zip64.bin"])
    func dtypesAndViews(file: String) throws {
        let store = try WeightStore(file: Fixtures.url(file))
        let expected = try WeightStore(file: Fixtures.url("dtypes_expected.safetensors"))
        #expect(store.keys == expected.keys)
        for key in expected.keys {
            expectIdentical(try store.tensor(key), try expected.tensor(key))
        }
        let transposed = try store.tensor("view_transposed")
        #expect(transposed.owner is OwnedBytes)  // non-contiguous: materialized
        #expect(try store.tensor("view_offset").owner is MappedFile)  // contiguous with an offset: in place
    }

    @Test("a pickle written with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL) reads the same")
    func protocol4() throws {
        let store = try WeightStore(file: Fixtures.url("protocol4.bin"))
        let expected = try WeightStore(file: Fixtures.url("dtypes_expected.safetensors"))
        #expect(store.keys == ["f16", "i64", "param", "view_transposed", "view_u16_offset"])
        for key in store.keys { expectIdentical(try store.tensor(key), try expected.tensor(key)) }
    }

    @Test("storages saved from a GPU (location 'cuda:0') read like CPU ones")
    func gpuLocation() throws {
        let pickle = PickleBuilder.stateDict([("w", {
            $0.tensor(key: "0", numel: 2, offset: 0, size: [2], stride: [1], location: "cuda:0")
        })])
        let data = [Float(1.5), -3].flatMap { littleEndianBytes($0.bitPattern) }
        let store = try open(ArchiveBuilder.torch(pickle: pickle, storages: [("0", data)]).build())
        #expect(try store.float32("w").values == [1.5, -3])
    }

    @Test("a sharded .bin with pytorch_model.bin.index.json equals the single file")
    func sharded() throws {
        let sharded = try WeightStore.open(directory: Fixtures.url("tiny-sharded-bin"))
        let reference = try WeightStore(file: Fixtures.url("tiny/model.safetensors"))
        #expect(sharded.format == .pytorch)
        #expect(sharded.files.count == 3)
        #expect(sharded.keys == reference.keys)
        for key in reference.keys {
            expectIdentical(try sharded.tensor(key), try reference.tensor(key))
        }
    }

    @Test("the legacy (non-zip) format asks to convert first")
    func legacy() throws {
        let url = Fixtures.url("legacy.bin")
        expectError(.legacyTorchFormat(file: url.path)) { _ = try WeightStore(file: url) }
        #expect(WeightError.legacyTorchFormat(file: "x").description.contains("convert it first"))
    }

    // MARK: Hostile and broken files.

    @Test("a pickle calling os.system is refused, naming the global")
    func osSystem() throws {
        let url = Fixtures.url("os_system.bin")
        expectError(.forbiddenGlobal(file: url.path, module: "posix", name: "system")) { _ = try WeightStore(file: url) }
    }

    @Test("any global off the allow-list is refused", arguments: [
        ("builtins", "eval"), ("torch", "load"), ("torch._utils", "_rebuild_device_tensor_from_numpy"),
        ("numpy.core.multiarray", "_reconstruct"), ("__builtin__", "getattr"), ("subprocess", "Popen"),
    ])
    func forbiddenGlobals(module: String, name: String) {
        var pickle = PickleBuilder()
        pickle.global(module, name)
        pickle.stop()
        expectError(.forbiddenGlobal(file: "test.bin", module: module, name: name)) {
            _ = try open(ArchiveBuilder.torch(pickle: pickle.bytes).build())
        }
    }

    @Test("globals torch knows but we cannot represent are refused as unsupported")
    func unsupportedGlobals() {
        var pickle = PickleBuilder()
        pickle.global("torch", "ComplexFloatStorage")
        pickle.stop()
        expectError(.unsupportedFeature(file: "test.bin", key: nil, feature: "torch.ComplexFloatStorage")) {
            _ = try open(ArchiveBuilder.torch(pickle: pickle.bytes).build())
        }
    }

    @Test("opcodes outside the torch subset are refused with their offset", arguments: [
        UInt8(0x69) /* INST */, 0x6F /* OBJ */, 0x81 /* NEWOBJ */, 0x92 /* NEWOBJ_EX */, 0x82 /* EXT1 */,
        0x50 /* PERSID */, 0x49 /* INT */, 0x53 /* STRING */, 0xFF, 0x00,
    ])
    func unknownOpcodes(opcode: UInt8) {
        var pickle = PickleBuilder()
        pickle.raw([opcode])
        expectError(.unsupportedOpcode(file: "test.bin", opcode: opcode, offset: 2)) {
            _ = try open(ArchiveBuilder.torch(pickle: pickle.bytes).build())
        }
    }

    @Test("REDUCE of an allow-listed global with the wrong arguments is refused")
    func wrongArguments() {
        var pickle = PickleBuilder()
        pickle.global("collections", "OrderedDict")
        pickle.mark()
        pickle.int(1)
        pickle.tuple()
        pickle.reduce()
        pickle.stop()
        expectError(.malformedPickle(file: "test.bin", offset: 34, reason: "OrderedDict called with arguments")) {
            _ = try open(ArchiveBuilder.torch(pickle: pickle.bytes).build())
        }
    }

    @Test("a view reaching past the end of its storage is refused")
    func storageSmallerThanView() {
        // 6 floats stored, the view needs offset 2 + 2×3 = 8.
        let bytes = oneTensorArchive(values: [1, 2, 3, 4, 5, 6], numel: 6, offset: 2, size: [2, 3], stride: [3, 1])
        expectError(.storageTooSmall(file: "test.bin", key: "w", storage: "0", needed: 8, available: 6)) { _ = try open(bytes) }
        // The pickle claims 100 elements but the record holds 6.
        let lying = oneTensorArchive(values: [1, 2, 3, 4, 5, 6], numel: 100, offset: 0, size: [10], stride: [1])
        expectError(.storageTooSmall(file: "test.bin", key: "w", storage: "0", needed: 10, available: 6)) { _ = try open(lying) }
    }

    @Test("malformed views are refused")
    func invalidViews() {
        let mismatch = oneTensorArchive(values: [1, 2], numel: 2, offset: 0, size: [2], stride: [1, 1])
        expectError(.invalidTensorView(file: "test.bin", key: "w", reason: "1 sizes but 2 strides")) { _ = try open(mismatch) }
        let negative = oneTensorArchive(values: [1, 2], numel: 2, offset: -1, size: [1], stride: [1])
        expectError(.invalidTensorView(file: "test.bin", key: "w", reason: "negative size, stride or offset")) { _ = try open(negative) }
        let overflow = oneTensorArchive(values: [1, 2], numel: 2, offset: 0, size: [Int32.max, Int32.max, Int32.max],
                                        stride: [1, 1, 1])
        expectError(.invalidTensorView(file: "test.bin", key: "w", reason: "size [2147483647, 2147483647, 2147483647] overflows")) {
            _ = try open(overflow)
        }
    }

    @Test("a storage record the pickle names but the archive lacks")
    func missingStorage() {
        let pickle = PickleBuilder.stateDict([("w", { $0.tensor(key: "7", numel: 1, offset: 0, size: [1], stride: [1]) })])
        expectError(.missingRecord(file: "test.bin", record: "data/7")) {
            _ = try open(ArchiveBuilder.torch(pickle: pickle, storages: [("0", [0, 0, 0, 0])]).build())
        }
    }

    @Test("a top-level object that is not a flat dict of tensors")
    func notAStateDict() {
        var list = PickleBuilder()
        list.raw([0x5D])  // EMPTY_LIST
        list.stop()
        expectError(.notAStateDict(file: "test.bin", key: nil, reason: "the pickled object is a list, not a dict")) {
            _ = try open(ArchiveBuilder.torch(pickle: list.bytes).build())
        }
        var nested = PickleBuilder()
        nested.emptyDict()
        nested.string("epoch")
        nested.int(3)
        nested.setItem()
        nested.stop()
        expectError("notAStateDict naming 'epoch'", matching: {
            if case .notAStateDict(file: "test.bin", key: "epoch", _) = $0 { return true } else { return false }
        }) { _ = try open(ArchiveBuilder.torch(pickle: nested.bytes).build()) }
    }

    @Test("truncated archives are refused", arguments: [0, 10, 100, 300, 1000, 4000, 9000])
    func truncated(keep: Int) throws {
        let bytes = try Fixtures.bytes("dtypes.bin")
        expectError("an archive error", matching: {
            switch $0 {
            case .corruptArchive, .missingRecord: return true
            default: return false
            }
        }) { _ = try open(Array(bytes.prefix(keep))) }
        expectError("an archive error", matching: {
            if case .corruptArchive = $0 { return true } else { return false }
        }) { _ = try open(Array(bytes.dropLast(30))) }
    }

    @Test("not a zip at all, a damaged directory, a CRC mismatch, a compressed record")
    func badZip() throws {
        expectError(.corruptArchive(file: "test.bin", reason: "not a zip archive")) { _ = try open(Array("hello world".utf8)) }
        expectError(.corruptArchive(file: "test.bin", reason: "no end-of-central-directory record")) {
            _ = try open(Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 40))
        }

        var good = ArchiveBuilder.torch(pickle: PickleBuilder.stateDict([]))
        var bytes = good.build()
        bytes[bytes.count - 6] ^= 0x40  // central directory offset now points past the end
        expectError("corruptArchive", matching: {
            if case .corruptArchive = $0 { return true } else { return false }
        }) { _ = try open(bytes) }

        good.records[0].crc = 0xDEAD_BEEF
        expectError(.corruptArchive(file: "test.bin", reason: "CRC-32 mismatch in record 'archive/data.pkl'")) {
            _ = try open(good.build())
        }

        let pickle = PickleBuilder.stateDict([("w", { $0.tensor(key: "0", numel: 1, offset: 0, size: [1], stride: [1]) })])
        var compressed = ArchiveBuilder.torch(pickle: pickle, storages: [("0", [0, 0, 128, 63])])
        compressed.records[2].method = 8
        expectError(.unsupportedFeature(file: "test.bin", key: nil, feature: "record 'archive/data/0' is compressed (method 8)")) {
            _ = try open(compressed.build())
        }

        var duplicated = ArchiveBuilder.torch(pickle: PickleBuilder.stateDict([]))
        duplicated.add("archive/byteorder", Array("little".utf8))
        expectError(.corruptArchive(file: "test.bin", reason: "duplicate record 'archive/byteorder'")) {
            _ = try open(duplicated.build())
        }

        expectError(.missingRecord(file: "test.bin", record: "<name>/data.pkl")) {
            var builder = ArchiveBuilder()
            builder.add("archive/other", [1])
            _ = try open(builder.build())
        }
    }

    @Test("big-endian archives are refused")
    func bigEndian() {
        let bytes = ArchiveBuilder.torch(pickle: PickleBuilder.stateDict([]), byteorder: "big").build()
        expectError(.unsupportedFeature(file: "test.bin", key: nil, feature: "byte order 'big'")) { _ = try open(bytes) }
    }

    @Test("hand-built views: offsets, transposes, stride-0 broadcasts and scalars read correctly")
    func handBuiltViews() throws {
        let values: [Float] = [0, 1, 2, 3, 4, 5, 6, 7]
        let transposed = try open(oneTensorArchive(values: values, numel: 8, offset: 1, size: [3, 2], stride: [1, 3]))
        #expect(try transposed.float32("w").values == [1, 4, 2, 5, 3, 6])
        let broadcast = try open(oneTensorArchive(values: values, numel: 8, offset: 5, size: [2, 3], stride: [0, 1]))
        #expect(try broadcast.float32("w").values == [5, 6, 7, 5, 6, 7])
        let scalar = try open(oneTensorArchive(values: values, numel: 8, offset: 7, size: [], stride: []))
        #expect(try scalar.float32("w") == (shape: [], values: [7]))
        let empty = try open(oneTensorArchive(values: values, numel: 8, offset: 0, size: [0, 4], stride: [4, 1]))
        #expect(try empty.float32("w").values.isEmpty)
    }
}
