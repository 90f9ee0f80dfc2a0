/// What loading a checkpoint found besides the parameters it used.
public struct LoadReport: Sendable, Equatable {
    /// Weight files read.
    public var files: [String]
    /// Keys under the model's prefix that the model does not use and that are not known buffers:
    /// worth a look (a checkpoint of another architecture, a typo in a converter...).
    public var unusedKeys: [String]
    /// Keys real checkpoints carry that the model deliberately skips (see `ignoredKeyRules`).
    public var ignoredKeys: [String]

    /// Keys published checkpoints carry that inference does not use:
    /// - `position_ids` / `token_type_ids`: buffers that transformers 4.x saved as persistent;
    /// - `roberta.pooler.*`: XLM-R's pooler, which `AltCLIPTextModel` builds without.
    static func isIgnorable(_ key: String) -> Bool {
        key.hasSuffix("embeddings.position_ids") || key.hasSuffix("embeddings.token_type_ids")
            || key.contains("roberta.pooler.")
    }

    static func make(loader: ParameterLoader, source: ParameterSource, files: [String], prefix: String) -> LoadReport {
        var unused: [String] = [], ignored: [String] = []
        for key in source.keys where key.hasPrefix(prefix) && !loader.usedKeys.contains(key) {
            if isIgnorable(key) { ignored.append(key) } else { unused.append(key) }
        }
        return LoadReport(files: files, unusedKeys: unused, ignoredKeys: ignored)
    }
}
