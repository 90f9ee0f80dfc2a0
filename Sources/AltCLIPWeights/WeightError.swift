import Foundation

/// Everything that can go wrong while reading or writing a checkpoint.
///
/// Every case names the file it concerns and, when one is involved, the tensor key, so the message
/// alone is enough to find the problem.
public enum WeightError: Error, Equatable, Sendable {
    // Files and folders.
    /// The file could not be opened, inspected or mapped.
    case cannotOpen(file: String, reason: String)
    /// A folder holds none of the weight files we know.
    case noWeightFiles(directory: String, looked: [String])
    /// The file's format could not be recognized.
    case unknownFormat(file: String, reason: String)

    // safetensors.
    /// The file is shorter than the 8-byte header length prefix.
    case fileTooSmall(file: String, size: Int)
    /// The header length prefix points past the end of the file.
    case headerLengthExceedsFile(file: String, headerLength: UInt64, fileSize: Int)
    /// The header is larger than the limit safetensors itself accepts.
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
    /// The header (or an index file) is not valid UTF-8 JSON.
    case malformedJSON(file: String, offset: Int, reason: String)
    /// The header (or an index file) is JSON, but not a JSON object.
    case headerNotObject(file: String)
    /// A JSON object holds the same key twice (JSONSerialization would silently keep one).
    case duplicateKey(file: String, key: String)
    /// A tensor entry (or `__metadata__`) does not have the required form.
    case invalidEntry(file: String, key: String, reason: String)
    /// A dtype string or torch storage type this reader does not know.
    case unknownDType(file: String, key: String, dtype: String)
    /// shape × dtype size differs from the byte length the file gives.
    case byteLengthMismatch(file: String, key: String, shape: [Int], dtype: String, expected: Int, actual: Int)
    /// A tensor's byte range lies outside the data area (or ends before it begins).
    case offsetsOutOfBounds(file: String, key: String, begin: UInt64, end: UInt64, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(file: String, key: String, other: String)
    /// The tensors do not tile the data area exactly (a gap, or bytes left over at the end).
    case dataNotCovered(file: String, reason: String)

    // PyTorch zip archives.
    /// The file is PyTorch's legacy (pre-1.6, non-zip) format.
    case legacyTorchFormat(file: String)
    /// The zip container is damaged or uses a feature torch never writes.
    case corruptArchive(file: String, reason: String)
    /// An archive record we need is missing.
    case missingRecord(file: String, record: String)
    /// The pickle names a global that is not on the allow-list; nothing is ever executed.
    case forbiddenGlobal(file: String, module: String, name: String)
    /// The pickle uses an opcode outside the subset torch state dicts need.
    case unsupportedOpcode(file: String, opcode: UInt8, offset: Int)
    /// The pickle is structurally wrong (stack underflow, bad argument, truncation, ...).
    case malformedPickle(file: String, offset: Int, reason: String)
    /// The unpickled object is not a flat state dict of tensors.
    case notAStateDict(file: String, key: String?, reason: String)
    /// A tensor view reaches past the end of its storage.
    case storageTooSmall(file: String, key: String, storage: String, needed: Int, available: Int)
    /// A tensor would need more memory than allowed (`reason` says how much).
    case tooLarge(file: String, key: String, reason: String)
    /// A tensor view is malformed (shape/stride counts differ, negative values, overflow).
    case invalidTensorView(file: String, key: String, reason: String)
    /// A valid file uses something this reader does not implement.
    case unsupportedFeature(file: String, key: String?, feature: String)

    // Shards.
    /// A `*.index.json` file is malformed or points outside its folder.
    case invalidIndex(file: String, reason: String)
    /// The index maps a key to a shard that does not hold it.
    case keyMissingFromShard(index: String, key: String, shard: String)

    // Access.
    /// No tensor of that name exists.
    case keyNotFound(file: String, key: String)
    /// The tensor's dtype is not one the requested accessor can return.
    case dtypeMismatch(file: String, key: String, expected: String, actual: String)
    /// A value does not fit the requested type (e.g. a U64 above `Int64.max`).
    case valueOutOfRange(file: String, key: String, index: Int)

    // Writing.
    /// A tensor handed to the writer is inconsistent (duplicate name, shape × dtype ≠ byte count, ...).
    case invalidTensor(key: String, reason: String)
    /// The output could not be written.
    case writeFailed(file: String, reason: String)
}

extension WeightError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .cannotOpen(file, reason):
            return "\(file): cannot open: \(reason)"
        case let .noWeightFiles(directory, looked):
            return "\(directory): no weights found (looked for \(looked.joined(separator: ", ")))"
        case let .unknownFormat(file, reason):
            return "\(file): unknown weight file format: \(reason)"
        case let .fileTooSmall(file, size):
            return "\(file): \(size) bytes is too small for a safetensors file (needs at least 8)"
        case let .headerLengthExceedsFile(file, length, size):
            return "\(file): header length \(length) is larger than the file (\(size) bytes)"
        case let .headerTooLarge(file, length, limit):
            return "\(file): header length \(length) exceeds the limit of \(limit) bytes"
        case let .malformedJSON(file, offset, reason):
            return "\(file): malformed JSON at byte \(offset): \(reason)"
        case let .headerNotObject(file):
            return "\(file): the JSON header is not an object"
        case let .duplicateKey(file, key):
            return "\(file): duplicate key '\(key)'"
        case let .invalidEntry(file, key, reason):
            return "\(file): entry '\(key)': \(reason)"
        case let .unknownDType(file, key, dtype):
            return "\(file): tensor '\(key)': unknown or unsupported dtype '\(dtype)'"
        case let .byteLengthMismatch(file, key, shape, dtype, expected, actual):
            return "\(file): tensor '\(key)': shape \(shape) × \(dtype) needs \(expected) bytes, the file gives \(actual)"
        case let .offsetsOutOfBounds(file, key, begin, end, dataSize):
            return "\(file): tensor '\(key)': data_offsets [\(begin), \(end)] do not lie inside the data area of \(dataSize) bytes"
        case let .overlappingTensors(file, key, other):
            return "\(file): tensors '\(other)' and '\(key)' overlap"
        case let .dataNotCovered(file, reason):
            return "\(file): tensors do not cover the data area exactly: \(reason)"
        case let .legacyTorchFormat(file):
            return "\(file): legacy (non-zip) PyTorch format; convert it first, e.g. in Python "
                + "torch.save(torch.load(path, weights_only=True), path), or save it as safetensors"
        case let .corruptArchive(file, reason):
            return "\(file): corrupt zip archive: \(reason)"
        case let .missingRecord(file, record):
            return "\(file): archive record '\(record)' is missing"
        case let .forbiddenGlobal(file, module, name):
            return "\(file): pickle refers to '\(module).\(name)', which is not on the allow-list of "
                + "torch state-dict globals; refusing to load"
        case let .unsupportedOpcode(file, opcode, offset):
            return "\(file): unsupported pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset)"
        case let .malformedPickle(file, offset, reason):
            return "\(file): malformed pickle at byte \(offset): \(reason)"
        case let .notAStateDict(file, key, reason):
            return "\(file): not a state dict of tensors" + (key.map { " (key '\($0)')" } ?? "") + ": \(reason)"
        case let .storageTooSmall(file, key, storage, needed, available):
            return "\(file): tensor '\(key)' needs \(needed) elements of storage '\(storage)', which holds \(available)"
        case let .invalidTensorView(file, key, reason):
            return "\(file): tensor '\(key)': invalid view: \(reason)"
        case let .tooLarge(_, _, reason):
            return reason
        case let .unsupportedFeature(file, key, feature):
            return "\(file): " + (key.map { "tensor '\($0)': " } ?? "") + "unsupported: \(feature)"
        case let .invalidIndex(file, reason):
            return "\(file): invalid shard index: \(reason)"
        case let .keyMissingFromShard(index, key, shard):
            return "\(index): key '\(key)' is mapped to shard '\(shard)', which does not contain it"
        case let .keyNotFound(file, key):
            return "\(file): no tensor named '\(key)'"
        case let .dtypeMismatch(file, key, expected, actual):
            return "\(file): tensor '\(key)' has dtype \(actual), expected \(expected)"
        case let .valueOutOfRange(file, key, index):
            return "\(file): tensor '\(key)': element \(index) does not fit the requested type"
        case let .invalidTensor(key, reason):
            return "tensor '\(key)': \(reason)"
        case let .writeFailed(file, reason):
            return "\(file): write failed: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
