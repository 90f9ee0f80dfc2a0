/// One tensor of a checkpoint: its raw little-endian bytes, contiguous in row-major order.
///
/// For safetensors and contiguous PyTorch storages `bytes` points straight into the mapped file
/// (zero-copy); non-contiguous PyTorch views are materialized into a buffer of their own. Either way
/// `owner` keeps the memory alive, so `bytes` stays valid as long as this value (or the store) lives.
public struct WeightTensor: @unchecked Sendable {
    /// Checkpoint key, e.g. `text_model.pre_LN.weight`.
    public let name: String
    /// Element type as stored.
    public let dtype: WeightDType
    /// Dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// `elementCount × dtype.byteSize` bytes, row-major, little-endian.
    public let bytes: UnsafeRawBufferPointer
    /// Whatever keeps `bytes` alive (the mapped file or a materialized buffer).
    public let owner: AnyObject
    /// The file the tensor comes from, for error messages.
    public let file: String

    init(name: String, dtype: WeightDType, shape: [Int], bytes: UnsafeRawBufferPointer, owner: AnyObject,
         file: String) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
        self.owner = owner
        self.file = file
    }

    /// Whether `bytes` lie in a read-only file mapping (so their pages can be dropped from memory and
    /// re-read from the file on demand), rather than in a materialized buffer.
    public var isFileMapped: Bool { (owner as? MappedFile)?.isMapped ?? false }

    /// Number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Dtype and shape.
    public var info: TensorInfo { TensorInfo(dtype: dtype, shape: shape) }

    /// Calls `body` with the values as `Float`s: without copying for 4-byte-aligned F32 data, through a
    /// temporary conversion for F16, BF16, F64 (rounded to nearest) and unaligned F32.
    ///
    /// The buffer is only valid inside `body`. Integer and bool dtypes throw `dtypeMismatch`.
    public func withFloat32<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard dtype.isFloatingPoint else {
            throw WeightError.dtypeMismatch(file: file, key: name, expected: "F32, F16, BF16 or F64",
                                            actual: dtype.rawValue)
        }
        let count = elementCount
        if count == 0 { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let base = bytes.baseAddress!
        if dtype == .float32, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            return try bytes.withMemoryRebound(to: Float.self) { try body($0) }
        }
        let converted = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { converted.deallocate() }
        HalfPrecision.widen(dtype, from: base, count: count, into: converted)
        return try body(UnsafeBufferPointer(start: converted, count: count))
    }

    /// The values as a new `[Float]` array (see `withFloat32` for the accepted dtypes).
    public func float32Values() throws -> [Float] {
        try withFloat32 { Array($0) }
    }

    /// The values widened to `Int64`; accepts every integer dtype and BOOL (as 0/1).
    /// Floating-point dtypes throw `dtypeMismatch`; a U64 value above `Int64.max` throws `valueOutOfRange`.
    public func int64Values() throws -> [Int64] {
        let count = elementCount
        guard !dtype.isFloatingPoint else {
            throw WeightError.dtypeMismatch(file: file, key: name, expected: "an integer dtype or BOOL",
                                            actual: dtype.rawValue)
        }
        if count == 0 { return [] }
        let base = bytes.baseAddress!
        var result = [Int64](repeating: 0, count: count)
        var overflowIndex: Int?
        result.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                switch dtype {
                case .bool, .uint8:
                    out[i] = Int64(base.load(fromByteOffset: i, as: UInt8.self))
                case .int8:
                    out[i] = Int64(base.load(fromByteOffset: i, as: Int8.self))
                case .int16:
                    out[i] = Int64(Int16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
                case .uint16:
                    out[i] = Int64(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                case .int32:
                    out[i] = Int64(Int32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                case .uint32:
                    out[i] = Int64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                case .int64:
                    out[i] = Int64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                case .uint64:
                    let value = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                    if value > UInt64(Int64.max), overflowIndex == nil { overflowIndex = i }
                    out[i] = Int64(truncatingIfNeeded: value)
                case .float16, .bfloat16, .float32, .float64:
                    break
                }
            }
        }
        if let overflowIndex { throw WeightError.valueOutOfRange(file: file, key: name, index: overflowIndex) }
        return result
    }
}
