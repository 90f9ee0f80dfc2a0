import AltCLIP
import AltCLIPImage
import AltCLIPStore
import ArgumentParser
import Foundation

/// `altclip search`: the indexed images closest to a text (any language) or to an example image.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search an indexed collection by text (in any language) or by an example image.",
        discussion: """
        Prints the best matches with their cosine similarity, best first. The model is the one the store \
        was indexed with (found again from where it was loaded; --model or ALTCLIP_MODEL point elsewhere), \
        at the store's precision.

        Examples:
          altclip search --db photos.sqlite "红色的汽车"
          altclip search --db photos.sqlite "a dog on a beach" "un chien sur la plage" --top 5 --json
          altclip search --db photos.sqlite --image query.jpg --threshold 0.3
        """)

    @OptionGroup var storeOptions: StoreOptions
    @Option(name: .customLong("model"), help: ArgumentHelp("The model (default: ALTCLIP_MODEL, else the one the store was indexed with).",
                                                           valueName: "dir|org/name"))
    var model: String?
    @Option(help: "Threads for everything the command does (default: all cores).") var threads: Int?
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Search by this example image (repeatable).", valueName: "file")) var image: [String] = []
    @Option(help: "How many results per query.") var top: Int = 20
    @Option(help: "Only results with at least this cosine similarity.") var threshold: Float?
    @Flag(help: "Apply the EXIF orientation of query images first.") var exifTranspose = false
    @Argument(help: "Text queries, in any language.") var queries: [String] = []

    func validate() throws {
        if queries.isEmpty && image.isEmpty { throw ValidationError("give a text query or --image FILE") }
        if !(1...100_000).contains(top) { throw ValidationError("--top must be between 1 and 100000") }
        if let threshold, !(-1...1).contains(threshold) { throw ValidationError("--threshold must be between -1 and 1") }
        if let threads, !(1...ModelOptions.maxThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(ModelOptions.maxThreads)")
        }
    }

    func run() async throws {
        let db = storeOptions.db
        let store = try await storeOptions.open(mustExist: true)
        guard let stored = try await store.identity() else { throw StoreError.empty(store: db) }
        guard let chosen = model ?? ModelOptions.environmentModel ?? stored.source else {
            throw ValidationError("the store does not say where its model is: give --model")
        }
        if model == nil {
            Output.warn("using the model \(chosen) (" + (ModelOptions.environmentModel != nil ? "from ALTCLIP_MODEL" : "the one the store was indexed with") + ")")
        }
        let options = try ModelOptions.parse(["--model", chosen] + (threads.map { ["--threads", "\($0)"] } ?? []))
        let folder = try options.resolveModel()
        let identity = try StoreLocation.identity(folder: folder, dtype: stored.dtype)
        guard identity == stored else { throw StoreError.modelMismatch(store: db, stored: stored, requested: identity) }
        let precision = try PrecisionOptions.parse(["--dtype", stored.dtype])
        var decode = DecodeOptions.processor
        decode.applyExifOrientation = exifTranspose
        let pipeline = try AltCLIPPipeline(directory: folder, precision: precision.precision, decodeOptions: decode)

        var results: [SearchResult] = []
        if !queries.isEmpty {
            let embedded = try pipeline.encodeTexts(queries)
            TruncationNote.report(queries, embedded.truncatedTokens, limit: pipeline.maxTextLength)
            for (query, vector) in zip(queries, embedded.vectors) {
                results.append(SearchResult(query: query, kind: "text",
                                            hits: try await store.search(vector, k: top, threshold: threshold)))
            }
        }
        for (path, result) in zip(image, pipeline.embedImages(image.map { ImageInput.file(URL(fileURLWithPath: $0)) })) {
            let vector = try result.mapError { CLIError.unreadableFile(path, "\($0)") }.get()
            results.append(SearchResult(query: path, kind: "image", hits: try await store.search(vector, k: top, threshold: threshold)))
        }
        if output.json {
            try Output.json(results)
        } else {
            for result in results {
                if results.count > 1 { Output.line("\(result.kind == "image" ? "like" : "query") \(result.query):") }
                if result.hits.isEmpty { Output.line("  (no match" + (threshold.map { " at or above \($0)" } ?? "") + ")") }
                for hit in result.hits {
                    Output.line(String(format: "%@%.4f  %@", results.count > 1 ? "  " : "", Double(hit.score), hit.path))
                }
            }
        }
    }
}

struct SearchResult: Encodable {
    var query: String
    var kind: String
    var hits: [SearchHit]
}
