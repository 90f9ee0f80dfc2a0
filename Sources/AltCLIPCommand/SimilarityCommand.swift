import AltCLIP
import ArgumentParser
import Foundation

/// `altclip similarity`: cosine similarity of every image with every text.
struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "Cosine similarity between images (rows) and texts (columns).",
        discussion: """
        Examples:
          altclip similarity --model Models/altclip-demo --text "a red circle" --text "红色的圆形" Samples/*.png
          altclip similarity --model Models/altclip-demo --texts-json captions.json photos/ --json
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "A text (repeatable).") var text: [String] = []
    @Option(help: ArgumentHelp("A JSON array of texts.", valueName: "file")) var textsJson: String?
    @Argument(help: "Image files or folders.") var images: [String] = []

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image file or folder") }
        if text.isEmpty && textsJson == nil { throw ValidationError("give texts with --text or --texts-json") }
    }

    func run() throws {
        modelOptions.applyThreads()
        let texts = try text + (textsJson.map(TokenizeCommand.readTexts) ?? [])
        let files = try ImageArguments.expand(images)
        let pipeline = try AltCLIPPipeline(directory: try modelOptions.resolveModel(), precision: precisionOptions.precision)
        let (cosine, errors) = try pipeline.similarity(texts: texts, images: files.map(ImageInput.file))
        if output.json {
            try Output.json(SimilarityJSON(texts: texts, images: files.map(\.relativePath), cosine: cosine,
                                           errors: Dictionary(uniqueKeysWithValues: errors.map { (files[$0.key].relativePath, "\($0.value)") })))
        } else {
            for (index, file) in files.enumerated() {
                Output.line(file.relativePath)
                if let error = errors[index] { Output.line("  error: \(error)"); continue }
                for (t, value) in zip(texts, cosine[index] ?? []) {
                    Output.line(String(format: "  %+.4f  %@", Double(value), t))
                }
            }
        }
        if !errors.isEmpty {
            Output.warn("\(errors.count) of \(files.count) images could not be read")
            throw ExitCode.failure
        }
    }
}

private struct SimilarityJSON: Encodable {
    var texts: [String]
    var images: [String]
    /// [image][text]; null for an image that could not be read.
    var cosine: [[Float]?]
    var errors: [String: String]
}
