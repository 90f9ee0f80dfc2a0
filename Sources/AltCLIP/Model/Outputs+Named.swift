import AltCLIPTensor

extension AltCLIPTextModelOutput {
    /// Every tensor under transformers' attribute path joined with `/` (e.g. `prefix/hidden_states/3`).
    public func namedTensors(prefix: String) -> [(name: String, tensor: Tensor)] {
        namedTowerTensors(prefix: prefix, lastHiddenState, poolerOutput, hiddenStates, attentions)
    }
}

extension AltCLIPVisionModelOutput {
    /// Every tensor under transformers' attribute path joined with `/`.
    public func namedTensors(prefix: String) -> [(name: String, tensor: Tensor)] {
        namedTowerTensors(prefix: prefix, lastHiddenState, poolerOutput, hiddenStates, attentions)
    }
}

extension AltCLIPOutput {
    /// Every tensor under transformers' `AltCLIPOutput` attribute names: `loss` (0-d, when computed),
    /// `logits_per_image`, `logits_per_text`, `text_embeds`, `image_embeds`, `text_model_output/…`,
    /// `vision_model_output/…`.
    public func namedTensors() -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        if let loss { result.append(("loss", Tensor(shape: [], scalars: [loss]))) }
        result += [("logits_per_image", logitsPerImage), ("logits_per_text", logitsPerText),
                   ("text_embeds", textEmbeds), ("image_embeds", imageEmbeds)]
        result += textModelOutput.namedTensors(prefix: "text_model_output")
        result += visionModelOutput.namedTensors(prefix: "vision_model_output")
        return result
    }
}

private func namedTowerTensors(prefix: String, _ last: Tensor, _ pooled: Tensor, _ hidden: [Tensor]?,
                               _ attentions: [Tensor]?) -> [(name: String, tensor: Tensor)] {
    var result: [(name: String, tensor: Tensor)] = [("\(prefix)/last_hidden_state", last),
                                                    ("\(prefix)/pooler_output", pooled)]
    for (i, t) in (hidden ?? []).enumerated() { result.append(("\(prefix)/hidden_states/\(i)", t)) }
    for (i, t) in (attentions ?? []).enumerated() { result.append(("\(prefix)/attentions/\(i)", t)) }
    return result
}
