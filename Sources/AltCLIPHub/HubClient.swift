import Foundation

/// Turns `--model` arguments into local model folders: an existing folder as is, otherwise a Hugging
/// Face Hub model `ORG/NAME[@REVISION]` from the Hugging Face cache, downloading what is missing.
///
/// The cache is huggingface_hub's own (`HF_HUB_CACHE`, `HF_HOME/hub`, `~/.cache/huggingface/hub`),
/// read and written in its exact layout: models Python already downloaded are used without network,
/// and models downloaded here are used by Python. Downloads resume after a cut connection, are checked
/// against the size and the hash the hub's ETag names, and reach their final name only when complete.
///
/// ```swift
/// let hub = HubClient()                                   // HF_* environment variables
/// let folder = try hub.resolve("BAAI/AltCLIP") { report in
///     print(report.file, report.completedBytes, report.totalBytes ?? -1)
/// }
/// // folder: ~/.cache/huggingface/hub/models--BAAI--AltCLIP/snapshots/<commit>
/// ```
///
/// The returned snapshot folder holds symlinks into `blobs/`; opening the files follows them.
public final class HubClient: @unchecked Sendable {
    /// Called with download progress; see `HubDownloadProgress`.
    public typealias ProgressHandler = (HubDownloadProgress) -> Void

    /// The cache root (the folder holding `models--ORG--NAME` folders).
    public let cacheDirectory: URL
    /// The hub's base URL without a trailing slash (`https://huggingface.co` or `HF_ENDPOINT`).
    public let endpoint: String
    /// Sent as `Authorization: Bearer …` to the hub (never to the CDN it redirects to).
    public let token: String?
    /// Never use the network; only the cache (`HF_HUB_OFFLINE=1`).
    public let offline: Bool
    /// The files a model folder needs.
    public let files: ModelFileSelection
    /// Seconds without data before a request fails (at least 1: URLSession on Linux counts whole seconds).
    public let timeout: TimeInterval
    /// Consecutive failed attempts of one download (without progress) before giving up.
    public let maxAttempts: Int
    /// Pause before retry n is n × this many seconds.
    public let retryDelay: TimeInterval
    /// Seconds one file's download may take in all, or nil for no limit (`ALTCLIP_DOWNLOAD_DEADLINE`;
    /// default 6 hours, enough for the 3.5 GB checkpoint at 200 KB/s).
    public let downloadDeadline: TimeInterval?
    /// A failed attempt counts as progress only if it brought at least this many bytes.
    public let minProgressBytes: Int64

    /// The hub's address when `HF_ENDPOINT` is not set.
    public static let defaultEndpoint = "https://huggingface.co"

    /// Creates a client with explicit settings (see `init(environment:)` for the usual one).
    public init(cacheDirectory: URL, endpoint: String = HubClient.defaultEndpoint, token: String? = nil,
                offline: Bool = false, files: ModelFileSelection = .altclip, timeout: TimeInterval = 60,
                maxAttempts: Int = 5, retryDelay: TimeInterval = 1, downloadDeadline: TimeInterval? = 6 * 3600,
                minProgressBytes: Int64 = 1 << 20) {
        self.cacheDirectory = cacheDirectory.standardizedFileURL
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.offline = offline
        self.files = files
        self.timeout = max(1, timeout)
        self.maxAttempts = max(1, maxAttempts)
        self.retryDelay = retryDelay
        self.downloadDeadline = downloadDeadline.map { max($0, 1) }
        self.minProgressBytes = max(minProgressBytes, 1)
    }

    /// A local folder for `text`: the folder itself when `text` names one (relative, absolute or
    /// `~/…`); else `text` is parsed as `ORG/NAME[@REVISION]` and resolved with `snapshot(for:)`.
    public func resolve(_ text: String, progress: ProgressHandler? = nil) throws -> URL {
        let path = text.hasPrefix("~") ? NSString(string: text).expandingTildeInPath : text
        if FileSystem.isDirectory(path) { return URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL }
        let pathLike = text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~")
            || text == "." || text == ".."
        if pathLike || FileSystem.exists(path) { throw HubError.localFolderNotFound(path: path) }
        return try snapshot(for: ModelSpec(parsing: text), progress: progress)
    }

    /// The snapshot folder `<cache>/models--ORG--NAME/snapshots/<commit>` holding the model's files,
    /// downloading the missing ones (unless offline).
    ///
    /// Online, the revision is resolved to a commit by the hub first (a HEAD of config.json), so a
    /// moved branch is followed; when the hub cannot be reached, a cached copy of the revision is used,
    /// as huggingface_hub does. A full commit hash whose snapshot is complete needs no network at all.
    public func snapshot(for spec: ModelSpec, progress: ProgressHandler? = nil) throws -> URL {
        let repo = HubCacheRepository(cacheRoot: cacheDirectory.path, spec: spec)
        if offline {
            if let folder = cachedSnapshot(for: spec) { return folder }
            throw notCached(spec, repo, reason: "offline mode is on (HF_HUB_OFFLINE)")
        }
        if spec.isCommitHash, isComplete(repo, commit: spec.revision) {
            return URL(fileURLWithPath: repo.snapshot(spec.revision), isDirectory: true)
        }
        let remote = HubRemote(endpoint: endpoint, token: token,
                               transport: HTTPTransport(timeout: timeout, userAgent: "altclip-swift; hf_hub-compatible"))
        let anchorName = files.required.first ?? "config.json"
        let anchor: HubRemote.Lookup
        do {
            anchor = try remote.lookup(repoId: spec.repoId, revision: spec.revision, file: anchorName)
        } catch let error as HubError {
            // As huggingface_hub: when the hub cannot tell, a cached copy of the revision will do.
            switch error {
            case .revisionNotFound, .invalidEndpoint: throw error
            default: break
            }
            if let folder = cachedSnapshot(for: spec) { return folder }
            switch error {
            case .network:
                throw notCached(spec, repo, reason: "the hub could not be reached (\(error))")
            case let .httpStatus(_, status, _) where status >= 500 || status == 429:
                throw notCached(spec, repo, reason: "the hub is unavailable (\(error))")
            default:
                throw error
            }
        }
        guard case let .found(anchorFile) = anchor else {
            throw HubError.fileNotFound(repoId: spec.repoId, revision: spec.revision, file: anchorName)
        }
        let commit = anchorFile.commit
        try repo.writeRef(spec.revision, commit: commit)
        let lookup = { (name: String) -> HubRemote.Lookup in
            try remote.lookup(repoId: spec.repoId, revision: commit, file: name)
        }
        let required = { (name: String) -> RemoteFile in
            guard case let .found(file) = try lookup(name) else {
                throw HubError.fileNotFound(repoId: spec.repoId, revision: spec.revision, file: name)
            }
            return file
        }

        var plan: [RemoteFile] = repo.has(commit, anchorName) ? [] : [anchorFile]
        for name in files.required.dropFirst() where !repo.has(commit, name) {
            try Self.checkRelative(name)
            plan.append(try required(name))
        }
        plan += try weightPlan(spec, repo, commit: commit, remote: remote, lookup: lookup, required: required,
                               progress: progress)
        for name in files.optional where !repo.has(commit, name) && !repo.isKnownMissing(commit, name) {
            try Self.checkRelative(name)
            switch try lookup(name) {
            case let .found(file): plan.append(file)
            case .missing: repo.markMissing(commit, name)
            }
        }
        try fetch(plan, spec, repo, commit: commit, remote: remote, progress: progress)
        return URL(fileURLWithPath: repo.snapshot(commit), isDirectory: true)
    }

    /// The cached snapshot of `spec` when it holds the required files and a complete set of weights,
    /// without any network access; nil otherwise.
    public func cachedSnapshot(for spec: ModelSpec) -> URL? {
        let repo = HubCacheRepository(cacheRoot: cacheDirectory.path, spec: spec)
        guard let commit = repo.commit(for: spec.revision), isUsable(repo, commit: commit) else { return nil }
        return URL(fileURLWithPath: repo.snapshot(commit), isDirectory: true)
    }

    // MARK: - Weights

    /// The weight files still to download: none when the snapshot already holds a complete set (a
    /// Python download of `pytorch_model.bin` is used as is), else the first candidate the hub has.
    private func weightPlan(_ spec: ModelSpec, _ repo: HubCacheRepository, commit: String, remote: HubRemote,
                            lookup: (String) throws -> HubRemote.Lookup, required: (String) throws -> RemoteFile,
                            progress: ProgressHandler?) throws -> [RemoteFile] {
        for name in files.weights where repo.has(commit, name) {
            guard Self.isIndex(name) else { return [] }
            return try Self.shards(in: repo.pointer(commit, name)).filter { !repo.has(commit, $0) }.map(required)
        }
        for name in files.weights where !repo.isKnownMissing(commit, name) {
            try Self.checkRelative(name)
            guard case let .found(file) = try lookup(name) else {
                repo.markMissing(commit, name)
                continue
            }
            guard Self.isIndex(name) else { return [file] }
            try fetch([file], spec, repo, commit: commit, remote: remote, progress: progress)
            return try Self.shards(in: repo.pointer(commit, name)).filter { !repo.has(commit, $0) }.map(required)
        }
        throw HubError.noWeights(repoId: spec.repoId, revision: spec.revision, looked: files.weights)
    }

    private static func isIndex(_ name: String) -> Bool { name.hasSuffix(".index.json") }

    /// The shard file names of a `*.index.json` (`weight_map` values), sorted, each a plain file name.
    static func shards(in path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HubError.fileSystem(path: path, operation: "read", reason: "missing")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = json["weight_map"] as? [String: Any]
        else { throw HubError.invalidIndex(file: path, reason: "not a JSON object with a weight_map object") }
        var names = Set<String>()
        for (key, value) in map {
            guard let shard = value as? String else {
                throw HubError.invalidIndex(file: path, reason: "the shard of '\(key)' is not a string")
            }
            guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\\"),
                  !shard.contains("\0")
            else { throw HubError.invalidIndex(file: path, reason: "shard '\(shard)' is not a plain file name") }
            names.insert(shard)
        }
        guard !names.isEmpty else { throw HubError.invalidIndex(file: path, reason: "empty weight_map") }
        return names.sorted()
    }

    // MARK: - Cache state

    /// Required files plus one complete weight set.
    private func isUsable(_ repo: HubCacheRepository, commit: String) -> Bool {
        guard files.required.allSatisfy({ repo.has(commit, $0) }) else { return false }
        return files.weights.contains { name in
            guard repo.has(commit, name) else { return false }
            guard Self.isIndex(name) else { return true }
            guard let shards = try? Self.shards(in: repo.pointer(commit, name)) else { return false }
            return shards.allSatisfy { repo.has(commit, $0) }
        }
    }

    /// Usable, and every optional file is either present or known not to exist.
    private func isComplete(_ repo: HubCacheRepository, commit: String) -> Bool {
        isUsable(repo, commit: commit)
            && files.optional.allSatisfy { repo.has(commit, $0) || repo.isKnownMissing(commit, $0) }
    }

    private func notCached(_ spec: ModelSpec, _ repo: HubCacheRepository, reason: String) -> HubError {
        let commit = repo.commit(for: spec.revision)
        let has = { (name: String) in commit.map { repo.has($0, name) } ?? false }
        let knownMissing = { (name: String) in commit.map { repo.isKnownMissing($0, name) } ?? false }
        var missing = files.required.filter { !has($0) }
        if commit.map({ !isUsable(repo, commit: $0) }) ?? true, !files.weights.isEmpty {
            missing.append("one of " + files.weights.joined(separator: " / ") + " (with its shards)")
        }
        missing += files.optional.filter { !has($0) && !knownMissing($0) }.map { "\($0) (if the model has it)" }
        return .notCached(repoId: spec.repoId, revision: spec.revision, cacheDirectory: cacheDirectory.path,
                          endpoint: endpoint, missing: missing, reason: reason)
    }

    /// Repository file names must stay inside the snapshot folder.
    private static func checkRelative(_ name: String) throws {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let safe = !name.isEmpty && !name.hasPrefix("/") && !name.contains("\\") && !name.contains("\0")
            && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
        guard safe else { throw HubError.invalidIndex(file: name, reason: "not a relative path inside the repository") }
    }

    // MARK: - Downloads

    /// Downloads each file's blob unless present (under the blob's lock, as huggingface_hub does) and
    /// links it into the snapshot.
    private func fetch(_ plan: [RemoteFile], _ spec: ModelSpec, _ repo: HubCacheRepository, commit: String,
                       remote: HubRemote, progress: ProgressHandler?) throws {
        guard !plan.isEmpty else { return }
        try FileSystem.createDirectory("\(repo.path)/blobs")
        repo.writeCacheDirectoryTag()
        var downloader = BlobDownloader(remote: remote, maxAttempts: maxAttempts, retryDelay: retryDelay)
        downloader.deadline = downloadDeadline
        downloader.minProgressBytes = minProgressBytes
        for (index, file) in plan.enumerated() {
            let lock = try FileLock(path: repo.lock(file.etag))
            defer { lock.unlock() }
            let blob = repo.blob(file.etag)
            if !FileSystem.isFile(blob) {
                try downloader.download(file, to: blob) { completed, total, phase in
                    progress?(HubDownloadProgress(repoId: spec.repoId, file: file.name, fileNumber: index + 1,
                                                  fileCount: plan.count, completedBytes: completed, totalBytes: total,
                                                  phase: phase))
                }
            }
            try repo.link(commit, file.name, etag: file.etag)
        }
    }
}
