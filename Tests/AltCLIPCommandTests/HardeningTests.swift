import AltCLIPWeights
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Hostile inputs, each a clear one-line error with the right exit status: never a crash, a hang or a
/// runaway allocation (issue #11; every case here crashed, hung or allocated gigabytes before).
@Suite("Hardening: hostile inputs", .serialized)
struct HardeningTests {
    /// A copy of the demo model folder with `edit` applied to its JSON files.
    static func demoCopy(_ edit: (inout [String: [String: Any]]) -> Void = { _ in }) throws -> URL {
        let folder = try CLI.temporaryDirectory().appendingPathComponent("model")
        try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Models/altclip-demo"), to: folder)
        var files: [String: [String: Any]] = [:]
        for name in ["config.json", "preprocessor_config.json", "tokenizer_config.json"] {
            files[name] = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name))) as? [String: Any]
        }
        edit(&files)
        for (name, object) in files {
            try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent(name))
        }
        return folder
    }

    static func setting(_ files: inout [String: [String: Any]], _ section: String, _ key: String, _ value: Any) {
        var config = files["config.json"]!
        var part = config[section] as! [String: Any]
        part[key] = value
        config[section] = part
        files["config.json"] = config
    }

    /// Runs the CLI with its private writable memory (heap) capped at `megabytes`: an attempt to
    /// allocate more fails the process instead of swapping the machine.
    static func runCapped(_ arguments: [String], megabytes: Int) throws -> CLI.Result {
        try CLI.run(["-c", "ulimit -d \(megabytes * 1024); exec \"$0\" \"$@\"", CLI.binary.path] + arguments, executable: "/bin/bash")
    }

    /// One line on stderr that starts with "Error: " and holds `fragment`; no crash report.
    static func expectCleanError(_ result: CLI.Result, _ fragment: String, status: Int32 = 1,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "status \(result.status): \(result.stderr.prefix(600))", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("Error: ") == true, "\(result.stderr.prefix(600))", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(fragment), "missing '\(fragment)' in: \(result.stderr.prefix(600))", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Backtrac"), sourceLocation: sourceLocation)
    }

    // MARK: sizes from config files

    @Test func hugeConfigSizesAreErrorsNamingFileAndKey() throws {
        let inter = try Self.demoCopy { Self.setting(&$0, "text_config", "intermediate_size", 1 << 62) }
        Self.expectCleanError(try Self.runCapped(["inspect", "--model", inter.path], megabytes: 1024),
                              "config.json: text_config.intermediate_size = 4611686018427387904 is out of range; expected at most 262144")
        let image = try Self.demoCopy {
            Self.setting(&$0, "vision_config", "image_size", 1 << 32)
            Self.setting(&$0, "vision_config", "patch_size", 1)
        }
        Self.expectCleanError(try Self.runCapped(["embed", "--model", image.path, "--text", "a"], megabytes: 1024),
                              "vision_config.image_size = 4294967296 is out of range")
        // Each size in range, their product (2^32 patches) not.
        let patches = try Self.demoCopy {
            Self.setting(&$0, "vision_config", "image_size", 1 << 16)
            Self.setting(&$0, "vision_config", "patch_size", 1)
        }
        Self.expectCleanError(try Self.runCapped(["embed", "--model", patches.path, "--text", "a"], megabytes: 1024),
                              "(image_size / patch_size)^2 + 1 <= 1048576 positions")
        let vocab = try Self.demoCopy { Self.setting(&$0, "text_config", "vocab_size", 1_000_000_000) }
        Self.expectCleanError(try Self.runCapped(["inspect", "--model", vocab.path], megabytes: 1024),
                              "text_config.vocab_size = 1000000000 is out of range; expected at most 16777216")
    }

    @Test func inspectReportsMissingWeightsWithoutAllocatingThem() throws {
        // In range, but 16M x 64 floats (4 GB) that the checkpoint does not hold: reported, not built.
        let folder = try Self.demoCopy { Self.setting(&$0, "text_config", "vocab_size", 16_000_000) }
        let start = Date()
        let result = try Self.runCapped(["inspect", "--model", folder.path], megabytes: 512)
        #expect(result.status == 1, "\(result.stderr.prefix(400))")  // missing weights are a failure, reported in full
        #expect(result.stdout.contains("'text_model.roberta.embeddings.word_embeddings.weight' has shape [236, 64], expected [16000000, 64]"))
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func hugePreprocessorAndTokenizerSizesAreErrors() throws {
        let crop = try Self.demoCopy { $0["preprocessor_config.json"]!["crop_size"] = ["height": 1 << 32, "width": 1 << 32] }
        let out = try CLI.temporaryDirectory().appendingPathComponent("p.safetensors").path
        Self.expectCleanError(try Self.runCapped(["preprocess", "--model", crop.path, "--out", out, "Samples/red_circle.png"], megabytes: 1024),
                              "preprocessor_config.json: 'crop_size' should be sizes between 1 and 65536, found 4294967296")
        let area = try Self.demoCopy { $0["preprocessor_config.json"]!["crop_size"] = ["height": 60000, "width": 60000] }
        Self.expectCleanError(try Self.runCapped(["preprocess", "--model", area.path, "--out", out, "Samples/red_circle.png"], megabytes: 1024),
                              "'crop_size' should be at most 89478485 pixels")
        let tokens = try Self.demoCopy { $0["tokenizer_config.json"]!["model_max_length"] = 1 << 62 }
        Self.expectCleanError(try Self.runCapped(["tokenize", "--model", tokens.path, "--padding", "max_length", "hi"], megabytes: 1024),
                              "'model_max_length': padding to 4611686018427387904 tokens is more than the 1048576 a sequence may have")
        let huge = try Self.demoCopy { $0["tokenizer_config.json"]!["model_max_length"] = 5e19 }  // above Int.max, below transformers' 1e20 "no limit"
        Self.expectCleanError(try Self.runCapped(["tokenize", "--model", huge.path, "--padding", "max_length", "hi"], megabytes: 1024),
                              "padding to 9223372036854775807 tokens")
    }

    @Test func outOfRangeOptionsAreUsageErrors() throws {
        let length = try CLI.run(["tokenize", "--model", "Models/altclip-demo", "--max-length", "99999999999", "hi"])
        #expect(length.status == 64 && length.stderr.contains("--max-length must be between 1 and 1048576"))
        let threads = try CLI.run(["embed", "--model", "Models/altclip-demo", "--threads", "1000000000", "--text", "a"])
        #expect(threads.status == 64 && threads.stderr.contains("--threads must be between 1 and 1024"))
    }

    // MARK: checkpoints and convert

    @Test func aStrideZeroViewAsksForTerabytesAndIsRefused() throws {
        let folder = try CLI.temporaryDirectory()
        try FileManager.default.copyItem(atPath: CLI.fixture("hostile/stride0_expand.bin"), toPath: folder.appendingPathComponent("pytorch_model.bin").path)
        try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Models/altclip-demo/config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        let out = folder.deletingLastPathComponent().appendingPathComponent("converted-\(UUID().uuidString)")
        let result = try Self.runCapped(["convert", "--model", folder.path, "--out", out.path], megabytes: 1024)
        Self.expectCleanError(result, "tensor 'w' [1048576, 1048576] as a strided view would need 4.4 TB, more than the memory budget")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing of the output is left")
        let siblings = try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.contains(".partial-") })
    }

    @Test func convertReplacesAStaleFolderWholeAndRefusesEmptyStateDicts() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("AltCLIP-st")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data(#"{"stale": true}"#.utf8).write(to: out.appendingPathComponent("config.json"))
        try Data("mine".utf8).write(to: out.appendingPathComponent("NOTES.txt"))
        try Data("old".utf8).write(to: out.appendingPathComponent("model-00001-of-00002.safetensors"))
        let result = try CLI.run(["convert", "--model", "Models/altclip-demo", "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("config.json"))
            == Data(contentsOf: CLI.repository.appendingPathComponent("Models/altclip-demo/config.json")))
        #expect(try String(contentsOf: out.appendingPathComponent("NOTES.txt"), encoding: .utf8) == "mine")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model-00001-of-00002.safetensors").path))

        let empty = try CLI.temporaryDirectory()
        try FileManager.default.copyItem(atPath: CLI.fixture("hostile/empty_state_dict.bin"), toPath: empty.appendingPathComponent("pytorch_model.bin").path)
        try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Models/altclip-demo/config.json"),
                                         to: empty.appendingPathComponent("config.json"))
        let target = empty.appendingPathComponent("out.safetensors")
        Self.expectCleanError(try CLI.run(["convert", "--model", empty.path, "--out", target.path]), "the checkpoint holds no tensors")
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    // MARK: special files and output paths

    @Test func fifosAndDevicesAreRefusedAtOnce() throws {
        let folder = try Self.demoCopy()
        let weights = folder.appendingPathComponent("model.safetensors").path
        try FileManager.default.removeItem(atPath: weights)
        #expect(mkfifo(weights, 0o600) == 0)
        let start = Date()
        Self.expectCleanError(try CLI.run(["embed", "--model", folder.path, "--text", "a"]), "model.safetensors: cannot open: is a FIFO (named pipe), not a regular file")
        let images = try CLI.temporaryDirectory()
        let pipe = images.appendingPathComponent("pipe.png").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let classify = try CLI.run(["classify", "--model", "Models/altclip-demo", pipe, "Samples/red_circle.png", "--label", "a red circle", "--label", "un triangle bleu"])
        #expect(classify.status == 1)
        #expect(classify.stdout.contains("pipe.png: cannot be read (is a FIFO (named pipe), not a regular file)"))
        #expect(classify.stdout.contains("100.00%  a red circle"))  // the other image still classified
        #expect(Date().timeIntervalSince(start) < 20)

        let out = images.appendingPathComponent("out.npy").path
        #expect(mkfifo(out, 0o600) == 0)
        Self.expectCleanError(try CLI.run(["embed", "--model", "Models/altclip-demo", "--text", "a", "--out", out]),
                              "--out \(out): is a FIFO (named pipe), not a regular file; it is left alone")
        var info = stat()
        #expect(stat(out, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        let device = images.appendingPathComponent("null.safetensors").path
        try FileManager.default.createSymbolicLink(atPath: device, withDestinationPath: "/dev/null")
        Self.expectCleanError(try CLI.run(["preprocess", "--model", "Models/altclip-demo", "--out", device, "Samples/red_circle.png"]),
                              "--out \(device): is a device, not a regular file; it is left alone")
        let outFolder = images.appendingPathComponent("folder.safetensors")
        try FileManager.default.createDirectory(at: outFolder, withIntermediateDirectories: false)
        Self.expectCleanError(try CLI.run(["preprocess", "--model", "Models/altclip-demo", "--out", outFolder.path, "Samples/red_circle.png"]),
                              "is a directory; give a file name")
    }

    @Test func aMissingOutputFolderFailsBeforeAnyWork() throws {
        let start = Date()
        let result = try CLI.run(["embed", "--model", "no/such-model", "--text", "a", "--out", "missing_dir/x.npy"],
                                 environment: ["HF_HUB_OFFLINE": "1"])
        // The output is checked first: the error is about the folder, not the (also missing) model.
        Self.expectCleanError(result, "--out missing_dir/x.npy: its folder missing_dir does not exist")
        #expect(Date().timeIntervalSince(start) < 5)
    }

    // MARK: forward inputs

    @Test func forwardInputsWithEmptyOrHugeShapesAreErrors() throws {
        let folder = try CLI.temporaryDirectory()
        let out = folder.appendingPathComponent("out.safetensors").path
        func inputs(_ name: String, _ fill: (inout SafetensorsWriter) throws -> Void) throws -> String {
            var writer = SafetensorsWriter()
            try fill(&writer)
            let url = folder.appendingPathComponent(name)
            try writer.write(to: url)
            return url.path
        }
        let noImages = try inputs("p0.safetensors") { try $0.add("pixel_values", shape: [0, 3, 32, 32], float32: []) }
        Self.expectCleanError(try CLI.run(["forward", "--model", "Models/altclip-demo", "--inputs", noImages, "--out", out]),
                              "pixel_values holds no image (batch of 0, [0, 3, 32, 32])")
        let noTokens = try inputs("t0.safetensors") { try $0.add("input_ids", shape: [2, 0], int64: []) }
        Self.expectCleanError(try CLI.run(["forward", "--model", "Models/altclip-demo", "--inputs", noTokens, "--out", out]),
                              "input_ids is empty")
        // 200,000 texts of 16 tokens: refused with the number they would need, before any allocation.
        let many = try inputs("many.safetensors") { try $0.add("input_ids", shape: [200_000, 16], int64: Array(repeating: 5, count: 3_200_000)) }
        Self.expectCleanError(try CLI.run(["forward", "--model", "Models/altclip-demo", "--inputs", many, "--out", out],
                                          environment: ["ALTCLIP_MEMORY_LIMIT": "1G"]),
                              "a text batch of 200000 x 16 tokens would need 9.0 GB, more than the memory budget of 1.1 GB")
    }

    // MARK: names

    @Test func namesWithNewlinesLoopsAndBadUTF8AreDataNotCommands() throws {
        let folder = try CLI.temporaryDirectory()
        let image = try Data(contentsOf: CLI.repository.appendingPathComponent("Samples/red_circle.png"))
        try image.write(to: folder.appendingPathComponent("forged\n  100.00%  un triangle bleu.png"))
        let classify = try CLI.run(["classify", "--model", "Models/altclip-demo", folder.path, "--label", "a red circle", "--label", "un triangle bleu"])
        #expect(classify.status == 0)
        #expect(classify.stdout.split(separator: "\n").count == 3, "a name cannot add lines: \(classify.stdout)")
        #expect(classify.stdout.contains("forged\\n  100.00%  un triangle bleu.png"))

        let out = folder.appendingPathComponent("x.npy").path
        let embed = try CLI.run(["embed", "--model", "Models/altclip-demo", folder.path, "--out", out])
        #expect(embed.status == 0, "\(embed.stderr)")
        let names = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".names.json"))) as? [String]
        #expect(names?.count == 1 && names?.first?.hasSuffix("forged\n  100.00%  un triangle bleu.png") == true)

        let loop = folder.appendingPathComponent("loop").path
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        Self.expectCleanError(try CLI.run(["classify", "--model", "Models/altclip-demo", loop, "--label", "a"]),
                              "too many levels of symbolic links (a link loop)")
        let bad = folder.path + "/bad\u{FFFD}.png"  // what a non-UTF-8 byte in an argument becomes
        let badName = try CLI.run(["classify", "--model", "Models/altclip-demo", bad, "--label", "a"])
        Self.expectCleanError(badName, "the file name is not valid UTF-8")
        #expect(!badName.stderr.contains("no such file"))
    }

    // MARK: images

    @Test func imagesOfDifferentSizesInOneBatchFailOnlyThemselves() throws {
        // Without a centre crop each image keeps its aspect ratio: a batch mixes shapes.
        let folder = try Self.demoCopy { $0["preprocessor_config.json"]!["do_center_crop"] = false }
        let result = try CLI.run(["classify", "--model", folder.path, "Samples/red_circle.png", CLI.fixture("image/sources/exif_png_o1.png"),
                                  "--label", "a red circle", "--label", "un triangle bleu"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("100.00%  a red circle"), "\(result.stdout)")
        #expect(result.stdout.contains("error: Input image size (32*59) doesn't match model (32*32)"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func aOneByThreeMillionPixelPNGCostsWhatItsCropCosts() throws {
        let out = try CLI.temporaryDirectory().appendingPathComponent("tall.safetensors").path
        let start = Date()
        let result = try Self.runCapped(["preprocess", "--model", "Models/altclip-demo", "--out", out, CLI.fixture("hostile/tall_1x3000000.png")],
                                        megabytes: 1024)
        #expect(result.status == 0, "\(result.stderr.prefix(400))")
        #expect(Date().timeIntervalSince(start) < 20)
        let uncropped = try Self.demoCopy {
            $0["preprocessor_config.json"]!["do_center_crop"] = false
            $0["preprocessor_config.json"]!["size"] = ["shortest_edge": 224]
        }
        let refused = try Self.runCapped(["preprocess", "--model", uncropped.path, "--out", out, CLI.fixture("hostile/tall_1x3000000.png")],
                                         megabytes: 1024)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("tall_1x3000000.png: the processed image would be 224 x 672000000 pixels, more than the limit of 89478485"))
        #expect(!refused.stderr.contains("Fatal error"))
    }
}
