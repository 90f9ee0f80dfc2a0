import AltCLIP
import AltCLIPImage
import AltCLIPTensor
import AltCLIPWeights
import ArgumentParser
import Foundation

/// `altclip forward`: the parity dump. Reads model inputs from a safetensors file, runs the model, and
/// writes every output under transformers' attribute path.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run the model and write every output under transformers' names (hidden states, attentions, loss).",
        discussion: """
        Inputs come from safetensors files (--inputs, repeatable: e.g. one from `altclip tokenize --out` and one \
        from `altclip preprocess --out`) and/or are made here from texts (--text, --texts-json, --texts-file: \
        tokenized as classify does, padded to the longest) and image files (preprocessed as classify does). \
        Tensors read: input_ids (I64 [B, L]), attention_mask, token_type_ids, position_ids (I64 [B, L]), \
        inputs_embeds (F32 [B, L, hidden], instead of input_ids), head_mask (F32 [heads] or [layers, heads]), \
        pixel_values (F32 [B, 3, H, W]). With text and pixels an AltCLIPModel folder runs the full model; \
        with one of them, that tower alone (also for standalone tower folders).
        Outputs are named as transformers' attributes joined with '/': text_embeds, logits_per_image, \
        text_model_output/last_hidden_state, vision_model_output/hidden_states/0, loss, ...

        Examples:
          altclip forward --model Models/altclip-demo --text "a red circle" --text "un chat" Samples/red_circle.png \\
            Samples/blue_circle.png --out out.safetensors --output-hidden-states --return-loss
          altclip forward --model Models/altclip-demo --inputs ids.safetensors --inputs pixels.safetensors --out out.safetensors
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("A safetensors file of inputs (repeatable; a tensor may come from one file only).", valueName: "file"))
    var inputs: [String] = []
    @Option(help: ArgumentHelp("Where to write the outputs.", valueName: "out.safetensors")) var out: String
    @Flag(help: "Also write every layer's hidden states.") var outputHiddenStates = false
    @Flag(help: "Also write every layer's attention probabilities.") var outputAttentions = false
    @Flag(help: "Also write the contrastive loss (needs as many texts as images).") var returnLoss = false
    @Flag(help: "Accept pixel sizes other than the config's (position table resized bicubically).")
    var interpolatePosEncoding = false
    @OptionGroup var textOptions: TextInputOptions
    @OptionGroup var imageOptions: ImageInputOptions

    static let knownInputs: Set<String> = ["input_ids", "attention_mask", "token_type_ids", "position_ids",
                                           "inputs_embeds", "head_mask", "pixel_values"]

    func validate() throws {
        if inputs.isEmpty && textOptions.isEmpty && imageOptions.isEmpty {
            throw ValidationError("give --inputs FILE, texts (--text, --texts-json, --texts-file) and/or image files")
        }
        if !out.lowercased().hasSuffix(".safetensors") { throw ValidationError("--out must end in .safetensors") }
    }

    func run() throws {
        try OutputPath.check(out, flag: "--out")
        // Every stored input, each name from one file only.
        var tensors: [String: (store: WeightStore, file: String)] = [:]
        for file in inputs {
            let store = try WeightStore(file: URL(fileURLWithPath: file))
            let names = store.keys.filter(Self.knownInputs.contains)
            guard !names.isEmpty else {
                throw CLIError.noInputs("\(file) holds none of \(Self.knownInputs.sorted().joined(separator: ", "))")
            }
            for name in names.sorted(by: { ($0 == "input_ids" ? 0 : 1, $0) < ($1 == "input_ids" ? 0 : 1, $1) }) {
                if let earlier = tensors[name] { throw CLIError.noInputs("\(name) is in both \(earlier.file) and \(file)") }
                tensors[name] = (store, file)
            }
        }
        let texts = try textOptions.read()
        let files = imageOptions.isEmpty ? [] : try imageOptions.files()
        if !texts.isEmpty, let clash = ["input_ids", "inputs_embeds"].first(where: { tensors[$0] != nil }) {
            throw CLIError.noInputs("texts were given and \(tensors[clash]!.file) holds \(clash): give the text one way")
        }
        if !files.isEmpty, let earlier = tensors["pixel_values"] {
            throw CLIError.noInputs("images were given and \(earlier.file) holds pixel_values: give the images one way")
        }
        let folder = try modelOptions.resolveModel()
        var text = try Self.textInputs(tensors)
        if !texts.isEmpty {
            let processor = try AltCLIPProcessor(directory: folder)
            let encoding = try processor.tokenizer(texts, padding: .longest, truncation: true)
            text = TextInputs(inputIds: encoding.inputIds, attentionMask: encoding.attentionMask,
                              tokenTypeIds: text?.tokenTypeIds, positionIds: text?.positionIds, headMask: text?.headMask)
        }
        var pixels = try tensors["pixel_values"].map { try Self.floatTensor($0.store, "pixel_values") }
        if !files.isEmpty {
            let processor = try CLIPImageProcessor(directory: folder)
            let batch = try processor.preprocess(contentsOf: files.map(\.url), options: imageOptions.decodeOptions)
            pixels = Tensor(shape: batch.shape, scalars: batch.values)
        }
        guard text != nil || pixels != nil else {
            throw CLIError.noInputs("\(inputs.joined(separator: ", ")) hold neither input_ids, inputs_embeds nor pixel_values")
        }
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
            throw CLIError.noInputs("the \(kind.rawValue) folder \(folder.path) cannot use the given inputs")
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

    static func intRows(_ store: WeightStore?, _ key: String) throws -> [[Int]]? {
        guard let store, store.contains(key) else { return nil }
        let (shape, values) = try store.int64(key)
        guard shape.count == 2 else { throw CLIError.noInputs("\(key) must be 2-D [batch, length], got \(shape)") }
        let width = shape[1]
        return (0..<shape[0]).map { row in values[(row * width)..<((row + 1) * width)].map { Int($0) } }
    }

    /// The text inputs the stored tensors hold (nil when neither input_ids nor inputs_embeds is there).
    static func textInputs(_ tensors: [String: (store: WeightStore, file: String)]) throws -> TextInputs? {
        func rows(_ key: String) throws -> [[Int]]? { try intRows(tensors[key]?.store, key) }
        func floats(_ key: String) throws -> Tensor? { try tensors[key].map { try floatTensor($0.store, key) } }
        let ids = try rows("input_ids"), embeds = try floats("inputs_embeds")
        let headMask = try floats("head_mask")
        guard ids != nil || embeds != nil else {
            if headMask != nil || tensors["attention_mask"] != nil {
                return TextInputs(attentionMask: try rows("attention_mask"), tokenTypeIds: try rows("token_type_ids"),
                                  positionIds: try rows("position_ids"), headMask: headMask)
            }
            return nil
        }
        return TextInputs(inputIds: ids, attentionMask: try rows("attention_mask"), tokenTypeIds: try rows("token_type_ids"),
                          positionIds: try rows("position_ids"), headMask: headMask, inputsEmbeds: embeds)
    }
}

private struct ForwardSummary: Encodable {
    struct Item: Encodable { var name: String; var shape: [Int] }
    var out: String
    var tensors: [Item]
}
