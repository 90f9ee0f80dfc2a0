import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The search page in a real browser (Debian's chromium, headless): `altclip serve --db` on loopback,
/// the page loaded with a query, the grid checked for the expected first image, "more like this" ids
/// present, and a screenshot kept as a test artefact (.build/test-artifacts/search-page.png).
/// Debian's chromium, if installed.
let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

@Suite("search page in headless Chromium", .enabled(if: chromiumPath != nil,
                                                     "chromium is not installed (make deps installs it)"))
struct SearchPageBrowserTests {
    static var chromium: String? { chromiumPath }

    static func browse(_ url: String, _ extra: [String]) throws -> CLI.Result {
        try CLI.run(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,700",
                     "--virtual-time-budget=15000"] + extra + [url], executable: chromium!)
    }

    @Test func theGridShowsTheBestMatchFirst() throws {
        let (root, photos, db) = try IndexSearchTests.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try CLI.run(["index", "--model", IndexSearchTests.model, "--db", db, photos.path]).status == 0)

        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--model", IndexSearchTests.model, "--db", db, "--port", "0", "--json"]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        // Lifecycle events on stdout: "listening" (with the URL), then "ready".
        var base: String?
        var ready = false
        var buffer = Data()
        let reader = out.fileHandleForReading
        while !ready {
            let chunk = reader.availableData
            guard !chunk.isEmpty else { break }
            buffer += chunk
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = buffer[(newline + 1)...]
                let event = (try? JSONSerialization.jsonObject(with: line)) as? [String: String] ?? [:]
                if event["event"] == "listening" { base = event["url"] }
                if event["event"] == "ready" { ready = true }
            }
        }
        let url = try #require(base, "the server did not say where it listens")
        #expect(ready)

        let dom = try Self.browse("\(url)/?q=%E7%BA%A2%E8%89%B2%E7%9A%84%E5%9C%86%E5%BD%A2", ["--dump-dom"])  // 红色的圆形
        let names = dom.stdout.components(separatedBy: "data-name=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(names.first == "red_circle.png", "\(dom.stdout.suffix(2000))")
        #expect(names.count == 8 && dom.stdout.contains("8 results for"))
        #expect(dom.stdout.contains("<body data-state=\"done\">"))
        #expect(dom.stdout.components(separatedBy: "src=\"blob:").count == 9)  // every thumbnail loaded

        let artefacts = CLI.repository.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let shot = artefacts.appendingPathComponent("search-page.png")
        try? FileManager.default.removeItem(at: shot)
        _ = try Self.browse("\(url)/?q=a%20red%20circle", ["--screenshot=\(shot.path)"])
        let png = try Data(contentsOf: shot)
        #expect(png.count > 20_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    }
}
