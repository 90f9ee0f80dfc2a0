/// A model on the Hugging Face Hub: `ORG/NAME` (or a bare `NAME`), optionally pinned with
/// `@REVISION` (a branch, a tag, a commit hash, or a pull-request ref such as `refs/pr/7`).
///
/// ```swift
/// let spec = try ModelSpec(parsing: "BAAI/AltCLIP@refs/pr/7")
/// spec.repoId    // "BAAI/AltCLIP"
/// spec.revision  // "refs/pr/7"
/// ```
public struct ModelSpec: Sendable, Hashable, CustomStringConvertible {
    /// The revision used when none is given.
    public static let defaultRevision = "main"

    /// `ORG/NAME` or `NAME`.
    public let repoId: String
    /// Branch, tag, commit hash or ref; `main` by default.
    public let revision: String

    /// Checks both parts by the rules huggingface_hub applies (`validate_repo_id`), so every spec that
    /// passes maps to a safe cache folder name and URL path.
    public init(repoId: String, revision: String = ModelSpec.defaultRevision) throws {
        let text = repoId + (revision == Self.defaultRevision ? "" : "@" + revision)
        if let reason = Self.repoIdProblem(repoId) { throw HubError.invalidModelSpec(spec: text, reason: reason) }
        if let reason = Self.revisionProblem(revision) { throw HubError.invalidModelSpec(spec: text, reason: reason) }
        self.repoId = repoId
        self.revision = revision
    }

    /// Parses `ORG/NAME[@REVISION]`.
    public init(parsing text: String) throws {
        if let at = text.firstIndex(of: "@") {
            let revision = String(text[text.index(after: at)...])
            guard !revision.isEmpty else { throw HubError.invalidModelSpec(spec: text, reason: "empty revision after '@'") }
            try self.init(repoId: String(text[..<at]), revision: revision)
        } else {
            try self.init(repoId: text)
        }
    }

    /// Whether the revision is a full 40-character commit hash (lowercase hex), which never moves.
    public var isCommitHash: Bool { Self.isCommitHash(revision) }

    /// `models--ORG--NAME`: the repository's folder in the cache, as huggingface_hub names it.
    public var cacheFolderName: String { (["models"] + repoId.split(separator: "/").map(String.init)).joined(separator: "--") }

    /// `ORG/NAME`, with `@REVISION` unless it is `main`.
    public var description: String { revision == Self.defaultRevision ? repoId : "\(repoId)@\(revision)" }

    static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func repoIdProblem(_ id: String) -> String? {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "expected ORG/NAME, got \(parts.count) '/'-separated parts" }
        if id.contains("--") || id.contains("..") { return "'--' and '..' are not allowed in a repository id" }
        for part in parts {
            guard !part.isEmpty else { return "empty organisation or name" }
            guard part.utf8.count <= 96 else { return "'\(part)' is longer than 96 characters" }
            let allowed = part.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
            guard allowed else { return "'\(part)' may only contain letters, digits, '-', '_' and '.'" }
            if let first = part.first, first == "-" || first == "." { return "'\(part)' cannot start with '-' or '.'" }
            if let last = part.last, last == "-" || last == "." { return "'\(part)' cannot end with '-' or '.'" }
        }
        if id.hasSuffix(".git") { return "a repository id cannot end with '.git'" }
        return nil
    }

    /// A revision becomes a path under `refs/` in the cache and a URL path segment: no traversal, no
    /// empty or hidden-dot parts, no control characters or spaces.
    private static func revisionProblem(_ revision: String) -> String? {
        guard !revision.isEmpty else { return "empty revision" }
        guard revision.utf8.count <= 255 else { return "revision longer than 255 characters" }
        for byte in revision.utf8 where byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") {
            return "revision contains a space, a control character or a backslash"
        }
        for part in revision.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { return "revision has an empty '/'-separated part" }
            if part == "." || part == ".." { return "revision may not contain '.' or '..' parts" }
        }
        return nil
    }
}
