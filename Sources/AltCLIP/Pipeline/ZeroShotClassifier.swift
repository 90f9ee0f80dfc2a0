import Foundation

/// A label set embedded once, ready to score any number of images: zero-shot classification as
/// transformers computes it (`logits_per_image = exp(logit_scale) · image_embeds · text_embedsᵀ`, then a
/// softmax over the labels).
///
/// Make one with ``AltCLIPPipeline/zeroShotClassifier(labels:template:)`` (or from stored label embeddings)
/// and reuse it: scoring an image costs one dot product per label, no text forward pass.
public struct ZeroShotClassifier: Sendable, Equatable {
    /// The labels as given (what results report).
    public let labels: [String]
    /// The texts that were embedded (the labels put into the template).
    public let prompts: [String]
    /// One L2-normalised text embedding per label.
    public let embeddings: [[Float]]
    /// `exp(logit_scale)`: the model's learned temperature, applied to cosines to make logits.
    public let scale: Float

    /// A classifier from label embeddings computed elsewhere (a cache, a file). They are L2-normalised
    /// here; `logitScale` is the model's raw `logit_scale` parameter (its log), as in the checkpoint.
    public init(labels: [String], prompts: [String]? = nil, embeddings: [[Float]], logitScale: Float) throws {
        guard !labels.isEmpty else { throw AltCLIPError.invalidInput("no labels to classify against") }
        guard embeddings.count == labels.count else {
            throw AltCLIPError.invalidInput("\(embeddings.count) label embeddings for \(labels.count) labels")
        }
        let width = embeddings[0].count
        guard width > 0, embeddings.allSatisfy({ $0.count == width }) else {
            throw AltCLIPError.invalidInput("label embeddings must all have the same, non-zero length")
        }
        if let prompts, prompts.count != labels.count {
            throw AltCLIPError.invalidInput("\(prompts.count) prompts for \(labels.count) labels")
        }
        guard logitScale.isFinite else { throw AltCLIPError.invalidInput("logit_scale \(logitScale) is not finite") }
        self.labels = labels
        self.prompts = prompts ?? labels
        self.embeddings = embeddings.map(Self.normalized)
        self.scale = Foundation.exp(logitScale)
    }

    /// The prompt for `label`: `template` with `{}` replaced by the label, or the label itself.
    public static func prompt(_ label: String, template: String?) -> String {
        template.map { $0.replacingOccurrences(of: "{}", with: label) } ?? label
    }

    /// Cosine similarity of an image embedding with each label, in label order.
    public func cosines(_ imageEmbedding: [Float]) -> [Float] {
        let image = Self.normalized(imageEmbedding)
        return embeddings.map { Self.dot(image, $0) }
    }

    /// transformers' `logits_per_image` row for this image: `exp(logit_scale) · cosine`, in label order.
    public func logits(_ imageEmbedding: [Float]) -> [Float] {
        cosines(imageEmbedding).map { $0 * scale }
    }

    /// Softmax of the logits over the labels, in label order (sums to 1).
    public func probabilities(_ imageEmbedding: [Float]) -> [Float] {
        Self.softmax(logits(imageEmbedding))
    }

    /// Every label's score for the image, most probable first.
    public func classify(_ imageEmbedding: [Float]) -> [LabelScore] {
        let cosines = cosines(imageEmbedding)
        let probabilities = Self.softmax(cosines.map { $0 * scale })
        return labels.indices
            .map { LabelScore(label: labels[$0], probability: probabilities[$0], cosine: cosines[$0]) }
            .sorted { $0.probability > $1.probability }
    }

    public static func softmax(_ logits: [Float]) -> [Float] {
        let top = logits.max() ?? 0
        let exps = logits.map { Foundation.exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    static func normalized(_ v: [Float]) -> [Float] {
        var sum: Float = 0
        for x in v { sum += x * x }
        let norm = sum.squareRoot()
        // torch.nn.functional.normalize's eps (1e-12): a zero vector stays zero.
        let scale = 1 / max(norm, 1e-12)
        return v.map { $0 * scale }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for i in 0..<min(a.count, b.count) { s += a[i] * b[i] }
        return s
    }
}
