import AltCLIP
import AltCLIPImage
import AltCLIPSupport
import ArgumentParser
import Foundation

/// Texts, given the same way to every command that takes them: `--text` (repeatable), `--texts-json`
/// (a JSON array of strings) and `--texts-file` (one text per line); `-` reads either file from stdin.
struct TextInputOptions: ParsableArguments {
    @Option(help: "A text (repeatable).") var text: [String] = []
    @Option(help: ArgumentHelp("A JSON array of texts ('-' reads stdin); texts may hold newlines.", valueName: "file"))
    var textsJson: String?
    @Option(help: ArgumentHelp("Texts, one per line ('-' reads stdin); empty lines are skipped.", valueName: "file"))
    var textsFile: String?

    var isEmpty: Bool { text.isEmpty && textsJson == nil && textsFile == nil }

    func validate() throws {
        if textsJson == "-" && textsFile == "-" { throw ValidationError("only one of --texts-json and --texts-file can read stdin") }
    }

    /// `--text` values, then `--texts-json`, then `--texts-file`, in order.
    func read() throws -> [String] {
        var texts = text
        if let textsJson { texts += try Self.readJSONArray(textsJson) }
        if let textsFile { texts += try Self.readLines(textsFile) }
        return texts
    }

    static func readData(_ path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        do { return try InputFile.read(path, maxBytes: 1 << 30) } catch {
            throw CLIError.unreadableFile(path, error.reason)
        }
    }

    /// A JSON array of strings.
    static func readJSONArray(_ path: String) throws -> [String] {
        let data = try readData(path)
        guard let texts = try? JSONSerialization.jsonObject(with: data) as? [String] else {
            throw CLIError.unreadableFile(path == "-" ? "stdin" : path, "expected a JSON array of strings")
        }
        return texts
    }

    /// One text per line (`\n` or `\r\n`), empty lines skipped.
    static func readLines(_ path: String) throws -> [String] {
        let data = try readData(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError.unreadableFile(path == "-" ? "stdin" : path, "is not UTF-8 text")
        }
        return text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" }.map(String.init)
    }
}

/// One image file: the name to report (as the user gave it, or the folder as given joined with the
/// path found inside it) and where to read it.
struct ImageFile {
    var name: String
    var url: URL
}

/// Images, given the same way to every command that reads them: files and folders as arguments
/// (folders walked for image files), `--files-from` a list, and `--exif-transpose`.
struct ImageInputOptions: ParsableArguments {
    @Argument(help: "Image files or folders (folders are searched for .jpg .jpeg .png .webp .gif .bmp).")
    var images: [String] = []
    @Option(help: ArgumentHelp("A file listing image paths, one per line ('-' reads stdin).", valueName: "file"))
    var filesFrom: String?
    @Flag(help: "Apply the EXIF orientation first (transformers' load_image does; plain Image.open, the default, does not).")
    var exifTranspose = false

    var isEmpty: Bool { images.isEmpty && filesFrom == nil }

    /// Every image to process, in order: arguments first (folders sorted), then the list's entries.
    func files() throws -> [ImageFile] {
        var paths = images
        if let filesFrom { paths += try TextInputOptions.readLines(filesFrom) }
        guard !paths.isEmpty else { throw CLIError.noInputs("\(filesFrom ?? "the list") names no images") }
        return try ImageArguments.expand(paths)
    }

    var decodeOptions: DecodeOptions {
        var options = DecodeOptions.processor
        options.applyExifOrientation = exifTranspose
        return options
    }
}

/// `--batch-size`, where the model runs in batches.
struct BatchOptions: ParsableArguments {
    @Option(help: "Inputs per forward pass (default: 32 texts, 8 images).") var batchSize: Int?

    func validate() throws {
        if let batchSize, !(1...4096).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 4096") }
    }
}

/// Loads the pipeline the commands share, with the command's precision, batch size and EXIF choice.
enum PipelineLoader {
    static func load(_ model: ModelOptions, _ precision: PrecisionOptions, _ batch: BatchOptions,
                     exifTranspose: Bool = false) throws -> AltCLIPPipeline {
        var decode = DecodeOptions.processor
        decode.applyExifOrientation = exifTranspose
        let folder = try model.resolveModel()
        return try AltCLIPPipeline(directory: folder, precision: precision.precision,
                                   textBatchSize: batch.batchSize ?? 32, imageBatchSize: batch.batchSize ?? 8,
                                   decodeOptions: decode)
    }
}

/// Tells the user, on stderr, which texts were cut to fit the model (and returns their indices).
enum TruncationNote {
    static func report(_ texts: [String], _ removed: [Int], limit: Int) {
        let cut = removed.indices.filter { removed[$0] > 0 }
        guard !cut.isEmpty else { return }
        let examples = cut.prefix(3).map { index -> String in
            let text = texts[index]
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return "\(shown.debugDescription) (\(removed[index]) tokens cut)"
        }.joined(separator: ", ")
        Output.warn("note: \(cut.count) of \(texts.count) texts were longer than the model's \(limit) tokens and were truncated: "
            + examples + (cut.count > 3 ? ", …" : ""))
    }
}

/// Progress of long work on stderr: on a terminal a bar redrawn in place; otherwise (a log file, CI)
/// a one-line status — count, rate, ETA — at most every `interval` seconds and once at the end.
/// `ALTCLIP_PROGRESS=0` turns it off; `ALTCLIP_PROGRESS_INTERVAL` sets the interval for plain lines.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let start = Date()
    private let terminal: Bool
    private let enabled: Bool
    private let interval: TimeInterval
    private var lastLine: Date
    private var printedLines = 0
    private var done = 0
    private let lock = NSLock()

    init(total: Int, label: String) {
        self.total = total
        self.label = label
        let environment = ProcessInfo.processInfo.environment
        terminal = isatty(STDERR_FILENO) != 0
        enabled = total > 0 && environment["ALTCLIP_PROGRESS"] != "0"
        interval = environment["ALTCLIP_PROGRESS_INTERVAL"].flatMap(Double.init).map { max($0, 0) } ?? 5
        lastLine = start
    }

    /// Records `n` more items done.
    func advance(by n: Int) { update(done: done + n) }

    /// Records that `count` items are done in all.
    func update(done count: Int) {
        lock.lock()
        defer { lock.unlock() }
        done = min(count, total)
        guard enabled else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let finished = done >= total
        if terminal {
            let width = 30, filled = width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "\r%@ [%@] %d/%d  %.1f/s  ETA %@ ", label, bar, done, total, rate, Self.duration(eta))
            FileHandle.standardError.write(Data(line.utf8))
            if finished { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if (finished && printedLines > 0) || (!finished && now.timeIntervalSince(lastLine) >= interval) {
            // Plain lines: a status every `interval`, and a closing line only for work that got one.
            lastLine = now
            printedLines += 1
            let line = finished
                ? String(format: "%@: %d/%d done in %@ (%.1f/s)\n", label, done, total, Self.duration(elapsed), rate)
                : String(format: "%@: %d/%d (%.0f%%)  %.1f/s  ETA %@\n", label, done, total,
                         100 * Double(done) / Double(total), rate, Self.duration(eta))
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

#if canImport(Glibc)
import Glibc
#endif
