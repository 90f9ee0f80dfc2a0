import AltCLIP
import ArgumentParser
import Foundation

/// `altclip similarity`: cosine similarity of every image with every text.
struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "Cosine similarity between images (rows) and texts (columns); optionally logits and probabilities.",
        discussion: """
        The texts are embedded once; images stream through in batches (any number of them), and rows are \
        printed as each batch finishes. --logits adds transformers' logits_per_image (exp(logit_scale) · \
        cosine), --probabilities its softmax over the texts.

        Examples:
          altclip similarity --model Models/altclip-demo --text "a red circle" --text "红色的圆形" Samples/*.png
          altclip similarity --model Models/altclip-demo --texts-file captions.txt photos/ --probabilities --json
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var batchOptions: BatchOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var textOptions: TextInputOptions
    @Flag(help: "Also print logits_per_image: exp(logit_scale) × cosine.") var logits = false
    @Flag(help: "Also print the softmax of the logits over the texts, per image.") var probabilities = false
    @OptionGroup var imageOptions: ImageInputOptions

    func validate() throws {
        if imageOptions.isEmpty { throw ValidationError("give at least one image file or folder (or --files-from)") }
        if textOptions.isEmpty { throw ValidationError("give texts with --text, --texts-json or --texts-file") }
        if imageOptions.filesFrom == "-" && (textOptions.textsJson == "-" || textOptions.textsFile == "-") {
            throw ValidationError("only one input can read stdin")
        }
    }

    func run() throws {
        let texts = try textOptions.read()
        guard !texts.isEmpty else { throw CLIError.noInputs("the texts given are empty") }
        let files = try imageOptions.files()
        let pipeline = try PipelineLoader.load(modelOptions, precisionOptions, batchOptions, exifTranspose: imageOptions.exifTranspose)
        let embedded = try pipeline.encodeTexts(texts)
        TruncationNote.report(texts, embedded.truncatedTokens, limit: pipeline.maxTextLength)
        let queries = try ZeroShotClassifier(labels: texts, embeddings: embedded.vectors, logitScale: pipeline.model.logitScale)
        let progress = ProgressBar(total: files.count, label: "similarity")
        var result = SimilarityJSON(texts: texts, images: files.map(\.name), cosine: [],
                                    logits_per_image: logits ? [] : nil, probabilities: probabilities ? [] : nil,
                                    errors: [:], truncated: embedded.truncatedTokens.map { $0 > 0 })
        pipeline.forEachImageEmbedding(files.map { ImageInput.file($0.url) }) { index, outcome in
            let name = files[index].name
            switch outcome {
            case let .success(image):
                let cosine = queries.cosines(image)
                let logitRow = cosine.map { $0 * queries.scale }
                let probabilityRow = ZeroShotClassifier.softmax(logitRow)
                if output.json {
                    result.cosine.append(cosine)
                    if logits { result.logits_per_image?.append(logitRow) }
                    if probabilities { result.probabilities?.append(probabilityRow) }
                } else {
                    Output.line(name)
                    for t in texts.indices {
                        var line = String(format: "  %+.4f", Double(cosine[t]))
                        if logits { line += String(format: "  logit %8.4f", Double(logitRow[t])) }
                        if probabilities { line += String(format: "  %6.2f%%", Double(probabilityRow[t]) * 100) }
                        Output.line(line + "  " + texts[t])
                    }
                }
            case let .failure(error):
                result.errors[name] = "\(error)"
                if output.json {
                    result.cosine.append(nil)
                    if logits { result.logits_per_image?.append(nil) }
                    if probabilities { result.probabilities?.append(nil) }
                } else {
                    Output.line(name)
                    Output.line("  error: \(error)")
                }
            }
            progress.update(done: index + 1)
        }
        if output.json { try Output.json(result) }
        if !result.errors.isEmpty {
            Output.warn("\(result.errors.count) of \(files.count) images could not be read")
            throw ExitCode.failure
        }
    }
}

private struct SimilarityJSON: Encodable {
    var texts: [String]
    var images: [String]
    /// [image][text]; null for an image that could not be read.
    var cosine: [[Float]?]
    var logits_per_image: [[Float]?]?
    var probabilities: [[Float]?]?
    var errors: [String: String]
    /// Per text: whether it was cut to fit the model.
    var truncated: [Bool]
}
