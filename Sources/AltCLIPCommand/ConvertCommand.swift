import AltCLIP
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
            try ModelFolderWriter.write(from: folder, to: destination, storage: converted)
        }
        if output.json {
            try Output.json(ConvertSummary(out: singleFile ? out : (out as NSString).appendingPathComponent("model.safetensors"),
                                           storage: storage.rawValue, tensors: store.keys.count))
        } else {
            Output.line("wrote \(store.keys.count) tensors (\(storage.rawValue)) to \(singleFile ? out : (out as NSString).appendingPathComponent("model.safetensors"))")
        }
    }
}

private struct ConvertSummary: Encodable {
    var out: String
    var storage: String
    var tensors: Int
}
