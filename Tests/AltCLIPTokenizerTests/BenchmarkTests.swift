import Foundation
import Testing
import AltCLIPTokenizer

/// The Swift half of `Scripts/bench_tokenizer.py`: runs only when `ALTCLIP_TOKENIZER_BENCH` names a request file
/// `{"model": DIR, "texts": [...], "repeats": N, "output": PATH}` and writes timings plus an id checksum to
/// `output`. Build with `-c release` for meaningful numbers.
@Suite("Benchmark")
struct BenchmarkTests {
    static let requestPath = ProcessInfo.processInfo.environment["ALTCLIP_TOKENIZER_BENCH"]

    /// Order-dependent checksum of all ids, mirrored in the Python script.
    static func checksum(_ rows: [[Int]]) -> UInt64 {
        var h: UInt64 = 1_469_598_103_934_665_603
        for row in rows {
            for id in row { h = (h ^ UInt64(id + 1)) &* 1_099_511_628_211 }
            h = (h ^ 0xFFFF) &* 1_099_511_628_211
        }
        return h
    }

    /// User + system CPU time of this process (all threads).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    @Test("side-by-side timing", .enabled(if: requestPath != nil))
    func benchmark() throws {
        let request = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.requestPath!))) as! [String: Any]
        let texts = request["texts"] as! [String]
        let repeats = (request["repeats"] as? NSNumber)?.intValue ?? 5
        var start = Date()
        let tokenizer = try XLMRobertaTokenizer(directory: URL(fileURLWithPath: request["model"] as! String))
        let loadSeconds = Date().timeIntervalSince(start)

        var single = Double.infinity
        var singleCPU = 0.0
        var singleIds: [[Int]] = []
        for _ in 0..<repeats {
            start = Date()
            let cpuStart = Self.cpuSeconds()
            singleIds = texts.map { tokenizer.encode($0) }
            let wall = Date().timeIntervalSince(start)
            if wall < single {
                single = wall
                singleCPU = Self.cpuSeconds() - cpuStart
            }
        }
        var parallel = Double.infinity
        var parallelCPU = 0.0
        var batch: BatchEncoding? = nil
        for _ in 0..<repeats {
            start = Date()
            let cpuStart = Self.cpuSeconds()
            batch = try tokenizer(texts)
            let wall = Date().timeIntervalSince(start)
            if wall < parallel {
                parallel = wall
                parallelCPU = Self.cpuSeconds() - cpuStart
            }
        }
        var padded = Double.infinity
        for _ in 0..<repeats {
            start = Date()
            _ = try tokenizer(texts, padding: .longest, truncation: true)
            padded = min(padded, Date().timeIntervalSince(start))
        }
        #expect(batch!.inputIds == singleIds)
        let result: [String: Any] = [
            "load_seconds": loadSeconds,
            "single_thread_seconds": single,
            "parallel_seconds": parallel,
            "parallel_cpu_seconds": parallelCPU,
            "single_thread_cpu_seconds": singleCPU,
            "parallel_padded_truncated_seconds": padded,
            "cores": ProcessInfo.processInfo.activeProcessorCount,
            "checksum": String(Self.checksum(singleIds)),
            "row_checksums": singleIds.map { String(Self.checksum([$0])) },
            "tokens": singleIds.reduce(0) { $0 + $1.count },
        ]
        try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            .write(to: URL(fileURLWithPath: request["output"] as! String))
    }
}
