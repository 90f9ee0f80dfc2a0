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
        --ids-json holds one sequence ([0, 581, 2]) or a batch ([[0, 581, 2], [0, 9, 2]]).

        Example:
          altclip decode --model Models/altclip-demo --skip-special-tokens --ids-json ids.json
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Drop <s>, </s>, <pad> (and, as transformers 5.x does, <unk>).") var skipSpecialTokens = false
    @Option(help: ArgumentHelp("JSON file with the ids.", valueName: "file")) var idsJson: String

    func run() throws {
        let tokenizer = try XLMRobertaTokenizer(directory: try modelOptions.resolveModel())
        let data: Data
        do { data = try InputFile.read(idsJson, maxBytes: 1 << 30) } catch {
            throw CLIError.unreadableFile(idsJson, error.reason)
        }
        let json = try? JSONSerialization.jsonObject(with: data)
        let batch: [[Int]]
        if let one = json as? [Int] { batch = [one] } else if let many = json as? [[Int]] { batch = many } else {
            throw CLIError.unreadableFile(idsJson, "expected a JSON array of ids or an array of such arrays")
        }
        let texts = tokenizer.batchDecode(batch, skipSpecialTokens: skipSpecialTokens)
        if output.json { try Output.json(texts) } else { texts.forEach(Output.line) }
    }
}
