import AltCLIP
import AltCLIPSupport
import Foundation

/// Expands image arguments: files as given, folders walked recursively for image files.
enum ImageArguments {
    static let extensions: Set<String> = ["jpg", "jpeg", "png", "webp", "gif", "bmp"]

    static func expand(_ paths: [String]) throws -> [URL] {
        var result: [URL] = []
        for path in paths {
            if let problem = InputFile.statusProblem(path) {
                throw CLIError.unreadableFile(path, problem.kind == .notFound ? "no such file or folder" : problem.reason)
            }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            guard isDirectory.boolValue else {
                result.append(URL(fileURLWithPath: path))
                continue
            }
            let root = URL(fileURLWithPath: path)
            var found: [URL] = []
            if let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) {
                for case let url as URL in walker where extensions.contains(url.pathExtension.lowercased()) {
                    found.append(url)
                }
            }
            guard !found.isEmpty else {
                throw CLIError.noInputs("folder \(path) holds no images (\(extensions.sorted().joined(separator: ", ")))")
            }
            result += found.sorted { $0.path < $1.path }
        }
        return result
    }
}

/// A progress line on stderr (count, rate, ETA), drawn only when stderr is a terminal.
final class ProgressBar {
    private let total: Int
    private let label: String
    private let start = Date()
    private let enabled: Bool
    private var done = 0

    init(total: Int, label: String) {
        self.total = total
        self.label = label
        enabled = isatty(STDERR_FILENO) != 0 && total > 0
    }

    func advance(by n: Int) {
        done += n
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r%@ [%@] %d/%d  %.1f/s  ETA %.0fs ", label, bar, done, total, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
