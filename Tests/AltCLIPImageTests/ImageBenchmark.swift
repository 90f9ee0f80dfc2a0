import Foundation
import Testing
import AltCLIPImage

/// Timing harness driven by Scripts/bench_image.py (skipped unless ALTCLIP_IMAGE_BENCH_DIR is set; run it
/// in a release build). Prints one JSON line with the best-of-N wall time of files → pixel_values.
@Suite struct ImageBenchmark {
    static let directory = ProcessInfo.processInfo.environment["ALTCLIP_IMAGE_BENCH_DIR"]

    @Test(.enabled(if: directory != nil))
    func filesToPixelValues() throws {
        let dir = URL(fileURLWithPath: try #require(Self.directory))
        let urls = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "jpg" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let repeats = Int(ProcessInfo.processInfo.environment["ALTCLIP_IMAGE_BENCH_REPEATS"] ?? "") ?? 5
        let processor = CLIPImageProcessor()
        var best = Double.infinity
        var times: [Double] = []
        var output: PixelValues?
        var bestCPU = Double.infinity
        for _ in 0..<repeats {
            let cpuStart = Self.cpuSeconds()
            let start = DispatchTime.now().uptimeNanoseconds
            output = try processor.preprocess(contentsOf: urls)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            bestCPU = min(bestCPU, Self.cpuSeconds() - cpuStart)
            times.append(seconds)
            best = min(best, seconds)
        }
        let values = try #require(output)
        if let out = ProcessInfo.processInfo.environment["ALTCLIP_IMAGE_BENCH_OUT"] {
            let data = values.values.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: out))
        }
        // Stage split, image by image on the calling thread (pin the process to one core for a serial figure).
        let files = try urls.map { try Data(contentsOf: $0) }
        var decodeSeconds = 0.0, resizeSeconds = 0.0, processSeconds = 0.0
        for (url, data) in zip(urls, files) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let image = try ImageDecoder.decode(data: data, name: url.lastPathComponent)
            let t1 = DispatchTime.now().uptimeNanoseconds
            let size = try processor.resizedSize(height: image.height, width: image.width)
            _ = try ImageResampler.resize(image, width: size.width, height: size.height, filter: .bicubic)
            let t2 = DispatchTime.now().uptimeNanoseconds
            _ = try processor.preprocess(image)
            let t3 = DispatchTime.now().uptimeNanoseconds
            decodeSeconds += Double(t1 - t0) / 1e9
            resizeSeconds += Double(t2 - t1) / 1e9
            processSeconds += Double(t3 - t2) / 1e9
        }
        let n = Double(urls.count)
        let report: [String: Any] = [
            "images": urls.count, "shape": values.shape, "best_seconds": best, "all_seconds": times,
            "best_cpu_seconds": bestCPU,
            "cores": ProcessInfo.processInfo.activeProcessorCount,
            "decode_ms": decodeSeconds / n * 1e3, "resize_ms": resizeSeconds / n * 1e3,
            "preprocess_ms": processSeconds / n * 1e3,
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print("ALTCLIP_IMAGE_BENCH " + String(decoding: json, as: UTF8.self))
    }

    /// User + system CPU time of the whole process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
