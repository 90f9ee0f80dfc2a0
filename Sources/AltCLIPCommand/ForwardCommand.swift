import AltCLIP
import AltCLIPTensor
import AltCLIPWeights
import ArgumentParser
import Foundation

/// `altclip forward`: the parity dump. Reads model inputs from a safetensors file, runs the model, and
/// writes every output under transformers' attribute path.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run the model on stored inputs and write every output (for parity checks).",
        discussion: """
        Inputs (safetensors): input_ids (I64 [B, L]), attention_mask (optional), token_type_ids (optional), \
        position_ids (optional), pixel_values (F32 [B, 3, H, W]). With both text and pixels an AltCLIPModel \
        folder runs the full model; with one of them, that tower alone (also for standalone tower folders).
        Outputs are named as transformers' attributes joined with '/': text_embeds, logits_per_image, \
        text_model_output/last_hidden_state, vision_model_output/hidden_states/0, loss, ...

        Example:
          altclip forward --model Models/altclip-demo --inputs in.safetensors --out out.safetensors \\
            --output-hidden-states --output-attentions --return-loss
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Inputs file.", valueName: "in.safetensors")) var inputs: String
    @Option(help: ArgumentHelp("Where to write the outputs.", valueName: "out.safetensors")) var out: String
    @Flag(help: "Also write every layer's hidden states.") var outputHiddenStates = false
    @Flag(help: "Also write every layer's attention probabilities.") var outputAttentions = false
    @Flag(help: "Also write the contrastive loss (needs as many texts as images).") var returnLoss = false
    @Flag(help: "Accept pixel sizes other than the config's (position table resized bicubically).")
    var interpolatePosEncoding = false

    func run() throws {
        try OutputPath.check(out, flag: "--out")
        modelOptions.applyThreads()
        let store = try WeightStore(file: URL(fileURLWithPath: inputs))
        let text = try Self.textInputs(store)
        let pixels = store.contains("pixel_values") ? try Self.floatTensor(store, "pixel_values") : nil
        guard text != nil || pixels != nil else {
            throw CLIError.noInputs("\(inputs) holds neither input_ids nor pixel_values")
        }
        let folder = try modelOptions.resolveModel()
        let kind = try ModelInspection.Kind(folder: folder)
        var named: [(name: String, tensor: Tensor)] = []
        switch (kind, text, pixels) {
        case let (.model, text?, pixels?):
            let model = try AltCLIPModel(directory: folder, precision: precisionOptions.precision)
            named = try model(text, pixelValues: pixels, returnLoss: returnLoss,
                              interpolatePosEncoding: interpolatePosEncoding,
                              outputHiddenStates: outputHiddenStates, outputAttentions: outputAttentions).namedTensors()
        case let (.model, text?, nil), let (.textModel, text?, _):
            let model = try AltCLIPTextModel(directory: folder, precision: precisionOptions.precision)
            let result = try model(text, outputHiddenStates: outputHiddenStates, outputAttentions: outputAttentions)
            named = result.namedTensors(prefix: "text_model_output")
        case let (.model, nil, pixels?), let (.visionModel, _, pixels?):
            let model = try AltCLIPVisionModel(directory: folder, precision: precisionOptions.precision)
            named = try model(pixelValues: pixels, interpolatePosEncoding: interpolatePosEncoding,
                              outputHiddenStates: outputHiddenStates, outputAttentions: outputAttentions)
                .namedTensors(prefix: "vision_model_output")
        default:
            throw ValidationError("the \(kind.rawValue) folder \(folder.path) cannot use the given inputs")
        }
        var writer = SafetensorsWriter(metadata: ["format": "pt", "producer": "altclip forward"])
        for (name, tensor) in named {
            try writer.add(name, shape: tensor.shape, float32: tensor.scalars)
        }
        try writer.write(to: URL(fileURLWithPath: out))
        if output.json {
            try Output.json(ForwardSummary(out: out, tensors: named.map { .init(name: $0.name, shape: $0.tensor.shape) }))
        } else {
            Output.line("wrote \(named.count) tensors to \(out)")
            for (name, tensor) in named { Output.line("  \(name) \(tensor.shape)") }
        }
    }

    static func floatTensor(_ store: WeightStore, _ key: String) throws -> Tensor {
        let (shape, values) = try store.float32(key)
        return Tensor(shape: shape, scalars: values)
    }

    static func intRows(_ store: WeightStore, _ key: String) throws -> [[Int]]? {
        guard store.contains(key) else { return nil }
        let (shape, values) = try store.int64(key)
        guard shape.count == 2 else { throw ValidationError("\(key) must be 2-D [batch, length], got \(shape)") }
        let width = shape[1]
        return (0..<shape[0]).map { row in values[(row * width)..<((row + 1) * width)].map { Int($0) } }
    }

    static func textInputs(_ store: WeightStore) throws -> TextInputs? {
        guard let ids = try intRows(store, "input_ids") else { return nil }
        return TextInputs(inputIds: ids, attentionMask: try intRows(store, "attention_mask"),
                          tokenTypeIds: try intRows(store, "token_type_ids"),
                          positionIds: try intRows(store, "position_ids"))
    }
}

private struct ForwardSummary: Encodable {
    struct Item: Encodable { var name: String; var shape: [Int] }
    var out: String
    var tensors: [Item]
}
