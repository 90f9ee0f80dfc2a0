import AltCLIP
import ArgumentParser
import Foundation

/// `altclip classify`: zero-shot classification of images against labels in any language.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Rank labels (in any language) for each image: zero-shot classification.",
        discussion: """
        The labels are embedded once; each image then costs one image forward pass. Results are printed \
        as each batch of images finishes. Exits with status 1 if any image could not be read (the others \
        are still classified).

        Examples:
          altclip classify --model Models/altclip-demo Samples/*.png --labels "a red circle,a blue square"
          altclip classify --model BAAI/AltCLIP photos/ --label 猫 --label 狗 --template "一张{}的照片" --json
          find photos -name '*.jpg' | altclip classify --model BAAI/AltCLIP --files-from - --labels-file labels.txt
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var batchOptions: BatchOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Comma-separated labels.") var labels: String?
    @Option(help: "One label (repeatable; use for labels containing commas).") var label: [String] = []
    @Option(help: ArgumentHelp("Labels, one per line ('-' reads stdin).", valueName: "file")) var labelsFile: String?
    @Option(help: "Prompt template with {} for the label, e.g. \"a photo of {}\".") var template: String?
    @Option(help: "How many labels to show per image (default: all).") var top: Int?
    @OptionGroup var imageOptions: ImageInputOptions

    func validate() throws {
        if imageOptions.isEmpty { throw ValidationError("give at least one image file or folder (or --files-from)") }
        if label.isEmpty && labelsFile == nil && (labels ?? "").split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("give labels with --labels \"a,b\", --label a --label b or --labels-file FILE")
        }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if let template, !template.contains("{}") { throw ValidationError("--template must contain {} where the label goes") }
        if labelsFile == "-" && imageOptions.filesFrom == "-" { throw ValidationError("only one of --labels-file and --files-from can read stdin") }
    }

    func allLabels() throws -> [String] {
        var all = label
        all += labels?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        if let labelsFile { all += try TextInputOptions.readLines(labelsFile) }
        guard !all.isEmpty else { throw CLIError.noInputs("\(labelsFile ?? "the labels") holds no labels") }
        return all
    }

    func run() throws {
        let labels = try allLabels()
        let files = try imageOptions.files()
        let pipeline = try PipelineLoader.load(modelOptions, precisionOptions, batchOptions, exifTranspose: imageOptions.exifTranspose)
        let prompts = labels.map { ZeroShotClassifier.prompt($0, template: template) }
        let embedded = try pipeline.encodeTexts(prompts)
        TruncationNote.report(prompts, embedded.truncatedTokens, limit: pipeline.maxTextLength)
        let classifier = try ZeroShotClassifier(labels: labels, prompts: prompts, embeddings: embedded.vectors,
                                                logitScale: pipeline.model.logitScale)
        let progress = ProgressBar(total: files.count, label: "classify")
        var results: [ClassifiedImage] = []
        var failed = 0
        try pipeline.forEachImageEmbedding(files.map { ImageInput.file($0.url) }) { index, result in
            let item: ClassifiedImage
            switch result {
            case let .success(embedding):
                let ranked = classifier.classify(embedding)
                item = ClassifiedImage(image: files[index].name, labels: Array(ranked.prefix(top ?? ranked.count)))
            case let .failure(error):
                failed += 1
                item = ClassifiedImage(image: files[index].name, error: "\(error)")
            }
            if output.json { results.append(item) } else { try Self.print(item) }
            progress.update(done: index + 1)
        }
        if output.json { try Output.json(results) }
        if failed > 0 {
            Output.warn("\(failed) of \(files.count) images could not be classified")
            throw ExitCode.failure
        }
    }

    static func print(_ item: ClassifiedImage) throws {
        Output.line(item.image)
        if let error = item.error { Output.line("  error: \(error)") }
        for score in item.labels ?? [] {
            Output.line(String(format: "  %6.2f%%  %@", Double(score.probability) * 100, score.label))
        }
    }
}

struct ClassifiedImage: Encodable {
    var image: String
    var labels: [LabelScore]?
    var error: String?
}
