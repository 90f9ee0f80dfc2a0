import AltCLIPWeights
import Foundation
import Testing

/// One coherent tool: each test is a trap a new user hit (issue #12) and fails on the code before it.
@Suite("altclip: one coherent tool")
struct CoherenceTests {
    static let model = "Models/altclip-demo"
    static let json = { (text: String) in try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    // MARK: the model

    /// No silent default: without --model and ALTCLIP_MODEL it is a usage error naming both; with
    /// ALTCLIP_MODEL the model is used and stderr says which.
    @Test func theModelIsNeverASilentDefault() throws {
        let none = try CLI.run(["classify", "--labels", "a red circle,a blue circle", "Samples/red_circle.png"],
                               environment: ["ALTCLIP_MODEL": ""])
        #expect(none.status == 64 && none.stderr.contains("--model") && none.stderr.contains("ALTCLIP_MODEL"), "\(none.stderr)")
        #expect(none.stdout.isEmpty)
        let fromEnvironment = try CLI.run(["classify", "--labels", "a red circle,a blue circle", "Samples/red_circle.png"],
                                          environment: ["ALTCLIP_MODEL": Self.model])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        #expect(fromEnvironment.stderr.contains("using the model Models/altclip-demo (from ALTCLIP_MODEL)"))
        #expect(fromEnvironment.stdout.contains("a red circle"))
        let explicit = try CLI.run(["classify", "--model", Self.model, "--labels", "a red circle", "Samples/red_circle.png"],
                                   environment: ["ALTCLIP_MODEL": "/elsewhere"])
        #expect(explicit.status == 0 && !explicit.stderr.contains("ALTCLIP_MODEL"), "\(explicit.stderr)")
    }

    // MARK: composing commands

    /// tokenize --out and preprocess --out feed forward --inputs (repeatable), which gives exactly what
    /// forward computes from the texts and image files directly; its logits are similarity's.
    @Test func tokenizePreprocessAndForwardCompose() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = ["a red circle", "un triangle bleu", "黄色的星形"]
        let images = ["Samples/red_circle.png", "Samples/blue_triangle.png", "Samples/yellow_star.png"]
        let ids = dir.appendingPathComponent("ids.safetensors").path, pixels = dir.appendingPathComponent("px.safetensors").path
        let viaFiles = dir.appendingPathComponent("a.safetensors").path, direct = dir.appendingPathComponent("b.safetensors").path
        var result = try CLI.run(["tokenize", "--model", Self.model, "--out", ids] + texts)
        #expect(result.status == 0, "\(result.stderr)")
        let idStore = try WeightStore(file: URL(fileURLWithPath: ids))
        #expect(idStore.info("input_ids")?.dtype == .int64 && idStore.info("attention_mask")?.shape == idStore.info("input_ids")?.shape)
        result = try CLI.run(["preprocess", "--model", Self.model, "--out", pixels] + images)
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run(["forward", "--model", Self.model, "--inputs", ids, "--inputs", pixels, "--out", viaFiles, "--return-loss"])
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run(["forward", "--model", Self.model, "--out", direct, "--return-loss"] + texts.flatMap { ["--text", $0] } + images)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: viaFiles)) == Data(contentsOf: URL(fileURLWithPath: direct)))

        let logits = try WeightStore(file: URL(fileURLWithPath: direct)).float32("logits_per_image")
        #expect(logits.shape == [3, 3])
        let similarity = try CLI.run(["similarity", "--model", Self.model, "--json", "--logits"] + texts.flatMap { ["--text", $0] } + images)
        let rows = try #require((try Self.json(similarity.stdout) as? [String: Any])?["logits_per_image"] as? [[Double]])
        #expect(zip(rows.joined(), logits.values).allSatisfy { abs(Float($0) - $1) <= 1e-4 }, "\(rows) vs \(logits.values)")
        // The same tensor from two files is refused, naming both.
        let twice = try CLI.run(["forward", "--model", Self.model, "--inputs", ids, "--inputs", ids, "--out", viaFiles])
        #expect(twice.status == 1 && twice.stderr.contains("input_ids is in both"), "\(twice.stderr)")
    }

    /// decode takes ids as arguments, from stdin, and `tokenize --json` output (padding dropped).
    @Test func decodeReadsArgumentsStdinAndTokenizeJSON() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tokenized = try CLI.run(["tokenize", "--model", Self.model, "--json", "--padding", "longest", "a red circle", "un chat"])
        let file = dir.appendingPathComponent("ids.json")
        try Data(tokenized.stdout.utf8).write(to: file)
        let fromFile = try CLI.run(["decode", "--model", Self.model, "--skip-special-tokens", "--json", "--ids-json", file.path])
        #expect(try Self.json(fromFile.stdout) as? [String] == ["a red circle", "un chat"], "\(fromFile.stdout)\(fromFile.stderr)")
        let viaStdin = try CLI.run(["-c", "\(CLI.binary.path) decode --model \(Self.model) --skip-special-tokens < \(file.path)"],
                                   executable: "/bin/sh")
        #expect(viaStdin.stdout == "a red circle\nun chat\n", "\(viaStdin.stderr)")
        let ids = try #require(((try Self.json(tokenized.stdout) as? [String: Any])?["input_ids"] as? [[Int]])?.first)
        let fromArguments = try CLI.run(["decode", "--model", Self.model, "--skip-special-tokens"] + ids.map(String.init))
        #expect(fromArguments.stdout == "a red circle\n", "\(fromArguments.stderr)")
    }

    // MARK: the same flag, the same meaning

    /// Texts come the same way everywhere: --text, --texts-json, --texts-file, stdin; images as
    /// arguments or --files-from. The embeddings do not depend on the way.
    @Test func textsAndImagesComeTheSameWayEverywhere() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = dir.appendingPathComponent("texts.txt"), list = dir.appendingPathComponent("files.txt")
        try Data("a red circle\n\n红色的圆形\r\n".utf8).write(to: lines)
        try Data("Samples/red_circle.png\nSamples/green_square.png\n".utf8).write(to: list)
        func vectors(_ arguments: [String]) throws -> [[Double]] {
            let result = try CLI.run(["embed", "--model", Self.model] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            return try result.stdout.split(separator: "\n").map {
                try #require((try Self.json(String($0)) as? [String: Any])?["embedding"] as? [Double])
            }
        }
        let byFlag = try vectors(["--text", "a red circle", "--text", "红色的圆形"])
        #expect(byFlag.count == 2)
        #expect(try vectors(["--texts-file", lines.path]) == byFlag)
        let viaStdin = try CLI.run(["-c", "\(CLI.binary.path) embed --model \(Self.model) --texts-file - < \(lines.path)"],
                                   executable: "/bin/sh")
        #expect(viaStdin.stdout.split(separator: "\n").count == 2 && viaStdin.stdout.contains("\"name\":\"红色的圆形\""))
        let byArgument = try vectors(["Samples/red_circle.png", "Samples/green_square.png"])
        #expect(try vectors(["--files-from", list.path]) == byArgument)
        #expect(try CLI.run(["classify", "--model", Self.model, "--labels", "a", "--files-from", list.path]).status == 0)
        #expect(try CLI.run(["similarity", "--model", Self.model, "--texts-file", lines.path, "--files-from", list.path]).status == 0)
    }

    /// convert's stored type is --storage; --dtype (compute precision elsewhere) is refused with the hint.
    @Test func convertTakesStorageNotDType() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try CLI.run(["convert", "--model", Self.model, "--out", dir.appendingPathComponent("m.safetensors").path, "--dtype", "bf16"])
        #expect(result.status == 64 && result.stderr.contains("--storage"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.safetensors").path))
        let json = try CLI.run(["convert", "--model", Self.model, "--out", dir.appendingPathComponent("m.safetensors").path,
                                "--storage", "fp16", "--json"])
        let summary = try #require(try Self.json(json.stdout) as? [String: Any])
        #expect(summary["storage"] as? String == "fp16" && summary["tensors"] as? Int == 83, "\(json.stdout)")
    }

    // MARK: output machines can trust

    /// Numbers are numbers in --json; names are reported as given, relative stays relative (also for
    /// files found in a folder).
    @Test func jsonNumbersAndNamesAsGiven() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("e.jsonl").path
        let embed = try CLI.run(["embed", "--model", Self.model, "--json", "--out", out, "--text", "a", "Samples"])
        let summary = try #require(try Self.json(embed.stdout) as? [String: Any], "\(embed.stderr)")
        #expect(summary["embedded"] as? Int == 9 && summary["failed"] as? Int == 0 && summary["dimension"] as? Int == 64, "\(embed.stdout)")
        let classify = try CLI.run(["classify", "--model", Self.model, "--labels", "a red circle", "--json", "Samples", "./Samples/red_star.png"])
        let names = try #require(try Self.json(classify.stdout) as? [[String: Any]]).compactMap { $0["image"] as? String }
        #expect(names.first == "Samples/blue_triangle.png" && names.last == "./Samples/red_star.png" && names.count == 9, "\(names)")
    }

    /// Texts longer than the model takes are truncated with a note on stderr and `truncated: true`.
    @Test func overLongTextsAreTruncatedWithANote() throws {
        let long = Array(repeating: "red", count: 200).joined(separator: " ")
        let result = try CLI.run(["embed", "--model", Self.model, "--text", long, "--text", "a red circle"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("note: 1 of 2 texts were longer than the model's 64 tokens and were truncated"), "\(result.stderr)")
        let items = try result.stdout.split(separator: "\n").map { try #require(try Self.json(String($0)) as? [String: Any]) }
        #expect(items.map { $0["truncated"] as? Bool } == [true, false])
        let similarity = try CLI.run(["similarity", "--model", Self.model, "--json", "--text", long, "Samples/red_circle.png"])
        #expect((try Self.json(similarity.stdout) as? [String: Any])?["truncated"] as? [Bool] == [true])
        #expect(similarity.stderr.contains("truncated"))
    }

    /// similarity prints logits (exp(logit_scale) · cosine) and probabilities (softmax over the texts).
    @Test func similarityPrintsLogitsAndProbabilities() throws {
        let result = try CLI.run(["similarity", "--model", Self.model, "--json", "--logits", "--probabilities",
                                  "--text", "a red circle", "--text", "un triangle bleu", "Samples/red_circle.png", "Samples/blue_triangle.png"])
        let body = try #require(try Self.json(result.stdout) as? [String: Any], "\(result.stderr)")
        let cosine = try #require(body["cosine"] as? [[Double]]), logits = try #require(body["logits_per_image"] as? [[Double]])
        let probabilities = try #require(body["probabilities"] as? [[Double]])
        let inspect = try #require(try Self.json(try CLI.run(["inspect", "--model", Self.model, "--json"]).stdout) as? [String: Any])
        let scale = exp(try #require(inspect["logit_scale"] as? Double))
        for (c, l) in zip(cosine.joined(), logits.joined()) { #expect(abs(c * scale - l) < 1e-3) }
        for (row, p) in zip(logits, probabilities) {
            let top = row.max()!, exps = row.map { exp($0 - top) }, sum = exps.reduce(0, +)
            #expect(zip(exps, p).allSatisfy { abs($0 / sum - $1) < 1e-5 })
        }
        #expect(probabilities[0][0] > 0.9 && probabilities[1][1] > 0.9)
    }

    /// inspect shows the checkpoint's trained logit_scale, not the config's initial value.
    @Test func inspectShowsTheCheckpointLogitScale() throws {
        let stored = try WeightStore.open(directory: CLI.repository.appendingPathComponent(Self.model)).float32("logit_scale").values[0]
        let result = try CLI.run(["inspect", "--model", Self.model, "--json"])
        let body = try #require(try Self.json(result.stdout) as? [String: Any])
        let initial = try #require((body["config"] as? [String: Any])?["logit_scale_init_value"] as? Double)
        #expect((body["logit_scale"] as? Double).map(Float.init) == stored && abs(Double(stored) - initial) > 0.1)
        let text = try CLI.run(["inspect", "--model", Self.model])
        #expect(text.stdout.contains(String(format: "logit_scale %.6g (checkpoint", Double(stored))), "\(text.stdout)")
    }

    /// Long work shows progress on stderr when stderr is not a terminal: periodic count/rate/ETA lines
    /// and a closing line (interval set to 0 here so every batch prints).
    @Test func progressLinesWhenNotATerminal() throws {
        let result = try CLI.run(["classify", "--model", Self.model, "--labels", "a red circle", "--batch-size", "4", "Samples"],
                                 environment: ["ALTCLIP_PROGRESS_INTERVAL": "0"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("classify: ") }
        #expect(lines.contains { $0.hasPrefix("classify: 4/8 (50%)") && $0.contains("/s") && $0.contains("ETA") }, "\(result.stderr)")
        #expect(lines.last?.hasPrefix("classify: 8/8 done in") == true, "\(result.stderr)")
        let quiet = try CLI.run(["classify", "--model", Self.model, "--labels", "a red circle", "Samples"])
        #expect(!quiet.stderr.contains("classify: "))  // short work, default interval: no noise
    }
}
