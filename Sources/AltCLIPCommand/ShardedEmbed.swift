import AltCLIP
import AltCLIPDataset
import AltCLIPImage
import AltCLIPSupport
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum OutputLayout: String, ExpressibleByArgument { case clipRetrieval = "clip-retrieval" }

/// `altclip embed --layout clip-retrieval`: one shard of a job array, written where autofaiss and
/// clip-retrieval's tools look for it.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("clip-retrieval: write --out as a folder of img_emb/img_emb_{I}.npy (float16), metadata/metadata_{I}.jsonl and text_emb/ (with --captions), one shard per run.", valueName: "layout"))
    var layout: OutputLayout?
    @Option(help: "This run's shard, 0-based (default: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, or JOB_COMPLETION_INDEX).")
    var shardIndex: Int?
    @Option(help: "How many shards the input is split into (default: SLURM_ARRAY_TASK_COUNT; needed with JOB_COMPLETION_INDEX).")
    var shardCount: Int?
    @Option(name: .customLong("webdataset"), help: ArgumentHelp("WebDataset tar shards: a path or brace pattern such as 'shards/{00000..00099}.tar' (repeatable); read as a stream, never unpacked.", valueName: "pattern"))
    var webdataset: [String] = []
    @Flag(help: "Also embed each image's caption (the sample's txt, or a .txt file beside a loose image) into text_emb/.")
    var captions = false
    @Flag(help: "Redo the shard even if its _SUCCESS marker says it is finished.")
    var redo = false

    var isSharded: Bool { layout != nil }
}

/// One image to embed, from a loose file or a WebDataset sample.
private struct ShardItem {
    enum Source { case file(URL), bytes(Data) }
    var source: Source
    /// What errors and metadata call it: the path as given, or `tar:key`.
    var name: String
    var metadata: [String: Any]
    var caption: String?
}

struct ShardedEmbed {
    let options: ShardOptions
    let out: String
    let images: ImageInputOptions
    let model: ModelOptions
    let precision: PrecisionOptions
    let batch: BatchOptions
    let json: Bool
    let normalize: Bool

    struct Summary: Encodable {
        var out: String
        var shard: Int
        var shardCount: Int
        var rows: Int
        var skipped: Int
        var alreadyDone: Bool
        var inputs: Int
        enum CodingKeys: String, CodingKey {
            case out, shard, rows, skipped, inputs
            case shardCount = "shard_count", alreadyDone = "already_done"
        }
    }

    func run() throws {
        let assignment = try ShardAssignment.resolve(index: options.shardIndex, count: options.shardCount,
                                                     environment: ProcessInfo.processInfo.environment)
            ?? ShardAssignment(index: 0, count: 1)
        let outURL = URL(fileURLWithPath: out)
        try Self.checkOutFolder(out)
        if !options.redo && ClipRetrievalShardWriter.isDone(out: outURL, shard: assignment.index) {
            let marker = ClipRetrievalShardWriter.marker(out: outURL, shard: assignment.index)
            let previous = (try? JSONSerialization.jsonObject(with: Data(contentsOf: marker))) as? [String: Any]
            let summary = Summary(out: out, shard: assignment.index, shardCount: assignment.count,
                                  rows: previous?["rows"] as? Int ?? 0, skipped: previous?["skipped"] as? Int ?? 0,
                                  alreadyDone: true, inputs: previous?["inputs"] as? Int ?? 0)
            if json { try Output.json(summary) } else {
                Output.line("\(assignment) is already done (\(marker.path)); nothing to do (--redo redoes it)")
            }
            return
        }
        // The inputs: sorted, then this shard's contiguous part.
        var tars: [String] = []
        var files: [ImageFile] = []
        if !options.webdataset.isEmpty {
            let all = try options.webdataset.flatMap { try BracePattern.expand($0) }.sorted()
            tars = Array(all[assignment.range(of: all.count)])
        } else {
            let all = try images.files().sorted { $0.name < $1.name }
            files = Array(all[assignment.range(of: all.count)])
        }
        let pipeline = try PipelineLoader.load(model, precision, batch, exifTranspose: images.exifTranspose)
        let writer = try ClipRetrievalShardWriter(out: outURL, shard: assignment.index,
                                                  dimension: pipeline.model.config.projectionDim, captions: options.captions)
        let killAfter = ProcessInfo.processInfo.environment["ALTCLIP_TEST_KILL_AFTER_ROWS"].flatMap(Int.init)
        let windowSize = max(1, pipeline.imageBatchSize * 4)
        var window: [ShardItem] = []
        func flush() throws {
            try embed(window, pipeline: pipeline, writer: writer)
            window.removeAll(keepingCapacity: true)
            if let killAfter, writer.rows >= killAfter { kill(getpid(), SIGKILL) }
        }
        if !tars.isEmpty {
            let progress = ProgressBar(total: tars.count, label: "shards")
            for (done, tar) in tars.enumerated() {
                // A tar that cannot be opened fails the run (no marker: a rerun tries again); a damaged
                // one is recorded and the samples read before the damage are kept.
                let reader = try TarShardReader(path: tar)
                do {
                    while let sample = try reader.next() {
                        guard let image = sample.image else {
                            try writer.skip(["shard": tar, "key": sample.key,
                                             "error": "no image (\(sample.files.keys.sorted().joined(separator: ", ")))"])
                            continue
                        }
                        var metadata: [String: Any] = ["key": sample.key, "shard": tar]
                        if let raw = sample.metadata, let object = try? JSONSerialization.jsonObject(with: raw) as? [String: Any] {
                            metadata["json"] = object
                            if let url = object["url"] as? String { metadata["url"] = url }
                        }
                        window.append(ShardItem(source: .bytes(image.data), name: "\(tar):\(sample.key)", metadata: metadata,
                                                caption: sample.caption))
                        if window.count >= windowSize { try flush() }
                    }
                } catch let error as WebDatasetError {
                    try writer.skip(["shard": tar, "error": error.description])
                    Output.warn("warning: \(error.description)")
                }
                try flush()
                progress.update(done: done + 1)
            }
        } else {
            let progress = ProgressBar(total: files.count, label: "images")
            for file in files {
                let sidecar = file.url.deletingPathExtension().appendingPathExtension("txt")
                let caption = options.captions ? (try? InputFile.read(sidecar.path, maxBytes: 1 << 20)).map { String(decoding: $0, as: UTF8.self) } : nil
                window.append(ShardItem(source: .file(file.url), name: file.name, metadata: ["key": file.name, "path": file.name],
                                        caption: caption))
                if window.count >= windowSize {
                    try flush()
                    progress.advance(by: windowSize)
                }
            }
            try flush()
            progress.update(done: files.count)
        }
        try writer.finish(summary: ["shard_count": assignment.count, "inputs": tars.isEmpty ? files.count : tars.count,
                                    "model": pipeline.directory?.path ?? "", "finished_at": Date().timeIntervalSince1970])
        let summary = Summary(out: out, shard: assignment.index, shardCount: assignment.count, rows: writer.rows,
                              skipped: writer.failures, alreadyDone: false, inputs: tars.isEmpty ? files.count : tars.count)
        if json { try Output.json(summary) } else {
            Output.line("\(assignment): \(writer.rows) images embedded" + (writer.failures > 0 ? ", \(writer.failures) skipped (errors/errors_\(assignment.index).jsonl)" : "")
                + " → \(out)/img_emb/img_emb_\(assignment.index).npy")
        }
    }

    /// Decodes the window in parallel (recording sizes), embeds the images (and captions), and writes
    /// each row or its error, in input order.
    private func embed(_ items: [ShardItem], pipeline: AltCLIPPipeline, writer: ClipRetrievalShardWriter) throws {
        guard !items.isEmpty else { return }
        let decodeOptions = pipeline.decodeOptions
        let decoded = IndexCommand.decodeEach(items.count) { i in
            switch items[i].source {
            case let .file(url): return try ImageDecoder.decode(contentsOf: url, options: decodeOptions)
            case let .bytes(data): return try ImageDecoder.decode(data: data, name: items[i].name, options: decodeOptions)
            }
        }
        var inputs: [ImageInput] = []
        var positions: [Int] = []
        var vectors = [Result<[Float], Error>](repeating: .failure(CLIError.noInputs("not embedded")), count: items.count)
        for (index, result) in decoded.enumerated() {
            switch result {
            case let .success(image):
                inputs.append(.rgb(image))
                positions.append(index)
            case let .failure(error): vectors[index] = .failure(error)
            }
        }
        pipeline.forEachImageEmbedding(inputs, normalize: normalize) { offset, result in vectors[positions[offset]] = result }
        var captionVectors: [[Float]] = []
        if options.captions {
            let good = items.indices.filter { if case .success = vectors[$0] { return true } else { return false } }
            let embedded = try pipeline.embedTexts(good.map { items[$0].caption ?? "" }, normalize: normalize)
            captionVectors = [[Float]](repeating: [], count: items.count)
            for (row, index) in good.enumerated() { captionVectors[index] = embedded[row] }
        }
        for (index, item) in items.enumerated() {
            switch vectors[index] {
            case let .success(vector):
                var metadata = item.metadata
                metadata["caption"] = item.caption ?? NSNull()
                if case let .success(image) = decoded[index] {
                    metadata["width"] = image.width
                    metadata["height"] = image.height
                }
                try writer.append(image: vector, text: options.captions ? captionVectors[index] : nil, metadata: metadata)
            case let .failure(error):
                var line = item.metadata
                line["error"] = "\(error)"
                try writer.skip(line)
            }
        }
    }

    /// The output folder must be a folder (or not exist yet, with an existing parent).
    static func checkOutFolder(_ out: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CLIError.badOutput("--out", out, "is a file; --layout clip-retrieval writes a folder")
            }
            return
        }
        let parent = URL(fileURLWithPath: out).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError.badOutput("--out", out, "its parent folder does not exist")
        }
    }
}
