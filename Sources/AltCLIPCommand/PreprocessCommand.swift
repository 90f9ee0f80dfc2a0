import AltCLIP
import AltCLIPImage
import AltCLIPWeights
import ArgumentParser
import Foundation

/// `altclip preprocess`: pixel values exactly as transformers' CLIPImageProcessor makes them.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Decode and preprocess images into pixel_values (one tensor per file, named by the file).",
        discussion: """
        Files that fail are reported on stderr and skipped; the exit status is then 1.

        Example:
          altclip preprocess --model Models/altclip-demo --out pixels.safetensors Samples/*.png
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Output file.", valueName: "out.safetensors")) var out: String
    @Flag(help: "Apply EXIF orientation first (as transformers.image_utils.load_image does).") var exifTranspose = false
    @Argument(help: "Image files or folders.") var images: [String] = []

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image file or folder") }
    }

    func run() throws {
        try OutputPath.check(out, flag: "--out")
        modelOptions.applyThreads()
        let files = try ImageArguments.expand(images)
        let processor = try CLIPImageProcessor(directory: try modelOptions.resolveModel())
        var options = DecodeOptions.processor
        options.applyExifOrientation = exifTranspose
        let results = processor.preprocessEach(contentsOf: files, options: options)
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        var written: [[String: String]] = [], failures = 0
        for (file, result) in zip(files, results) {
            switch result {
            case let .success(pixels):
                try writer.add(file.relativePath, shape: pixels.shape, float32: pixels.values)
                written.append(["image": file.relativePath, "shape": "\(pixels.shape)"])
            case let .failure(error):
                failures += 1
                Output.warn("\(file.relativePath): \(error)")
                written.append(["image": file.relativePath, "error": "\(error)"])
            }
        }
        try writer.write(to: URL(fileURLWithPath: out))
        if output.json { try Output.json(written) } else {
            Output.line("wrote pixel_values of \(files.count - failures) images to \(out)")
        }
        if failures > 0 { throw ExitCode.failure }
    }
}
