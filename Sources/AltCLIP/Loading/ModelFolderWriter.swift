import AltCLIPSupport
import AltCLIPWeights
import Foundation

/// Writes a model folder in the Hugging Face layout that transformers' `from_pretrained` loads:
/// `config.json` (the source's, byte for byte, so keys this library does not model round-trip),
/// one `model.safetensors` (fp32, fp16 or bf16; keys as the hub names them), and the tokenizer and
/// preprocessor files.
public enum ModelFolderWriter {
    /// The files of a model folder besides the weights, copied when present.
    public static let modelFiles = [ModelFolderFiles.config] + ModelFolderFiles.companions

    /// Writes `source`'s model to `destination`. The folder is built aside and moved into place, so a
    /// failure leaves nothing new behind and an existing folder untouched; in an existing folder the
    /// model files are replaced as a whole (no stale shard or config stays beside the new weights)
    /// and other files (a README) are kept. Returns the number of tensors written.
    @discardableResult
    public static func write(from source: URL, to destination: URL,
                             storage: CheckpointConverter.Precision = .float32) throws -> Int {
        let store = try WeightStore.open(directory: source)
        guard !store.keys.isEmpty else {
            throw AltCLIPError.invalidInput("\(store.files.first?.path ?? source.path): the checkpoint holds no tensors; nothing to write")
        }
        try writeFolder(destination) { staging in
            for name in modelFiles {
                let file = source.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: file.path) else { continue }
                try FileManager.default.copyItem(at: file.resolvingSymlinksInPath(), to: staging.appendingPathComponent(name))
            }
            _ = try CheckpointConverter.convert(store: store, to: staging.appendingPathComponent(ModelFolderFiles.safetensors), dtype: storage)
        }
        return store.keys.count
    }

    /// Builds a folder aside (a hidden sibling of `destination`) with `fill`, then moves it into place.
    public static func writeFolder(_ destination: URL, fill: (URL) throws -> Void) throws {
        let manager = FileManager.default
        let parent = destination.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(destination.lastPathComponent).partial-\(UUID().uuidString)")
        try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            try fill(staging)
            if manager.fileExists(atPath: destination.path) {
                let kept = try manager.contentsOfDirectory(atPath: destination.path).filter { name in
                    !modelFiles.contains(name) && !name.hasSuffix(".safetensors") && !name.hasSuffix(".bin")
                        && !ModelFolderFiles.weights.contains(name)
                        && !manager.fileExists(atPath: staging.appendingPathComponent(name).path)
                }
                for name in kept {
                    try manager.copyItem(at: destination.appendingPathComponent(name), to: staging.appendingPathComponent(name))
                }
                let old = parent.appendingPathComponent(".\(destination.lastPathComponent).old-\(UUID().uuidString)")
                try manager.moveItem(at: destination, to: old)
                do { try manager.moveItem(at: staging, to: destination) } catch {
                    try? manager.moveItem(at: old, to: destination)
                    throw error
                }
                try? manager.removeItem(at: old)
            } else {
                try manager.moveItem(at: staging, to: destination)
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}

extension AltCLIPPipeline {
    /// Saves the loaded model as a folder transformers' `AltCLIPModel.from_pretrained` and
    /// `AltCLIPProcessor.from_pretrained` load (see `ModelFolderWriter`); `storage` is the stored type.
    @discardableResult
    public func save(to destination: URL, storage: CheckpointConverter.Precision = .float32) throws -> Int {
        guard let directory else {
            throw AltCLIPError.invalidInput("this pipeline was not loaded from a folder; there is nothing to save from")
        }
        return try ModelFolderWriter.write(from: directory, to: destination, storage: storage)
    }
}
