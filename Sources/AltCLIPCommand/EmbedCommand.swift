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
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "A text (repeatable).") var text: [String] = []
    @Option(help: ArgumentHelp("A JSON array of texts.", valueName: "file")) var textsJson: String?
    @Option(help: ArgumentHelp("Output file (.jsonl, .safetensors or .npy).", valueName: "file")) var out: String?
    @Flag(help: "Keep the raw projected features (get_text_features / get_image_features).") var noNormalize = false
    @Argument(help: "Image files or folders.") var images: [String] = []

    enum Format: String { case jsonl, safetensors, npy }

    var format: Format? {
        guard let out else { return .jsonl }
        return Format(rawValue: URL(fileURLWithPath: out).pathExtension.lowercased())
    }

    func validate() throws {
        if images.isEmpty && text.isEmpty && textsJson == nil {
            throw ValidationError("give texts (--text, --texts-json) and/or image files or folders")
        }
        guard let format else { throw ValidationError("--out must end in .jsonl, .safetensors or .npy") }
        if format == .npy && !images.isEmpty && (!text.isEmpty || textsJson != nil) {
            throw ValidationError(".npy holds one matrix: embed texts and images into separate files, or use .safetensors")
        }
    }

    func run() throws {
        if let out {
            try OutputPath.check(out, flag: "--out")
            if format == .npy { try OutputPath.check(out + ".names.json", flag: "--out") }
        }
        modelOptions.applyThreads()
        let texts = try text + (textsJson.map(TokenizeCommand.readTexts) ?? [])
        let files = try ImageArguments.expand(images)
        let pipeline = try AltCLIPPipeline(directory: try modelOptions.resolveModel(), precision: precisionOptions.precision)
        let normalize = !noNormalize
        var items: [EmbeddedItem] = []
        if !texts.isEmpty {
            let progress = ProgressBar(total: texts.count, label: "texts ")
            for start in stride(from: 0, to: texts.count, by: pipeline.textBatchSize) {
                let chunk = Array(texts[start..<min(start + pipeline.textBatchSize, texts.count)])
                for (t, row) in zip(chunk, try pipeline.embedTexts(chunk, normalize: normalize)) {
                    items.append(EmbeddedItem(kind: "text", name: t, embedding: row, error: nil))
                }
                progress.advance(by: chunk.count)
            }
        }
        if !files.isEmpty {
            let progress = ProgressBar(total: files.count, label: "images")
            for start in stride(from: 0, to: files.count, by: pipeline.imageBatchSize) {
                let chunk = Array(files[start..<min(start + pipeline.imageBatchSize, files.count)])
                for (file, result) in zip(chunk, pipeline.embedImages(chunk.map(ImageInput.file), normalize: normalize)) {
                    switch result {
                    case let .success(row): items.append(EmbeddedItem(kind: "image", name: file.relativePath, embedding: row, error: nil))
                    case let .failure(error): items.append(EmbeddedItem(kind: "image", name: file.relativePath, embedding: nil, error: "\(error)"))
                    }
                }
                progress.advance(by: chunk.count)
            }
        }
        try write(items)
        let failed = items.filter { $0.error != nil }
        for item in failed { Output.warn("\(item.name): \(item.error ?? "")") }
        if let out {
            let ok = items.count - failed.count
            if output.json {
                try Output.json(["out": out, "embedded": "\(ok)", "failed": "\(failed.count)"])
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
}

/// NumPy `.npy` version 1.0 writer for a 2-D little-endian float32 matrix.
enum NPY {
    static func write(rows: [[Float]], columns: Int, to url: URL) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows.count), \(columns)), }"
        // Magic (6) + version (2) + length (2) + header + "\n", padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        let length = UInt16(header.utf8.count)
        data += Data([UInt8(length & 0xFF), UInt8(length >> 8)])
        data += Data(header.utf8)
        for row in rows { row.withUnsafeBytes { data += Data($0) } }
        try data.write(to: url, options: .atomic)
    }
}
