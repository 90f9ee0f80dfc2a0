import Foundation
import Testing
@testable import AltCLIP

@Suite("Config validation and loading errors")
struct ConfigValidationTests {
    @Test func validDefaultsPass() throws {
        try AltCLIPConfig().validate()
        // Every parameter-free name of transformers' ACT2FN (checked against it in ActivationParityTests).
        for act in ["gelu", "gelu_new", "quick_gelu", "relu", "silu", "swish", "mish", "gelu_10", "gelu_accurate",
                    "gelu_python_tanh", "hardswish", "laplace", "leaky_relu", "relu2", "sqrtsoftplus", "linear"] {
            try AltCLIPTextConfig(hiddenAct: act).validate()
            try AltCLIPVisionConfig(hiddenAct: act).validate()
        }
        for type in ["absolute", "relative_key", "relative_key_query"] {
            try AltCLIPTextConfig(positionEmbeddingType: type).validate()
        }
    }

    @Test func hiddenNotDivisibleByHeads() {
        #expect(throws: AltCLIPConfigError.notDivisible(
            section: "text_config", key: "hidden_size", value: 10, divisorKey: "num_attention_heads", divisor: 3)) {
            try AltCLIPTextConfig(hiddenSize: 10, numAttentionHeads: 3).validate()
        }
        #expect(throws: AltCLIPConfigError.notDivisible(
            section: "vision_config", key: "hidden_size", value: 770, divisorKey: "num_attention_heads", divisor: 12)) {
            try AltCLIPVisionConfig(hiddenSize: 770).validate()
        }
    }

    @Test func unknownActivation() {
        let supported = AltCLIPTextConfig.supportedActivations
        #expect(throws: AltCLIPConfigError.unsupportedActivation(section: "text_config", value: "prelu", supported: supported)) {
            try AltCLIPTextConfig(hiddenAct: "prelu").validate()
        }
        let message = "\(AltCLIPConfigError.unsupportedActivation(section: "text_config", value: "xielu", supported: supported))"
        #expect(message.contains("learned parameters") && message.contains("mish"), "\(message)")
        #expect(throws: AltCLIPConfigError.unsupportedActivation(section: "vision_config", value: "GELU", supported: supported)) {
            try AltCLIPConfig(visionConfig: AltCLIPVisionConfig(hiddenAct: "GELU")).validate()
        }
    }

    @Test func unknownPositionEmbeddingType() {
        #expect(throws: AltCLIPConfigError.unsupportedPositionEmbeddingType(
            value: "rotary", supported: ["absolute", "relative_key", "relative_key_query"])) {
            try AltCLIPTextConfig(positionEmbeddingType: "rotary").validate()
        }
    }

    @Test func nonPositiveSizes() {
        #expect(throws: AltCLIPConfigError.nonPositive(section: "text_config", key: "vocab_size", value: 0)) {
            try AltCLIPTextConfig(vocabSize: 0).validate()
        }
        #expect(throws: AltCLIPConfigError.nonPositive(section: "text_config", key: "num_attention_heads", value: 0)) {
            try AltCLIPTextConfig(numAttentionHeads: 0).validate()
        }
        #expect(throws: AltCLIPConfigError.nonPositive(section: "text_config", key: "type_vocab_size", value: -1)) {
            try AltCLIPTextConfig(typeVocabSize: -1).validate()
        }
        #expect(throws: AltCLIPConfigError.nonPositive(section: "vision_config", key: "patch_size", value: 0)) {
            try AltCLIPVisionConfig(patchSize: 0).validate()
        }
        #expect(throws: AltCLIPConfigError.nonPositive(section: "vision_config", key: "intermediate_size", value: -4)) {
            try AltCLIPVisionConfig(intermediateSize: -4).validate()
        }
        #expect(throws: AltCLIPConfigError.nonPositive(section: "", key: "projection_dim", value: 0)) {
            try AltCLIPConfig(projectionDim: 0).validate()
        }
        #expect(throws: AltCLIPConfigError.outOfRange(section: "vision_config", key: "num_hidden_layers", value: "-1", expected: ">= 0")) {
            try AltCLIPVisionConfig(numHiddenLayers: -1).validate()
        }
    }

    @Test func imageSizeNotDivisibleByPatch() {
        #expect(throws: AltCLIPConfigError.notDivisible(
            section: "vision_config", key: "image_size", value: 30, divisorKey: "patch_size", divisor: 7)) {
            try AltCLIPVisionConfig(imageSize: 30, patchSize: 7).validate()
        }
    }

    @Test func badEpsilonAndLogitScale() {
        #expect(throws: AltCLIPConfigError.outOfRange(
            section: "text_config", key: "layer_norm_eps", value: "-1e-05", expected: "a finite number >= 0")) {
            try AltCLIPTextConfig(layerNormEps: -1e-5).validate()
        }
        #expect(throws: AltCLIPConfigError.outOfRange(
            section: "vision_config", key: "layer_norm_eps", value: "nan", expected: "a finite number >= 0")) {
            try AltCLIPVisionConfig(layerNormEps: .nan).validate()
        }
        #expect(throws: AltCLIPConfigError.outOfRange(
            section: "", key: "logit_scale_init_value", value: "inf", expected: "a finite number")) {
            try AltCLIPConfig(logitScaleInitValue: .infinity).validate()
        }
    }

    @Test func padTokenMustFitTheTables() {
        #expect(throws: AltCLIPConfigError.missingPadToken) { try AltCLIPTextConfig(padTokenId: nil).validate() }
        #expect(throws: AltCLIPConfigError.outOfRange(
            section: "text_config", key: "pad_token_id", value: "99", expected: "0 ..< vocab_size (50)")) {
            try AltCLIPTextConfig(vocabSize: 50, padTokenId: 99).validate()
        }
        #expect(throws: AltCLIPConfigError.outOfRange(
            section: "text_config", key: "max_position_embeddings", value: "2", expected: "> pad_token_id + 1 (2)")) {
            try AltCLIPTextConfig(maxPositionEmbeddings: 2).validate()
        }
    }

    @Test func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/altclip/config.json")
        #expect(throws: AltCLIPConfigError.unreadableFile(path: url.path, reason: "no such file")) {
            try AltCLIPConfig(contentsOf: url)
        }
    }

    @Test func malformedJSON() {
        #expect(throws: AltCLIPConfigError.self) { try AltCLIPConfig(jsonData: Data("{\"text_config\": ".utf8)) }
        do {
            _ = try AltCLIPConfig(jsonData: Data("[1, 2]".utf8), path: "x.json")
            Issue.record("an array must not decode")
        } catch let error as AltCLIPConfigError {
            #expect(error == .malformedJSON(path: "x.json", reason: "the top level is not a JSON object"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func wrongFieldTypeNamesTheKey() {
        let json = #"{"text_config": {"hidden_size": "big"}}"#
        do {
            _ = try AltCLIPConfig(jsonData: Data(json.utf8), path: "c.json")
            Issue.record("a string hidden_size must not decode")
        } catch let AltCLIPConfigError.invalidField(path, key, _) {
            #expect(path == "c.json" && key == "text_config.hidden_size")
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: AltCLIPConfigError.self) {
            try AltCLIPVisionConfig(jsonData: Data(#"{"image_size": [224, 200]}"#.utf8))
        }
    }

    @Test func foreignModelType() {
        #expect(throws: AltCLIPConfigError.modelTypeMismatch(path: nil, expected: ["altclip"], actual: "clip")) {
            try AltCLIPConfig(jsonData: Data(#"{"model_type": "clip"}"#.utf8))
        }
        #expect(throws: AltCLIPConfigError.modelTypeMismatch(
            path: nil, expected: ["altclip_vision_model", "altclip"], actual: "xlm-roberta")) {
            try AltCLIPVisionConfig(jsonData: Data(#"{"model_type": "xlm-roberta"}"#.utf8))
        }
    }

    @Test func validationRunsOnLoad() {
        let json = #"{"model_type": "altclip", "vision_config": {"hidden_size": 100, "num_attention_heads": 3}}"#
        #expect(throws: AltCLIPConfigError.notDivisible(
            section: "vision_config", key: "hidden_size", value: 100, divisorKey: "num_attention_heads", divisor: 3)) {
            try AltCLIPConfig(jsonData: Data(json.utf8))
        }
    }

    @Test func errorsDescribeThemselves() {
        let error = AltCLIPConfigError.notDivisible(
            section: "text_config", key: "hidden_size", value: 10, divisorKey: "num_attention_heads", divisor: 3)
        #expect(error.description == "text_config.hidden_size (10) is not a multiple of text_config.num_attention_heads (3)")
        #expect(error.errorDescription == error.description)
    }
}
