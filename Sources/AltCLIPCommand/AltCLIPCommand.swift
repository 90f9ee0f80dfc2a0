import ArgumentParser
import AltCLIP

/// Exit status: 0 success, 1 failure (bad file, missing model, ...), 64 usage error.
@main
struct AltCLIPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "altclip",
        abstract: "AltCLIP (multilingual CLIP) in Swift: embeddings, similarity, zero-shot classification.",
        discussion: "Exit status: 0 on success, 1 on failure, 64 on a usage error.",
        subcommands: [ClassifyCommand.self, SimilarityCommand.self, EmbedCommand.self, InspectCommand.self,
                      TokenizeCommand.self, DecodeCommand.self, PreprocessCommand.self, ForwardCommand.self, ConvertCommand.self,
                      ServeCommand.self])
}
