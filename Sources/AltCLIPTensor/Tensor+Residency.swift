import Foundation

extension Tensor {
    /// For a tensor borrowed from a memory-mapped file (`fileMapped: true`; anything else is left alone): hands its resident pages back to the kernel
    /// (`madvise(MADV_DONTNEED)` on the whole pages inside it). The contents do not change — file-backed
    /// pages leave this process's resident set but stay in the page cache, re-read on demand (and warm
    /// for the next start) — so it is safe for any borrowed memory; call it once a converted copy
    /// (packed, quantized) has replaced the mapped original. A hint: a no-op for owned tensors.
    public func releaseBorrowedPages() {
        #if os(Linux)
        guard storage.isFileMapped, count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let address = Int(bitPattern: pointer)
        let start = (address + page - 1) / page * page
        let end = (address + count * MemoryLayout<Float>.stride) / page * page
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(base, end - start, 4)  // MADV_DONTNEED: unmapped here, still in the page cache
        #endif
    }
}
