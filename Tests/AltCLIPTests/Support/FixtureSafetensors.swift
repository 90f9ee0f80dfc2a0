import Foundation

/// A tensor read from a fixture's safetensors file: shape plus values widened to Double (F32) or
/// kept as integers (I64/I32).
struct FixtureTensor {
    enum Values {
        case float([Float])
        case int([Int64])
    }

    let name: String
    let shape: [Int]
    let values: Values

    var count: Int { shape.reduce(1, *) }

    /// Float values; integer tensors are converted.
    var floats: [Float] {
        switch values {
        case let .float(v): return v
        case let .int(v): return v.map(Float.init)
        }
    }

    /// Integer values, or nil for a float tensor.
    var ints: [Int64]? {
        if case let .int(v) = values { return v }
        return nil
    }
}

/// Errors of the test-only safetensors reader.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Minimal safetensors reader for the fixtures (F32, I64, I32), bounds-checked. The library's real
/// reader lives in AltCLIPWeights; this one only lets tests read reference tensors.
struct FixtureSafetensors {
    let url: URL
    /// Tensor names in file order (sorted by name, as safetensors writes them).
    let names: [String]
    /// `__metadata__` of the header.
    let metadata: [String: String]
    private let entries: [String: (dtype: String, shape: [Int], range: Range<Int>)]
    private let data: Data
    private let dataStart: Int

    init(contentsOf url: URL) throws {
        self.url = url
        // mapped: the full-size checkpoint's files are gigabytes
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        guard data.count >= 8 else { throw FixtureError("\(url.path): shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else { throw FixtureError("\(url.path): header past end of file") }
        let header = data.subdata(in: 8 ..< 8 + Int(headerLength))
        guard let json = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw FixtureError("\(url.path): header is not a JSON object")
        }
        var entries: [String: (dtype: String, shape: [Int], range: Range<Int>)] = [:]
        var metadata: [String: String] = [:]
        let dataStart = 8 + Int(headerLength)
        for (name, value) in json {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int],
                  offsets.count == 2, offsets[0] <= offsets[1], dataStart + offsets[1] <= data.count
            else { throw FixtureError("\(url.path): bad header entry for \(name)") }
            entries[name] = (dtype, shape, offsets[0] ..< offsets[1])
        }
        self.entries = entries
        self.names = entries.keys.sorted()
        self.metadata = metadata
        self.data = data
        self.dataStart = dataStart
    }

    func contains(_ name: String) -> Bool { entries[name] != nil }

    func shape(_ name: String) throws -> [Int] {
        guard let entry = entries[name] else { throw FixtureError("\(url.lastPathComponent): no tensor \(name)") }
        return entry.shape
    }

    func dtype(_ name: String) throws -> String {
        guard let entry = entries[name] else { throw FixtureError("\(url.lastPathComponent): no tensor \(name)") }
        return entry.dtype
    }

    func tensor(_ name: String) throws -> FixtureTensor {
        guard let entry = entries[name] else { throw FixtureError("\(url.lastPathComponent): no tensor \(name)") }
        let count = entry.shape.reduce(1, *)
        let width: Int
        switch entry.dtype {
        case "F32", "I32": width = 4
        case "I64": width = 8
        default: throw FixtureError("\(name): dtype \(entry.dtype) not supported by the test reader")
        }
        guard entry.range.count == count * width else {
            throw FixtureError("\(name): \(entry.range.count) bytes for \(count) x \(width)")
        }
        let bytes = data.subdata(in: dataStart + entry.range.lowerBound ..< dataStart + entry.range.upperBound)
        return bytes.withUnsafeBytes { raw -> FixtureTensor in
            switch entry.dtype {
            case "F32":
                let v = (0 ..< count).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }
                return FixtureTensor(name: name, shape: entry.shape, values: .float(v))
            case "I32":
                let v = (0 ..< count).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
                return FixtureTensor(name: name, shape: entry.shape, values: .int(v))
            default:
                let v = (0 ..< count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
                return FixtureTensor(name: name, shape: entry.shape, values: .int(v))
            }
        }
    }
}
