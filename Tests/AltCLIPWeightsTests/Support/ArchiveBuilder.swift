@testable import AltCLIPWeights

/// Writes small stored zip archives laid out like `torch.save` output, for hand-crafted (often hostile)
/// test files.
struct ArchiveBuilder {
    struct Record {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var crc: UInt32?
    }

    var records: [Record] = []

    /// A torch-style archive `<prefix>/data.pkl`, `<prefix>/byteorder`, and `<prefix>/data/<key>` storages.
    static func torch(pickle: [UInt8], storages: [(String, [UInt8])] = [], prefix: String = "archive",
                      byteorder: String = "little") -> ArchiveBuilder {
        var builder = ArchiveBuilder()
        builder.add("\(prefix)/data.pkl", pickle)
        builder.add("\(prefix)/byteorder", Array(byteorder.utf8))
        for (key, data) in storages { builder.add("\(prefix)/data/\(key)", data) }
        builder.add("\(prefix)/version", Array("3\n".utf8))
        return builder
    }

    mutating func add(_ name: String, _ data: [UInt8]) {
        records.append(Record(name: name, data: data))
    }

    /// The archive bytes; data of every record starts on a 64-byte boundary, as torch writes it.
    func build() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for record in records {
            let name = Array(record.name.utf8)
            let offset = out.count
            let crc = record.crc ?? CRC32.checksum(record.data)
            let padding = (64 - (offset + 30 + name.count + 4) % 64) % 64
            let extra: [UInt8] = littleEndianBytes(UInt16(0x4246)) + littleEndianBytes(UInt16(padding))
                + [UInt8](repeating: 0x5A, count: padding)
            out += littleEndianBytes(UInt32(0x0403_4B50)) + littleEndianBytes(UInt16(20)) + littleEndianBytes(UInt16(0))
            out += littleEndianBytes(record.method) + littleEndianBytes(UInt32(0)) + littleEndianBytes(crc)
            out += littleEndianBytes(UInt32(record.data.count)) + littleEndianBytes(UInt32(record.data.count))
            out += littleEndianBytes(UInt16(name.count)) + littleEndianBytes(UInt16(extra.count)) + name + extra
            out += record.data
            central += littleEndianBytes(UInt32(0x0201_4B50)) + littleEndianBytes(UInt16(20)) + littleEndianBytes(UInt16(20))
            central += littleEndianBytes(UInt16(0)) + littleEndianBytes(record.method) + littleEndianBytes(UInt32(0))
            central += littleEndianBytes(crc) + littleEndianBytes(UInt32(record.data.count))
            central += littleEndianBytes(UInt32(record.data.count)) + littleEndianBytes(UInt16(name.count))
            central += [UInt8](repeating: 0, count: 12) + littleEndianBytes(UInt32(offset)) + name
        }
        let directoryOffset = out.count
        out += central
        out += littleEndianBytes(UInt32(0x0605_4B50)) + [0, 0, 0, 0]
        out += littleEndianBytes(UInt16(records.count)) + littleEndianBytes(UInt16(records.count))
        out += littleEndianBytes(UInt32(central.count)) + littleEndianBytes(UInt32(directoryOffset)) + [0, 0]
        return out
    }
}

/// Emits pickle opcodes (protocol 2), enough to write torch state dicts by hand.
struct PickleBuilder {
    private(set) var bytes: [UInt8] = [0x80, 0x02]

    mutating func raw(_ data: [UInt8]) { bytes += data }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        bytes += [0x58] + littleEndianBytes(UInt32(utf8.count)) + utf8
    }
    mutating func int(_ value: Int32) { bytes += [0x4A] + littleEndianBytes(value) }
    mutating func mark() { bytes.append(0x28) }
    mutating func tuple() { bytes.append(0x74) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func emptyDict() { bytes.append(0x7D) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func setItem() { bytes.append(0x73) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func persistentID() { bytes.append(0x51) }
    mutating func falseValue() { bytes.append(0x89) }
    mutating func stop() { bytes.append(0x2E) }

    mutating func intTuple(_ values: [Int32]) {
        mark()
        for value in values { int(value) }
        tuple()
    }

    /// `_rebuild_tensor_v2(('storage', torch.<storageType>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`.
    mutating func tensor(storageType: String = "FloatStorage", key: String, numel: Int32, offset: Int32,
                         size: [Int32], stride: [Int32], location: String = "cpu") {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", storageType)
        string(key)
        string(location)
        int(numel)
        tuple()
        persistentID()
        int(offset)
        intTuple(size)
        intTuple(stride)
        falseValue()
        global("collections", "OrderedDict")
        emptyTuple()
        reduce()
        tuple()
        reduce()
    }

    /// A whole state dict `{name: tensor}` with the given tensors, then STOP.
    static func stateDict(_ tensors: [(name: String, build: (inout PickleBuilder) -> Void)]) -> [UInt8] {
        var builder = PickleBuilder()
        builder.emptyDict()
        builder.mark()
        for (name, build) in tensors {
            builder.string(name)
            build(&builder)
        }
        builder.setItems()
        builder.stop()
        return builder.bytes
    }
}
