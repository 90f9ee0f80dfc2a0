import AltCLIP
import AltCLIPTensor
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `altclip-bench`: times a tower on synthetic inputs (Scripts/bench.py runs it side by side with
/// PyTorch and ONNX Runtime) or a store on given vectors (Scripts/bench_store.py, beside FAISS and
/// sqlite-vec), and prints JSON. Not part of the library.
@main
struct AltCLIPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "altclip-bench",
        abstract: "Benchmark drivers for Scripts/bench*.py (JSON on stdout).",
        subcommands: [TowerBench.self, StoreBench.self], defaultSubcommand: TowerBench.self)
}

/// `altclip-bench [tower]`: one tower of a model folder on synthetic inputs.
struct TowerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tower",
        abstract: "Time the image or text tower of a model folder on synthetic inputs (JSON on stdout).")

    enum Tower: String, ExpressibleByArgument { case image, text }

    @Option(help: "Model folder.") var model: String
    @Option(help: "image or text.") var tower: Tower = .image
    @Option(help: "Batch size.") var batch = 1
    @Option(help: "Tokens per text (text tower), including <s> and </s>.") var tokens = 16
    @Option(help: "Timed repetitions.") var repeats = 5
    @Option(help: "Untimed warm-up runs.") var warmup = 1
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Linear-layer arithmetic: fp32 (exact), bf16 (bfloat16 dot products) or int8 (AMX / VNNI integer products).")
    var dtype: Precision = .float32

    @Flag(help: "Leave weight conversion to the first forward passes (as a one-shot command does) instead of preparing the model after loading; for start-up timing.")
    var lazy = false

    func run() throws {
        if let threads { Threading.setThreadCount(threads) }
        let clock = ContinuousClock()
        var loaded: AltCLIPModel!
        let folder = URL(fileURLWithPath: self.model)
        let loadTime = try clock.measure { loaded = try AltCLIPModel(directory: folder, precision: dtype) }
        let model: AltCLIPModel = loaded
        var prepareTime = Duration.zero
        if !lazy {
            // Steady state: convert (pack) the timed tower's weights now, outside the timings.
            prepareTime = try clock.measure { try tower == .image ? model.visionModel.prepare() : model.textModel.prepare() }
        }
        let forward: () throws -> Void
        switch tower {
        case .image:
            let size = model.config.visionConfig.imageSize
            var generator = SystemRandomNumberGenerator()
            let count = batch * 3 * size * size
            let pixels = Tensor(shape: [batch, 3, size, size],
                                scalars: (0..<count).map { _ in Float.random(in: -2...2, using: &generator) })
            forward = { _ = try model.getImageFeatures(pixelValues: pixels) }
        case .text:
            let vocab = model.config.textConfig.vocabSize
            let ids = (0..<batch).map { row in
                [0] + (0..<(tokens - 2)).map { (row * 7919 + $0 * 104_729) % (vocab - 10) + 5 } + [2]
            }
            let inputs = TextInputs(inputIds: ids, attentionMask: ids.map { $0.map { _ in 1 } })
            forward = { _ = try model.getTextFeatures(inputs) }
        }
        for _ in 0..<warmup { try forward() }
        var times: [Double] = []
        for _ in 0..<repeats {
            let elapsed = try clock.measure { try forward() }
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let result: [String: Any] = [
            "engine": "swift", "tower": tower.rawValue, "batch": batch, "tokens": tokens,
            "threads": Threading.threadCount, "times": times,
            "load_seconds": Double(loadTime.components.seconds) + Double(loadTime.components.attoseconds) * 1e-18,
            "peak_rss_bytes": Int(usage.ru_maxrss) * 1024, "dtype": dtype.rawValue,
            "prepare_seconds": Double(prepareTime.components.seconds) + Double(prepareTime.components.attoseconds) * 1e-18,
            "backend": lazy ? "(not probed in --lazy start-up runs)" : backendDescription,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// The kernels the linear layers and the remaining GEMMs (attention) run on.
    var backendDescription: String {
        let weight = try? MatmulWeight(Tensor(zeros: [1024, 1024]), precision: dtype)
        let kernel = (try? weight?.kernelName(rows: 257)) ?? "?"
        let linear = weight?.isAMXPacked == true ? "AltCLIP \(kernel)" : "oneDNN matmul \(kernel)"
        let attention = dtype != .float32 && Ops.attentionRunsInBFloat16(headDimension: 64)
            ? "AltCLIP bf16 AMX attention" : "\(GEMMBackend.current) (attention)"
        return "\(linear) \(dtype.rawValue) (linear, fused epilogues) + \(attention)"
    }
}

/// `--dtype` parses with the tensor core's one spelling (`Precision(rawValue:)`: fp32, bf16, int8).
extension Precision: ExpressibleByArgument {}
