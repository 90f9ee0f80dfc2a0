import AltCLIPTensor
import ArgumentParser
import Foundation

/// `--model` and `--threads`, shared by every subcommand that loads a model folder.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Model folder in the Hugging Face layout (config.json, weights, tokenizer, preprocessor_config.json).",
                                            valueName: "dir"))
    var model: String = "Models/altclip-demo"

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    var modelURL: URL { URL(fileURLWithPath: model) }
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

    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

extension ModelOptions {
    /// Applies `--threads` to the tensor core.
    func applyThreads() {
        if let threads { Threading.setThreadCount(threads) }
    }

    /// The model folder `--model` names. (Hub names `ORG/NAME` are resolved by the hub layer.)
    func resolveModel() throws -> URL {
        let url = modelURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError.modelNotFound(model)
        }
        return url
    }
}

/// Failures the CLI itself reports (exit status 1, message on stderr).
enum CLIError: Error, CustomStringConvertible, LocalizedError {
    case modelNotFound(String)
    case noInputs(String)
    case unreadableFile(String, String)

    var description: String {
        switch self {
        case let .modelNotFound(model):
            return "model folder '\(model)' not found: pass --model with a folder holding config.json and the weights"
        case let .noInputs(what):
            return what
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        }
    }

    var errorDescription: String? { description }
}
