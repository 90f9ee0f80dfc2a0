import Foundation
import Testing
@testable import AltCLIPWeights

/// Copies fixture files into a fresh folder, optionally under other names.
private func folder(_ files: [(String, String)]) throws -> URL {
    let directory = try Fixtures.temporaryDirectory()
    for (source, target) in files {
        try FileManager.default.copyItem(at: Fixtures.url(source), to: directory.appendingPathComponent(target))
    }
    return directory
}

private func write(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url)
}

@Suite("WeightStore")
struct WeightStoreTests {
    @Test("a folder with both formats opens the safetensors file")
    func prefersSafetensors() throws {
        let directory = try folder([("tiny/model.safetensors", "model.safetensors"),
                                    ("tiny-bin/pytorch_model.bin", "pytorch_model.bin")])
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try WeightStore.open(directory: directory)
        #expect(store.format == .safetensors)
        #expect(store.files.map(\.lastPathComponent) == ["model.safetensors"])
    }

    @Test("a folder with only pytorch_model.bin opens it")
    func binOnly() throws {
        let store = try WeightStore.open(directory: Fixtures.url("tiny-bin"))
        #expect(store.format == .pytorch)
        #expect(store.keys.count == 51)
        #expect(store.metadata.isEmpty)
    }

    @Test("a sharded safetensors folder equals the single file")
    func shardedSafetensors() throws {
        let sharded = try WeightStore.open(directory: Fixtures.url("tiny-sharded-safetensors"))
        let single = try WeightStore(file: Fixtures.url("tiny/model.safetensors"))
        #expect(sharded.format == .safetensors)
        #expect(sharded.files.count == 3)
        #expect(sharded.keys == single.keys)
        for key in single.keys { expectIdentical(try sharded.tensor(key), try single.tensor(key)) }
        #expect(sharded.info("logit_scale") == single.info("logit_scale"))
    }

    @Test("an empty folder names what it looked for")
    func emptyFolder() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        expectError(.noWeightFiles(directory: directory.path, looked: WeightStore.knownFileNames)) {
            _ = try WeightStore.open(directory: directory)
        }
    }

    @Test("a missing file cannot be opened")
    func missingFile() {
        expectError("cannotOpen", matching: {
            if case .cannotOpen(file: "/nonexistent/model.safetensors", _) = $0 { return true } else { return false }
        }) { _ = try WeightStore(file: URL(fileURLWithPath: "/nonexistent/model.safetensors")) }
    }

    @Test("broken shard indexes are refused")
    func badIndexes() throws {
        let directory = try folder([("tiny-sharded-safetensors/model-00001-of-00003.safetensors", "a.safetensors")])
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("model.safetensors.index.json")

        try write(#"{"weight_map": {"logit_scale": "a.safetensors", "nope": "a.safetensors"}}"#, to: index)
        expectError(.keyMissingFromShard(index: index.path, key: "nope", shard: "a.safetensors")) {
            _ = try WeightStore(file: index)
        }
        try write(#"{"weight_map": {"logit_scale": "../a.safetensors"}}"#, to: index)
        expectError(.invalidIndex(file: index.path, reason: "shard name '../a.safetensors' must be a file in the same folder")) {
            _ = try WeightStore(file: index)
        }
        try write(#"{"metadata": {}}"#, to: index)
        expectError(.invalidIndex(file: index.path, reason: "missing weight_map")) { _ = try WeightStore(file: index) }
        try write(#"{"weight_map": {"logit_scale": "a.safetensors", "logit_scale": "a.safetensors"}}"#, to: index)
        expectError(.duplicateKey(file: index.path, key: "logit_scale")) { _ = try WeightStore(file: index) }
        try write(#"{"weight_map": {"logit_scale": 3}}"#, to: index)
        expectError(.invalidIndex(file: index.path, reason: "shard of 'logit_scale' must be a string")) {
            _ = try WeightStore(file: index)
        }
        try write(#"{"weight_map": {"x": "b.safetensors"}}"#, to: index)
        expectError("cannotOpen", matching: {
            if case .cannotOpen(file: directory.appendingPathComponent("b.safetensors").path, _) = $0 { return true }
            return false
        }) { _ = try WeightStore(file: index) }
        try write(#"{"weight_map": "#, to: index)
        expectError("malformedJSON", matching: {
            if case .malformedJSON(file: index.path, _, _) = $0 { return true } else { return false }
        }) { _ = try WeightStore(file: index) }

        try write(#"{"metadata": {"format": "pt", "total_size": 4}, "weight_map": {"logit_scale": "a.safetensors"}}"#, to: index)
        let store = try WeightStore.open(directory: directory)
        #expect(store.keys == ["logit_scale"])
        #expect(store.metadata == ["format": "pt"])
        expectError(.keyNotFound(file: index.path, key: "text_model.pre_LN.bias")) { _ = try store.tensor("text_model.pre_LN.bias") }
    }

    @Test("files with other names are recognized by their first bytes")
    func sniffing() throws {
        let directory = try folder([("tiny/model.safetensors", "weights.dat"), ("tiny-bin/pytorch_model.bin", "torch.dat")])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try WeightStore(file: directory.appendingPathComponent("weights.dat")).format == .safetensors)
        #expect(try WeightStore(file: directory.appendingPathComponent("torch.dat")).format == .pytorch)
    }

    @Test("tensors stay valid after their store is released")
    func lifetime() throws {
        func load() throws -> (WeightTensor, [Float]) {
            let store = try WeightStore(file: Fixtures.url("tiny-bin/pytorch_model.bin"))
            let tensor = try store.tensor("vision_model.post_layernorm.weight")
            return (tensor, try tensor.float32Values())
        }
        let (tensor, before) = try load()
        #expect(try tensor.float32Values() == before)
    }

    @Test("reads from many threads at once agree with serial reads")
    func threads() throws {
        let store = try WeightStore(file: Fixtures.url("tiny-bin/pytorch_model.bin"))
        let keys = store.keys
        let reference = try keys.map { try store.tensor($0).bytes.reduce(0) { $0 &+ Int($1) } }
        let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: keys.count * 4)
        defer { sums.deallocate() }
        DispatchQueue.concurrentPerform(iterations: keys.count * 4) { index in
            let key = keys[index % keys.count]
            sums[index] = (try? store.tensor(key).bytes.reduce(0) { $0 &+ Int($1) }) ?? -1
        }
        #expect((0..<(keys.count * 4)).allSatisfy { sums[$0] == reference[$0 % keys.count] })
    }
}
