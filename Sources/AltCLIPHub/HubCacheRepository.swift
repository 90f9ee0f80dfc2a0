import Foundation

/// One repository's folder in the Hugging Face cache, in huggingface_hub's layout:
///
/// ```
/// <cache>/models--ORG--NAME/
///   blobs/<etag>                      file contents, named by ETag (git sha1, or sha256 for LFS files)
///   refs/<revision>                   the commit hash a branch/tag pointed to (no newline)
///   snapshots/<commit>/<file>         relative symlinks: ../../blobs/<etag>
///   .no_exist/<commit>/<file>         empty markers: the file does not exist at that commit
/// <cache>/.locks/models--ORG--NAME/<etag>.lock
/// ```
///
/// So files Python downloaded are found here, and files downloaded here are found by Python.
struct HubCacheRepository {
    /// The cache root (`HF_HUB_CACHE`).
    let cacheRoot: String
    /// `models--ORG--NAME`.
    let folderName: String

    init(cacheRoot: String, spec: ModelSpec) {
        self.cacheRoot = cacheRoot
        folderName = spec.cacheFolderName
    }

    var path: String { "\(cacheRoot)/\(folderName)" }

    func snapshot(_ commit: String) -> String { "\(path)/snapshots/\(commit)" }

    func pointer(_ commit: String, _ file: String) -> String { "\(snapshot(commit))/\(file)" }

    func blob(_ etag: String) -> String { "\(path)/blobs/\(etag)" }

    func lock(_ etag: String) -> String { "\(cacheRoot)/.locks/\(folderName)/\(etag).lock" }

    /// The commit a revision resolves to without network: itself when it is a commit hash, else the
    /// content of `refs/<revision>`.
    func commit(for revision: String) -> String? {
        if ModelSpec.isCommitHash(revision) { return revision }
        guard let text = FileSystem.readText("\(path)/refs/\(revision)") else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return ModelSpec.isCommitHash(commit) ? commit : nil
    }

    /// Records that `revision` points to `commit` (skipped for commit hashes and when unchanged).
    func writeRef(_ revision: String, commit: String) throws {
        guard revision != commit else { return }
        let refPath = "\(path)/refs/\(revision)"
        if FileSystem.readText(refPath) == commit { return }
        try FileSystem.createDirectory((refPath as NSString).deletingLastPathComponent)
        try FileSystem.writeTextAtomically(commit, to: refPath)
    }

    /// Whether the snapshot of `commit` holds `file` (a symlink to an existing blob, or a plain file).
    func has(_ commit: String, _ file: String) -> Bool {
        FileSystem.isFile(pointer(commit, file))
    }

    /// Whether a `.no_exist` marker says `file` does not exist at `commit`.
    func isKnownMissing(_ commit: String, _ file: String) -> Bool {
        FileSystem.exists("\(path)/.no_exist/\(commit)/\(file)")
    }

    /// Leaves a `.no_exist` marker (best effort, as huggingface_hub does).
    func markMissing(_ commit: String, _ file: String) {
        let marker = "\(path)/.no_exist/\(commit)/\(file)"
        guard (try? FileSystem.createDirectory((marker as NSString).deletingLastPathComponent)) != nil else { return }
        if !FileSystem.exists(marker) { _ = FileManager.default.createFile(atPath: marker, contents: Data()) }
    }

    /// Points `snapshots/<commit>/<file>` at `blobs/<etag>` with a relative symlink
    /// (`../../blobs/<etag>` for a top-level file), replacing whatever was there atomically.
    func link(_ commit: String, _ file: String, etag: String) throws {
        let pointerPath = pointer(commit, file)
        try FileSystem.createDirectory((pointerPath as NSString).deletingLastPathComponent)
        let depth = file.split(separator: "/").count + 1  // snapshots/<commit>/ plus the file's own folders
        let target = String(repeating: "../", count: depth) + "blobs/\(etag)"
        try FileSystem.symlink(target, at: pointerPath)
    }

    /// Tags the cache root for backup tools, as huggingface_hub does (best effort).
    func writeCacheDirectoryTag() {
        let tag = "\(cacheRoot)/CACHEDIR.TAG"
        guard !FileSystem.exists(tag) else { return }
        try? FileSystem.writeTextAtomically(Self.cacheDirectoryTag, to: tag)
    }

    /// The text huggingface_hub writes (Cache Directory Tagging Specification signature first).
    static let cacheDirectoryTag = "Signature: 8a477f597d28d172789f06886806bc55\n"
        + "# This file is a cache directory tag created by huggingface_hub.\n"
        + "# For information about cache directory tags, see:\n"
        + "#\thttps://bford.info/cachedir/\n"
}
