import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading files that come from outside (model folders, images, tokenizer files): regular files only,
/// opened without blocking, with a size cap checked before anything is read.
///
/// A FIFO or a device named as an input would otherwise block `open(2)` or `read(2)` forever, or stream
/// without end; a directory would read as garbage or fail with a misleading message. Symbolic links are
/// followed (the Hugging Face cache is made of them); a link loop is reported as one.
public enum InputFile {
    /// Opens `path` read-only and returns a descriptor of a regular file; the caller closes it.
    ///
    /// The file is opened with `O_NONBLOCK` (so opening a FIFO never waits for a writer), checked with
    /// `fstat` to be a regular file, then switched back to blocking reads.
    public static func openRegular(_ path: String) throws(InputFileError) -> (descriptor: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw InputFileError(path: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw InputFileError(path: path, errno: code)
        }
        guard let kind = InputFileError.Kind(fileMode: info.st_mode) else {
            let flags = fcntl(fd, F_GETFL)
            if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
            return (fd, Int(info.st_size))
        }
        close(fd)
        throw InputFileError(path: path, kind: kind)
    }

    /// The whole contents of the regular file at `path`, refusing files larger than `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = Int.max) throws(InputFileError) -> Data {
        let (fd, size) = try openRegular(path)
        defer { close(fd) }
        guard size <= maxBytes else { throw InputFileError(path: path, kind: .tooLarge(size: size, limit: maxBytes)) }
        var data = Data(count: size)
        var filled = 0
        let failure: Int32? = data.withUnsafeMutableBytes { buffer -> Int32? in
            while filled < size {
                let n = posixRead(fd, buffer.baseAddress! + filled, size - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { break }  // truncated while reading: keep what is there
                filled += n
            }
            return nil
        }
        if let failure { throw InputFileError(path: path, errno: failure) }
        if filled < size { data.removeSubrange(filled..<size) }
        return data
    }

    /// Why `path` cannot be used (following links), or nil when it exists: for arguments that may
    /// name a file or a folder.
    public static func statusProblem(_ path: String) -> InputFileError? {
        var info = stat()
        return stat(path, &info) == 0 ? nil : InputFileError(path: path, errno: errno)
    }

    /// Whether `path` names an existing regular file (following links), without opening it.
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}

/// Why an input file could not be read, in words a user can act on (never a raw `NSError`).
public struct InputFileError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public enum Kind: Equatable, Sendable {
        case notFound
        /// The name reached us with bytes that are not UTF-8 (shown as U+FFFD), so it cannot be opened.
        case undecodableName
        case permissionDenied
        case symlinkLoop
        case nameTooLong
        case notADirectoryInPath
        case directory
        case fifo
        case device
        case socket
        case tooLarge(size: Int, limit: Int)
        case other(errno: Int32, message: String)

        /// The kind of a non-regular file mode, or nil for a regular file.
        init?(fileMode mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: return nil
            case S_IFDIR: self = .directory
            case S_IFIFO: self = .fifo
            case S_IFCHR, S_IFBLK: self = .device
            case S_IFSOCK: self = .socket
            default: self = .other(errno: 0, message: "not a regular file")
            }
        }
    }

    /// The path as given.
    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public init(path: String, errno code: Int32) {
        self.path = path
        switch code {
        case ENOENT where path.unicodeScalars.contains("\u{FFFD}"): kind = .undecodableName
        case ENOENT: kind = .notFound
        case EACCES, EPERM: kind = .permissionDenied
        case ELOOP: kind = .symlinkLoop
        case ENAMETOOLONG: kind = .nameTooLong
        case ENOTDIR: kind = .notADirectoryInPath
        case EISDIR: kind = .directory
        default: kind = .other(errno: code, message: String(cString: strerror(code)))
        }
    }

    /// The reason alone, without the path ("is a FIFO, not a regular file").
    public var reason: String {
        switch kind {
        case .notFound: return "no such file"
        case .undecodableName: return "the file name is not valid UTF-8, so it cannot be opened by this name; rename the file"
        case .permissionDenied: return "permission denied"
        case .symlinkLoop: return "too many levels of symbolic links (a link loop)"
        case .nameTooLong: return "file name too long"
        case .notADirectoryInPath: return "a component of the path is not a directory"
        case .directory: return "is a directory, not a regular file"
        case .fifo: return "is a FIFO (named pipe), not a regular file"
        case .device: return "is a device, not a regular file"
        case .socket: return "is a socket, not a regular file"
        case let .tooLarge(size, limit): return "is \(size) bytes, more than the limit of \(limit) bytes"
        case let .other(_, message): return message
        }
    }

    public var description: String { "\(path): \(reason)" }
    public var errorDescription: String? { description }
}

#if canImport(Glibc)
private let posixRead = Glibc.read
#elseif canImport(Musl)
private let posixRead = Musl.read
#elseif canImport(Darwin)
private let posixRead = Darwin.read
#endif
