import AltCLIP
import AltCLIPSupport
import Foundation

/// Expands image arguments: files as given, folders walked recursively for image files.
enum ImageArguments {
    static let extensions: Set<String> = ["jpg", "jpeg", "png", "webp", "gif", "bmp"]

    /// Names are reported as given: a file as its argument, a file found in a folder as the folder's
    /// argument joined with its path inside the folder (relative stays relative).
    static func expand(_ paths: [String]) throws -> [ImageFile] {
        var result: [ImageFile] = []
        for path in paths {
            if let problem = InputFile.statusProblem(path) {
                throw CLIError.unreadableFile(path, problem.kind == .notFound ? "no such file or folder" : problem.reason)
            }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            guard isDirectory.boolValue else {
                result.append(ImageFile(name: path, url: URL(fileURLWithPath: path)))
                continue
            }
            let root = URL(fileURLWithPath: path)
            var found: [ImageFile] = []
            let prefix = path.hasSuffix("/") ? path : path + "/"
            if let walker = FileManager.default.enumerator(atPath: path) {
                for case let inner as String in walker where extensions.contains((inner as NSString).pathExtension.lowercased()) {
                    found.append(ImageFile(name: prefix + inner, url: root.appendingPathComponent(inner)))
                }
            }
            guard !found.isEmpty else {
                throw CLIError.noInputs("folder \(path) holds no images (\(extensions.sorted().joined(separator: ", ")))")
            }
            result += found.sorted { $0.name < $1.name }
        }
        return result
    }
}
