import AltCLIP
import AltCLIPImage
import AltCLIPStore
import AltCLIPSupport
import ArgumentParser
import Foundation

/// `altclip index`: embeds a photo collection into a store for `altclip search`.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index image files and folders into a search store (SQLite or PostgreSQL), embedding only what is new or changed.",
        discussion: """
        Folders are walked for images. A file already in the store with the same size and modification time \
        is skipped; a changed one is hashed, and if its content is already in the store (a moved or copied \
        file) its vector is reused, else it is embedded. --prune removes the rows of files that no longer \
        exist. Files that cannot be read are recorded in the store with their error and reported; they never \
        stop the run. Work is committed every --commit-every files, so an interrupted run loses at most one \
        batch and the next run resumes. One store holds one model (checked: a store made with another \
        model, --dtype or dimension is refused).

        Examples:
          altclip index ~/Pictures --db photos.sqlite --model BAAI/AltCLIP
          altclip index ~/Pictures --db photos.sqlite --model BAAI/AltCLIP --prune --json
          altclip index /data/photos --db postgresql://altclip@db.internal/photos --model BAAI/AltCLIP
          altclip search --db photos.sqlite "红色的汽车"

        Many workers, one PostgreSQL store: register files once (--register, or give them to any \
        --worker), then start `--worker` on as many machines as you like. Each claims --commit-every files \
        at a time (FOR UPDATE SKIP LOCKED), embeds them, and writes the vectors and marks them done in one \
        transaction; a worker that dies loses its claim after --lease seconds without a heartbeat and \
        another worker redoes that batch. Workers exit when the queue is empty (--follow keeps them \
        waiting for new files, woken by NOTIFY). --status shows the queue and each worker's throughput.
          altclip index /data/photos --db postgresql://altclip@db/photos --register
          altclip index --db postgresql://altclip@db/photos --model BAAI/AltCLIP --worker
          altclip index --db postgresql://altclip@db/photos --status
        """)

    @Option(name: .customLong("model"), help: ArgumentHelp("""
        Model folder or hub id ORG/NAME (default: the ALTCLIP_MODEL environment variable); not needed by \
        --register and --status.
        """, valueName: "dir|org/name"))
    var model: String?
    @Option(help: "Threads for everything the command does: decoding, the model (default: all cores).") var threads: Int?

    func requireModel() throws {
        if model == nil && ModelOptions.environmentModel == nil {
            throw ValidationError("give the model with --model DIR|ORG/NAME (e.g. --model BAAI/AltCLIP) or set ALTCLIP_MODEL")
        }
    }

    /// The model options the pipeline loader takes (`--model` or ALTCLIP_MODEL).
    var modelOptions: ModelOptions {
        get throws {
            try ModelOptions.parse((model.map { ["--model", $0] } ?? []) + (threads.map { ["--threads", "\($0)"] } ?? []))
        }
    }
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var batchOptions: BatchOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var storeOptions: StoreOptions
    @Flag(help: "Remove the rows of files that no longer exist.") var prune = false
    @Option(help: ArgumentHelp("How new stores keep vectors: float32 (exact) or float16 (half the size).", valueName: "float32|float16"))
    var vectors: String = "float32"
    @Option(help: "Files per committed transaction.") var commitEvery: Int = 64
    @OptionGroup var imageOptions: ImageInputOptions
    @OptionGroup(title: "Many workers, one PostgreSQL store") var queueOptions: QueueOptions

    func validate() throws {
        if let threads, !(1...ModelOptions.maxThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(ModelOptions.maxThreads)")
        }
        if queueOptions.isQueue {
            guard storeOptions.isPostgres else { throw ValidationError("--worker, --register and --status need a postgresql:// store") }
            if [queueOptions.worker, queueOptions.register, queueOptions.status].filter({ $0 }).count > 1 {
                throw ValidationError("give one of --worker, --register and --status")
            }
            if queueOptions.register && imageOptions.isEmpty { throw ValidationError("--register needs image files or folders (or --files-from)") }
            if prune { throw ValidationError("--prune works without the queue (run it on its own)") }
            if !(0.5...86_400).contains(queueOptions.lease) { throw ValidationError("--lease must be between 0.5 and 86400 seconds") }
            if !(1...100_000).contains(commitEvery) { throw ValidationError("--commit-every must be between 1 and 100000") }
            if queueOptions.worker { try requireModel() }
            return
        }
        if queueOptions.follow { throw ValidationError("--follow goes with --worker") }
        try requireModel()
        if imageOptions.isEmpty && !prune { throw ValidationError("give image files or folders (or --files-from), or --prune") }
        if VectorEncoding(rawValue: vectors) == nil { throw ValidationError("--vectors must be float32 or float16") }
        if !(1...100_000).contains(commitEvery) { throw ValidationError("--commit-every must be between 1 and 100000") }
    }

    func run() async throws {
        let store = try await storeOptions.open(encoding: VectorEncoding(rawValue: vectors) ?? .float32)
        if queueOptions.isQueue, let postgres = store as? PostgresStore {
            defer { postgres.close() }
            if queueOptions.status { return try await IndexWorker.status(self, store: postgres) }
            if queueOptions.register { return try await IndexWorker.register(self, store: postgres) }
            return try await IndexWorker.work(self, store: postgres)
        }
        let db = storeOptions.db
        let files = imageOptions.isEmpty ? [] : try imageOptions.files()
        let modelOptions = try self.modelOptions
        let folder = try modelOptions.resolveModel()
        var identity = try StoreLocation.identity(folder: folder, dtype: precisionOptions.dtype)
        identity.source = try modelOptions.model
        try await store.prepare(for: identity)   // a store of another model is refused before any work

        var report = IndexReport()
        let existing = try await store.records()
        var byPath: [String: ImageRecord] = [:]
        var byHash: [String: ImageRecord] = [:]
        for record in existing {
            byPath[record.path] = record
            if record.error == nil { byHash[record.hash] = record }
        }

        // Plan: what is unchanged, what can reuse a stored vector, what must be embedded.
        var toEmbed: [(file: ImageFile, record: ImageRecord)] = []
        var reused: [IndexEntry] = []
        var seen = Set<String>()
        for file in files {
            let path = file.url.standardizedFileURL.path
            guard seen.insert(path).inserted else { continue }
            let now = Date().timeIntervalSince1970
            guard let (size, mtime) = Self.stat(path) else {
                report.failed.append(.init(path: path, error: "cannot be read"))
                continue
            }
            if let old = byPath[path], old.size == size, old.mtime == mtime {
                report.unchanged += 1
                if let error = old.error { report.failed.append(.init(path: path, error: error)) }
                continue
            }
            let hash: String
            do { hash = try Fingerprint.file(file.url) } catch {
                let record = ImageRecord(path: path, size: size, mtime: mtime, hash: "", indexedAt: now, error: "cannot be read: \(error)")
                reused.append(IndexEntry(record: record, embedding: nil))
                report.failed.append(.init(path: path, error: record.error!))
                continue
            }
            var record = ImageRecord(path: path, size: size, mtime: mtime, hash: hash, indexedAt: now)
            if let twin = byHash[hash], let vector = try await store.embedding(forHash: hash) {
                record.width = twin.width
                record.height = twin.height
                reused.append(IndexEntry(record: record, embedding: vector))
                if byPath[path] == nil { report.reused += 1 } else { report.updated += 1 }
                continue
            }
            toEmbed.append((file, record))
        }
        try await store.write(reused)

        let pipeline = try PipelineLoader.load(modelOptions, precisionOptions, batchOptions, exifTranspose: imageOptions.exifTranspose)
        let progress = ProgressBar(total: toEmbed.count, label: "index")
        var done = 0
        for start in stride(from: 0, to: toEmbed.count, by: commitEvery) {
            let chunk = Array(toEmbed[start..<min(start + commitEvery, toEmbed.count)])
            var entries = chunk.map { IndexEntry(record: $0.record, embedding: nil) }
            Self.embed(&entries, pipeline: pipeline)
            try await store.write(entries)
            for entry in entries {
                if let error = entry.record.error {
                    report.failed.append(.init(path: entry.record.path, error: error))
                } else if byPath[entry.record.path] == nil {
                    report.added += 1
                } else {
                    report.updated += 1
                }
            }
            done += chunk.count
            progress.update(done: done)
            // Test hook: die as `kill -9` would right after a commit (the resume test).
            if let limit = Self.abortAfterCommits, start / commitEvery + 1 >= limit { kill(getpid(), SIGKILL) }
        }

        if prune {
            let gone = existing.map(\.path).filter { !FileManager.default.fileExists(atPath: $0) }
            try await store.remove(paths: gone)
            report.pruned = gone.count
        }
        let stats = try await store.stats()
        report.store = stats
        if output.json {
            try Output.json(report)
        } else {
            Output.line("indexed into \(db): \(report.added) added, \(report.updated) updated, \(report.reused) reused (moved or copied), "
                + "\(report.unchanged) unchanged, \(report.failed.count) failed" + (prune ? ", \(report.pruned) pruned" : ""))
            Output.line("the store holds \(stats.embedded) images" + (stats.failed > 0 ? " (and \(stats.failed) that could not be read)" : ""))
            for failure in report.failed.prefix(20) { Output.warn("\(failure.path): \(failure.error)") }
            if report.failed.count > 20 { Output.warn("… and \(report.failed.count - 20) more (see --json)") }
        }
    }

    /// `ALTCLIP_TEST_KILL_AFTER_COMMITS=N`: tests only (SIGKILL after the N-th committed batch).
    static let abortAfterCommits = ProcessInfo.processInfo.environment["ALTCLIP_TEST_KILL_AFTER_COMMITS"].flatMap { Int($0) }

    static func stat(_ path: String) -> (Int64, Double)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.int64Value,
              let date = attributes[.modificationDate] as? Date else { return nil }
        return (size, date.timeIntervalSince1970)
    }

    /// Decodes `urls` in parallel (within --threads).
    static func decode(_ urls: [URL], options: DecodeOptions) -> [Result<RGBImage, Error>] {
        decodeEach(urls.count) { try ImageDecoder.decode(contentsOf: urls[$0], options: options) }
    }

    /// Runs `decode(i)` for every i in parallel (within --threads), results in order.
    static func decodeEach(_ count: Int, _ decode: (Int) throws -> RGBImage) -> [Result<RGBImage, Error>] {
        final class Slots: @unchecked Sendable {
            var values: [Result<RGBImage, Error>]
            let lock = NSLock()
            init(_ n: Int) { values = Array(repeating: .failure(CLIError.noInputs("not decoded")), count: n) }
        }
        let slots = Slots(count)
        ThreadBudget.forEach(iterations: count) { i in
            let result = Result<RGBImage, Error> { try decode(i) }
            slots.lock.withLock { slots.values[i] = result }
        }
        return slots.values
    }

    /// Decodes and embeds the files of `entries` that have no error yet, recording each image's size
    /// (decoded here so it is known), its vector, or the error it met.
    static func embed(_ entries: inout [IndexEntry], pipeline: AltCLIPPipeline) {
        let decoded = decode(entries.map { URL(fileURLWithPath: $0.record.path) }, options: pipeline.decodeOptions)
        var inputs: [ImageInput] = []
        var positions: [Int] = []
        for (index, result) in decoded.enumerated() where entries[index].record.error == nil {
            switch result {
            case let .success(image):
                entries[index].record.width = image.width
                entries[index].record.height = image.height
                inputs.append(.rgb(image))
                positions.append(index)
            case let .failure(error):
                entries[index].record.error = "\(error)"
            }
        }
        pipeline.forEachImageEmbedding(inputs) { offset, result in
            switch result {
            case let .success(vector): entries[positions[offset]].embedding = vector
            case let .failure(error): entries[positions[offset]].record.error = "\(error)"
            }
        }
    }
}

struct IndexReport: Encodable {
    struct Failure: Encodable { var path: String; var error: String }
    var added = 0
    var updated = 0
    var reused = 0
    var unchanged = 0
    var pruned = 0
    var failed: [Failure] = []
    var store = StoreStats(images: 0, embedded: 0, failed: 0)
}

/// `--db` and the PostgreSQL store's options, shared by `index` and `search`.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        The store: an SQLite file (created if missing), or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE \
        (PostgreSQL with pgvector; ?sslmode=disable|prefer|require).
        """, valueName: "file|url"))
    var db: String
    @Option(help: ArgumentHelp("PostgreSQL: HNSW graph degree m, for a new store.", valueName: "n")) var hnswM: Int = 16
    @Option(help: ArgumentHelp("PostgreSQL: HNSW ef_construction, for a new store.", valueName: "n")) var hnswEfConstruction: Int = 64
    @Option(help: ArgumentHelp("PostgreSQL: HNSW ef_search (raised to --top when smaller).", valueName: "n")) var hnswEfSearch: Int = 40
    @Flag(help: "PostgreSQL: exact search (scan every vector) instead of the HNSW index.") var exact = false

    var isPostgres: Bool { db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") }

    func validate() throws {
        if db.isEmpty { throw ValidationError("--db must name a store file or a postgresql:// URL") }
        if !(2...100).contains(hnswM) { throw ValidationError("--hnsw-m must be between 2 and 100") }
        if !(4...1000).contains(hnswEfConstruction) || hnswEfConstruction < 2 * hnswM {
            throw ValidationError("--hnsw-ef-construction must be between 4 and 1000 and at least twice --hnsw-m")
        }
        if !(1...1000).contains(hnswEfSearch) { throw ValidationError("--hnsw-ef-search must be between 1 and 1000") }
    }

    /// Opens the store (an SQLite file's folder must exist; a missing file is created).
    func open(encoding: VectorEncoding = .float32, mustExist: Bool = false) async throws -> any EmbeddingStore {
        if isPostgres {
            return try await PostgresStore(url: db, hnsw: .init(m: hnswM, efConstruction: hnswEfConstruction, efSearch: hnswEfSearch),
                                           exact: exact)
        }
        if mustExist, !FileManager.default.fileExists(atPath: db) {
            throw CLIError.unreadableFile(db, "no such store: make it with `altclip index PATH... --db \(db)`")
        }
        var parent = (db as NSString).deletingLastPathComponent
        if parent.isEmpty { parent = "." }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError.badOutput("--db", db, "its folder \(parent) does not exist")
        }
        return try SQLiteStore(path: db, encoding: encoding)
    }
}

/// The identity of a model folder.
enum StoreLocation {
    /// The identity of the model in `folder` (its `projection_dim` read from config.json).
    static func identity(folder: URL, dtype: String) throws -> ModelIdentity {
        let configURL = folder.appendingPathComponent("config.json")
        let data: Data
        do { data = try InputFile.read(configURL.path, maxBytes: 16 << 20) } catch {
            throw CLIError.unreadableFile(configURL.path, error.reason)
        }
        let config = try JSONDecoder().decode(AltCLIPConfig.self, from: data)
        return try Fingerprint.model(folder: folder, dtype: dtype, dimension: config.projectionDim)
    }
}

#if canImport(Glibc)
import Glibc
#endif
