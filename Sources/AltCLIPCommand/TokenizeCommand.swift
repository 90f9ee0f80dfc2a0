import AltCLIPSupport
import AltCLIPTokenizer
import AltCLIPWeights
import ArgumentParser
import Foundation

/// `altclip tokenize`: XLM-R token ids exactly as transformers' tokenizer gives them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize texts as transformers' XLMRobertaTokenizer does (ids, attention mask, tokens).",
        discussion: """
        Examples:
          altclip tokenize --model Models/altclip-demo "a red circle" "红色的圆形"
          altclip tokenize --model Models/altclip-demo --padding longest --json "un cercle rouge" "a cat"
          altclip tokenize --model Models/altclip-demo --texts-json texts.json --truncation --max-length 77
          altclip tokenize --model Models/altclip-demo --text "a red circle" --text "un chat" --out ids.safetensors
        """)

    enum PaddingChoice: String, ExpressibleByArgument, CaseIterable {
        case none, longest
        case maxLength = "max_length"
    }

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Padding: none, longest or max_length (default: none; longest with --out).") var padding: PaddingChoice?
    @Flag(help: "Truncate to --max-length (or the folder's model_max_length).") var truncation = false
    @Option(help: "Length limit for truncation and max_length padding.") var maxLength: Int?
    @Option(help: ArgumentHelp("""
        Also write input_ids and attention_mask (int64 [texts, length]) to this .safetensors file, the \
        texts in its metadata: `altclip forward --inputs` reads it.
        """, valueName: "file.safetensors"))
    var out: String?
    @OptionGroup var textOptions: TextInputOptions
    @Argument(help: "Texts to tokenize.") var texts: [String] = []

    func validate() throws {
        if texts.isEmpty && textOptions.isEmpty { throw ValidationError("give texts as arguments, --text, --texts-json or --texts-file") }
        if let maxLength, !(1...XLMRobertaTokenizer.maxPaddedLength).contains(maxLength) {
            throw ValidationError("--max-length must be between 1 and \(XLMRobertaTokenizer.maxPaddedLength)")
        }
        if let out, !out.hasSuffix(".safetensors") { throw ValidationError("--out must end in .safetensors") }
        if out != nil && padding == PaddingChoice.none {
            throw ValidationError("--out writes one [texts, length] tensor: use --padding longest or max_length")
        }
    }

    func run() throws {
        if let out { try OutputPath.check(out, flag: "--out") }
        let all = try texts + textOptions.read()
        guard !all.isEmpty else { throw CLIError.noInputs("the texts given are empty") }
        let tokenizer = try XLMRobertaTokenizer(directory: try modelOptions.resolveModel())
        let paddingMode: Padding = switch padding ?? (out == nil ? .none : .longest) {
        case .none: .none
        case .longest: .longest
        case .maxLength: .maxLength
        }
        let encoding = try tokenizer(all, padding: paddingMode, truncation: truncation ? true : nil, maxLength: maxLength)
        let tokens = encoding.inputIds.map { tokenizer.convertIdsToTokens($0).map { $0 ?? "<?>" } }
        if let out {
            let width = encoding.inputIds.first?.count ?? 0
            guard encoding.inputIds.allSatisfy({ $0.count == width }) else {
                throw CLIError.noInputs("the texts tokenize to different lengths; use --padding longest to write them as one tensor")
            }
            let names = try JSONSerialization.data(withJSONObject: all, options: [.withoutEscapingSlashes])
            var writer = SafetensorsWriter(metadata: ["format": "pt", "producer": "altclip tokenize",
                                                      "texts": String(decoding: names, as: UTF8.self)])
            try writer.add("input_ids", shape: [all.count, width], int64: encoding.inputIds.flatMap { $0.map(Int64.init) })
            try writer.add("attention_mask", shape: [all.count, width], int64: encoding.attentionMask.flatMap { $0.map(Int64.init) })
            try writer.write(to: URL(fileURLWithPath: out))
        }
        let truncated = encoding.numTruncatedTokens.map { $0 > 0 }
        if output.json {
            try Output.json(TokenizeJSON(inputIds: encoding.inputIds, attentionMask: encoding.attentionMask, tokens: tokens,
                                         truncated: truncated, out: out))
        } else {
            for (index, text) in all.enumerated() {
                Output.line("\(text.debugDescription)" + (truncated[index] ? "  (truncated)" : ""))
                Output.line("  ids:    \(encoding.inputIds[index].map(String.init).joined(separator: " "))")
                Output.line("  mask:   \(encoding.attentionMask[index].map(String.init).joined(separator: " "))")
                Output.line("  tokens: \(tokens[index].joined(separator: " "))")
            }
            if let out { Output.line("wrote input_ids and attention_mask [\(all.count), \(encoding.inputIds.first?.count ?? 0)] to \(out)") }
        }
    }
}

private struct TokenizeJSON: Encodable {
    var inputIds: [[Int]]
    var attentionMask: [[Int]]
    var tokens: [[String]]
    var truncated: [Bool]
    var out: String?
    enum CodingKeys: String, CodingKey {
        case inputIds = "input_ids", attentionMask = "attention_mask", tokens, truncated, out
    }
}
