import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks an output path before any work starts: its folder exists and is writable, and the path is
/// not something other than what will be written (a character device, a FIFO, a directory for a file).
/// Outputs are written to a temporary file and renamed, so an existing regular file is replaced whole.
enum OutputPath {
    /// `path` is reported as given (relative stays relative).
    static func check(_ path: String, expectDirectory: Bool = false, flag: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            if expectDirectory {
                guard kind == S_IFDIR else { throw CLIError.badOutput(flag, path, "exists and is not a directory") }
                guard access(path, W_OK) == 0 else { throw CLIError.badOutput(flag, path, "the folder is not writable") }
                return
            }
            switch kind {
            case S_IFREG: break
            case S_IFDIR: throw CLIError.badOutput(flag, path, "is a directory; give a file name")
            case S_IFIFO: throw CLIError.badOutput(flag, path, "is a FIFO (named pipe), not a regular file; it is left alone")
            case S_IFCHR, S_IFBLK: throw CLIError.badOutput(flag, path, "is a device, not a regular file; it is left alone")
            default: throw CLIError.badOutput(flag, path, "is not a regular file; it is left alone")
            }
        }
        var parent = (path as NSString).deletingLastPathComponent
        if parent.isEmpty { parent = "." }
        var parentInfo = stat()
        guard stat(parent, &parentInfo) == 0 else {
            throw CLIError.badOutput(flag, path, "its folder \(parent) does not exist")
        }
        guard parentInfo.st_mode & S_IFMT == S_IFDIR else {
            throw CLIError.badOutput(flag, path, "\(parent) is not a folder")
        }
        guard access(parent, W_OK) == 0 else { throw CLIError.badOutput(flag, path, "its folder \(parent) is not writable") }
    }
}
