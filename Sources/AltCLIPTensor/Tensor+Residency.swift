import Foundation

extension Tensor {
    /// For a tensor borrowed from a memory-mapped file (`fileMapped: true`; anything else is left alone): hands its resident pages back to the kernel
    /// (`madvise(MADV_DONTNEED)` on the whole pages inside it). The contents do not change — file-backed
    /// pages leave this process's resident set but stay in the page cache, re-read on demand (and warm
    /// for the next start) — so it is safe for any borrowed memory; call it once a converted copy
    /// (packed, quantized) has replaced the mapped original. A hint: a no-op for owned tensors.
    public func releaseBorrowedPages() {
        guard storage.isFileMapped, count > 0 else { return }
        MemoryResidency.release(pointer, byteCount: count * MemoryLayout<Float>.stride)
    }
}

/// Dropping pages of read-only file mappings from the resident set.
public enum MemoryResidency {
    /// `madvise(MADV_DONTNEED)` on the whole pages inside `[pointer, pointer + byteCount)`, which must lie
    /// in a read-only *file* mapping (anonymous memory would read back as zeros): the pages leave this
    /// process's resident set, stay in the page cache, and are re-read on demand. A hint; no-op elsewhere.
    public static func release(_ pointer: UnsafeRawPointer, byteCount: Int) {
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0, byteCount > 0 else { return }
        let address = Int(bitPattern: pointer)
        let start = (address + page - 1) / page * page
        let end = (address + byteCount) / page * page
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(base, end - start, 4)  // MADV_DONTNEED
        #endif
    }
}

extension MemoryResidency {
    /// Frees the activation buffers kept for reuse between ops (up to 1 GB; see `BufferPool`), e.g. after
    /// a large batch when memory matters more than the next call's speed.
    public static func releaseCachedBuffers() { BufferPool.drain() }
}
