import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a safetensors file.
///
/// The layout matches what the Python `safetensors` package (0.8) writes: tensors ordered by dtype
/// (widest first, in the crate's `Dtype` order) then by name bytes, `__metadata__` first, compact JSON
/// escaped like serde_json, the header padded with spaces to a multiple of 8. So a file written here
/// from the same tensors and metadata is byte-identical to Python's, except that with two or more
/// metadata keys we sort them where the crate writes them in hash-map order.
///
/// ```swift
/// var writer = SafetensorsWriter(metadata: ["format": "pt"])
/// try writer.add("text_embeds", shape: [2, 768], float32: values)
/// try writer.write(to: url)
/// ```
public struct SafetensorsWriter {
    private enum Content {
        /// Bytes kept alive by `owner`, written as they are.
        case bytes(UnsafeRawBufferPointer, owner: AnyObject)
        /// Fills exactly `byteCount` bytes when the file is written.
        case fill((UnsafeMutableRawBufferPointer) throws -> Void)
    }

    private struct Pending {
        let name: String
        let dtype: WeightDType
        let shape: [Int]
        let byteCount: Int
        let content: Content

        func fill(_ out: UnsafeMutableRawBufferPointer) throws {
            switch content {
            case let .bytes(bytes, _): out.copyMemory(from: bytes)
            case let .fill(fill): try fill(out)
            }
        }
    }

    private var metadata: [String: String]?
    private var tensors: [Pending] = []
    private var usedNames = Set<String>()

    /// Creates an empty writer; `metadata` becomes the `__metadata__` header entry when given.
    public init(metadata: [String: String]? = nil) {
        self.metadata = metadata
    }

    /// Names added so far, in the order they were added.
    public var names: [String] { tensors.map(\.name) }

    /// Adds a tensor whose bytes are produced by `fill` at write time (convenient for large tensors).
    /// `fill` receives a buffer of exactly shape × dtype size bytes, to be filled little-endian.
    public mutating func add(_ name: String, dtype: WeightDType, shape: [Int],
                             fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try append(name, dtype: dtype, shape: shape, content: .fill(fill))
    }

    /// Adds a tensor from raw little-endian bytes (copied); their count must be shape × dtype size.
    public mutating func add(_ name: String, dtype: WeightDType, shape: [Int], bytes: UnsafeRawBufferPointer) throws {
        guard let expected = TensorInfo.checkedByteCount(shape, dtype), expected == bytes.count else {
            throw WeightError.invalidTensor(
                key: name, reason: "shape \(shape) × \(dtype) does not match \(bytes.count) bytes")
        }
        let copy = OwnedBytes(count: bytes.count)
        if !bytes.isEmpty { copy.pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        try append(name, dtype: dtype, shape: shape, content: .bytes(copy.bytes, owner: copy))
    }

    /// Adds a tensor read from a store (without copying it now: it is read when the file is written),
    /// under its own name or `name`, in its own dtype or converted to `dtype`. Conversions go between
    /// the floating-point dtypes, to F32, F16 or BF16 (rounded to nearest even, as torch does).
    public mutating func add(_ tensor: WeightTensor, name: String? = nil, as dtype: WeightDType? = nil) throws {
        let name = name ?? tensor.name
        guard let dtype, dtype != tensor.dtype else {
            try append(name, dtype: tensor.dtype, shape: tensor.shape, content: .bytes(tensor.bytes, owner: tensor.owner))
            return
        }
        guard tensor.dtype.isFloatingPoint, dtype == .float32 || dtype == .float16 || dtype == .bfloat16 else {
            throw WeightError.invalidTensor(key: name, reason: "cannot convert \(tensor.dtype) to \(dtype)")
        }
        try append(name, dtype: dtype, shape: tensor.shape, content: .fill { out in
            try tensor.withFloat32 { Self.narrow($0, to: dtype, into: out) }
        })
    }

    private mutating func append(_ name: String, dtype: WeightDType, shape: [Int], content: Content) throws {
        guard name != "__metadata__" else { throw WeightError.invalidTensor(key: name, reason: "reserved name") }
        guard let byteCount = TensorInfo.checkedByteCount(shape, dtype) else {
            throw WeightError.invalidTensor(key: name, reason: "invalid shape \(shape)")
        }
        guard usedNames.insert(name).inserted else {
            throw WeightError.invalidTensor(key: name, reason: "added twice")
        }
        tensors.append(Pending(name: name, dtype: dtype, shape: shape, byteCount: byteCount, content: content))
    }

    /// Adds float values stored as F32, or rounded (to nearest even, as torch does) to F16 or BF16.
    public mutating func add(_ name: String, shape: [Int], float32 values: [Float],
                             as dtype: WeightDType = .float32) throws {
        guard dtype == .float32 || dtype == .float16 || dtype == .bfloat16 else {
            throw WeightError.invalidTensor(key: name, reason: "float values can be stored as F32, F16 or BF16, not \(dtype)")
        }
        guard let count = TensorInfo.checkedElementCount(shape), count == values.count else {
            throw WeightError.invalidTensor(key: name, reason: "shape \(shape) does not match \(values.count) values")
        }
        try add(name, dtype: dtype, shape: shape) { out in
            values.withUnsafeBufferPointer { Self.narrow($0, to: dtype, into: out) }
        }
    }

    /// Adds integer values stored as I64.
    public mutating func add(_ name: String, shape: [Int], int64 values: [Int64]) throws {
        guard let count = TensorInfo.checkedElementCount(shape), count == values.count else {
            throw WeightError.invalidTensor(key: name, reason: "shape \(shape) does not match \(values.count) values")
        }
        try add(name, dtype: .int64, shape: shape) { out in
            for (i, value) in values.enumerated() {
                out.storeBytes(of: value.littleEndian, toByteOffset: i * 8, as: Int64.self)
            }
        }
    }

    /// The whole file in memory.
    public func serialized() throws -> [UInt8] {
        let (header, order) = layout()
        var result = header
        for tensor in order {
            let start = result.count
            result.append(contentsOf: repeatElement(0, count: tensor.byteCount))
            try result.withUnsafeMutableBytes { all in
                try tensor.fill(UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + tensor.byteCount)]))
            }
        }
        return result
    }

    /// Writes the file atomically: into a temporary file next to `url`, then renamed over it, so a
    /// crash never leaves a half-written file under the final name.
    public func write(to url: URL) throws {
        let path = url.path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw WeightError.writeFailed(file: path, reason: String(cString: strerror(errno))) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            let (header, order) = layout()
            try header.withUnsafeBytes { try Self.writeAll(fd, $0, path: path) }
            var buffer = [UInt8]()
            for tensor in order {
                switch tensor.content {
                case let .bytes(bytes, _):
                    try Self.writeAll(fd, bytes, path: path)
                case let .fill(fill):
                    buffer.removeAll(keepingCapacity: true)
                    buffer.append(contentsOf: repeatElement(0, count: tensor.byteCount))
                    try buffer.withUnsafeMutableBytes { try fill($0) }
                    try buffer.withUnsafeBytes { try Self.writeAll(fd, $0, path: path) }
                }
            }
            guard fsync(fd) == 0 else { throw WeightError.writeFailed(file: path, reason: String(cString: strerror(errno))) }
            closed = true
            guard close(fd) == 0 else { throw WeightError.writeFailed(file: path, reason: String(cString: strerror(errno))) }
            guard rename(temporary, path) == 0 else {
                throw WeightError.writeFailed(file: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = posixWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw WeightError.writeFailed(file: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }

    /// The 8-byte length, the padded JSON header, and the tensors in file order.
    private func layout() -> ([UInt8], [Pending]) {
        let order = tensors.sorted { a, b in
            if a.dtype.safetensorsRank != b.dtype.safetensorsRank { return a.dtype.safetensorsRank > b.dtype.safetensorsRank }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var json: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
        }
        if let metadata {
            separator()
            Self.appendString("__metadata__", to: &json)
            json.append(contentsOf: Array(":{".utf8))
            for (index, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                Self.appendString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                Self.appendString(metadata[key]!, to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for tensor in order {
            separator()
            Self.appendString(tensor.name, to: &json)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let entry = ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.byteCount)]}"
            json.append(contentsOf: Array(entry.utf8))
            offset += tensor.byteCount
        }
        json.append(UInt8(ascii: "}"))
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var header = [UInt8]()
        header.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { header.append(contentsOf: $0) }
        header.append(contentsOf: json)
        return (header, order)
    }

    /// Appends `string` as a JSON string literal, escaped the way serde_json does.
    private static func appendString(_ string: String, to json: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        json.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): json.append(contentsOf: [0x5C, 0x5C])
            case 0x08: json.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: json.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: json.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: json.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: json.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                json.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }

    private static func narrow(_ values: UnsafeBufferPointer<Float>, to dtype: WeightDType,
                               into out: UnsafeMutableRawBufferPointer) {
        switch dtype {
        case .float16:
            for (i, value) in values.enumerated() {
                out.storeBytes(of: HalfPrecision.float16Bits(from: value).littleEndian, toByteOffset: i * 2, as: UInt16.self)
            }
        case .bfloat16:
            for (i, value) in values.enumerated() {
                out.storeBytes(of: HalfPrecision.bfloat16Bits(from: value).littleEndian, toByteOffset: i * 2, as: UInt16.self)
            }
        default:
            for (i, value) in values.enumerated() {
                out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
        }
    }
}

/// `write(2)`; a free function because `SafetensorsWriter.write(to:)` hides the global name inside the type.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
