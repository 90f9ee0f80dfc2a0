import Foundation

/// Settings from the environment variables huggingface_hub reads, with its precedence and defaults
/// (huggingface_hub `constants.py` and `utils/_auth.py`).
extension HubClient {
    /// A client configured like huggingface_hub in the same environment: cache from `HF_HUB_CACHE`
    /// (or `HF_HOME`), endpoint from `HF_ENDPOINT`, token from `HF_TOKEN` (or the token file
    /// `hf auth login` writes), offline from `HF_HUB_OFFLINE`.
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment,
                            files: ModelFileSelection = .altclip) {
        self.init(cacheDirectory: Self.cacheDirectory(environment: environment),
                  endpoint: Self.endpoint(environment: environment), token: Self.token(environment: environment),
                  offline: Self.isOffline(environment: environment), files: files,
                  downloadDeadline: Self.downloadDeadline(environment: environment))
    }

    /// `ALTCLIP_DOWNLOAD_DEADLINE` seconds (0 or `none`: no limit), else 6 hours.
    static func downloadDeadline(environment: [String: String]) -> TimeInterval? {
        guard let text = nonEmpty(environment["ALTCLIP_DOWNLOAD_DEADLINE"]) else { return 6 * 3600 }
        guard let seconds = Double(text), seconds.isFinite, seconds > 0 else { return nil }
        return seconds
    }

    /// `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `<HF_HOME>/hub`.
    public static func cacheDirectory(environment: [String: String]) -> URL {
        let path = nonEmpty(environment["HF_HUB_CACHE"]) ?? nonEmpty(environment["HUGGINGFACE_HUB_CACHE"])
            ?? home(environment) + "/hub"
        return URL(fileURLWithPath: expandHome(path, environment), isDirectory: true)
    }

    /// `HF_ENDPOINT` without trailing slashes, else `https://huggingface.co`.
    public static func endpoint(environment: [String: String]) -> String {
        var endpoint = nonEmpty(environment["HF_ENDPOINT"]) ?? defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        return endpoint
    }

    /// `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the file at `HF_TOKEN_PATH` (default
    /// `<HF_HOME>/token`); surrounding whitespace removed, empty means none.
    public static func token(environment: [String: String]) -> String? {
        if let token = clean(environment["HF_TOKEN"]) ?? clean(environment["HUGGING_FACE_HUB_TOKEN"]) { return token }
        let path = nonEmpty(environment["HF_TOKEN_PATH"]).map { expandHome($0, environment) } ?? home(environment) + "/token"
        return clean(FileSystem.readText(path))
    }

    /// `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is one of `1`, `ON`, `YES`, `TRUE` (any case).
    public static func isOffline(environment: [String: String]) -> Bool {
        let value = nonEmpty(environment["HF_HUB_OFFLINE"]) ?? nonEmpty(environment["TRANSFORMERS_OFFLINE"])
        return ["1", "ON", "YES", "TRUE"].contains(value?.uppercased() ?? "")
    }

    /// `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`.
    private static func home(_ environment: [String: String]) -> String {
        if let home = nonEmpty(environment["HF_HOME"]) { return expandHome(home, environment) }
        let cache = nonEmpty(environment["XDG_CACHE_HOME"]).map { expandHome($0, environment) }
            ?? userHome(environment) + "/.cache"
        return cache + "/huggingface"
    }

    private static func userHome(_ environment: [String: String]) -> String {
        nonEmpty(environment["HOME"]) ?? NSHomeDirectory()
    }

    /// `~` and `~/…` with the environment's HOME (like Python's `os.path.expanduser`).
    private static func expandHome(_ path: String, _ environment: [String: String]) -> String {
        if path == "~" { return userHome(environment) }
        if path.hasPrefix("~/") { return userHome(environment) + String(path.dropFirst(1)) }
        return path
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    private static func clean(_ value: String?) -> String? {
        nonEmpty(value?.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
