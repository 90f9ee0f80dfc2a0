@testable import AltCLIPStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// `altclip index --worker`: several worker processes on one PostgreSQL store, one killed midway.
@Suite("altclip index --worker (PostgreSQL work queue)",
       .enabled(if: ProcessInfo.processInfo.environment["ALTCLIP_TEST_POSTGRES_URL"] != nil,
                "no PostgreSQL: make test starts one (Scripts/with-test-postgres.sh)"))
struct WorkQueueTests {
    static let model = IndexSearchTests.model

    /// A new database on the test server; its URL.
    static func freshDatabase() async throws -> String {
        let admin = try #require(ProcessInfo.processInfo.environment["ALTCLIP_TEST_POSTGRES_URL"])
        let name = "altclip_queue_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        let client = PostgresClient(configuration: try PostgresStore.configuration(admin + "?sslmode=disable"),
                                    backgroundLogger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            group.cancelAll()
        }
        var components = URLComponents(string: admin)!
        components.path = "/\(name)"
        return components.string! + "?sslmode=disable"
    }

    /// A running `altclip` whose stderr can be watched while it runs.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var err = Data()
        private var out = Data()

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process.executableURL = CLI.binary
            process.arguments = arguments
            process.currentDirectoryURL = CLI.repository
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let errPipe = Pipe(), outPipe = Pipe()
            process.standardError = errPipe
            process.standardOutput = outPipe
            errPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                self?.lock.withLock { self?.err += chunk }
            }
            outPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                self?.lock.withLock { self?.out += chunk }
            }
            try process.run()
        }

        var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
        var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }

        func waitForStderr(_ text: String, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if stderr.contains(text) { return true }
                if !process.isRunning { return stderr.contains(text) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }

        func wait() -> Int32 {
            process.waitUntilExit()
            Thread.sleep(forTimeInterval: 0.1)   // the last output chunks
            return process.terminationStatus
        }
    }

    /// Three workers share 24 files; one is SIGKILLed holding a claim. The other two take its batch once
    /// the lease runs out (no timing assumptions: they wait for every file to be done), and every file
    /// ends embedded exactly once: the completions add up to 24, none was lost or repeated, and the vectors
    /// equal `altclip embed`'s.
    @Test func threeWorkersOneKilledEveryFileEmbeddedOnce() async throws {
        let url = try await Self.freshDatabase()
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let photos = root.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for copy in ["a", "b", "c"] {
            for name in IndexSearchTests.samples {
                try FileManager.default.copyItem(at: CLI.repository.appendingPathComponent("Samples/\(name).png"),
                                                 to: photos.appendingPathComponent("\(copy)_\(name).png"))
            }
        }
        let registered = try CLI.run(["index", "--db", url, "--register", photos.path, "--json"])
        #expect(registered.status == 0 && registered.stdout.contains("24"), "\(registered.stderr)")
        // Registering again queues nothing new.
        #expect(try CLI.run(["index", "--db", url, "--register", photos.path, "--json"]).stdout.contains("\"registered\" : 0"))

        let common = ["index", "--db", url, "--model", Self.model, "--worker", "--lease", "2", "--commit-every", "4", "--json"]
        let doomed = try Running(common, environment: ["ALTCLIP_TEST_PAUSE_AFTER_CLAIM": "1"])
        #expect(doomed.waitForStderr("claimed 4 files", seconds: 120), "\(doomed.stderr)")
        kill(doomed.process.processIdentifier, SIGKILL)
        #expect(doomed.wait() == SIGKILL)

        let workers = try [Running(common), Running(common)]
        var reports: [[String: Any]] = []
        for worker in workers {
            #expect(worker.wait() == 0, "\(worker.stderr)")
            reports.append((try? JSONSerialization.jsonObject(with: Data(worker.stdout.utf8))) as? [String: Any] ?? [:])
        }
        let done = reports.map { $0["done"] as? Int ?? -100 }
        #expect(done.reduce(0, +) == 24, "\(reports)")
        #expect(reports.allSatisfy { $0["lost_batches"] as? Int == 0 && $0["failed"] as? Int == 0 }, "\(reports)")

        let status = try CLI.run(["index", "--db", url, "--status", "--json"])
        let queue = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.stderr)")
        #expect(queue["done"] as? Int == 24 && queue["pending"] as? Int == 0 && queue["claimed"] as? Int == 0 && queue["failed"] as? Int == 0)
        let states = (queue["workers"] as? [[String: Any]] ?? []).map { ($0["state"] as? String ?? "", $0["done"] as? Int ?? -1) }
        #expect(states.count == 3 && states.filter { $0.0 == "stopped" }.count == 2, "\(states)")
        #expect(states.first { $0.0 == "lost" }?.1 == 0, "the killed worker completed nothing: \(states)")

        // The store holds each file once, with the vector altclip embed computes.
        let store = try await PostgresStore(url: url)
        defer { store.close() }
        let records = try await store.records()
        #expect(records.count == 24 && Set(records.map(\.path)).count == 24 && records.allSatisfy { $0.error == nil })
        let file = photos.appendingPathComponent("b_red_circle.png")
        let stored = try #require(try await store.embedding(forHash: try Fingerprint.file(file)))
        let embed = try CLI.run(["embed", "--model", Self.model, file.path])
        let line = try #require(try JSONSerialization.jsonObject(with: Data(embed.stdout.utf8)) as? [String: Any])
        let expected = (line["embedding"] as? [Double] ?? []).map { Float($0) }
        #expect(expected.count == stored.count && zip(expected, stored).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    /// Queue options without PostgreSQL, or mixed up, are usage errors.
    @Test func queueOptionsNeedPostgreSQL() throws {
        let cases: [([String], String)] = [
            (["index", "--db", "x.sqlite", "--worker", "Samples"], "need a postgresql:// store"),
            (["index", "--db", "postgresql://u@127.0.0.1:1/x", "--worker", "--status"], "one of --worker"),
            (["index", "--db", "postgresql://u@127.0.0.1:1/x", "--register"], "--register needs image files"),
            (["index", "--db", "x.sqlite", "--follow", "Samples"], "--follow goes with --worker"),
        ]
        for (arguments, message) in cases {
            let result = try CLI.run(arguments)
            #expect(result.status == 64 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
