import AltCLIP
import AltCLIPHub
import AltCLIPTensor
import ArgumentParser
import Foundation

/// `--model` and `--threads`, shared by every subcommand that loads a model folder.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp("""
        Model folder in the Hugging Face layout (config.json, weights, tokenizer, preprocessor_config.json), \
        or a hub id ORG/NAME[@REVISION] (e.g. BAAI/AltCLIP) taken from the Hugging Face cache or downloaded. \
        Default: the ALTCLIP_MODEL environment variable.
        """, valueName: "dir|org/name"))
    var modelOption: String? = nil

    /// The model to use: `--model`, else `ALTCLIP_MODEL` (never a silent built-in default).
    var model: String {
        get throws {
            if let modelOption { return modelOption }
            if let fromEnvironment = Self.environmentModel { return fromEnvironment }
            throw ValidationError("give the model with --model DIR|ORG/NAME (e.g. --model BAAI/AltCLIP) or set ALTCLIP_MODEL")
        }
    }

    static var environmentModel: String? {
        ProcessInfo.processInfo.environment["ALTCLIP_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    @Option(name: .long, help: "Threads for everything the command does: decoding, tokenizing, the model (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, !(1...Self.maxThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(Self.maxThreads)")
        }
        _ = try model
    }

    /// More threads than this only wastes memory on stacks (and 10^9 would exhaust it).
    static let maxThreads = 1024
}

/// `--dtype`, for the commands that run the model.
struct PrecisionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("""
        Arithmetic of the linear layers: fp32 (exact, default), bf16 (bfloat16 dot products: ~2x faster \
        on CPUs with AVX-512 BF16, half the weight memory) or int8 (quantized weights, ~4x smaller); \
        bf16/int8 embeddings stay within ~0.999 cosine of fp32.
        """, valueName: "fp32|bf16|int8"))
    var dtype: String = "fp32"

    func validate() throws {
        if ComputePrecision(rawValue: dtype) == nil { throw ValidationError("--dtype must be fp32, bf16 or int8") }
    }

    var precision: ComputePrecision { ComputePrecision(rawValue: dtype) ?? .float32 }
}

/// `--json`, shared by every subcommand.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    var json = false
}

/// Writes results to stdout as text or JSON.
enum Output {
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// One line on stdout. Control characters in it (a newline in a file name, a terminal escape)
    /// are shown escaped, so data can never forge a line of output or drive the terminal.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((escaped(text) + "\n").utf8))
    }

    /// One line on stderr, escaped like `line`.
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((escaped(text) + "\n").utf8))
    }

    /// `text` with C0/C1 control characters (but tab) written as `\n`, `\r` or `\u{1b}`.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
    }
}

extension ModelOptions {
    /// Applies `--threads` to the tensor core.
    func applyThreads() {
        if let threads { Threading.setThreadCount(threads) }
    }

    /// The model folder `--model` names: a local folder, or `ORG/NAME[@REVISION]` found in (or
    /// downloaded into) the Hugging Face cache.
    func resolveModel() throws -> URL {
        applyThreads()
        let model = try self.model
        if modelOption == nil { Output.warn("using the model \(model) (from ALTCLIP_MODEL)") }
        let url = URL(fileURLWithPath: model)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CLIError.modelNotFound(model) }
            return url
        }
        // Only names shaped like a hub id go to the hub; anything else is a missing folder.
        guard (try? ModelSpec(parsing: model)) != nil, !model.hasPrefix("/"), !model.hasPrefix(".") else {
            throw CLIError.modelNotFound(model)
        }
        let bar = DownloadBar()
        return try HubClient().resolve(model) { bar.update($0) }
    }
}

/// Failures the CLI itself reports (exit status 1, message on stderr).
enum CLIError: Error, CustomStringConvertible, LocalizedError {
    case modelNotFound(String)
    case noInputs(String)
    case unreadableFile(String, String)
    case badOutput(String, String, String)

    var description: String {
        switch self {
        case let .modelNotFound(model):
            return "model folder '\(model)' not found: pass --model with a folder holding config.json and the weights"
        case let .noInputs(what):
            return what
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .badOutput(flag, path, reason):
            return "\(flag) \(path): \(reason)"
        }
    }

    var errorDescription: String? { description }
}

/// Download progress on stderr: a bar redrawn in place on a terminal, else plain status lines every
/// ALTCLIP_PROGRESS_INTERVAL seconds (5 by default); ALTCLIP_PROGRESS=0 silences it.
final class DownloadBar: @unchecked Sendable {
    private let lines: DownloadProgressLines?

    init() {
        let environment = ProcessInfo.processInfo.environment
        let interval = environment["ALTCLIP_PROGRESS_INTERVAL"].flatMap(Double.init).map { max($0, 0) } ?? 5
        lines = environment["ALTCLIP_PROGRESS"] == "0" ? nil
            : DownloadProgressLines(terminal: isatty(STDERR_FILENO) != 0, interval: interval)
    }

    func update(_ p: HubDownloadProgress) {
        guard let text = lines?.text(for: p), !text.isEmpty else { return }
        FileHandle.standardError.write(Data(text.utf8))
    }
}

#if canImport(Glibc)
import Glibc
#endif
