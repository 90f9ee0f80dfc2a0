import AltCLIP
import ArgumentParser
import Foundation

/// `altclip classify`: zero-shot classification of images against labels in any language.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Rank labels (in any language) for each image: zero-shot classification.",
        discussion: """
        Exits with status 1 if any image could not be read (the others are still classified).

        Examples:
          altclip classify --model Models/altclip-demo Samples/*.png --labels "a red circle,a blue square"
          altclip classify --model Models/altclip-demo photos/ --label 猫 --label 狗 --template "一张{}的照片" --json
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Comma-separated labels.") var labels: String?
    @Option(help: "One label (repeatable; use for labels containing commas).") var label: [String] = []
    @Option(help: "Prompt template with {} for the label, e.g. \"a photo of {}\".") var template: String?
    @Option(help: "How many labels to show per image (default: all).") var top: Int?
    @Argument(help: "Image files or folders.") var images: [String] = []

    var allLabels: [String] {
        label + (labels?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? [])
    }

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image file or folder") }
        if allLabels.isEmpty { throw ValidationError("give labels with --labels \"a,b\" or --label a --label b") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if let template, !template.contains("{}") { throw ValidationError("--template must contain {} where the label goes") }
    }

    func run() throws {
        modelOptions.applyThreads()
        let files = try ImageArguments.expand(images)
        let pipeline = try AltCLIPPipeline(directory: try modelOptions.resolveModel(), precision: precisionOptions.precision)
        let progress = ProgressBar(total: files.count, label: "classify")
        var results: [ClassifiedImage] = []
        for start in stride(from: 0, to: files.count, by: pipeline.imageBatchSize) {
            let chunk = Array(files[start..<min(start + pipeline.imageBatchSize, files.count)])
            let scores = try pipeline.classify(images: chunk.map(ImageInput.file), labels: allLabels, template: template)
            for (file, result) in zip(chunk, scores) {
                switch result {
                case let .success(ranked):
                    results.append(ClassifiedImage(image: file.relativePath, labels: Array(ranked.prefix(top ?? ranked.count))))
                case let .failure(error):
                    results.append(ClassifiedImage(image: file.relativePath, error: "\(error)"))
                }
            }
            progress.advance(by: chunk.count)
        }
        if output.json {
            try Output.json(results)
        } else {
            for item in results {
                Output.line(item.image)
                if let error = item.error { Output.line("  error: \(error)") }
                for score in item.labels ?? [] {
                    Output.line(String(format: "  %6.2f%%  %@", Double(score.probability) * 100, score.label))
                }
            }
        }
        let failed = results.filter { $0.error != nil }
        if !failed.isEmpty {
            Output.warn("\(failed.count) of \(results.count) images could not be classified")
            throw ExitCode.failure
        }
    }
}

struct ClassifiedImage: Encodable {
    var image: String
    var labels: [LabelScore]?
    var error: String?
}
