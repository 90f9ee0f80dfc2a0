import AltCLIPTensor

/// AltCLIP: the text and vision towers, their projections into one space, and the learned
/// temperature. Keys: `text_model`, `vision_model`, `text_projection`, `visual_projection`, `logit_scale`.
public final class AltCLIPModel: @unchecked Sendable {
    /// What loading found besides the parameters used (nil for a randomly initialised model).
    public internal(set) var loadReport: LoadReport?
    public let config: AltCLIPConfig
    public let textModel: AltCLIPTextModel
    public let visionModel: AltCLIPVisionModel
    /// [projectionDim, text projectDim], no bias.
    public let textProjection: Linear
    /// [projectionDim, vision hiddenSize], no bias.
    public let visualProjection: Linear
    /// The stored (log) temperature; logits use `exp(logitScale)`.
    public let logitScale: Float

    init(_ scope: WeightScope, config: AltCLIPConfig) throws {
        try config.validate()
        self.config = config
        textModel = try AltCLIPTextModel(scope("text_model"), config: config.textConfig)
        visionModel = try AltCLIPVisionModel(scope("vision_model"), config: config.visionConfig)
        let factor = Float(config.initializerFactor)
        let textDim = config.textConfig.projectDim, visionDim = config.visionConfig.hiddenSize
        // Under int8 the text projection stays bfloat16, as the text tower's last layers (see AltRobertaModel).
        textProjection = try Linear(scope("text_projection").keepingBFloat16UnderInt8(), input: textDim, output: config.projectionDim,
                                    bias: false, weightStd: 1 / Float(textDim).squareRoot() * factor)
        visualProjection = try Linear(scope("visual_projection"), input: visionDim, output: config.projectionDim,
                                      bias: false, weightStd: 1 / Float(visionDim).squareRoot() * factor)
        logitScale = try scope.parameter("logit_scale", shape: [],
                                         initializer: .constant(Float(config.logitScaleInitValue))).scalars[0]
    }

    /// A model with random parameters initialised as transformers does (`AltCLIPModel(config)`);
    /// `precision` selects the linear layers' arithmetic.
    public convenience init(config: AltCLIPConfig, seed: UInt64 = 0,
                            precision: ComputePrecision = .float32) throws {
        let loader = ParameterLoader(randomSeed: seed)
        loader.precision = precision
        try self.init(WeightScope(loader: loader), config: config)
    }

    /// Projected, unnormalised text features [B, projectionDim] (transformers `get_text_features`).
    public func getTextFeatures(_ inputs: TextInputs) throws -> Tensor {
        try textProjection(try textModel(inputs).poolerOutput)
    }

    /// Projected, unnormalised image features [B, projectionDim] (transformers `get_image_features`).
    public func getImageFeatures(pixelValues: Tensor, interpolatePosEncoding: Bool = false) throws -> Tensor {
        try visualProjection(try visionModel(pixelValues: pixelValues,
                                         interpolatePosEncoding: interpolatePosEncoding).poolerOutput)
    }

    /// Runs both towers and scores every text against every image.
    public func callAsFunction(_ text: TextInputs, pixelValues: Tensor, returnLoss: Bool = false,
                               interpolatePosEncoding: Bool = false, outputHiddenStates: Bool = false,
                               outputAttentions: Bool = false) throws -> AltCLIPOutput {
        let vision = try visionModel(pixelValues: pixelValues, interpolatePosEncoding: interpolatePosEncoding,
                                     outputHiddenStates: outputHiddenStates, outputAttentions: outputAttentions)
        let textOutput = try textModel(text, outputHiddenStates: outputHiddenStates,
                                       outputAttentions: outputAttentions)
        let imageEmbeds = Ops.l2Normalize(try visualProjection(vision.poolerOutput))
        let textEmbeds = Ops.l2Normalize(try textProjection(textOutput.poolerOutput))
        let logitsPerText = Ops.mul(Ops.matmul(textEmbeds, imageEmbeds, transposeB: true), Foundation.exp(logitScale))
        let logitsPerImage = logitsPerText.transposed(0, 1)
        var loss: Float?
        if returnLoss {
            let n = logitsPerText.shape[0]
            guard n == logitsPerText.shape[1] else {
                throw AltCLIPError.invalidInput(
                    "the contrastive loss needs as many texts as images (got \(n) texts, \(logitsPerText.shape[1]) images)")
            }
            let targets = Array(0..<n)
            loss = (Ops.crossEntropy(logits: logitsPerText, targets: targets)
                + Ops.crossEntropy(logits: logitsPerImage, targets: targets)) / 2
        }
        return AltCLIPOutput(loss: loss, logitsPerImage: logitsPerImage, logitsPerText: logitsPerText,
                             textEmbeds: textEmbeds, imageEmbeds: imageEmbeds,
                             textModelOutput: textOutput, visionModelOutput: vision)
    }
}

import Foundation
