import Foundation
@testable import AltCLIPHub

/// A Hugging Face Hub stand-in on two loopback servers, following the real hub's protocol:
///
/// * hub: `HEAD|GET /{org}/{name}/resolve/{revision}/{file}` answers git files with 200 + `ETag` (git
///   blob sha1), LFS files with 302 to the CDN + `X-Linked-Etag` (sha256) + `X-Linked-Size`, always
///   `X-Repo-Commit`; errors carry `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound).
/// * cdn (another origin, so the client must drop Authorization): `GET /blobs/<sha256>?sig=…` with
///   `Range: bytes=N-` support; it can cut, corrupt or stall transfers, or ignore Range.
final class FakeHub: @unchecked Sendable {
    struct Repo {
        var files: [String: [UInt8]]
        var commit: String
        /// Served through the CDN like git-lfs files.
        var lfs: Set<String>
        /// Other revision names (branches, tags, `refs/pr/N`) that resolve to `commit`.
        var aliases: Set<String> = []
    }

    private let lock = NSLock()
    private var repos: [String: Repo] = [:]
    private var redirects: [String: String] = [:]
    private var token: String?
    private var cuts: [String: Int] = [:]
    private var corrupt: Set<String> = []
    private var stall: Set<String> = []
    private var trickles: [String: Int] = [:]
    private var ignoreRange = false
    private var blobs: [String: [UInt8]] = [:]

    private(set) var hub: LoopbackHTTPServer!
    private(set) var cdn: LoopbackHTTPServer!

    var endpoint: String { hub.baseURL }

    init() throws {
        cdn = try LoopbackHTTPServer { [unowned self] in self.serveCDN($0) }
        hub = try LoopbackHTTPServer { [unowned self] in self.serveHub($0) }
    }

    deinit {
        hub?.stop()
        cdn?.stop()
    }

    // MARK: Setup

    /// Publishes a repository; files whose names are in `lfs` go through the CDN.
    func add(_ repoId: String, files: [String: [UInt8]], lfs: Set<String>, commit: String = FakeHub.commitA,
             aliases: Set<String> = []) {
        locked {
            repos[repoId] = Repo(files: files, commit: commit, lfs: lfs, aliases: aliases)
            for name in lfs { blobs[SHA256.hexDigest(files[name]!)] = files[name]! }
        }
    }

    /// Publishes the files of a folder (sub-folders skipped); `.safetensors`, `.bin`, `.model` are LFS.
    func add(_ repoId: String, folder: URL, extra: [String: [UInt8]] = [:], commit: String = FakeHub.commitA,
             aliases: Set<String> = []) throws {
        var files = extra
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            files[name] = [UInt8](try Data(contentsOf: url))
        }
        let lfs = Set(files.keys.filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".bin") || $0.hasSuffix(".model") })
        add(repoId, files: files, lfs: lfs, commit: commit, aliases: aliases)
    }

    /// `HEAD /old/resolve/...` answers 307 to the same path under `new` (a renamed repository).
    func rename(_ old: String, to new: String) { locked { redirects[old] = new } }

    /// Every hub request must carry `Authorization: Bearer <token>` or gets 401 RepoNotFound.
    func requireToken(_ token: String?) { locked { self.token = token } }

    /// Every CDN transfer of this content is cut after `bytes` bytes (a host that trickles).
    func trickle(_ content: [UInt8], bytes: Int) { locked { trickles[SHA256.hexDigest(content)] = bytes } }

    /// The next `count` CDN transfers of this content are cut after half of the remaining bytes.
    func cut(_ content: [UInt8], times count: Int) { locked { cuts[SHA256.hexDigest(content)] = count } }

    /// The CDN serves this content with one byte changed (same length).
    func corrupt(_ content: [UInt8]) { _ = locked { corrupt.insert(SHA256.hexDigest(content)) } }

    /// The CDN sends headers for this content and then nothing for 5 seconds.
    func stall(_ content: [UInt8]) { _ = locked { stall.insert(SHA256.hexDigest(content)) } }

    /// The CDN answers every Range request with the whole file (200), as some proxies do.
    func ignoreRangeRequests() { locked { ignoreRange = true } }

    // MARK: Inspection

    var hubRequests: [LoopbackHTTPServer.Request] { hub.requests }
    var cdnRequests: [LoopbackHTTPServer.Request] { cdn.requests }

    static let commitA = "0123456789abcdef0123456789abcdef01234567"
    static let commitB = "89abcdef0123456789abcdef0123456789abcdef"

    /// The hub's ETag of a git-stored file: its git blob id.
    static func gitETag(_ content: [UInt8]) -> String {
        var hasher = SHA1.gitBlob(size: Int64(content.count))
        hasher.update(content)
        return hexString(hasher.finalize())
    }

    // MARK: Serving

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    private func serveHub(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        // /{org}/{name}/resolve/{revision}/{file...}
        let parts = request.target.split(separator: "/", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0].isEmpty, parts[3] == "resolve" else { return .init(status: 404) }
        let repoId = "\(parts[1])/\(parts[2])"
        let rest = parts[4]
        guard let slash = rest.firstIndex(of: "/") else { return .init(status: 404) }
        let revision = String(rest[..<slash]).removingPercentEncoding ?? ""
        let file = String(rest[rest.index(after: slash)...]).removingPercentEncoding ?? ""

        return locked {
            if let token, request.headers["authorization"] != "Bearer \(token)" {
                return .init(status: 401, headers: [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Invalid username or password.")])
            }
            if let new = redirects[repoId] {
                return .init(status: 307, headers: [("Location", "/\(new)/resolve/\(rest)")])
            }
            guard let repo = repos[repoId] else {
                return .init(status: 401, headers: [("X-Error-Code", "RepoNotFound")])
            }
            guard revision == "main" || revision == repo.commit || repo.aliases.contains(revision) else {
                return .init(status: 404, headers: [("X-Error-Code", "RevisionNotFound")])
            }
            guard let content = repo.files[file] else {
                return .init(status: 404, headers: [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", repo.commit)])
            }
            if repo.lfs.contains(file) {
                let sha = SHA256.hexDigest(content)
                return .init(status: 302, headers: [
                    ("Location", "\(cdn.baseURL)/blobs/\(sha)?sig=abc%2Fdef"), ("X-Repo-Commit", repo.commit),
                    ("X-Linked-Etag", "\"\(sha)\""), ("X-Linked-Size", "\(content.count)"), ("ETag", "W/\"redirect\""),
                ], body: Array("Found. Redirecting to the CDN".utf8))
            }
            return .init(status: 200, headers: [("ETag", "\"\(Self.gitETag(content))\""), ("X-Repo-Commit", repo.commit)],
                         body: content)
        }
    }

    private func serveCDN(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let path = request.target.split(separator: "?").first.map(String.init) ?? ""
        guard path.hasPrefix("/blobs/") else { return .init(status: 404) }
        let sha = String(path.dropFirst("/blobs/".count))
        return locked {
            guard var content = blobs[sha] else { return .init(status: 404) }
            if corrupt.contains(sha), !content.isEmpty { content[content.count / 2] ^= 0x5A }
            var start = 0
            if !ignoreRange, let range = request.headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
               let offset = Int(range.dropFirst("bytes=".count).dropLast()) {
                guard offset < content.count else {
                    return .init(status: 416, headers: [("Content-Range", "bytes */\(content.count)")])
                }
                start = offset
            }
            let body = Array(content[start...])
            var response = LoopbackHTTPServer.Response(status: start > 0 ? 206 : 200, body: body)
            response.headers = [("ETag", "\"\(sha)\""), ("Accept-Ranges", "bytes")]
            if start > 0 { response.headers.append(("Content-Range", "bytes \(start)-\(content.count - 1)/\(content.count)")) }
            if let remaining = cuts[sha], remaining > 0 {
                cuts[sha] = remaining - 1
                response.cutAfter = body.count / 2
            }
            if stall.contains(sha) { response.stallSeconds = 5 }
            if let bytes = trickles[sha] { response.cutAfter = min(bytes, body.count) }
            return response
        }
    }
}
