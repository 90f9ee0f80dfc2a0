/// Checks downloaded bytes against the hub's ETag: a 64-hex ETag is the SHA-256 of an LFS file's
/// content; a 40-hex ETag is the git object id of a file kept in git, `sha1("blob <size>\0" + content)`
/// (huggingface_hub: "An object's ETag is: its git-sha1 if stored in git, or its sha256 if stored in
/// git-lfs"). Any other ETag is only an opaque name, and only the size is checked.
struct ContentVerifier {
    private enum Hasher {
        case sha256(SHA256)
        case gitSHA1(SHA1)
    }

    private var hasher: Hasher
    private let expected: String

    /// nil when the ETag is not a hash we can check (or a git id whose blob size is unknown yet).
    init?(etag: String, size: Int64?) {
        let lower = etag.lowercased()
        let isHex = lower.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        guard isHex else { return nil }
        if lower.utf8.count == 64 {
            hasher = .sha256(SHA256())
        } else if lower.utf8.count == 40, let size {
            hasher = .gitSHA1(SHA1.gitBlob(size: size))
        } else {
            return nil
        }
        expected = lower
    }

    /// `SHA-256` or `git SHA-1`, for messages.
    var algorithm: String {
        if case .sha256 = hasher { return "SHA-256" }
        return "git blob SHA-1"
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch hasher {
        case var .sha256(state):
            state.update(bytes)
            hasher = .sha256(state)
        case var .gitSHA1(state):
            state.update(bytes)
            hasher = .gitSHA1(state)
        }
    }

    /// nil when the content matches; else the digest computed.
    func mismatch() -> String? {
        let digest: String
        switch hasher {
        case var .sha256(state): digest = hexString(state.finalize())
        case var .gitSHA1(state): digest = hexString(state.finalize())
        }
        return digest == expected ? nil : digest
    }
}
