import AltCLIPSupport
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One WebDataset sample: the files of a tar shard that share a key (`dir/000123.jpg`,
/// `dir/000123.txt`, `dir/000123.json` → key `dir/000123`), as img2dataset writes them.
public struct WebDatasetSample: Sendable, Equatable {
    /// The path inside the tar up to the first dot of the file name.
    public var key: String
    /// The tar file the sample came from.
    public var shard: String
    /// The sample's files by extension (everything after the first dot of the name, lowercased).
    public var files: [String: Data]

    public init(key: String, shard: String, files: [String: Data]) {
        self.key = key
        self.shard = shard
        self.files = files
    }

    /// The image extensions looked for, in order of preference.
    public static let imageExtensions = ["jpg", "jpeg", "png", "webp"]

    /// The encoded image and its extension, if the sample has one.
    public var image: (ext: String, data: Data)? {
        for ext in Self.imageExtensions { if let data = files[ext] { return (ext, data) } }
        return nil
    }

    /// The `txt` caption (UTF-8; invalid bytes replaced), if any.
    public var caption: String? { files["txt"].map { String(decoding: $0, as: UTF8.self) } }

    /// The `json` metadata, if any, as stored.
    public var metadata: Data? { files["json"] }
}

/// Why a shard could not be read (or not to its end).
public struct WebDatasetError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let shard: String
    /// Samples read from this shard before the problem.
    public let samplesBefore: Int
    public let reason: String

    public var description: String {
        samplesBefore == 0 ? "\(shard): \(reason)" : "\(shard): \(reason) (after \(samplesBefore) samples)"
    }
    public var errorDescription: String? { description }
}

/// Streams the samples of one tar shard (plain, or compressed with gzip, zstd, xz or bzip2) through
/// libarchive: nothing is unpacked to disk, and one sample is in memory at a time. Consecutive entries
/// with the same key form a sample, as in the `webdataset` package; entries that are not regular files,
/// or whose names have no extension, are skipped.
public final class TarShardReader {
    public let path: String
    /// An entry larger than this fails its sample (the bomb guard; default 256 MiB).
    public let maxEntryBytes: Int
    private var archive: OpaquePointer?
    private var descriptor: Int32 = -1
    private var pending: (key: String, ext: String, name: String)?
    private var finished = false
    public private(set) var samplesRead = 0

    public init(path: String, maxEntryBytes: Int = 256 << 20) throws {
        self.path = path
        self.maxEntryBytes = maxEntryBytes
        let opened: (descriptor: Int32, size: Int)
        do { opened = try InputFile.openRegular(path) } catch {
            throw WebDatasetError(shard: path, samplesBefore: 0, reason: error.reason)
        }
        descriptor = opened.descriptor
        // Blocking reads from here on (the open was non-blocking so a FIFO could not hang it).
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        guard let archive = archive_read_new() else {
            close(descriptor)
            throw WebDatasetError(shard: path, samplesBefore: 0, reason: "libarchive could not start")
        }
        self.archive = archive
        archive_read_support_format_tar(archive)
        archive_read_support_filter_all(archive)
        if archive_read_open_fd(archive, descriptor, 1 << 16) != ARCHIVE_OK {
            let reason = Self.message(archive)
            archive_read_free(archive)
            self.archive = nil
            close(descriptor)
            throw WebDatasetError(shard: path, samplesBefore: 0, reason: "not a tar file (\(reason))")
        }
    }

    deinit {
        if let archive { archive_read_free(archive) }
        if descriptor >= 0 { close(descriptor) }
    }

    /// The next sample, or nil at the end of the shard. Throws when the tar is damaged or cut short;
    /// the samples returned before stay valid, and the one being gathered is not returned. A sample is
    /// returned as soon as the next entry's header shows a new key, before that entry's data is read, so
    /// damage inside the next sample never costs a whole one.
    public func next() throws -> WebDatasetSample? {
        guard !finished else { return nil }
        var sample: WebDatasetSample?
        while true {
            let header: (key: String, ext: String, name: String)
            if let pending {
                header = pending
                self.pending = nil
            } else if let next = try nextHeader() {
                header = next
            } else {
                finished = true
                break
            }
            if let current = sample, current.key != header.key {
                pending = header
                break
            }
            let data = try readData(header.name)
            if sample == nil { sample = WebDatasetSample(key: header.key, shard: path, files: [:]) }
            sample?.files[header.ext] = data
        }
        if sample != nil { samplesRead += 1 }
        return sample
    }

    /// The next regular file with an extension: its key, extension and name (its data not yet read).
    private func nextHeader() throws -> (key: String, ext: String, name: String)? {
        guard let archive else { return nil }
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { return nil }
            guard status >= ARCHIVE_WARN, let entry else { throw failure(Self.message(archive)) }
            guard archive_entry_filetype(entry) == 0o100000 else { continue }  // AE_IFREG
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            guard let (key, ext) = Self.split(name) else { continue }
            if archive_entry_size_is_set(entry) != 0, archive_entry_size(entry) > Int64(maxEntryBytes) {
                throw failure("\(name) is \(archive_entry_size(entry)) bytes, more than the \(maxEntryBytes)-byte limit for one file")
            }
            return (key, ext, name)
        }
    }

    /// The data of the entry whose header was read last.
    private func readData(_ name: String) throws -> Data {
        guard let archive else { return Data() }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n == 0 { return data }
            guard n > 0 else { throw failure("\(name): \(Self.message(archive))") }
            guard data.count + n <= maxEntryBytes else {
                throw failure("\(name) is more than the \(maxEntryBytes)-byte limit for one file")
            }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    private func failure(_ reason: String) -> WebDatasetError {
        finished = true
        pending = nil
        return WebDatasetError(shard: path, samplesBefore: samplesRead, reason: reason)
    }

    /// `dir/000123.seg.png` → (`dir/000123`, `seg.png`), as webdataset splits names; nil without a dot.
    static func split(_ name: String) -> (String, String)? {
        let slash = name.lastIndex(of: "/")
        let base = slash.map { name[name.index(after: $0)...] } ?? name[...]
        guard let dot = base.firstIndex(of: "."), dot != base.startIndex else { return nil }
        let ext = base[base.index(after: dot)...]
        guard !ext.isEmpty else { return nil }
        return (String(name[..<dot]), ext.lowercased())
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unreadable archive"
    }
}
