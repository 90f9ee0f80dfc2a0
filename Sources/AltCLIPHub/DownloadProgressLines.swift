import Foundation

/// Turns download reports into text for a person watching: on a terminal, one line per file redrawn in
/// place (`\r`); elsewhere (a log file, CI), plain lines — when a file starts, a status at most every
/// `interval` seconds while it downloads (bytes, rate, ETA), each retry, and when it is done. The library
/// never prints: the caller writes what `lines(for:)` returns.
public final class DownloadProgressLines: @unchecked Sendable {
    public let terminal: Bool
    public let interval: Double
    private let now: () -> Double
    private var fileStart = 0.0
    private var startBytes: Int64 = 0
    private var lastLine = 0.0
    private let lock = NSLock()

    /// `now` is seconds on any monotonic clock (injectable for tests).
    public init(terminal: Bool, interval: Double = 5, now: @escaping () -> Double = {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }) {
        self.terminal = terminal
        self.interval = interval
        self.now = now
    }

    /// The text to write for this report (possibly empty).
    public func text(for p: HubDownloadProgress) -> String {
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        let name = "[\(p.fileNumber)/\(p.fileCount)] \(p.repoId)/\(p.file)"
        let total = p.totalBytes.map(Self.bytes) ?? "?"
        switch p.phase {
        case .started:
            fileStart = t
            startBytes = p.completedBytes
            lastLine = t
            if terminal { return "\r\(name) \(Self.bytes(p.completedBytes)) / \(total)   " }
            return "downloading \(name) (\(total)" + (p.completedBytes > 0 ? ", resuming at \(Self.bytes(p.completedBytes))" : "") + ")\n"
        case .downloading:
            if terminal { return "\r\(name) \(Self.bytes(p.completedBytes)) / \(total)   " }
            guard t - lastLine >= interval else { return "" }
            lastLine = t
            let elapsed = t - fileStart
            let rate = elapsed > 0 ? Double(p.completedBytes - startBytes) / elapsed : 0
            var line = "\(name): \(Self.bytes(p.completedBytes)) of \(total)"
            if rate > 0 {
                line += ", \(Self.bytes(Int64(rate)))/s"
                if let totalBytes = p.totalBytes {
                    line += ", ETA \(Self.duration(Double(totalBytes - p.completedBytes) / rate))"
                }
            }
            return line + "\n"
        case let .retrying(attempt, reason):
            return (terminal ? "\n" : "") + "  \(name): retry \(attempt) (\(reason))\n"
        case .finished:
            if terminal { return "\r\(name) \(total) done\n" }
            return "\(name): done (\(total) in \(Self.duration(t - fileStart)))\n"
        }
    }

    static func bytes(_ n: Int64) -> String {
        let value = Double(n)
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        if value >= 1e3 { return String(format: "%.0f kB", value / 1e3) }
        return "\(n) B"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
