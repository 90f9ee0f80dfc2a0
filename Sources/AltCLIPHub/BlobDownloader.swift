import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Downloads one blob into `blobs/<etag>.incomplete`, resuming with `Range` after a cut connection (in
/// this process or an earlier one), checks the size and the content hash the ETag names, and only then
/// renames it to `blobs/<etag>`: a blob under its final name is always complete and verified.
struct BlobDownloader {
    let remote: HubRemote
    /// Consecutive failed attempts that each brought less than `minProgressBytes` before giving up:
    /// a host that trickles a few bytes per connection cannot keep the download alive forever.
    let maxAttempts: Int
    /// Pause before retry n is n × this.
    let retryDelay: TimeInterval
    /// An attempt that ends in failure counts as progress only if it brought at least this much.
    var minProgressBytes: Int64 = 1 << 20
    /// Seconds one file's download may take in all (attempts, pauses, a slow transfer), or nil.
    var deadline: TimeInterval? = nil

    /// Progress callback: bytes on disk, total when known, phase.
    typealias Report = (Int64, Int64?, HubDownloadProgress.Phase) -> Void

    func download(_ file: RemoteFile, to blobPath: String, report: Report) throws {
        let partial = blobPath + ".incomplete"
        let state = try PartialFile(path: partial, etag: file.etag, expectedSize: file.size)
        defer { state.close() }
        report(state.size, file.size, .started)
        let giveUpAt = deadline.map { Date().addingTimeInterval($0) }
        var failures = 0
        let sizeAtStart = state.size
        while true {
            let before = state.size
            do {
                try attempt(file, state, giveUpAt: giveUpAt, report: report)
                break
            } catch let failure as RetryableFailure {
                failures = state.size - before >= minProgressBytes ? 1 : failures + 1
                guard failures < maxAttempts else {
                    // Nothing at all came: the host's own error says it best. Some bytes, too slowly: a trickle.
                    guard failures > 1, state.size > sizeAtStart else { throw failure.error }
                    throw HubError.downloadStalled(
                        file: file.name, url: file.downloadURL.absoluteString,
                        reason: "\(failures) attempts in a row brought less than \(minProgressBytes) bytes each "
                            + "(\(state.size) bytes so far; last: \(failure.error.description))")
                }
                if let giveUpAt, Date().addingTimeInterval(retryDelay * Double(failures)) >= giveUpAt {
                    throw HubError.downloadStalled(file: file.name, url: file.downloadURL.absoluteString,
                                                   reason: "not finished within \(Int(deadline ?? 0)) s (\(state.size) bytes so far)")
                }
                report(state.size, state.total, .retrying(attempt: failures, reason: failure.error.description))
                if retryDelay > 0 { Thread.sleep(forTimeInterval: retryDelay * Double(failures)) }
            }
        }
        try state.finish(file: file.name)
        try FileSystem.rename(partial, to: blobPath)
        report(state.size, state.size, .finished)
    }

    /// One GET from the current size of the partial file to the end.
    private func attempt(_ file: RemoteFile, _ state: PartialFile, giveUpAt: Date?, report: Report) throws {
        if let total = state.total, state.size == total { return }  // complete from an earlier run
        var url = file.downloadURL
        var sendToken = file.sendToken
        for _ in 0..<10 {
            let offset = state.size
            var headers = remote.headers(for: url, sendToken: sendToken)
            if offset > 0 { headers["Range"] = "bytes=\(offset)-" }
            var redirect: URL?
            var accepting = false  // only a 2xx body goes into the file, never a redirect or error page
            var lastReported = offset
            let response: HTTPResponse
            do {
                response = try remote.transport.send("GET", url, headers: headers, onResponse: { response in
                    if response.isRedirect {
                        redirect = response.header("Location").flatMap { URL(string: $0, relativeTo: url)?.absoluteURL }
                        return
                    }
                    guard (200..<300).contains(response.status) else { return }
                    try state.begin(response, requestedOffset: offset, file: file.name)
                    accepting = true
                }, onData: { bytes in
                    guard accepting else { return }
                    if let giveUpAt, Date() >= giveUpAt {
                        throw HubError.downloadStalled(file: file.name, url: url.absoluteString,
                                                       reason: "not finished within \(Int(deadline ?? 0)) s (\(state.size) bytes so far)")
                    }
                    try state.append(bytes)
                    if state.size - lastReported >= 1 << 18 {
                        lastReported = state.size
                        report(state.size, state.total, .downloading)
                    }
                })
            } catch let failure as TransportError {
                throw RetryableFailure(error: .network(url: failure.url.absoluteString, reason: failure.reason))
            }
            if let redirect {
                sendToken = sendToken && remote.isTrusted(redirect, from: url)
                url = redirect
                continue
            }
            if response.status == 416, let total = state.total, state.size == total { return }
            guard (200..<300).contains(response.status) else {
                let error = HubError.httpStatus(url: url.absoluteString, status: response.status,
                                                message: response.header("X-Error-Message"))
                if response.status == 408 || response.status == 429 || response.status >= 500 {
                    throw RetryableFailure(error: error)
                }
                if response.status == 416 { state.reset() }  // our partial file does not fit the blob
                throw response.status == 416 ? RetryableFailure(error: error) : error
            }
            report(state.size, state.total, .downloading)
            if let total = state.total, state.size < total {
                throw RetryableFailure(error: .network(url: url.absoluteString,
                                                       reason: "the transfer ended after \(state.size) of \(total) bytes"))
            }
            return
        }
        throw HubError.tooManyRedirects(url: url.absoluteString)
    }
}

/// A failure worth another attempt (the connection, a 5xx, a 429).
struct RetryableFailure: Error {
    let error: HubError
}

/// The `.incomplete` file being written, with the running hash of everything in it.
private final class PartialFile {
    let path: String
    let etag: String
    private(set) var size: Int64
    /// The blob's size: from the hub's metadata, else from the first response.
    private(set) var total: Int64?
    private var descriptor: Int32
    private var verifier: ContentVerifier?

    init(path: String, etag: String, expectedSize: Int64?) throws {
        self.path = path
        self.etag = etag
        total = expectedSize
        let fd = open(path, O_WRONLY | O_CREAT, 0o666)
        guard fd >= 0 else { throw FileSystem.error(path, "create") }
        descriptor = fd
        var current = Int64(lseek(fd, 0, SEEK_END))
        if let expectedSize, current > expectedSize {  // not a prefix of this blob
            ftruncate(fd, 0)
            current = 0
        }
        size = max(current, 0)
        lseek(fd, off_t(size), SEEK_SET)
    }

    /// Checks a response's status and range against what is on disk; truncates when the server sends
    /// the whole file instead of the requested range.
    func begin(_ response: HTTPResponse, requestedOffset: Int64, file: String) throws {
        var announced: Int64?
        if response.status == 206 {
            // Content-Range: bytes <start>-<end>/<total>
            let range = response.header("Content-Range") ?? ""
            let parts = range.replacingOccurrences(of: "bytes ", with: "").split(separator: "/")
            let start = parts.first?.split(separator: "-").first.flatMap { Int64($0) }
            guard start == requestedOffset else {
                reset()
                throw RetryableFailure(error: .httpStatus(url: response.url.absoluteString, status: 206,
                                                          message: "Content-Range '\(range)' does not start at \(requestedOffset)"))
            }
            announced = parts.count == 2 ? Int64(parts[1]) : nil
        } else {
            if size > 0 { reset() }  // the server ignored Range: start over
            announced = response.header("Content-Length").flatMap { Int64($0) }
        }
        if total == nil { total = announced }
        if let total, let announced, announced != total {
            throw HubError.sizeMismatch(file: file, expected: total, actual: announced)
        }
        if verifier == nil { try startVerifier(blobSize: total) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard FileSystem.writeAll(descriptor, bytes) else { throw FileSystem.error(path, "write") }
        verifier?.update(bytes)
        size += Int64(bytes.count)
        if let total, size > total {
            let actual = size
            reset()
            throw HubError.sizeMismatch(file: path, expected: total, actual: actual)
        }
    }

    /// Empties the file (it cannot be a prefix of the blob).
    func reset() {
        ftruncate(descriptor, 0)
        lseek(descriptor, 0, SEEK_SET)
        size = 0
        verifier = nil
    }

    /// Size and hash checks; on a mismatch the partial file is deleted, so the next run starts clean.
    func finish(file: String) throws {
        guard fsync(descriptor) == 0 else { throw FileSystem.error(path, "flush") }
        if let total, size != total {
            let actual = size
            discard()
            throw HubError.sizeMismatch(file: file, expected: total, actual: actual)
        }
        if verifier == nil { try startVerifier(blobSize: size) }  // size unknown until now, or an empty body
        if let verifier, let mismatch = verifier.mismatch() {
            discard()
            throw HubError.checksumMismatch(file: file, algorithm: verifier.algorithm, expected: etag, actual: mismatch)
        }
    }

    func close() {
        if descriptor >= 0 { posixClose(descriptor) }
        descriptor = -1
    }

    private func discard() {
        close()
        FileSystem.remove(path)
    }

    /// Starts hashing; bytes already on disk (resumed download) are hashed first.
    private func startVerifier(blobSize: Int64?) throws {
        guard let kind = ContentVerifier(etag: etag, size: blobSize) else { return }
        var hasher = kind
        if size > 0 { try FileSystem.readChunks(path, length: size) { hasher.update($0) } }
        verifier = hasher
    }
}

/// `close(2)`; inside `PartialFile` its own `close()` hides the global name.
private func posixClose(_ fd: Int32) { _ = close(fd) }
