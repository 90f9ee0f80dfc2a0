import ArgumentParser
import AltCLIP

@main
struct AltCLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "altclip",
        abstract: "AltCLIP (multilingual CLIP) in Swift: embeddings, similarity, zero-shot classification.")
}
