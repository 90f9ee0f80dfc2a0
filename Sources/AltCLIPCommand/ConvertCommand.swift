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
          altclip convert --model ./AltCLIP --out AltCLIP-bf16/model.safetensors --dtype bf16
        """)

    enum DType: String, ExpressibleByArgument, CaseIterable { case fp32, fp16, bf16 }

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Output file, or a folder to receive model.safetensors and the other model files.") var out: String
    @Option(help: "Floating-point type to store: fp32, fp16 or bf16.") var dtype: DType = .fp32

    func run() throws {
        let folder = try modelOptions.resolveModel()
        let store = try WeightStore.open(directory: folder)
        var target = URL(fileURLWithPath: out)
        if !out.hasSuffix(".safetensors") {
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            for name in ["config.json", "tokenizer.json", "sentencepiece.bpe.model", "tokenizer_config.json",
                         "special_tokens_map.json", "preprocessor_config.json", "processor_config.json"] {
                let source = folder.appendingPathComponent(name)
                let destination = target.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: source.path),
                      !FileManager.default.fileExists(atPath: destination.path) else { continue }
                try FileManager.default.copyItem(at: source.resolvingSymlinksInPath(), to: destination)
            }
            target = target.appendingPathComponent("model.safetensors")
        }
        let converted: CheckpointConverter.Precision = switch dtype {
        case .fp32: .float32
        case .fp16: .float16
        case .bf16: .bfloat16
        }
        _ = try CheckpointConverter.convert(store: store, to: target, dtype: converted)
        if output.json {
            try Output.json(["out": target.path, "dtype": dtype.rawValue, "tensors": "\(store.keys.count)"])
        } else {
            Output.line("wrote \(store.keys.count) tensors (\(dtype.rawValue)) to \(target.path)")
        }
    }
}
