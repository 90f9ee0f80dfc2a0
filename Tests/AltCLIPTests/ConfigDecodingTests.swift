import Foundation
import Testing
@testable import AltCLIP

/// BAAI/AltCLIP's config.json as published (reconstructed from REFERENCE-NOTES §2.1: a transformers
/// 4.26-era dump with every generic PretrainedConfig key, FlagAI leftovers and hub bookkeeping).
let baaiAltCLIPConfigJSON = """
{
  "_commit_hash": "4d06f38b304fc2a331d9f3eab77a542afafc4ffb",
  "_name_or_path": "BAAI/AltCLIP",
  "architectures": ["AltCLIPModel"],
  "direct_kd": false,
  "initializer_factor": 1.0,
  "logit_scale_init_value": 2.6592,
  "model_type": "altclip",
  "num_layers": 3,
  "projection_dim": 768,
  "text_config": {
    "_name_or_path": "",
    "add_cross_attention": false,
    "architectures": null,
    "attention_probs_dropout_prob": 0.1,
    "bad_words_ids": null,
    "bos_token_id": 0,
    "chunk_size_feed_forward": 0,
    "classifier_dropout": null,
    "eos_token_id": 2,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 1024,
    "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
    "initializer_factor": 0.02,
    "initializer_range": 0.02,
    "intermediate_size": 4096,
    "label2id": {"LABEL_0": 0, "LABEL_1": 1},
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 514,
    "model_type": "altclip_text_model",
    "num_attention_heads": 16,
    "num_hidden_layers": 24,
    "pad_token_id": 1,
    "position_embedding_type": "absolute",
    "project_dim": 768,
    "pruned_heads": {},
    "torch_dtype": null,
    "transformers_version": "4.26.0.dev0",
    "type_vocab_size": 1,
    "use_cache": true,
    "vocab_size": 250002
  },
  "text_config_dict": null,
  "torch_dtype": "float32",
  "transformers_version": null,
  "vision_config": {
    "_name_or_path": "",
    "add_cross_attention": false,
    "attention_dropout": 0.0,
    "dropout": 0.0,
    "hidden_act": "quick_gelu",
    "hidden_size": 1024,
    "image_size": 224,
    "initializer_factor": 1.0,
    "initializer_range": 0.02,
    "intermediate_size": 4096,
    "layer_norm_eps": 1e-05,
    "model_type": "altclip_vision_model",
    "num_attention_heads": 16,
    "num_channels": 3,
    "num_hidden_layers": 24,
    "patch_size": 14,
    "projection_dim": 768,
    "torch_dtype": null,
    "transformers_version": "4.26.0.dev0"
  },
  "vision_config_dict": null
}
"""

@Suite("Config decoding")
struct ConfigDecodingTests {
    static let configs = ModelFixture.root.appendingPathComponent("configs")

    @Test func defaultsAreTransformers524() {
        let text = AltCLIPTextConfig()
        #expect(text.vocabSize == 250_002 && text.hiddenSize == 1024 && text.intermediateSize == 4096)
        #expect(text.numHiddenLayers == 24 && text.numAttentionHeads == 16 && text.maxPositionEmbeddings == 514)
        #expect(text.hiddenAct == "gelu" && text.layerNormEps == 1e-5 && text.typeVocabSize == 1)
        #expect(text.initializerRange == 0.02 && text.initializerFactor == 0.02)
        #expect(text.padTokenId == 1 && text.bosTokenId == 0 && text.eosTokenId == 2)
        #expect(text.hiddenDropoutProb == 0.1 && text.attentionProbsDropoutProb == 0)
        #expect(text.projectDim == 768 && text.positionEmbeddingType == "absolute" && text.useCache)
        let vision = AltCLIPVisionConfig()
        #expect(vision.hiddenSize == 768 && vision.intermediateSize == 3072 && vision.projectionDim == 512)
        #expect(vision.numHiddenLayers == 12 && vision.numAttentionHeads == 12 && vision.numChannels == 3)
        #expect(vision.imageSize == 224 && vision.patchSize == 32 && vision.hiddenAct == "quick_gelu")
        #expect(vision.layerNormEps == 1e-5 && vision.attentionDropout == 0)
        #expect(vision.initializerRange == 0.02 && vision.initializerFactor == 1.0)
        #expect(vision.numPositions == 50 && vision.headDim == 64)
        let top = AltCLIPConfig()
        #expect(top.projectionDim == 768 && top.logitScaleInitValue == 2.6592 && top.initializerFactor == 1.0)
        #expect(top.textConfig == text && top.visionConfig == vision)
    }

    @Test func decodesPublishedBAAIConfig() throws {
        let config = try AltCLIPConfig(jsonData: Data(baaiAltCLIPConfigJSON.utf8), path: "BAAI/AltCLIP/config.json")
        let text = config.textConfig, vision = config.visionConfig
        #expect(config.projectionDim == 768 && config.logitScaleInitValue == 2.6592)
        #expect(config.architectures == ["AltCLIPModel"] && config.dtype == "float32")
        #expect(config.transformersVersion == nil)
        #expect(text.vocabSize == 250_002 && text.hiddenSize == 1024 && text.numHiddenLayers == 24)
        #expect(text.attentionProbsDropoutProb == 0.1 && text.positionEmbeddingType == "absolute")
        #expect(text.dtype == nil && text.transformersVersion == "4.26.0.dev0" && text.architectures == nil)
        #expect(vision.hiddenSize == 1024 && vision.patchSize == 14 && vision.numHiddenLayers == 24)
        #expect(vision.numAttentionHeads == 16 && vision.hiddenAct == "quick_gelu" && vision.projectionDim == 768)
        #expect(vision.numPositions == 257 && vision.headDim == 64 && text.headDim == 64)
    }

    /// transformers expands `text_config_dict` with the class defaults and lets it overwrite
    /// `text_config` entirely (checked against transformers 5.24: hidden_size goes back to 1024).
    @Test func legacyConfigDictsOverride() throws {
        let json = """
        {"model_type": "altclip",
         "text_config": {"hidden_size": 64, "num_attention_heads": 4, "foo": 3},
         "text_config_dict": {"vocab_size": 100},
         "vision_config": {"hidden_size": 32, "num_attention_heads": 2},
         "vision_config_dict": {"patch_size": 14, "image_size": [224, 224]}}
        """
        let config = try AltCLIPConfig(jsonData: Data(json.utf8))
        #expect(config.textConfig.vocabSize == 100)
        #expect(config.textConfig.hiddenSize == 1024 && config.textConfig.numAttentionHeads == 16)
        #expect(config.visionConfig.patchSize == 14 && config.visionConfig.hiddenSize == 768)
        #expect(config.visionConfig.imageSize == 224)
    }

    @Test func missingSubConfigsTakeDefaults() throws {
        let config = try AltCLIPConfig(jsonData: Data(#"{"projection_dim": 512, "unknown": [1, 2]}"#.utf8))
        #expect(config.projectionDim == 512)
        #expect(config.textConfig == AltCLIPTextConfig() && config.visionConfig == AltCLIPVisionConfig())
    }

    @Test func nullPadTokenIsKeptAndRejected() throws {
        let data = Data(#"{"text_config": {"pad_token_id": null, "eos_token_id": [2, 5]}}"#.utf8)
        let decoded = try JSONDecoder().decode(AltCLIPConfig.self, from: data)
        #expect(decoded.textConfig.padTokenId == nil)
        #expect(decoded.textConfig.eosTokenId == 2)
        // The list is kept and written back as a list.
        #expect(decoded.textConfig.eosTokenIds == [2, 5])
        let encoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(decoded.textConfig)) as? [String: Any]
        #expect(encoded?["eos_token_id"] as? [Int] == [2, 5])
        #expect(throws: AltCLIPConfigError.missingPadToken) { try AltCLIPConfig(jsonData: data) }
    }

    @Test func roundTripsThroughJSON() throws {
        var text = AltCLIPTextConfig(vocabSize: 61, hiddenSize: 24, numAttentionHeads: 6, hiddenAct: "gelu_new",
                                     layerNormEps: 1e-12, typeVocabSize: 2, positionEmbeddingType: "relative_key_query")
        text.useCache = false
        text.eosTokenId = nil
        let vision = AltCLIPVisionConfig(hiddenSize: 24, numAttentionHeads: 3, imageSize: 30, patchSize: 5,
                                         hiddenAct: "relu", layerNormEps: 1e-3)
        var config = AltCLIPConfig.fromTextVisionConfigs(text, vision, projectionDim: 16, logitScaleInitValue: 4.1)
        config.architectures = ["AltCLIPModel"]
        config.dtype = "float32"
        let data = try config.jsonData()
        let again = try AltCLIPConfig(jsonData: data)
        #expect(again == config)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["model_type"] as? String == "altclip")
        #expect(object["logit_scale_init_value"] as? Double == 4.1)
        let textObject = try #require(object["text_config"] as? [String: Any])
        #expect(textObject["model_type"] as? String == "altclip_text_model")
        #expect(textObject["layer_norm_eps"] as? Double == 1e-12)
        #expect(textObject["position_embedding_type"] as? String == "relative_key_query")
        #expect(textObject["eos_token_id"] is NSNull)
        #expect(object["text_config_dict"] == nil)

        let textAgain = try AltCLIPTextConfig(jsonData: text.jsonData())
        #expect(textAgain == text)
        let visionAgain = try AltCLIPVisionConfig(jsonData: vision.jsonData())
        #expect(visionAgain == vision)
    }

    @Test func fromTextVisionConfigsUsesTopLevelDefaults() {
        let config = AltCLIPConfig.fromTextVisionConfigs(AltCLIPTextConfig(projectDim: 512), AltCLIPVisionConfig())
        #expect(config.projectionDim == 768 && config.logitScaleInitValue == 2.6592)
        #expect(config.textConfig.projectDim == 512)
    }

    @Test(arguments: ["5.24", "4.57"])
    func decodesTransformersDefaultFiles(version: String) throws {
        let combined = try AltCLIPConfig(contentsOf: Self.configs.appendingPathComponent("altclip-default-\(version).json"))
        let dump = try AltCLIPConfig(contentsOf: Self.configs.appendingPathComponent("altclip-full-dump-default-\(version).json"))
        let text = try AltCLIPTextConfig(contentsOf: Self.configs.appendingPathComponent("altclip-text-default-\(version).json"))
        let vision = try AltCLIPVisionConfig(contentsOf: Self.configs.appendingPathComponent("altclip-vision-default-\(version).json"))
        // 4.57 still defaults attention_probs_dropout_prob to 0.1; nothing else differs.
        var expectedText = AltCLIPTextConfig()
        if version == "4.57" { expectedText.attentionProbsDropoutProb = 0.1 }
        func strip(_ t: AltCLIPTextConfig) -> AltCLIPTextConfig {
            var t = t; t.transformersVersion = nil; t.dtype = nil; t.architectures = nil; return t
        }
        func strip(_ v: AltCLIPVisionConfig) -> AltCLIPVisionConfig {
            var v = v; v.transformersVersion = nil; v.dtype = nil; v.architectures = nil; return v
        }
        for config in [combined, dump] {
            #expect(strip(config.textConfig) == expectedText)
            #expect(strip(config.visionConfig) == AltCLIPVisionConfig())
            #expect(config.projectionDim == 768 && config.logitScaleInitValue == 2.6592)
            #expect(config.transformersVersion?.hasPrefix(version) == true)
        }
        #expect(strip(text) == expectedText)
        #expect(strip(vision) == AltCLIPVisionConfig())
    }

    @Test func textAndVisionConfigsComeOutOfACombinedFile() throws {
        let fixture = ModelFixture.root.appendingPathComponent("gelunew-relu-types")
        let text = try AltCLIPTextConfig(contentsOf: fixture)
        let vision = try AltCLIPVisionConfig(contentsOf: fixture)
        let combined = try AltCLIPConfig(contentsOf: fixture)
        #expect(text == combined.textConfig && vision == combined.visionConfig)
        #expect(text.hiddenAct == "gelu_new" && text.typeVocabSize == 2 && vision.hiddenAct == "relu")
    }

    @Test func standaloneFilesAreNotCombinedConfigs() throws {
        let folder = ModelFixture.root.appendingPathComponent("quickgelu-gelunew-standalone")
        let text = try AltCLIPTextConfig(contentsOf: folder.appendingPathComponent("text_model"))
        #expect(text.architectures == ["AltCLIPTextModel"] && text.hiddenAct == "quick_gelu")
        let vision = try AltCLIPVisionConfig(contentsOf: folder.appendingPathComponent("vision_model/config.json"))
        #expect(vision.architectures == ["AltCLIPVisionModel"] && vision.hiddenAct == "gelu_new")
        let path = folder.appendingPathComponent("text_model/config.json").path
        #expect(throws: AltCLIPConfigError.modelTypeMismatch(path: path, expected: ["altclip"], actual: "altclip_text_model")) {
            try AltCLIPConfig(contentsOf: folder.appendingPathComponent("text_model"))
        }
        let visionPath = folder.appendingPathComponent("vision_model/config.json").path
        #expect(throws: AltCLIPConfigError.modelTypeMismatch(
            path: visionPath, expected: ["altclip_text_model", "altclip"], actual: "altclip_vision_model")) {
            try AltCLIPTextConfig(contentsOf: folder.appendingPathComponent("vision_model"))
        }
    }

    @Test func writesIntoAFolder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = AltCLIPConfig(projectionDim: 32)
        try config.write(to: dir)
        #expect(try AltCLIPConfig(contentsOf: dir) == config)
        #expect(throws: AltCLIPConfigError.self) {
            try config.write(to: dir.appendingPathComponent("missing/sub/config.json"))
        }
    }
}
