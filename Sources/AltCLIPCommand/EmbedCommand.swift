import AltCLIP
import AltCLIPWeights
import ArgumentParser
import Foundation

/// `altclip embed`: embeddings for texts and image files or folders.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts and images (files or whole folders) into the shared space.",
        discussion: """
        The output format follows --out's extension:
          .jsonl        one JSON object per line: {"kind", "name", "embedding"} (or "error")
          .safetensors  text_embeds [texts, dim] and image_embeds [images, dim]; names in the metadata
          .npy          one [N, dim] float32 matrix (texts or images, not both); names in OUT.names.json
        Without --out, JSON Lines go to stdout. Embeddings are L2-normalised unless --no-normalize.

        Examples:
          altclip embed --model Models/altclip-demo photos/ --out photos.safetensors
          altclip embed --model Models/altclip-demo --text "a red circle" --text "红色的圆形" --out texts.jsonl
          altclip embed --model Models/altclip-demo --texts-file captions.txt --out captions.npy
          altclip embed --model BAAI/AltCLIP --webdataset 'shards/{00000..00099}.tar' --captions \\
              --layout clip-retrieval --out embeddings/ --shard-index 3 --shard-count 10
        With --layout clip-retrieval, --out is a folder that autofaiss and clip-retrieval read
        (img_emb/img_emb_{I}.npy float16, text_emb/, metadata/metadata_{I}.jsonl, errors/); the shard
        comes from --shard-index/--shard-count or a Slurm array or Kubernetes Indexed Job's environment;
        a finished shard gets _SUCCESS/shard_{I}.json and a rerun skips it.
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var batchOptions: BatchOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var textOptions: TextInputOptions
    @Option(help: ArgumentHelp("Output file (.jsonl, .safetensors or .npy).", valueName: "file")) var out: String?
    @Flag(help: "Keep the raw projected features (get_text_features / get_image_features).") var noNormalize = false
    @OptionGroup var imageOptions: ImageInputOptions
    @OptionGroup(title: "Sharded runs (job arrays)") var shardOptions: ShardOptions

    enum Format: String { case jsonl, safetensors, npy }

    var format: Format? {
        guard let out else { return .jsonl }
        return Format(rawValue: URL(fileURLWithPath: out).pathExtension.lowercased())
    }

    func validate() throws {
        if shardOptions.isSharded {
            guard out != nil else { throw ValidationError("--layout clip-retrieval needs --out FOLDER") }
            guard textOptions.isEmpty else {
                throw ValidationError("--layout clip-retrieval embeds images (and their captions with --captions), not --text inputs")
            }
            guard imageOptions.isEmpty != shardOptions.webdataset.isEmpty else {
                throw ValidationError("give either image files/folders (or --files-from) or --webdataset shards")
            }
            if let count = shardOptions.shardCount, count < 1 { throw ValidationError("--shard-count must be at least 1") }
            return
        }
        if !shardOptions.webdataset.isEmpty || shardOptions.shardIndex != nil || shardOptions.shardCount != nil
            || shardOptions.captions || shardOptions.redo {
            throw ValidationError("--webdataset, --shard-index, --shard-count, --captions and --redo go with --layout clip-retrieval")
        }
        if imageOptions.isEmpty && textOptions.isEmpty {
            throw ValidationError("give texts (--text, --texts-json, --texts-file) and/or image files or folders (or --files-from)")
        }
        guard let format else { throw ValidationError("--out must end in .jsonl, .safetensors or .npy") }
        if format == .npy && !imageOptions.isEmpty && !textOptions.isEmpty {
            throw ValidationError(".npy holds one matrix: embed texts and images into separate files, or use .safetensors")
        }
        if imageOptions.filesFrom == "-" && (textOptions.textsJson == "-" || textOptions.textsFile == "-") {
            throw ValidationError("only one input can read stdin")
        }
    }

    func run() throws {
        if shardOptions.isSharded, let out {
            return try ShardedEmbed(options: shardOptions, out: out, images: imageOptions, model: modelOptions,
                                    precision: precisionOptions, batch: batchOptions, json: output.json,
                                    normalize: !noNormalize).run()
        }
        if let out {
            try OutputPath.check(out, flag: "--out")
            if format == .npy { try OutputPath.check(out + ".names.json", flag: "--out") }
        }
        let texts = try textOptions.read()
        let files = imageOptions.isEmpty ? [] : try imageOptions.files()
        let pipeline = try PipelineLoader.load(modelOptions, precisionOptions, batchOptions, exifTranspose: imageOptions.exifTranspose)
        let normalize = !noNormalize
        var items: [EmbeddedItem] = []
        if !texts.isEmpty {
            let progress = ProgressBar(total: texts.count, label: "texts")
            let embedded = try pipeline.encodeTexts(texts, normalize: normalize) { progress.update(done: $0) }
            TruncationNote.report(texts, embedded.truncatedTokens, limit: pipeline.maxTextLength)
            for (index, row) in embedded.vectors.enumerated() {
                items.append(EmbeddedItem(kind: "text", name: texts[index], embedding: row, error: nil,
                                          truncated: embedded.truncatedTokens[index] > 0))
            }
        }
        if !files.isEmpty {
            let progress = ProgressBar(total: files.count, label: "images")
            pipeline.forEachImageEmbedding(files.map { ImageInput.file($0.url) }, normalize: normalize) { index, result in
                switch result {
                case let .success(row): items.append(EmbeddedItem(kind: "image", name: files[index].name, embedding: row, error: nil))
                case let .failure(error): items.append(EmbeddedItem(kind: "image", name: files[index].name, embedding: nil, error: "\(error)"))
                }
                progress.update(done: index + 1)
            }
        }
        try write(items)
        let failed = items.filter { $0.error != nil }
        for item in failed { Output.warn("\(item.name): \(item.error ?? "")") }
        if let out {
            let ok = items.count - failed.count
            if output.json {
                try Output.json(EmbedSummary(out: out, embedded: ok, failed: failed.count,
                                             dimension: items.first { $0.embedding != nil }?.embedding?.count))
            } else {
                Output.line("wrote \(ok) embeddings to \(out)" + (failed.isEmpty ? "" : " (\(failed.count) failed)"))
            }
        }
        if !failed.isEmpty { throw ExitCode.failure }
    }

    private func write(_ items: [EmbeddedItem]) throws {
        let good = items.filter { $0.embedding != nil }
        switch format ?? .jsonl {
        case .jsonl:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            var data = Data()
            for item in items {
                data += try encoder.encode(item)
                data += Data("\n".utf8)
            }
            if let out { try data.write(to: URL(fileURLWithPath: out), options: .atomic) } else {
                FileHandle.standardOutput.write(data)
            }
        case .safetensors:
            var metadata: [String: String] = ["format": "pt"]
            var tensors: [(name: String, rows: [[Float]])] = []
            for kind in ["text", "image"] {
                let rows = good.filter { $0.kind == kind }
                guard !rows.isEmpty else { continue }
                tensors.append(("\(kind)_embeds", rows.map { $0.embedding! }))
                let names = try JSONSerialization.data(withJSONObject: rows.map(\.name))
                metadata["\(kind)_names"] = String(decoding: names, as: UTF8.self)
            }
            var writer = SafetensorsWriter(metadata: metadata)
            for (name, rows) in tensors {
                try writer.add(name, shape: [rows.count, rows[0].count], float32: rows.flatMap { $0 })
            }
            try writer.write(to: URL(fileURLWithPath: out!))
        case .npy:
            // The row names go to OUT.names.json, a JSON array (a name may hold any character, a newline
            // included). Names first: if the matrix cannot be written, its names are removed again.
            let dim = good.first?.embedding?.count ?? 0
            let namesURL = URL(fileURLWithPath: out! + ".names.json")
            let names = try JSONSerialization.data(withJSONObject: good.map(\.name), options: [.withoutEscapingSlashes])
            try names.write(to: namesURL, options: .atomic)
            do { try NPY.write(rows: good.map { $0.embedding! }, columns: dim, to: URL(fileURLWithPath: out!)) } catch {
                try? FileManager.default.removeItem(at: namesURL)
                throw error
            }
        }
    }
}

struct EmbeddedItem: Encodable {
    var kind: String
    var name: String
    var embedding: [Float]?
    var error: String?
    /// Texts only: whether the text was cut to fit the model.
    var truncated: Bool?
}

struct EmbedSummary: Encodable {
    var out: String
    var embedded: Int
    var failed: Int
    var dimension: Int?
}

/// NumPy `.npy` version 1.0 writer for little-endian float32 arrays.
enum NPY {
    static func write(rows: [[Float]], columns: Int, to url: URL) throws {
        try write(shape: [rows.count, columns], chunks: rows, to: url)
    }

    /// Writes an array of `shape` whose values are the concatenation of `chunks` (C order).
    static func write(shape: [Int], chunks: [[Float]], to url: URL) throws {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Magic (6) + version (2) + length (2) + header + "\n", padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        let length = UInt16(header.utf8.count)
        data += Data([UInt8(length & 0xFF), UInt8(length >> 8)])
        data += Data(header.utf8)
        for chunk in chunks { chunk.withUnsafeBytes { data += Data($0) } }
        try data.write(to: url, options: .atomic)
    }
}
