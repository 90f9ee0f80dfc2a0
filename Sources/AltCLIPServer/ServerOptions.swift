import AltCLIPStore
import AltCLIPImage
import Foundation

/// What `altclip serve` is told: where to listen, how to batch, and the limits that protect it.
public struct ServerOptions: Sendable {
    /// The search store (`--db`): enables `/v1/search`, thumbnails and the search page at `/`.
    public var store: (any EmbeddingStore)?
    /// Address to bind (loopback unless told otherwise).
    public var host = "127.0.0.1"
    /// TCP port (0 picks a free one).
    public var port = 8080
    /// The model's name in responses (`model` of OpenAI responses, `model_id` of `/info`).
    public var modelName = "altclip"
    /// Images per forward pass.
    public var maxBatchImages = 8
    /// Padded tokens per text forward pass (batch size × longest sequence in it).
    public var maxBatchTokens = 4096
    /// How long the executor waits for a batch to fill once a request is queued.
    public var maxQueueDelay = Duration.milliseconds(5)
    /// Requests handled at once; more are answered 429 with `Retry-After`.
    public var maxConcurrentRequests = 512
    /// Texts and images waiting for the executor; more are answered 429.
    public var maxQueuedItems = 4096
    /// Largest request body in bytes (413 beyond): room for a few base64 photos.
    public var payloadLimit = 32 << 20
    /// Texts (or images) per request.
    public var maxInputsPerRequest = 256
    /// Characters per text.
    public var maxCharactersPerText = 20_000
    /// Labels per classification request.
    public var maxLabels = 1000
    /// Decoding limits for images sent to the server (Pillow's decompression-bomb guard by default).
    public var decodeOptions = DecodeOptions.processor
    /// Bearer tokens accepted; empty means no authentication.
    public var apiKeys: [String] = []
    /// Label sets whose embeddings are kept (by content) for repeated classifications.
    public var labelCacheSize = 64

    public init() {}

    /// Reads API keys from a file: one per line, blank lines and lines starting with `#` ignored.
    public static func apiKeys(fromFile path: String) throws -> [String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ServerSetupError.unreadableKeyFile(path)
        }
        let keys = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !keys.isEmpty else { throw ServerSetupError.emptyKeyFile(path) }
        return keys
    }
}

/// Errors starting the server (not per request).
public enum ServerSetupError: Error, CustomStringConvertible, LocalizedError {
    case unreadableKeyFile(String)
    case emptyKeyFile(String)

    public var description: String {
        switch self {
        case let .unreadableKeyFile(path): return "cannot read the API key file \(path)"
        case let .emptyKeyFile(path): return "the API key file \(path) holds no key"
        }
    }

    public var errorDescription: String? { description }
}
