import AltCLIPSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Input files: regular files only, never blocking, clear reasons")
struct InputFileTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("altclip-support-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    @Test func readsARegularFileAndThroughALink() throws {
        let file = folder.appendingPathComponent("a.bin")
        try Data([1, 2, 3]).write(to: file)
        #expect(try InputFile.read(file.path) == Data([1, 2, 3]))
        let link = folder.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: file.path)
        #expect(try InputFile.read(link.path) == Data([1, 2, 3]))
    }

    @Test func aFIFOIsRefusedAtOnce() throws {
        let fifo = folder.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let start = ContinuousClock.now
        #expect(throws: InputFileError(path: fifo, kind: .fifo)) { try InputFile.read(fifo) }
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(InputFileError(path: fifo, kind: .fifo).description == "\(fifo): is a FIFO (named pipe), not a regular file")
    }

    @Test func devicesDirectoriesLoopsAndMissingFilesHaveTheirOwnReason() throws {
        #expect(throws: InputFileError(path: "/dev/zero", kind: .device)) { try InputFile.read("/dev/zero") }
        #expect(throws: InputFileError(path: folder.path, kind: .directory)) { try InputFile.read(folder.path) }
        let loop = folder.appendingPathComponent("loop").path
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        #expect(throws: InputFileError(path: loop, kind: .symlinkLoop)) { try InputFile.read(loop) }
        let missing = folder.appendingPathComponent("missing").path
        #expect(throws: InputFileError(path: missing, kind: .notFound)) { try InputFile.read(missing) }
    }

    @Test func aFileOverTheCapIsRefusedBeforeReading() throws {
        let file = folder.appendingPathComponent("big.bin")
        try Data(count: 100).write(to: file)
        #expect(throws: InputFileError(path: file.path, kind: .tooLarge(size: 100, limit: 99))) {
            try InputFile.read(file.path, maxBytes: 99)
        }
    }
}

@Suite("Checked sizes and the memory budget")
struct CheckedSizeTests {
    @Test func productsThatOverflowNameTheirField() {
        #expect(CheckedSize.product([1 << 32, 1 << 32]) == nil)
        #expect(CheckedSize.product([3, -1]) == nil)
        #expect(CheckedSize.product([1 << 31, 1 << 31]) == 1 << 62)
        #expect(throws: SizeError.overflow(field: "crop_size", factors: [1 << 32, 1 << 32])) {
            try CheckedSize.product([1 << 32, 1 << 32], field: "crop_size")
        }
        #expect(SizeError.overflow(field: "crop_size", factors: [4, 1 << 62]).description
            == "crop_size: size 4 x 4611686018427387904 overflows a 64-bit integer")
    }

    @Test func budgetRefusesWithTheNumberNeeded() {
        #expect(MemoryBudget.parse("8G") == 8 << 30)
        #expect(MemoryBudget.parse("512m") == 512 << 20)
        #expect(MemoryBudget.parse("123") == 123)
        #expect(MemoryBudget.parse("-1") == nil)
        #expect(MemoryBudget.parse("99999999999T") == nil)
        #expect(MemoryBudget.defaultLimit > 0)
        let error = SizeError.overBudget(what: "pixel_values [1000000, 3, 224, 224]", bytes: 602_112_000_000, budget: 1 << 34)
        #expect(error.description.contains("would need 602.1 GB"))
        #expect(error.description.contains("ALTCLIP_MEMORY_LIMIT"))
    }
}
