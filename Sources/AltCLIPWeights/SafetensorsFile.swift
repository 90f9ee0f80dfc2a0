import AltCLIPJSON
/// A validated safetensors file: an 8-byte little-endian header length, a JSON header, then the data
/// area holding every tensor back to back (format: huggingface/safetensors README).
///
/// Everything is checked when the file is opened, so later reads cannot go out of bounds: the header
/// length against the file, the JSON (strictly, duplicates included), every entry's dtype, shape and
/// offsets, that shape × dtype size equals the byte range, and that the ranges tile the data area
/// exactly, without overlap or gap.
final class SafetensorsFile: WeightSource {
    struct Entry {
        let info: TensorInfo
        /// Absolute byte offset in the file.
        let offset: Int
        let byteCount: Int
    }

    /// The safetensors crate refuses headers above 100 MB; so do we.
    static let maxHeaderLength = 100_000_000

    let file: MappedFile
    let metadata: [String: String]
    let entries: [String: Entry]
    /// Keys in header order.
    let orderedKeys: [String]

    var path: String { file.path }

    init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        guard file.count >= 8 else { throw WeightError.fileTooSmall(file: path, size: file.count) }
        let headerLength = UInt64(littleEndian: file.bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(file.count - 8) else {
            throw WeightError.headerLengthExceedsFile(file: path, headerLength: headerLength, fileSize: file.count)
        }
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw WeightError.headerTooLarge(file: path, headerLength: headerLength, limit: Self.maxHeaderLength)
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = file.count - dataStart
        let json = try WeightJSON.parse(file.slice(8, Int(headerLength))!, file: path, baseOffset: 8)
        guard case let .object(members) = json else { throw WeightError.headerNotObject(file: path) }

        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        var orderedKeys: [String] = []
        var ranges: [(name: String, begin: Int, end: Int)] = []
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try Self.parseMetadata(value, path: path)
                continue
            }
            let (info, begin, end) = try Self.parseEntry(key, value, path: path)
            guard let expected = TensorInfo.checkedByteCount(info.shape, info.dtype) else {
                throw WeightError.invalidEntry(file: path, key: key, reason: "shape \(info.shape) overflows")
            }
            guard begin <= end, end <= UInt64(dataSize) else {
                throw WeightError.offsetsOutOfBounds(file: path, key: key, begin: begin, end: end, dataSize: dataSize)
            }
            let byteCount = Int(end - begin)
            guard expected == byteCount else {
                throw WeightError.byteLengthMismatch(file: path, key: key, shape: info.shape,
                                                     dtype: info.dtype.rawValue, expected: expected,
                                                     actual: byteCount)
            }
            entries[key] = Entry(info: info, offset: dataStart + Int(begin), byteCount: byteCount)
            orderedKeys.append(key)
            ranges.append((key, Int(begin), Int(end)))
        }
        try Self.checkTiling(ranges, dataSize: dataSize, path: path)
        self.metadata = metadata
        self.entries = entries
        self.orderedKeys = orderedKeys
    }

    func info(_ key: String) -> TensorInfo? { entries[key]?.info }

    func tensor(_ key: String) throws -> WeightTensor {
        guard let entry = entries[key] else { throw WeightError.keyNotFound(file: path, key: key) }
        return WeightTensor(name: key, dtype: entry.info.dtype, shape: entry.info.shape,
                            bytes: file.slice(entry.offset, entry.byteCount)!, owner: file, file: path)
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
        guard case let .object(pairs) = value else {
            throw WeightError.invalidEntry(file: path, key: "__metadata__", reason: "must be an object, is \(value.kind)")
        }
        var metadata: [String: String] = [:]
        for (key, item) in pairs {
            guard case let .string(string) = item else {
                throw WeightError.invalidEntry(file: path, key: "__metadata__",
                                               reason: "value of '\(key)' must be a string, is \(item.kind)")
            }
            metadata[key] = string
        }
        return metadata
    }

    private static func parseEntry(_ key: String, _ value: JSONValue, path: String) throws
        -> (TensorInfo, UInt64, UInt64)
    {
        func invalid(_ reason: String) -> WeightError { .invalidEntry(file: path, key: key, reason: reason) }
        guard case let .object(fields) = value else { throw invalid("must be an object, is \(value.kind)") }
        var dtypeName: String?
        var shape: [Int]?
        var offsets: [UInt64]?
        for (field, item) in fields {
            switch field {
            case "dtype":
                guard case let .string(name) = item else { throw invalid("dtype must be a string") }
                dtypeName = name
            case "shape":
                guard case let .array(dims) = item else { throw invalid("shape must be an array") }
                shape = try dims.map { dim in
                    guard case let .integer(value) = dim, value >= 0, value <= Int64(Int.max) else {
                        throw invalid("shape must hold non-negative integers")
                    }
                    return Int(value)
                }
            case "data_offsets":
                guard case let .array(pair) = item, pair.count == 2 else {
                    throw invalid("data_offsets must be an array of two integers")
                }
                offsets = try pair.map { offset in
                    guard case let .integer(value) = offset, value >= 0 else {
                        throw invalid("data_offsets must hold non-negative integers")
                    }
                    return UInt64(value)
                }
            default:
                throw invalid("unexpected field '\(field)'")
            }
        }
        guard let dtypeName else { throw invalid("missing dtype") }
        guard let shape else { throw invalid("missing shape") }
        guard let offsets else { throw invalid("missing data_offsets") }
        guard let dtype = WeightDType(rawValue: dtypeName) else {
            throw WeightError.unknownDType(file: path, key: key, dtype: dtypeName)
        }
        return (TensorInfo(dtype: dtype, shape: shape), offsets[0], offsets[1])
    }

    /// The ranges, sorted, must start at 0, follow each other without gap or overlap, and end at `dataSize`.
    private static func checkTiling(_ ranges: [(name: String, begin: Int, end: Int)], dataSize: Int,
                                    path: String) throws {
        let sorted = ranges.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous: String?
        for range in sorted {
            if range.begin < covered, let previous {
                throw WeightError.overlappingTensors(file: path, key: range.name, other: previous)
            }
            if range.begin > covered {
                throw WeightError.dataNotCovered(
                    file: path, reason: "\(range.begin - covered) unused bytes before '\(range.name)' at offset \(covered)")
            }
            covered = range.end
            previous = range.name
        }
        if covered != dataSize {
            throw WeightError.dataNotCovered(
                file: path, reason: "\(dataSize - covered) bytes after the last tensor belong to none")
        }
    }
}
