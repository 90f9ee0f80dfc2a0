import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock(2)` on a lock file. huggingface_hub takes the same kind of lock (Python's
/// filelock uses `flock` on Unix) on `.locks/models--ORG--NAME/<etag>.lock` around a blob download, so
/// a Python process and this one never download the same blob at the same time.
final class FileLock {
    private var descriptor: Int32

    /// Blocks until the lock on `path` is held; creates the file (and its folder) when needed.
    init(path: String) throws {
        try FileSystem.createDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_CREAT, 0o664)
        guard fd >= 0 else { throw FileSystem.error(path, "open the lock file") }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let failure = FileSystem.error(path, "lock")
            close(fd)
            throw failure
        }
        descriptor = fd
    }

    /// Releases the lock (also done on deinit).
    func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
