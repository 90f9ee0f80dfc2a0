import AltCLIP
import ArgumentParser
import Foundation

/// `altclip inspect`: what a model folder holds and whether it lines up with its config.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a model folder: config, parameter count, dtypes, key tree, missing and unused keys.",
        discussion: """
        Exits with status 1 when parameters the config needs are missing or misshapen.

        Examples:
          altclip inspect --model Models/altclip-demo
          altclip inspect --model path/to/BAAI-AltCLIP --keys --json
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "List every stored tensor with its dtype and shape.") var keys = false

    func run() throws {
        let folder = try modelOptions.resolveModel()
        let inspection = try ModelInspection(directory: folder)
        if output.json {
            try Output.json(InspectionJSON(inspection, listKeys: keys))
        } else {
            for line in Self.render(inspection, listKeys: keys) { Output.line(line) }
        }
        if !inspection.problems.isEmpty { throw ExitCode.failure }
    }

    static func render(_ i: ModelInspection, listKeys: Bool) -> [String] {
        var lines = ["model type: \(i.kind.rawValue)", "weights: \(i.files.joined(separator: ", ")) (\(i.format))"]
        if let c = i.config?.textConfig ?? i.textConfig {
            lines.append("text: XLM-R \(c.numHiddenLayers) layers × \(c.hiddenSize) wide, \(c.numAttentionHeads) heads, "
                + "ffn \(c.intermediateSize), \(c.hiddenAct), vocab \(c.vocabSize), max positions \(c.maxPositionEmbeddings), "
                + "project_dim \(c.projectDim)")
        }
        if let c = i.config?.visionConfig ?? i.visionConfig {
            lines.append("vision: ViT \(c.numHiddenLayers) layers × \(c.hiddenSize) wide, \(c.numAttentionHeads) heads, "
                + "ffn \(c.intermediateSize), \(c.hiddenAct), image \(c.imageSize) px, patch \(c.patchSize)")
        }
        if let c = i.config {
            lines.append("projection_dim \(c.projectionDim), logit_scale_init_value \(c.logitScaleInitValue)")
        }
        if let scale = i.logitScale {
            lines.append(String(format: "logit_scale %.6g (checkpoint; exp = %.6g)", Double(scale), Foundation.exp(Double(scale))))
        }
        lines.append("parameters: \(formatCount(i.parameterCount))")
        let dtypes = i.bytesByDType.sorted { $0.key < $1.key }
            .map { "\($0.key) \(formatBytes($0.value))" }.joined(separator: ", ")
        lines.append("stored: \(i.entries.count) tensors, \(dtypes)")
        lines.append("missing or misshapen: " + (i.problems.isEmpty ? "none" : "\(i.problems.count)"))
        lines += i.problems.map { "  \($0)" }
        lines.append("unused: " + (i.unusedKeys.isEmpty ? "none" : "\(i.unusedKeys.count)"))
        lines += i.unusedKeys.map { "  \($0)" }
        lines.append("skipped buffers: " + (i.ignoredKeys.isEmpty ? "none" : i.ignoredKeys.joined(separator: ", ")))
        lines.append("key tree:")
        lines += keyTree(i.entries.map(\.key)).map { "  \($0)" }
        if listKeys {
            lines.append("tensors:")
            lines += i.entries.map { "  \($0.key) \($0.dtype) \($0.shape)" }
        }
        return lines
    }

    /// Keys grouped with numbered layers folded: `text_model.roberta.encoder.layer.{0..23}.…` (N keys).
    static func keyTree(_ keys: [String]) -> [String] {
        var groups: [String: (count: Int, indices: Set<Int>)] = [:]
        for key in keys {
            var parts = key.split(separator: ".").map(String.init)
            var index: Int?
            if let i = parts.firstIndex(where: { Int($0) != nil }) {
                index = Int(parts[i])
                parts[i] = "N"
                parts = Array(parts.prefix(i + 1))
            } else {
                parts = Array(parts.prefix(max(parts.count - 1, 1)))
            }
            let group = parts.joined(separator: ".")
            var entry = groups[group] ?? (0, [])
            entry.count += 1
            if let index { entry.indices.insert(index) }
            groups[group] = entry
        }
        return groups.keys.sorted().map { group in
            let entry = groups[group]!
            if entry.indices.isEmpty { return "\(group) (\(entry.count))" }
            let range = "{\(entry.indices.min()!)..\(entry.indices.max()!)}"
            return group.replacingOccurrences(of: ".N", with: ".\(range)") + " (\(entry.count) tensors)"
        }
    }

    static func formatCount(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.2f M (%d)", Double(n) / 1e6, n) : "\(n)"
    }

    static func formatBytes(_ n: Int) -> String {
        n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / 1e6) : String(format: "%.1f KB", Double(n) / 1e3)
    }
}

private struct InspectionJSON: Encodable {
    var modelType: String
    var files: [String]
    var format: String
    var parameterCount: Int
    var bytesByDType: [String: Int]
    var problems: [String]
    var unusedKeys: [String]
    var ignoredKeys: [String]
    var keyTree: [String]
    var tensors: [ModelInspection.Entry]?
    var config: AltCLIPConfig?
    var textConfig: AltCLIPTextConfig?
    var visionConfig: AltCLIPVisionConfig?
    var logitScale: Float?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", files, format, parameterCount = "parameter_count", bytesByDType = "bytes_by_dtype"
        case problems, unusedKeys = "unused_keys", ignoredKeys = "ignored_keys", keyTree = "key_tree", tensors, config
        case textConfig = "text_config", visionConfig = "vision_config", logitScale = "logit_scale"
    }

    init(_ i: ModelInspection, listKeys: Bool) {
        logitScale = i.logitScale
        modelType = i.kind.rawValue
        files = i.files
        format = i.format
        parameterCount = i.parameterCount
        bytesByDType = i.bytesByDType
        problems = i.problems
        unusedKeys = i.unusedKeys
        ignoredKeys = i.ignoredKeys
        keyTree = InspectCommand.keyTree(i.entries.map(\.key))
        tensors = listKeys ? i.entries : nil
        config = i.config
        textConfig = i.textConfig
        visionConfig = i.visionConfig
    }
}
