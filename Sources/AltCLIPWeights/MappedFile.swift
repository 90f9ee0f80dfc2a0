import AltCLIPSupport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The read-only bytes of one file: mapped with `mmap` (pages are read only when touched), or an owned
/// copy of bytes handed in directly (tests, fuzzing).
///
/// Tensors keep a reference to the `MappedFile` they point into, so the mapping lives as long as any of
/// them. If another process truncates the file while it is mapped, touching the lost pages raises
/// SIGBUS; that is inherent to mmap and why checkpoints should be replaced atomically, never rewritten.
final class MappedFile: @unchecked Sendable {
    /// Path used in error messages.
    let path: String
    /// All bytes of the file; empty (with a nil base address) for an empty file.
    let bytes: UnsafeRawBufferPointer
    /// Whether `bytes` is a file mapping (false for an empty file).
    let isMapped: Bool

    /// Maps `url` read-only.
    init(url: URL) throws {
        let path = url.path
        self.path = path
        // Regular files only, opened without blocking: a FIFO or a device named as a checkpoint is an
        // error at once, never a hang.
        let fd: Int32, fileSize: Int
        do { (fd, fileSize) = try InputFile.openRegular(path) } catch {
            throw WeightError.cannotOpen(file: path, reason: error.reason)
        }
        defer { close(fd) }
        let size = fileSize
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw WeightError.cannotOpen(file: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
        isMapped = true
    }

    /// Copies `contents` into memory owned by this object; `path` only names it in errors.
    init(contents: [UInt8], path: String) {
        self.path = path
        if contents.isEmpty {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        } else {
            // 64-byte alignment, like a page-aligned mapping, so zero-copy paths behave the same.
            let storage = UnsafeMutableRawPointer.allocate(byteCount: contents.count, alignment: 64)
            contents.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            bytes = UnsafeRawBufferPointer(start: storage, count: contents.count)
        }
        isMapped = false
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    var count: Int { bytes.count }

    /// The bytes in `range`, or nil when the range does not lie inside the file.
    func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        if length == 0 { return UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + offset }, count: 0) }
        return UnsafeRawBufferPointer(start: bytes.baseAddress! + offset, count: length)
    }
}
