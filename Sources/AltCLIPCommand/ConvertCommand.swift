import AltCLIPWeights
import ArgumentParser
import Foundation

/// `altclip convert`: any checkpoint to one `model.safetensors` (fp32, fp16 or bf16).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert pytorch_model.bin (or safetensors, sharded or not) to one model.safetensors.",
        discussion: """
        Keys keep the hub's names; integer buffers are copied as they are. fp32 is bit-exact.
        The other files of the folder (config, tokenizer, preprocessor) are copied next to the output when
        --out is a folder.

        Examples:
          altclip convert --model BAAI/AltCLIP --out AltCLIP-safetensors/
          altclip convert --model ./AltCLIP --out AltCLIP-bf16/model.safetensors --storage bf16
        """)

    enum DType: String, ExpressibleByArgument, CaseIterable { case fp32, fp16, bf16 }

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Output file, or a folder to receive model.safetensors and the other model files.") var out: String
    @Option(help: "Floating-point type to store: fp32, fp16 or bf16.") var storage: DType = .fp32
    @Option(help: .hidden) var dtype: String?

    func validate() throws {
        if dtype != nil {
            throw ValidationError("convert takes --storage fp32|fp16|bf16 for the stored type (--dtype is the compute precision of the commands that run the model)")
        }
    }

    /// Files of a model folder this command writes or that describe weights; in an existing output
    /// folder they are replaced together, so no stale config or shard is left beside the new weights.
    static let modelFiles = ["config.json", "tokenizer.json", "sentencepiece.bpe.model", "tokenizer_config.json",
                             "special_tokens_map.json", "preprocessor_config.json", "processor_config.json"]

    func run() throws {
        // Check the destination before reading anything (a wrong --out fails in the first second).
        let singleFile = out.hasSuffix(".safetensors")
        let destination = URL(fileURLWithPath: out)
        try OutputPath.check(out, expectDirectory: !singleFile, flag: "--out")
        let folder = try modelOptions.resolveModel()
        let store = try WeightStore.open(directory: folder)
        guard !store.keys.isEmpty else {
            throw CLIError.unreadableFile(store.files.first?.path ?? folder.path, "the checkpoint holds no tensors; nothing to convert")
        }
        let converted: CheckpointConverter.Precision = switch storage {
        case .fp32: .float32
        case .fp16: .float16
        case .bf16: .bfloat16
        }
        if singleFile {
            // The writer goes through a temporary file and renames it: never a half-written output.
            _ = try CheckpointConverter.convert(store: store, to: destination, dtype: converted)
        } else {
            try Self.writeFolder(destination) { staging in
                for name in Self.modelFiles {
                    let source = folder.appendingPathComponent(name)
                    guard FileManager.default.fileExists(atPath: source.path) else { continue }
                    try FileManager.default.copyItem(at: source.resolvingSymlinksInPath(), to: staging.appendingPathComponent(name))
                }
                _ = try CheckpointConverter.convert(store: store, to: staging.appendingPathComponent("model.safetensors"), dtype: converted)
            }
        }
        if output.json {
            try Output.json(ConvertSummary(out: singleFile ? out : (out as NSString).appendingPathComponent("model.safetensors"),
                                           storage: storage.rawValue, tensors: store.keys.count))
        } else {
            Output.line("wrote \(store.keys.count) tensors (\(storage.rawValue)) to \(singleFile ? out : (out as NSString).appendingPathComponent("model.safetensors"))")
        }
    }

    /// Builds a folder aside (a hidden sibling of `destination`) with `fill`, then moves it into place:
    /// on any failure nothing of the new output is left and an existing folder is untouched. An existing
    /// folder's model files are replaced as a whole; its other files (a README) are kept.
    static func writeFolder(_ destination: URL, fill: (URL) throws -> Void) throws {
        let manager = FileManager.default
        let parent = destination.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(destination.lastPathComponent).partial-\(UUID().uuidString)")
        try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            try fill(staging)
            if manager.fileExists(atPath: destination.path) {
                let kept = try manager.contentsOfDirectory(atPath: destination.path).filter { name in
                    !modelFiles.contains(name) && !name.hasSuffix(".safetensors") && !name.hasSuffix(".bin")
                        && name != "model.safetensors.index.json" && name != "pytorch_model.bin.index.json"
                        && !manager.fileExists(atPath: staging.appendingPathComponent(name).path)
                }
                for name in kept {
                    try manager.copyItem(at: destination.appendingPathComponent(name), to: staging.appendingPathComponent(name))
                }
                let old = parent.appendingPathComponent(".\(destination.lastPathComponent).old-\(UUID().uuidString)")
                try manager.moveItem(at: destination, to: old)
                do { try manager.moveItem(at: staging, to: destination) } catch {
                    try? manager.moveItem(at: old, to: destination)
                    throw error
                }
                try? manager.removeItem(at: old)
            } else {
                try manager.moveItem(at: staging, to: destination)
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}

private struct ConvertSummary: Encodable {
    var out: String
    var storage: String
    var tensors: Int
}
