import AltCLIPSupport
/// A `pytorch_model.bin` in torch's zip format (torch ≥ 1.6): `<name>/data.pkl` pickles the state
/// dict, each storage is the record `<name>/data/<key>`, `<name>/byteorder` says `little`.
///
/// The archive is mapped, the pickle run by `PickleMachine`, and every tensor view checked against its
/// storage when the file is opened. Contiguous views are then read in place (zero-copy); others are
/// gathered into a buffer of their own when asked for.
final class TorchCheckpoint: WeightSource {
    struct Entry {
        let info: TensorInfo
        let storage: TorchStorageRef
        /// Element offset into the storage.
        let offset: Int
        let stride: [Int]
        let isContiguous: Bool
    }

    let archive: ZipArchive
    let entries: [String: Entry]
    let orderedKeys: [String]

    var path: String { archive.file.path }

    init(file: MappedFile) throws {
        let path = file.path
        try Self.checkSignature(file)
        archive = try ZipArchive(file: file)
        let prefixes = archive.names.compactMap { name -> String? in
            guard name.hasSuffix("/data.pkl") else { return nil }
            let prefix = String(name.dropLast("/data.pkl".count))
            return prefix.contains("/") ? nil : prefix
        }
        guard let prefix = prefixes.first else { throw WeightError.missingRecord(file: path, record: "<name>/data.pkl") }
        guard prefixes.count == 1 else {
            throw WeightError.corruptArchive(file: path, reason: "several data.pkl records: \(prefixes)")
        }
        if let entry = archive.entries["\(prefix)/byteorder"] {
            let order = String(decoding: try archive.verifiedData(entry), as: UTF8.self)
            guard order == "little" else {
                throw WeightError.unsupportedFeature(file: path, key: nil, feature: "byte order '\(order)'")
            }
        }
        let pickle = try archive.verifiedData(archive.entries["\(prefix)/data.pkl"]!)
        let records = archive.entries
        let (root, arena) = try PickleMachine.run(pickle, file: path) { records["\(prefix)/data/\($0)"] }

        guard case let .dict(rootIndex) = root else {
            throw WeightError.notAStateDict(file: path, key: nil, reason: "the pickled object is \(root.kind), not a dict")
        }
        let dict = arena.dicts[rootIndex]
        var entries: [String: Entry] = [:]
        var orderedKeys: [String] = []
        for (key, value) in zip(dict.keys, dict.values) {
            guard case let .string(name) = key else {
                throw WeightError.notAStateDict(file: path, key: nil, reason: "a key is \(key.kind), not a str")
            }
            guard case let .tensor(tensorIndex) = value else {
                throw WeightError.notAStateDict(
                    file: path, key: name,
                    reason: "value is \(value.kind), not a tensor (for a nested checkpoint, save its state dict alone)")
            }
            entries[name] = try Self.checkView(arena.tensors[tensorIndex], arena: arena, key: name, path: path)
            orderedKeys.append(name)
        }
        for entry in entries.values { _ = try archive.data(entry.storage.entry) }  // refuses compressed storages now
        self.entries = entries
        self.orderedKeys = orderedKeys
    }

    func info(_ key: String) -> TensorInfo? { entries[key]?.info }

    func tensor(_ key: String) throws -> WeightTensor {
        guard let entry = entries[key] else { throw WeightError.keyNotFound(file: path, key: key) }
        let itemSize = entry.info.dtype.byteSize
        let storage = try archive.data(entry.storage.entry)
        let byteCount = entry.info.byteCount
        if entry.isContiguous {
            let start = entry.offset * itemSize
            let bytes = byteCount == 0
                ? UnsafeRawBufferPointer(start: nil, count: 0)
                : UnsafeRawBufferPointer(rebasing: storage[start..<(start + byteCount)])
            return WeightTensor(name: key, dtype: entry.info.dtype, shape: entry.info.shape, bytes: bytes,
                                owner: archive.file, file: path)
        }
        // A strided view (a stride-0 `expand`, a transpose) becomes a buffer of its own: a 1 KB storage
        // can claim terabytes this way, so the buffer must fit the memory budget first.
        do { try MemoryBudget.check(bytes: byteCount, for: "\(path): tensor '\(key)' \(entry.info.shape) as a strided view") } catch {
            throw WeightError.tooLarge(file: path, key: key, reason: error.description)
        }
        let owned = OwnedBytes(count: byteCount)
        Self.gather(entry, from: storage.baseAddress!, into: owned.pointer)
        return WeightTensor(name: key, dtype: entry.info.dtype, shape: entry.info.shape, bytes: owned.bytes,
                            owner: owned, file: path)
    }

    /// Refuses the legacy format by name and anything else that is not a zip archive.
    private static func checkSignature(_ file: MappedFile) throws {
        let view = ByteView(file.bytes)
        if view.u32(0) == 0x0403_4B50 || view.u32(0) == 0x0605_4B50 { return }
        // Legacy torch.save: a pickled magic number first (protocol 2 opcode), or the older tar layout.
        if view.u8(0) == 0x80 { throw WeightError.legacyTorchFormat(file: file.path) }
        if let magic = view.bytes(257, 5), Array(magic) == Array("ustar".utf8) {
            throw WeightError.legacyTorchFormat(file: file.path)
        }
        throw WeightError.corruptArchive(file: file.path, reason: "not a zip archive")
    }

    /// Checks a view's shape, strides and offset against its storage.
    private static func checkView(_ tensor: TorchTensorRef, arena: PickleArena, key: String, path: String) throws -> Entry {
        func invalid(_ reason: String) -> WeightError { .invalidTensorView(file: path, key: key, reason: reason) }
        guard tensor.shape.count == tensor.stride.count else {
            throw invalid("\(tensor.shape.count) sizes but \(tensor.stride.count) strides")
        }
        guard tensor.shape.allSatisfy({ $0 >= 0 && $0 <= Int64(Int.max) }),
              tensor.stride.allSatisfy({ $0 >= 0 && $0 <= Int64(Int.max) }),
              tensor.offset >= 0, tensor.offset <= Int64(Int.max) else {
            throw invalid("negative size, stride or offset")
        }
        let shape = tensor.shape.map { Int($0) }
        let stride = tensor.stride.map { Int($0) }
        let offset = Int(tensor.offset)
        let dtype = tensor.dtype
        guard let count = TensorInfo.checkedElementCount(shape), TensorInfo.checkedByteCount(shape, dtype) != nil else {
            throw invalid("size \(shape) overflows")
        }
        let storage = arena.storages[tensor.storage]
        // An untyped storage counts bytes; a typed one elements. The record must really hold them.
        let declaredBytes = storage.dtype == nil
            ? storage.declaredCount
            : storage.declaredCount.multipliedReportingOverflow(by: dtype.byteSize).partialValue
        let available = min(declaredBytes, storage.recordBytes) / dtype.byteSize
        if count > 0 {
            var last = offset
            for (size, step) in zip(shape, stride) {
                let (extent, overflow1) = (size - 1).multipliedReportingOverflow(by: step)
                let (sum, overflow2) = last.addingReportingOverflow(extent)
                guard !overflow1, !overflow2 else { throw invalid("offset and strides overflow") }
                last = sum
            }
            guard last < available else {
                throw WeightError.storageTooSmall(file: path, key: key, storage: storage.key,
                                                  needed: last &+ 1, available: available)
            }
        }
        var expected = 1
        var contiguous = true
        for (size, step) in zip(shape, stride).reversed() where size != 1 {
            if step != expected { contiguous = false }
            expected = expected &* size
        }
        return Entry(info: TensorInfo(dtype: dtype, shape: shape), storage: storage, offset: offset,
                     stride: stride, isContiguous: contiguous || count == 0)
    }

    /// Copies a strided view into row-major order.
    private static func gather(_ entry: Entry, from storage: UnsafeRawPointer, into destination: UnsafeMutableRawPointer) {
        let shape = entry.info.shape
        let itemSize = entry.info.dtype.byteSize
        let count = entry.info.elementCount
        guard count > 0 else { return }
        if shape.isEmpty {
            destination.copyMemory(from: storage + entry.offset * itemSize, byteCount: itemSize)
            return
        }
        let rank = shape.count
        let innerSize = shape[rank - 1]
        let innerStride = entry.stride[rank - 1] * itemSize
        var index = [Int](repeating: 0, count: rank - 1)
        var written = 0
        while written < count {
            var source = entry.offset
            for axis in 0..<(rank - 1) { source += index[axis] * entry.stride[axis] }
            var from = storage + source * itemSize
            if innerStride == itemSize {
                (destination + written * itemSize).copyMemory(from: from, byteCount: innerSize * itemSize)
                written += innerSize
            } else {
                for _ in 0..<innerSize {
                    (destination + written * itemSize).copyMemory(from: from, byteCount: itemSize)
                    from += innerStride
                    written += 1
                }
            }
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
