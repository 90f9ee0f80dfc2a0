import Foundation

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
        let raw = BufferPool.take(byteCount: max(capacity, 1) * MemoryLayout<Float>.stride)
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
        if owner == nil { BufferPool.give(UnsafeMutableRawPointer(pointer), byteCount: max(capacity, 1) * MemoryLayout<Float>.stride) }
    }

    /// An owned copy of the first `count` scalars.
    func ownedCopy(count: Int) -> TensorStorage {
        let copy = TensorStorage(uninitializedCapacity: count)
        copy.pointer.update(from: pointer, count: count)
        return copy
    }
}

/// Recycles large activation buffers. glibc serves blocks above 32 MB (and, until it adapts, above
/// 128 KB) with a fresh `mmap` and unmaps them on free, so at large batches every layer paid page faults
/// and kernel zeroing for each of its outputs again (a 32-image batch allocates 100–135 MB tensors). Freed
/// buffers of 1 MB and up wait here by exact size, up to 1 GB in all, for the next op of the same shape;
/// smaller ones go straight back to malloc.
enum BufferPool {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var pooledBytes = 0
    static let minimumBytes = 1 << 20
    static let limitBytes = 1 << 30

    /// A 64-byte aligned buffer of `byteCount` bytes (uninitialized).
    static func take(byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= minimumBytes {
            lock.lock()
            if let buffer = free[byteCount]?.popLast() {
                pooledBytes -= byteCount
                lock.unlock()
                return buffer
            }
            lock.unlock()
        }
        return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
    }

    /// Takes back a buffer from `take(byteCount:)` (same `byteCount`).
    static func give(_ buffer: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount >= minimumBytes {
            lock.lock()
            if pooledBytes + byteCount <= limitBytes {
                free[byteCount, default: []].append(buffer)
                pooledBytes += byteCount
                lock.unlock()
                return
            }
            lock.unlock()
        }
        buffer.deallocate()
    }

    /// Frees every pooled buffer (e.g. after a large batch, to hand the memory back).
    static func drain() {
        lock.lock()
        let buffers = free.values.flatMap { $0 }
        free.removeAll()
        pooledBytes = 0
        lock.unlock()
        for buffer in buffers { buffer.deallocate() }
    }
}
