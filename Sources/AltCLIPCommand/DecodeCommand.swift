import AltCLIPSupport
import AltCLIPTokenizer
import ArgumentParser
import Foundation

/// `altclip decode`: token ids back to text.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode token ids to text as transformers' tokenizer.decode does.",
        discussion: """
        The ids come as arguments (one sequence), or as JSON from --ids-json FILE or stdin ('-', or \
        nothing given with stdin not a terminal): one sequence [0, 581, 2], a batch [[0, 581, 2], [0, 9, 2]], \
        or `altclip tokenize --json` output (its input_ids; padding is skipped with its attention_mask).

        Examples:
          altclip decode --model Models/altclip-demo 0 10 7 2
          altclip tokenize --model Models/altclip-demo --json "a red circle" | altclip decode --model Models/altclip-demo --skip-special-tokens
          altclip decode --model Models/altclip-demo --skip-special-tokens --ids-json ids.json
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Drop <s>, </s>, <pad> (and, as transformers 5.x does, <unk>).") var skipSpecialTokens = false
    @Option(help: ArgumentHelp("JSON file with the ids ('-' reads stdin).", valueName: "file")) var idsJson: String?
    @Argument(help: "Token ids of one sequence.") var ids: [Int] = []

    func validate() throws {
        if !ids.isEmpty && idsJson != nil { throw ValidationError("give ids as arguments or with --ids-json, not both") }
        if ids.isEmpty && idsJson == nil && isatty(STDIN_FILENO) != 0 {
            throw ValidationError("give token ids as arguments, with --ids-json FILE, or on stdin")
        }
    }

    func run() throws {
        let batch = try ids.isEmpty ? Self.readBatch(idsJson ?? "-") : [ids]
        let tokenizer = try XLMRobertaTokenizer(directory: try modelOptions.resolveModel())
        let texts = tokenizer.batchDecode(batch, skipSpecialTokens: skipSpecialTokens)
        if output.json { try Output.json(texts) } else { texts.forEach(Output.line) }
    }

    /// One sequence, a batch, or an object with `input_ids` (and optionally `attention_mask`, whose
    /// zeros mark padding to leave out), as `altclip tokenize --json` and the TEI `/tokenize` route print.
    static func readBatch(_ path: String) throws -> [[Int]] {
        let data = try TextInputOptions.readData(path)
        let shown = path == "-" ? "stdin" : path
        let json = try? JSONSerialization.jsonObject(with: data)
        if let one = json as? [Int] { return [one] }
        if let many = json as? [[Int]] { return many }
        if let object = json as? [String: Any], let ids = object["input_ids"] {
            let rows: [[Int]]
            if let one = ids as? [Int] { rows = [one] } else if let many = ids as? [[Int]] { rows = many } else {
                throw CLIError.unreadableFile(shown, "input_ids must be an array of ids or of id arrays")
            }
            guard let mask = object["attention_mask"] else { return rows }
            let masks: [[Int]]
            if let one = mask as? [Int] { masks = [one] } else if let many = mask as? [[Int]] { masks = many } else {
                throw CLIError.unreadableFile(shown, "attention_mask must match input_ids")
            }
            guard masks.count == rows.count, zip(rows, masks).allSatisfy({ $0.count == $1.count }) else {
                throw CLIError.unreadableFile(shown, "attention_mask must have the shape of input_ids")
            }
            return zip(rows, masks).map { row, mask in zip(row, mask).filter { $1 != 0 }.map(\.0) }
        }
        throw CLIError.unreadableFile(shown, "expected a JSON array of ids, an array of such arrays, or an object with input_ids")
    }
}

#if canImport(Glibc)
import Glibc
#endif
