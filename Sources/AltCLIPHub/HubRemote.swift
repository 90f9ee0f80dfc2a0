import Foundation

/// What the hub says about one file at one revision (from a HEAD on its resolve URL).
struct RemoteFile: Sendable, Equatable {
    /// Path in the repository.
    let name: String
    /// The commit the revision resolved to (`X-Repo-Commit`).
    let commit: String
    /// `X-Linked-Etag` (LFS: the sha256 of the content) or `ETag` (git blob sha1), unquoted.
    let etag: String
    /// `X-Linked-Size`, or the `Content-Length` of a non-redirect answer.
    let size: Int64?
    /// Where to GET the bytes: the redirect target (CDN) or the resolve URL itself.
    let downloadURL: URL
    /// Whether the Authorization header may go to `downloadURL` (a Hub origin; never a CDN).
    let sendToken: Bool
}

/// Talks to a Hugging Face Hub endpoint the way huggingface_hub does: the resolve URL scheme, a HEAD
/// whose redirects are followed only while they stay on the Hub (the metadata is on the redirect
/// response), and the hub's `X-Error-Code` header to tell a missing file from a missing repository.
struct HubRemote {
    /// `https://huggingface.co` or `HF_ENDPOINT`, without a trailing slash.
    let endpoint: String
    let token: String?
    let transport: HTTPTransport

    /// The result of looking a file up.
    enum Lookup: Equatable {
        case found(RemoteFile)
        /// 404 for the file only; `commit` when the hub said which commit it looked at.
        case missing(commit: String?)
    }

    /// `{endpoint}/{repo_id}/resolve/{revision}/{filename}`, revision fully percent-encoded (`refs/pr/7`
    /// becomes `refs%2Fpr%2F7`) and the filename with its slashes kept, as `hf_hub_url` builds it.
    func resolveURL(repoId: String, revision: String, file: String) throws -> URL {
        let text = "\(endpoint)/\(repoId)/resolve/\(Self.percentEncode(revision, keepSlash: false))/"
            + Self.percentEncode(file, keepSlash: true)
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil
        else { throw HubError.invalidEndpoint(endpoint) }
        return url
    }

    /// HEADs the file and reads commit, ETag, size and download location.
    func lookup(repoId: String, revision: String, file: String) throws -> Lookup {
        let initial = try resolveURL(repoId: repoId, revision: revision, file: file)
        var url = initial
        for _ in 0..<20 {
            let response = try head(url)
            if response.isRedirect {
                guard let location = response.header("Location"),
                      let target = URL(string: location, relativeTo: url)?.absoluteURL
                else { throw HubError.httpStatus(url: url.absoluteString, status: response.status, message: "bad Location") }
                if isTrusted(target, from: url) {
                    url = target  // e.g. a renamed repository: still the Hub, keep asking it
                    continue
                }
                return .found(try metadata(response, file: file, downloadURL: target, sendToken: false))
            }
            if (200..<300).contains(response.status) {
                let found = try metadata(response, file: file, downloadURL: url, sendToken: true)
                guard url == initial, revision != found.commit else { return .found(found) }
                // GET at the commit, not the branch: the bytes must be those the ETag describes.
                let pinned = try resolveURL(repoId: repoId, revision: found.commit, file: file)
                return .found(RemoteFile(name: file, commit: found.commit, etag: found.etag, size: found.size,
                                         downloadURL: pinned, sendToken: true))
            }
            if response.status == 404, response.header("X-Error-Code") == nil || response.header("X-Error-Code") == "EntryNotFound" {
                return .missing(commit: response.header("X-Repo-Commit").flatMap { ModelSpec.isCommitHash($0) ? $0 : nil })
            }
            throw error(for: response, repoId: repoId, revision: revision)
        }
        throw HubError.tooManyRedirects(url: url.absoluteString)
    }

    /// Request headers for `url`: the token only where the Hub itself answers.
    func headers(for url: URL, sendToken: Bool) -> [String: String] {
        guard sendToken, let token, !token.isEmpty else { return [:] }
        return ["Authorization": "Bearer \(token)"]
    }

    /// Whether `target` is served by the same origin as `url` or by a Hub origin (the endpoint,
    /// huggingface.co, hf.co): only those may see the token.
    func isTrusted(_ target: URL, from url: URL) -> Bool {
        let origin = Self.origin(target)
        var trusted = [Self.origin(url)]
        for hub in [endpoint, "https://huggingface.co", "https://hf.co"] {
            if let hubURL = URL(string: hub) { trusted.append(Self.origin(hubURL)) }
        }
        return trusted.contains(origin)
    }

    /// The typed error for a failed status.
    func error(for response: HTTPResponse, repoId: String, revision: String) -> HubError {
        let url = response.url.absoluteString
        switch response.header("X-Error-Code") {
        case "RepoNotFound":
            return .repositoryNotFound(repoId: repoId, url: url, status: response.status, sentToken: token != nil)
        case "RevisionNotFound":
            return .revisionNotFound(repoId: repoId, revision: revision)
        case "GatedRepo":
            return .gatedRepository(repoId: repoId, url: url)
        default:
            if response.status == 401 {
                return .repositoryNotFound(repoId: repoId, url: url, status: response.status, sentToken: token != nil)
            }
            return .httpStatus(url: url, status: response.status, message: response.header("X-Error-Message"))
        }
    }

    private func head(_ url: URL) throws -> HTTPResponse {
        do {
            return try transport.send("HEAD", url, headers: headers(for: url, sendToken: isTrusted(url, from: URL(string: endpoint) ?? url)))
        } catch let failure as TransportError {
            throw HubError.network(url: failure.url.absoluteString, reason: failure.reason)
        }
    }

    private func metadata(_ response: HTTPResponse, file: String, downloadURL: URL, sendToken: Bool) throws -> RemoteFile {
        let url = response.url.absoluteString
        guard let commit = response.header("X-Repo-Commit"), ModelSpec.isCommitHash(commit) else {
            throw HubError.missingHeader(url: url, header: "X-Repo-Commit")
        }
        guard let etag = Self.normalizeETag(response.header("X-Linked-Etag") ?? response.header("ETag")) else {
            throw HubError.missingHeader(url: url, header: "ETag")
        }
        let sizeText = response.header("X-Linked-Size") ?? (response.isRedirect ? nil : response.header("Content-Length"))
        return RemoteFile(name: file, commit: commit, etag: etag, size: sizeText.flatMap { Int64($0) },
                          downloadURL: downloadURL, sendToken: sendToken)
    }

    /// `W/"abc"` and `"abc"` become `abc`; an ETag that is not a plain file name is refused (it names a blob).
    static func normalizeETag(_ value: String?) -> String? {
        guard var etag = value?.trimmingCharacters(in: .whitespaces) else { return nil }
        if etag.hasPrefix("W/") { etag.removeFirst(2) }
        etag = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let safe = !etag.isEmpty && etag != "." && etag != ".." && etag.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "\\")
        }
        return safe ? etag : nil
    }

    /// Python's `urllib.parse.quote`: everything but letters, digits and `_.-~` (and `/` when kept).
    static func percentEncode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let unreserved = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "~") || (keepSlash && byte == UInt8(ascii: "/"))
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        let port = url.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : 0)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }
}
