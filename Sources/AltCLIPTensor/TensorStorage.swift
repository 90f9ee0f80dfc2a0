/// The memory behind a `Tensor`: either an owned, 64-byte aligned allocation or a borrowed pointer whose
/// lifetime is tied to `owner` (an mmap'd file, another buffer).
///
/// Borrowed memory may be read-only (e.g. a `PROT_READ` mapping), so `Tensor` never writes through it:
/// mutation copies it into an owned buffer first.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let capacity: Int
    let owner: AnyObject?
    /// Borrowed from a read-only file mapping (pages may be dropped and re-read).
    let isFileMapped: Bool

    var isOwned: Bool { owner == nil }

    /// Allocates `capacity` uninitialized scalars (64-byte aligned for AVX-512 loads in BLAS kernels).
    init(uninitializedCapacity capacity: Int) {
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
        self.capacity = capacity
        owner = nil
        isFileMapped = false
    }

    init(borrowing pointer: UnsafePointer<Float>, capacity: Int, owner: AnyObject, fileMapped: Bool = false) {
        self.pointer = UnsafeMutablePointer(mutating: pointer)
        self.capacity = capacity
        self.owner = owner
        isFileMapped = fileMapped
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    /// An owned copy of the first `count` scalars.
    func ownedCopy(count: Int) -> TensorStorage {
        let copy = TensorStorage(uninitializedCapacity: count)
        copy.pointer.update(from: pointer, count: count)
        return copy
    }
}
