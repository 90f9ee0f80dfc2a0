import AltCLIPSupport
import AltCLIPTokenizer
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
        """)

    enum PaddingChoice: String, ExpressibleByArgument, CaseIterable {
        case none, longest
        case maxLength = "max_length"
    }

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Padding: none, longest or max_length.") var padding: PaddingChoice = .none
    @Flag(help: "Truncate to --max-length (or the folder's model_max_length).") var truncation = false
    @Option(help: "Length limit for truncation and max_length padding.") var maxLength: Int?
    @Option(help: ArgumentHelp("A JSON array of strings (texts may hold newlines).", valueName: "file"))
    var textsJson: String?
    @Argument(help: "Texts to tokenize.") var texts: [String] = []

    func validate() throws {
        if texts.isEmpty && textsJson == nil { throw ValidationError("give texts as arguments or --texts-json FILE") }
        if let maxLength, !(1...XLMRobertaTokenizer.maxPaddedLength).contains(maxLength) {
            throw ValidationError("--max-length must be between 1 and \(XLMRobertaTokenizer.maxPaddedLength)")
        }
    }

    func run() throws {
        let tokenizer = try XLMRobertaTokenizer(directory: try modelOptions.resolveModel())
        let all = try texts + (textsJson.map(Self.readTexts) ?? [])
        let paddingMode: Padding = switch padding {
        case .none: .none
        case .longest: .longest
        case .maxLength: .maxLength
        }
        let encoding = try tokenizer(all, padding: paddingMode, truncation: truncation ? true : nil, maxLength: maxLength)
        let tokens = encoding.inputIds.map { tokenizer.convertIdsToTokens($0).map { $0 ?? "<?>" } }
        if output.json {
            try Output.json(TokenizeJSON(inputIds: encoding.inputIds, attentionMask: encoding.attentionMask, tokens: tokens))
        } else {
            for (index, text) in all.enumerated() {
                Output.line("\(text.debugDescription)")
                Output.line("  ids:    \(encoding.inputIds[index].map(String.init).joined(separator: " "))")
                Output.line("  mask:   \(encoding.attentionMask[index].map(String.init).joined(separator: " "))")
                Output.line("  tokens: \(tokens[index].joined(separator: " "))")
            }
        }
    }

    /// Reads a JSON array of strings.
    static func readTexts(_ path: String) throws -> [String] {
        let data: Data
        do { data = try InputFile.read(path, maxBytes: 1 << 30) } catch {
            throw CLIError.unreadableFile(path, error.reason)
        }
        guard let texts = try? JSONSerialization.jsonObject(with: data) as? [String] else {
            throw CLIError.unreadableFile(path, "expected a JSON array of strings")
        }
        return texts
    }
}

private struct TokenizeJSON: Encodable {
    var inputIds: [[Int]]
    var attentionMask: [[Int]]
    var tokens: [[String]]
    enum CodingKeys: String, CodingKey {
        case inputIds = "input_ids", attentionMask = "attention_mask", tokens
    }
}
