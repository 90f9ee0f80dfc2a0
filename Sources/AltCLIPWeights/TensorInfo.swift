/// What a checkpoint says about one tensor, without touching its data.
public struct TensorInfo: Sendable, Equatable, CustomStringConvertible {
    /// Element type as stored in the file.
    public let dtype: WeightDType
    /// Dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]

    /// Creates an info record.
    public init(dtype: WeightDType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements (1 for a scalar). Readers validate shapes, so this does not overflow for them.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes the data occupies when contiguous.
    public var byteCount: Int { elementCount * dtype.byteSize }

    public var description: String { "\(dtype)\(shape)" }

    /// Product of `shape`, or nil when a dimension is negative or the product overflows `Int`.
    static func checkedElementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// Bytes for `shape` of `dtype`, or nil on overflow or a negative dimension.
    static func checkedByteCount(_ shape: [Int], _ dtype: WeightDType) -> Int? {
        guard let count = checkedElementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }
}
