import AltCLIPSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    /// Zeros of `shape` that cost no memory until written: an anonymous mapping the kernel backs with
    /// its shared zero page on reads. `altclip inspect` uses it for parameters a checkpoint lacks, so a
    /// config that claims a billion-row vocabulary is reported, not allocated. Sizes are checked; a shape
    /// that does not fit the address space is an error naming `what`.
    public static func placeholderZeros(_ shape: [Int], for what: String) throws -> Tensor {
        let count = try CheckedSize.product(shape, field: what)
        let bytes = try CheckedSize.product([max(count, 1), MemoryLayout<Float>.stride], field: what)
        let mapping = try ZeroMapping(byteCount: bytes, what: what)
        return Tensor(shape: shape, borrowing: mapping.base.assumingMemoryBound(to: Float.self), owner: mapping)
    }
}

/// A private anonymous mapping, unmapped when the last tensor using it goes away.
private final class ZeroMapping: @unchecked Sendable {
    let base: UnsafeRawPointer
    let byteCount: Int

    init(byteCount: Int, what: String) throws {
        guard let address = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              address != MAP_FAILED else {
            throw SizeError.addressSpace(what: what, bytes: byteCount)
        }
        base = UnsafeRawPointer(address)
        self.byteCount = byteCount
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), byteCount) }
}
