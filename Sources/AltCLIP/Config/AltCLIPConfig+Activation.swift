import AltCLIPTensor

extension AltCLIPTextConfig {
    /// The activation named by `hidden_act` ("gelu" in transformers is the erf form).
    func activation() throws -> Activation {
        guard let act = Activation(rawValue: hiddenAct) else {
            throw AltCLIPConfigError.unsupportedActivation(section: "text_config", value: hiddenAct,
                                                           supported: Self.supportedActivations)
        }
        return act
    }
}

extension AltCLIPVisionConfig {
    /// The activation named by `hidden_act`.
    func activation() throws -> Activation {
        guard let act = Activation(rawValue: hiddenAct) else {
            throw AltCLIPConfigError.unsupportedActivation(section: "vision_config", value: hiddenAct,
                                                           supported: Self.supportedActivations)
        }
        return act
    }
}
