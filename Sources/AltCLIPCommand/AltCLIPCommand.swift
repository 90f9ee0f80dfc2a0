import ArgumentParser
import AltCLIP
import Foundation

/// Exit status: 0 success, 1 failure (bad file, missing model, ...), 64 usage error.
@main
struct AltCLIPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "altclip",
        abstract: "AltCLIP (multilingual CLIP) in Swift: embeddings, similarity, zero-shot classification.",
        discussion: "Exit status: 0 on success, 1 on failure, 64 on a usage error.",
        version: AltCLIPVersion.string,
        subcommands: [ClassifyCommand.self, SimilarityCommand.self, EmbedCommand.self, InspectCommand.self,
                      TokenizeCommand.self, DecodeCommand.self, PreprocessCommand.self, ForwardCommand.self, ConvertCommand.self,
                      ServeCommand.self, IndexCommand.self, SearchCommand.self])

    /// Runs the command; Foundation's file and network errors are reworded first (never a raw
    /// `NSError` dump), everything else is reported by the argument parser as usual.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: FoundationErrorText.reworded(error))
        }
    }
}

/// The tool's version (`altclip --version`).
enum AltCLIPVersion {
    static let string = "0.3.0"
}

/// Turns Foundation's `NSError`s (file system, network) into one readable line.
enum FoundationErrorText {
    static func reworded(_ error: Error) -> Error {
        if case let AltCLIPError.imageSizeMismatch(height, width, expected) = error {
            return CLIError.noInputs("the image is \(height)x\(width) pixels but the model takes \(expected)x\(expected): "
                + "resize it, or run `altclip forward` with --interpolate-pos-encoding")
        }
        let ns = error as NSError
        guard [NSCocoaErrorDomain, NSPOSIXErrorDomain, NSURLErrorDomain].contains(ns.domain) else { return error }
        return CLIError.noInputs(describe(ns))
    }

    static func describe(_ error: NSError) -> String {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        var code: Int32? = error.domain == NSPOSIXErrorDomain ? Int32(error.code) : nil
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            code = Int32(underlying.code)
        }
        let reason: String
        if let code {
            reason = String(cString: strerror(code)).lowercased()
        } else {
            switch CocoaError.Code(rawValue: error.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file"
            case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
            case .fileWriteOutOfSpace: reason = "no space left on the device"
            case .fileWriteFileExists: reason = "the file already exists"
            case .fileReadCorruptFile: reason = "the file is not in the expected format"
            default: reason = "file operation failed (error \(error.code))"
            }
        }
        return path.map { "\($0): \(reason)" } ?? reason
    }
}
