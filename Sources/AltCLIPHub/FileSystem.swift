import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations the cache needs, throwing `HubError.fileSystem` with the path.
/// POSIX rather than FileManager because the cache relies on exact semantics: `rename` replacing
/// atomically, `symlink` with a relative target, `flock` compatible with Python's filelock.
enum FileSystem {
    /// Whether something exists at `path` (following symlinks).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether `path` is a regular file (following symlinks).
    static func isFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether `path` is a directory (following symlinks).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size of the file at `path`, or nil when there is none.
    static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// `mkdir -p`.
    static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw HubError.fileSystem(path: path, operation: "create the folder", reason: error.localizedDescription)
        }
    }

    /// Reads a small text file; nil when it does not exist or is not UTF-8.
    static func readText(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// Writes `text` to `path` atomically (temporary file in the same folder, then `rename`).
    static func writeTextAtomically(_ text: String, to path: String) throws {
        let temporary = "\(path).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        guard fd >= 0 else { throw error(path, "write") }
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { writeAll(fd, $0) }
        close(fd)
        guard ok else {
            let failure = error(path, "write")
            unlink(temporary)
            throw failure
        }
        try rename(temporary, to: path)
    }

    /// `rename(2)`: atomic replacement within one file system.
    static func rename(_ source: String, to destination: String) throws {
        guard posixRename(source, destination) == 0 else {
            let failure = error(destination, "move \(source) into place as")
            throw failure
        }
    }

    /// Creates (or atomically replaces) a symbolic link at `path` whose content is `target`.
    static func symlink(_ target: String, at path: String) throws {
        let temporary = "\(path).\(UInt32.random(in: 0...UInt32.max)).link"
        guard posixSymlink(target, temporary) == 0 else { throw error(path, "create a symbolic link at") }
        do {
            try rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// The content of the symbolic link at `path`, or nil when it is not one.
    static func linkTarget(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// Removes a file if present.
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Calls `body` with consecutive chunks of the first `length` bytes of the file at `path`.
    static func readChunks(_ path: String, length: Int64, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw error(path, "read") }
        defer { close(fd) }
        let chunk = 1 << 22
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var remaining = length
        while remaining > 0 {
            let count = read(fd, buffer, Int(min(Int64(chunk), remaining)))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw count == 0 ? HubError.fileSystem(path: path, operation: "read", reason: "file shrank") : error(path, "read") }
            body(UnsafeRawBufferPointer(start: buffer, count: count))
            remaining -= Int64(count)
        }
    }

    /// A `HubError.fileSystem` from the current `errno`.
    static func error(_ path: String, _ operation: String) -> HubError {
        HubError.fileSystem(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}

/// `rename(2)` and `symlink(2)` under other names: inside `FileSystem` the static methods hide them.
private func posixRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
private func posixSymlink(_ target: String, _ path: String) -> Int32 { symlink(target, path) }
