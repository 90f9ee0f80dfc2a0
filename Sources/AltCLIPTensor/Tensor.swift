/// A dense, row-major, contiguous Float32 tensor for inference. Shapes use PyTorch order.
///
/// Value semantics with copy-on-write: copies share storage until one of them is mutated. A tensor can
/// also borrow external memory (an mmap'd checkpoint) without copying; such memory is never written to,
/// the first mutation copies it into an owned buffer.
public struct Tensor: @unchecked Sendable {
    /// The size of each axis, outermost first.
    public private(set) var shape: [Int]
    var storage: TensorStorage

    /// The number of scalars (the product of `shape`; 1 for a rank-0 tensor).
    public var count: Int { Tensor.elementCount(shape) }
    /// The number of axes.
    public var rank: Int { shape.count }

    /// A tensor whose scalars are all zero.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, repeating: 0)
    }

    /// A tensor with the given scalars in row-major order. `scalars.count` must equal the shape's product.
    public init(shape: [Int], scalars: [Float]) {
        let n = Tensor.elementCount(shape)
        precondition(scalars.count == n, "Tensor(shape: \(shape)) needs \(n) scalars, got \(scalars.count)")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.pointer.update(from: base, count: n) }
        }
    }

    /// A tensor whose scalars all equal `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(uninitializedShape: shape)
        storage.pointer.update(repeating: value, count: Tensor.elementCount(shape))
    }

    /// A zero-copy view of external memory holding `shape`'s product of scalars, e.g. inside an mmap'd
    /// safetensors file. `owner` is retained for as long as any tensor uses the memory. The memory is
    /// only read; mutating the tensor copies it first. `fileMapped` says the memory is a read-only file
    /// mapping, whose pages `releaseBorrowedPages()` may drop (they are re-read from the file).
    public init(shape: [Int], borrowing pointer: UnsafePointer<Float>, owner: AnyObject, fileMapped: Bool = false) {
        self.shape = shape
        storage = TensorStorage(borrowing: pointer, capacity: Tensor.elementCount(shape), owner: owner,
                                fileMapped: fileMapped)
    }

    /// A tensor of 16-bit floats (bfloat16 or IEEE float16 bit patterns, row-major) widened exactly.
    public init(shape: [Int], widening bits: UnsafePointer<UInt16>, bfloat16: Bool) {
        self.init(uninitializedShape: shape)
        let n = count, target = storage.pointer
        Threading.parallelFor((n + 65535) / 65536, costPerItem: 65536) { blocks in
            for b in blocks {
                let start = b * 65536
                Kernels.widenHalf(bits + start, bfloat16: bfloat16, count: Swift.min(65536, n - start), into: target + start)
            }
        }
    }

    /// A tensor with uninitialized scalars, for ops that overwrite every element.
    init(uninitializedShape shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(uninitializedCapacity: Tensor.elementCount(shape))
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// The scalars in row-major order (a copy).
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The scalar at `indices` (one per axis); for tests and debugging, not for hot loops.
    public subscript(indices: Int...) -> Float {
        precondition(indices.count == rank, "expected \(rank) indices, got \(indices.count)")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis], "index \(index) out of range for axis \(axis) of \(shape)")
            offset = offset * shape[axis] + index
        }
        return storage.pointer[offset]
    }

    /// Calls `body` with the scalars in row-major order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Calls `body` with writable scalars, first copying them if the storage is shared or borrowed.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUniquelyOwned()
        var buffer = UnsafeMutableBufferPointer(start: storage.pointer, count: count)
        return try body(&buffer)
    }

    /// Whether the scalars live in memory borrowed from an external owner (no copy was made).
    public var isBorrowed: Bool { !storage.isOwned }

    mutating func makeUniquelyOwned() {
        if !isKnownUniquelyReferenced(&storage) || !storage.isOwned {
            storage = storage.ownedCopy(count: count)
        }
    }

    /// Read-only base pointer for the ops in this module. Valid while `self` is alive.
    var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor([2, 3])`, plus the first few scalars.
    public var description: String {
        let head = withUnsafeBufferPointer { Array($0.prefix(6)) }
        let more = count > head.count ? ", ..." : ""
        return "Tensor(\(shape): \(head.map { "\($0)" }.joined(separator: ", "))\(more))"
    }
}
