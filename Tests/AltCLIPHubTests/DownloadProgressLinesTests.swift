import AltCLIPHub
import Testing

@Suite("Download progress text")
struct DownloadProgressLinesTests {
    final class Clock: @unchecked Sendable { var t = 100.0 }

    func report(_ done: Int64, _ phase: HubDownloadProgress.Phase, total: Int64? = 1_800_000_000) -> HubDownloadProgress {
        HubDownloadProgress(repoId: "BAAI/AltCLIP", file: "model.safetensors", fileNumber: 2, fileCount: 3,
                            completedBytes: done, totalBytes: total, phase: phase)
    }

    /// Not on a terminal: a start line, then a status at most every interval (count, rate, ETA), retries,
    /// and a closing line; nothing in between.
    @Test func plainLinesAtMostEveryInterval() {
        let clock = Clock()
        let lines = DownloadProgressLines(terminal: false, interval: 5, now: { clock.t })
        #expect(lines.text(for: report(0, .started)) == "downloading [2/3] BAAI/AltCLIP/model.safetensors (1.80 GB)\n")
        clock.t += 2
        #expect(lines.text(for: report(40_000_000, .downloading)) == "")
        clock.t += 3
        #expect(lines.text(for: report(100_000_000, .downloading))
                == "[2/3] BAAI/AltCLIP/model.safetensors: 100.0 MB of 1.80 GB, 20.0 MB/s, ETA 1m25s\n")
        clock.t += 1
        #expect(lines.text(for: report(120_000_000, .downloading)) == "")
        #expect(lines.text(for: report(120_000_000, .retrying(attempt: 1, reason: "connection reset")))
                == "  [2/3] BAAI/AltCLIP/model.safetensors: retry 1 (connection reset)\n")
        clock.t += 84
        #expect(lines.text(for: report(1_800_000_000, .finished)) == "[2/3] BAAI/AltCLIP/model.safetensors: done (1.80 GB in 1m30s)\n")
        // A resumed file says so; an unknown size has no ETA.
        #expect(lines.text(for: report(5_000, .started, total: nil)) == "downloading [2/3] BAAI/AltCLIP/model.safetensors (?, resuming at 5 kB)\n")
        clock.t += 10
        #expect(lines.text(for: report(10_005_000, .downloading, total: nil)) == "[2/3] BAAI/AltCLIP/model.safetensors: 10.0 MB of ?, 1.0 MB/s\n")
    }

    /// On a terminal: one line per file, redrawn in place.
    @Test func terminalRedrawsInPlace() {
        let lines = DownloadProgressLines(terminal: true, interval: 5, now: { 0 })
        #expect(lines.text(for: report(0, .started)) == "\r[2/3] BAAI/AltCLIP/model.safetensors 0 B / 1.80 GB   ")
        #expect(lines.text(for: report(900_000_000, .downloading)) == "\r[2/3] BAAI/AltCLIP/model.safetensors 900.0 MB / 1.80 GB   ")
        #expect(lines.text(for: report(1_800_000_000, .finished)) == "\r[2/3] BAAI/AltCLIP/model.safetensors 1.80 GB done\n")
    }
}
