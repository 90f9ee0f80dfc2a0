import AltCLIPStore
import Foundation
import Testing

/// `altclip index` and `altclip search` on the demo model and the sample pictures.
@Suite("altclip index / search")
struct IndexSearchTests {
    static let model = CLI.repository.appendingPathComponent("Models/altclip-demo").path
    static let samples = ["blue_triangle", "green_square", "purple_circle", "purple_triangle", "red_circle", "red_star",
                          "yellow_square", "yellow_star"]

    /// A folder with copies of the eight sample pictures, and a store path beside it.
    static func collection() throws -> (root: URL, photos: URL, db: String) {
        let root = try CLI.temporaryDirectory()
        let photos = root.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in samples {
            try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Samples/\(name).png"),
                                             to: photos.appendingPathComponent("\(name).png"))
        }
        return (root, photos, root.appendingPathComponent("photos.sqlite").path)
    }

    static func index(_ arguments: [String], environment: [String: String] = [:]) throws -> (CLI.Result, [String: Any]) {
        let result = try CLI.run(["index", "--model", model, "--json"] + arguments, environment: environment)
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result, json)
    }

    static func search(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try CLI.run(["search", "--json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    /// Index, then search in several languages and by example: the true picture first, with the cosine
    /// `similarity` gives for the same pair.
    @Test func indexThenSearchInAnyLanguage() throws {
        let (root, photos, db) = try Self.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        let (result, report) = try Self.index(["--db", db, photos.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report["added"] as? Int == 8 && (report["store"] as? [String: Int])?["embedded"] == 8, "\(report)")

        let found = try Self.search(["--db", db, "--top", "3", "a red circle", "紫色的三角形", "un carré jaune"])
        let firsts = found.map { (($0["hits"] as? [[String: Any]])?.first?["path"] as? String).map { ($0 as NSString).lastPathComponent } }
        #expect(firsts == ["red_circle.png", "purple_triangle.png", "yellow_square.png"], "\(found)")
        let top = try #require((found[0]["hits"] as? [[String: Any]])?.first)
        #expect(top["width"] as? Int == 96 && top["height"] as? Int == 96)
        let similarity = try CLI.run(["similarity", "--model", Self.model, "--json", "--text", "a red circle",
                                      photos.appendingPathComponent("red_circle.png").path])
        let cosine = try #require(((try JSONSerialization.jsonObject(with: Data(similarity.stdout.utf8)) as? [String: Any])?["cosine"] as? [[Double]])?.first?.first)
        #expect(abs((top["score"] as? Double ?? 0) - cosine) < 1e-5)

        let byExample = try Self.search(["--db", db, "--image", photos.appendingPathComponent("yellow_star.png").path, "--top", "1"])
        #expect(((byExample.first?["hits"] as? [[String: Any]])?.first?["path"] as? String)?.hasSuffix("yellow_star.png") == true)
        let strict = try Self.search(["--db", db, "--threshold", "0.9", "a red circle"])
        #expect((strict.first?["hits"] as? [[String: Any]])?.count == 1)
    }

    /// Reruns embed only what changed: unchanged files are skipped, a touched file and a moved file reuse
    /// their stored vectors (content hash), --prune drops deleted files, a replaced file is re-embedded.
    @Test func rerunsAreIncremental() throws {
        let (root, photos, db) = try Self.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try Self.index(["--db", db, photos.path])
        var (result, report) = try Self.index(["--db", db, photos.path])
        #expect(report["unchanged"] as? Int == 8 && report["added"] as? Int == 0, "\(result.stdout)\(result.stderr)")

        let manager = FileManager.default
        try manager.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)],
                                  ofItemAtPath: photos.appendingPathComponent("green_square.png").path)
        try manager.moveItem(at: photos.appendingPathComponent("red_star.png"), to: photos.appendingPathComponent("moved_star.png"))
        try manager.removeItem(at: photos.appendingPathComponent("blue_triangle.png"))
        try manager.removeItem(at: photos.appendingPathComponent("yellow_square.png"))
        try manager.copyItem(at: CLI.repository.appendingPathComponent("Samples/blue_triangle.png"),
                             to: photos.appendingPathComponent("yellow_square.png"))  // new content under an old name
        (result, report) = try Self.index(["--db", db, "--prune", photos.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report["reused"] as? Int == 1 && report["updated"] as? Int == 2 && report["unchanged"] as? Int == 4
                && report["added"] as? Int == 0 && report["pruned"] as? Int == 2, "\(report)")
        #expect((report["store"] as? [String: Int])?["embedded"] == 7)
        let star = try Self.search(["--db", db, "--top", "1", "a red star"])
        #expect(((star.first?["hits"] as? [[String: Any]])?.first?["path"] as? String)?.hasSuffix("moved_star.png") == true)
        let blue = try Self.search(["--db", db, "--top", "1", "a blue triangle"])
        #expect(((blue.first?["hits"] as? [[String: Any]])?.first?["path"] as? String)?.hasSuffix("yellow_square.png") == true)
    }

    /// A file that cannot be read is recorded with its error and reported; the rest is indexed, exit 0.
    @Test func unreadableFilesAreRecordedNotFatal() async throws {
        let (root, photos, db) = try Self.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(at: URL(fileURLWithPath: CLI.fixture("image/sources/bad/truncated.png")),
                                         to: photos.appendingPathComponent("broken.png"))
        let (result, report) = try Self.index(["--db", db, photos.path])
        #expect(result.status == 0, "\(result.stderr)")
        let failed = try #require(report["failed"] as? [[String: String]])
        #expect(failed.count == 1 && failed[0]["path"]?.hasSuffix("broken.png") == true && failed[0]["error"]?.isEmpty == false)
        #expect(report["store"] as? [String: Int] == ["images": 9, "embedded": 8, "failed": 1])
        let records = try SQLiteStore(path: db)
        let broken = try #require(try await records.records().first { $0.path.hasSuffix("broken.png") })
        #expect(broken.error != nil && broken.hash.count == 64)
    }

    /// A run killed after its first committed batch keeps that batch; the rerun embeds only the rest.
    @Test func aKilledRunResumes() throws {
        let (root, photos, db) = try Self.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        let (killed, _) = try Self.index(["--db", db, "--commit-every", "3", photos.path],
                                         environment: ["ALTCLIP_TEST_KILL_AFTER_COMMITS": "1"])
        #expect(killed.status != 0)
        let (result, report) = try Self.index(["--db", db, photos.path])
        #expect(result.status == 0 && report["added"] as? Int == 5 && report["unchanged"] as? Int == 3, "\(report)")
    }

    /// One store, one model: another --dtype (or model) is refused before any work, naming both.
    @Test func anotherModelOrDTypeIsRefused() throws {
        let (root, photos, db) = try Self.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try Self.index(["--db", db, photos.path])
        let (result, _) = try Self.index(["--db", db, "--dtype", "bf16", photos.path])
        #expect(result.status == 1 && result.stderr.contains("--dtype (fp32 stored, bf16 asked)"), "\(result.stderr)")
        let other = try CLI.run(["index", "--model", CLI.fixture("models/hub-gelu-quickgelu"), "--db", db, photos.path])
        #expect(other.status == 1 && other.stderr.contains("holds embeddings of another model"), "\(other.stderr)")
        let missing = try CLI.run(["search", "--db", root.appendingPathComponent("none.sqlite").path, "a"])
        #expect(missing.status == 1 && missing.stderr.contains("altclip index"), "\(missing.stderr)")
        let notAStore = try CLI.run(["search", "--db", photos.appendingPathComponent("red_circle.png").path, "a"])
        #expect(notAStore.status == 1 && notAStore.stderr.contains("is not an SQLite database"), "\(notAStore.stderr)")
    }

    /// The same commands on PostgreSQL + pgvector (HNSW): the same first hits and cosines as SQLite.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ALTCLIP_TEST_POSTGRES_URL"] != nil,
                   "no PostgreSQL: make test starts one (Scripts/with-test-postgres.sh)"))
    func indexAndSearchInPostgreSQL() throws {
        let url = ProcessInfo.processInfo.environment["ALTCLIP_TEST_POSTGRES_URL"]! + "?sslmode=disable"
        let (root, photos, db) = try Self.collection()
        defer { try? FileManager.default.removeItem(at: root) }
        // --prune first: rows another run left in this server's database go.
        let (result, report) = try Self.index(["--db", url, "--prune", photos.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report["added"] as? Int == 8 && (report["store"] as? [String: Int])?["embedded"] == 8, "\(report)")
        _ = try Self.index(["--db", db, photos.path])
        for query in ["a red circle", "紫色的三角形", "un carré jaune"] {
            let pg = try #require(try Self.search(["--db", url, "--top", "3", query]).first?["hits"] as? [[String: Any]])
            let lite = try #require(try Self.search(["--db", db, "--top", "3", query]).first?["hits"] as? [[String: Any]])
            #expect(pg.map { $0["path"] as? String } == lite.map { $0["path"] as? String }, "\(query)")
            for (a, b) in zip(pg, lite) { #expect(abs((a["score"] as? Double ?? 0) - (b["score"] as? Double ?? 1)) < 1e-5) }
        }
        let exact = try Self.search(["--db", url, "--exact", "--top", "1", "a red circle"])
        #expect(((exact.first?["hits"] as? [[String: Any]])?.first?["path"] as? String)?.hasSuffix("red_circle.png") == true)
        let (again, rerun) = try Self.index(["--db", url, photos.path])
        #expect(again.status == 0 && rerun["unchanged"] as? Int == 8)
    }
}
