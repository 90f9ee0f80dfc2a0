import Foundation
import Testing
@testable import AltCLIPWeights

/// Locates `Tests/Fixtures/weights` from this source file, and small helpers shared by the tests.
enum Fixtures {
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Fixtures/weights")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        fatalError("Tests/Fixtures/weights not found above \(#filePath)")
    }()

    static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(relative))) }

    /// A fresh empty folder under the temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("altclip-weights-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Expects `body` to throw exactly `expected`, printing what was thrown otherwise.
func expectError(_ expected: WeightError, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WeightError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Expects `body` to throw a `WeightError` for which `matches` is true (for cases whose exact text,
/// such as a byte offset, is not the point of the test).
func expectError(sourceLocation: SourceLocation = #_sourceLocation, _ what: String,
                 matching matches: (WeightError) -> Bool, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(what), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WeightError {
        #expect(matches(error), "expected \(what), got \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(what), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Checks two tensors are identical in name, dtype, shape and every byte; reports the first differing byte.
func expectIdentical(_ actual: WeightTensor, _ expected: WeightTensor,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.dtype == expected.dtype, "\(actual.name): dtype", sourceLocation: sourceLocation)
    #expect(actual.shape == expected.shape, "\(actual.name): shape", sourceLocation: sourceLocation)
    guard actual.bytes.count == expected.bytes.count else {
        Issue.record("\(actual.name): \(actual.bytes.count) bytes, expected \(expected.bytes.count)",
                     sourceLocation: sourceLocation)
        return
    }
    guard let index = (0..<actual.bytes.count).first(where: { actual.bytes[$0] != expected.bytes[$0] }) else { return }
    var detail = ""
    if actual.dtype.isFloatingPoint, let ours = try? actual.float32Values(), let theirs = try? expected.float32Values() {
        let worst = zip(ours, theirs).enumerated().max { abs($0.element.0 - $0.element.1) < abs($1.element.0 - $1.element.1) }
        if let worst {
            detail = "; max |diff| \(abs(worst.element.0 - worst.element.1)) at element \(worst.offset) "
                + "(\(worst.element.0) vs \(worst.element.1)), tolerance 0 (bit-exact)"
        }
    }
    Issue.record("\(actual.name): first differing byte at \(index) of \(actual.bytes.count)\(detail)",
                 sourceLocation: sourceLocation)
}

/// Little-endian bytes of an integer, for hand-built files.
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
