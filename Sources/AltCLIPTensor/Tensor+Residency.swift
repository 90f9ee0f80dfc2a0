import Foundation

extension Tensor {
    /// For a tensor borrowed from a memory-mapped file: hands its resident pages back to the kernel
    /// (`madvise(MADV_PAGEOUT)` on the whole pages inside it). The contents do not change — file-backed
    /// pages are dropped and re-read on demand — so it is safe for any borrowed memory; call it once a
    /// converted copy (transposed, quantized) has replaced the mapped original. A hint: a no-op for owned
    /// tensors, and failures (older kernels) are ignored.
    public func releaseBorrowedPages() {
        #if os(Linux)
        guard isBorrowed, count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let address = Int(bitPattern: pointer)
        let start = (address + page - 1) / page * page
        let end = (address + count * MemoryLayout<Float>.stride) / page * page
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(base, end - start, 21)  // MADV_PAGEOUT (Linux 5.4+)
        #endif
    }
}
