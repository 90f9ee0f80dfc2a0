import AltCLIP
import AltCLIPImage
import AltCLIPWeights
import ArgumentParser
import Foundation

/// `altclip preprocess`: pixel values exactly as transformers' CLIPImageProcessor makes them.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Decode and preprocess images into one pixel_values tensor [images, 3, height, width].",
        discussion: """
        The output format follows --out's extension:
          .safetensors  pixel_values (float32 [N, 3, H, W]); the image names in its metadata ("images"), \
        so `altclip forward --inputs` reads it
          .npy          the same array; the names in OUT.names.json
        Files that fail are reported on stderr and left out; the exit status is then 1. Images must come out \
        the same size (true whenever the preprocessor crops or resizes to a fixed size).

        Example:
          altclip preprocess --model Models/altclip-demo --out pixels.safetensors Samples/*.png
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Output file (.safetensors or .npy).", valueName: "file")) var out: String
    @OptionGroup var imageOptions: ImageInputOptions

    var isNPY: Bool { out.lowercased().hasSuffix(".npy") }

    func validate() throws {
        if imageOptions.isEmpty { throw ValidationError("give at least one image file or folder (or --files-from)") }
        if !isNPY && !out.lowercased().hasSuffix(".safetensors") { throw ValidationError("--out must end in .safetensors or .npy") }
    }

    func run() throws {
        try OutputPath.check(out, flag: "--out")
        if isNPY { try OutputPath.check(out + ".names.json", flag: "--out") }
        let files = try imageOptions.files()
        let processor = try CLIPImageProcessor(directory: try modelOptions.resolveModel())
        let results = processor.preprocessEach(contentsOf: files.map(\.url), options: imageOptions.decodeOptions)
        var kept: [(name: String, pixels: PixelValues)] = []
        var report: [PreprocessedJSON] = []
        for (file, result) in zip(files, results) {
            switch result {
            case let .success(pixels):
                kept.append((file.name, pixels))
                report.append(PreprocessedJSON(image: file.name, shape: Array(pixels.shape.dropFirst())))
            case let .failure(error):
                Output.warn("\(file.name): \(error)")
                report.append(PreprocessedJSON(image: file.name, error: "\(error)"))
            }
        }
        guard let first = kept.first else { throw CLIError.noInputs("no image could be preprocessed") }
        if let other = kept.first(where: { $0.pixels.shape != first.pixels.shape }) {
            throw CLIError.noInputs("\(first.name) gives pixel values \(first.pixels.shape) but \(other.name) gives \(other.pixels.shape); "
                + "one tensor needs one size (preprocess them separately)")
        }
        let shape = [kept.count] + first.pixels.shape.dropFirst()
        let names = try JSONSerialization.data(withJSONObject: kept.map(\.name), options: [.withoutEscapingSlashes])
        if isNPY {
            let namesURL = URL(fileURLWithPath: out + ".names.json")
            try names.write(to: namesURL, options: .atomic)
            do { try NPY.write(shape: shape, chunks: kept.map(\.pixels.values), to: URL(fileURLWithPath: out)) } catch {
                try? FileManager.default.removeItem(at: namesURL)
                throw error
            }
        } else {
            var writer = SafetensorsWriter(metadata: ["format": "pt", "producer": "altclip preprocess",
                                                      "images": String(decoding: names, as: UTF8.self)])
            try writer.add("pixel_values", shape: shape, float32: kept.flatMap(\.pixels.values))
            try writer.write(to: URL(fileURLWithPath: out))
        }
        if output.json {
            try Output.json(PreprocessSummary(out: out, shape: shape, images: report))
        } else {
            Output.line("wrote pixel_values \(shape) of \(kept.count) images to \(out)")
        }
        if kept.count < files.count { throw ExitCode.failure }
    }
}

private struct PreprocessedJSON: Encodable {
    var image: String
    var shape: [Int]?
    var error: String?
}

private struct PreprocessSummary: Encodable {
    var out: String
    var shape: [Int]
    var images: [PreprocessedJSON]
}
