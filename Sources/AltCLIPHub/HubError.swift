import Foundation

/// Everything that can go wrong while resolving a model to a local folder.
///
/// Each case carries what is needed to act on it: the repository, revision, file, URL, cache path.
public enum HubError: Error, Equatable, Sendable {
    /// The text is neither an existing folder nor a valid `ORG/NAME[@REVISION]`.
    case invalidModelSpec(spec: String, reason: String)
    /// The text names a path (`/…`, `./…`, `~/…`) that is not an existing folder.
    case localFolderNotFound(path: String)
    /// The endpoint is not an `http(s)://` URL.
    case invalidEndpoint(String)
    /// Offline (or the hub unreachable) and the cache holds no usable copy; `missing` lists what is
    /// needed, `reason` why the network was not used.
    case notCached(repoId: String, revision: String, cacheDirectory: String, endpoint: String, missing: [String],
                   reason: String)
    /// The hub answered 401/404 for the repository: it does not exist, or it is private and the token
    /// (HF_TOKEN) is missing or lacks access.
    case repositoryNotFound(repoId: String, url: String, status: Int, sentToken: Bool)
    /// The repository is gated: accept its conditions on the website with the account of HF_TOKEN.
    case gatedRepository(repoId: String, url: String)
    /// The repository exists but the revision does not.
    case revisionNotFound(repoId: String, revision: String)
    /// A file the model needs does not exist at that revision.
    case fileNotFound(repoId: String, revision: String, file: String)
    /// None of the weight files we can read exists at that revision.
    case noWeights(repoId: String, revision: String, looked: [String])
    /// An unexpected HTTP status.
    case httpStatus(url: String, status: Int, message: String?)
    /// The response lacks a header a Hugging Face Hub endpoint always sends (HF_ENDPOINT wrong?).
    case missingHeader(url: String, header: String)
    /// The connection failed (after the retries allowed).
    case network(url: String, reason: String)
    /// Redirects went on too long.
    case tooManyRedirects(url: String)
    /// A download gave up: past its deadline, or too many attempts that brought (almost) nothing.
    case downloadStalled(file: String, url: String, reason: String)
    /// A download ended with another size than announced.
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    /// A download's content does not hash to the ETag the hub gave.
    case checksumMismatch(file: String, algorithm: String, expected: String, actual: String)
    /// A shard index (`*.index.json`) is malformed or names a file outside the repository root.
    case invalidIndex(file: String, reason: String)
    /// A file could not be created, written, renamed, linked or locked.
    case fileSystem(path: String, operation: String, reason: String)
}

extension HubError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .downloadStalled(file, url, reason):
            return "download of \(file) from \(url) gave up: \(reason)"
        case let .invalidModelSpec(spec, reason):
            return "'\(spec)' is not a local folder nor a model id of the form ORG/NAME[@REVISION]: \(reason)"
        case let .localFolderNotFound(path):
            return "\(path): no such folder"
        case let .invalidEndpoint(endpoint):
            return "HF_ENDPOINT '\(endpoint)' is not an http:// or https:// URL"
        case let .notCached(repoId, revision, cacheDirectory, endpoint, missing, reason):
            let folder = "\(cacheDirectory)/\(Self.folderName(repoId))"
            return """
                \(repoId)@\(revision) is not available: \(reason), and the Hugging Face cache (\(folder)) \
                holds no usable copy (missing: \(missing.joined(separator: ", "))).
                Either run again with network access and HF_HUB_OFFLINE unset, so it is downloaded into that cache \
                (or fill the cache with `hf download \(repoId) --revision \(revision)`), or download those files from \
                \(endpoint)/\(repoId)/tree/\(revision) into a folder and pass the folder instead of the model id.
                """
        case let .repositoryNotFound(repoId, url, status, sentToken):
            return "\(repoId): repository not found (HTTP \(status) for \(url)). Check the name; if it is private or "
                + (sentToken ? "gated, check that the token in HF_TOKEN has access to it."
                             : "gated, set HF_TOKEN to a token with access to it.")
        case let .gatedRepository(repoId, url):
            return "\(repoId) is gated (\(url)): accept its conditions on the model page with the account whose token "
                + "is in HF_TOKEN"
        case let .revisionNotFound(repoId, revision):
            return "\(repoId) has no revision '\(revision)'"
        case let .fileNotFound(repoId, revision, file):
            return "\(repoId)@\(revision) has no file '\(file)', which the model needs"
        case let .noWeights(repoId, revision, looked):
            return "\(repoId)@\(revision) has none of the weight files \(looked.joined(separator: ", "))"
        case let .httpStatus(url, status, message):
            return "HTTP \(status) for \(url)" + (message.map { ": \($0)" } ?? "")
        case let .missingHeader(url, header):
            return "\(url): the response has no \(header) header, so the server does not seem to be a Hugging Face "
                + "Hub endpoint (check HF_ENDPOINT, proxies and firewalls)"
        case let .network(url, reason):
            return "\(url): \(reason)"
        case let .tooManyRedirects(url):
            return "\(url): too many redirects"
        case let .sizeMismatch(file, expected, actual):
            return "\(file): downloaded \(actual) bytes, the hub announced \(expected); the partial file was removed, retry"
        case let .checksumMismatch(file, algorithm, expected, actual):
            return "\(file): \(algorithm) of the download is \(actual), the hub's ETag says \(expected); the file was "
                + "removed, retry"
        case let .invalidIndex(file, reason):
            return "\(file): invalid shard index: \(reason)"
        case let .fileSystem(path, operation, reason):
            return "\(path): cannot \(operation): \(reason)"
        }
    }

    public var errorDescription: String? { description }

    private static func folderName(_ repoId: String) -> String {
        (["models"] + repoId.split(separator: "/").map(String.init)).joined(separator: "--")
    }
}
