/// A minimal reader for the zip container `torch.save` writes (PKWARE APPNOTE 6.3: end of central
/// directory, its zip64 variant, central directory, local headers).
///
/// torch stores every record uncompressed and pads local headers so data starts on a 64-byte boundary,
/// so record data is read in place from the mapped file. Only stored, unencrypted, single-disk archives
/// are accepted; every offset and size is checked against the file before use.
final class ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let crc32: UInt32
        let size: Int
        /// Absolute offset of the record's data in the file.
        let dataOffset: Int
    }

    let file: MappedFile
    /// Entries by name.
    let entries: [String: Entry]
    /// Names in central-directory order.
    let names: [String]

    private static let endSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50

    init(file: MappedFile) throws {
        self.file = file
        let reader = ByteView(file.bytes)
        func corrupt(_ reason: String) -> WeightError { .corruptArchive(file: file.path, reason: reason) }

        guard let endOffset = Self.findEnd(reader) else { throw corrupt("no end-of-central-directory record") }
        var entryCount = Int(reader.u16(endOffset + 10)!)
        var directorySize = Int(reader.u32(endOffset + 12)!)
        var directoryOffset = Int(reader.u32(endOffset + 16)!)
        guard reader.u16(endOffset + 4)! == 0, reader.u16(endOffset + 6)! == 0 else {
            throw corrupt("multi-disk archives are not supported")
        }
        var directoryLimit = endOffset
        if endOffset >= 20, reader.u32(endOffset - 20) == Self.zip64LocatorSignature {
            let recordOffset = reader.u64(endOffset - 12)!
            guard recordOffset <= UInt64(endOffset - 20), let record = Int(exactly: recordOffset),
                  reader.u32(record) == Self.zip64EndSignature, let total = reader.u64(record + 32),
                  let size = reader.u64(record + 40), let offset = reader.u64(record + 48)
            else { throw corrupt("invalid zip64 end-of-central-directory record") }
            guard let total = Int(exactly: total), let size = Int(exactly: size), let offset = Int(exactly: offset) else {
                throw corrupt("zip64 sizes out of range")
            }
            (entryCount, directorySize, directoryOffset, directoryLimit) = (total, size, offset, record)
        }
        guard directoryOffset <= directoryLimit, directorySize <= directoryLimit - directoryOffset else {
            throw corrupt("central directory [\(directoryOffset), +\(directorySize)] lies outside the archive")
        }
        guard entryCount <= directorySize / 46 else {
            throw corrupt("\(entryCount) entries cannot fit in a central directory of \(directorySize) bytes")
        }

        var entries: [String: Entry] = [:]
        var names: [String] = []
        var cursor = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for _ in 0..<entryCount {
            let entry = try Self.readEntry(reader, at: &cursor, limit: directoryEnd, corrupt: corrupt)
            guard entries[entry.name] == nil else { throw corrupt("duplicate record '\(entry.name)'") }
            entries[entry.name] = entry
            names.append(entry.name)
        }
        self.entries = entries
        self.names = names
    }

    /// The record's bytes, in place. Throws for compressed records (torch never writes them).
    func data(_ entry: Entry) throws -> UnsafeRawBufferPointer {
        guard entry.method == 0 else {
            throw WeightError.unsupportedFeature(
                file: file.path, key: nil, feature: "record '\(entry.name)' is compressed (method \(entry.method))")
        }
        return file.slice(entry.dataOffset, entry.size)!
    }

    /// The record's bytes after checking its CRC-32 (used for the small records we parse).
    func verifiedData(_ entry: Entry) throws -> UnsafeRawBufferPointer {
        let bytes = try data(entry)
        guard CRC32.checksum(bytes) == entry.crc32 else {
            throw WeightError.corruptArchive(file: file.path, reason: "CRC-32 mismatch in record '\(entry.name)'")
        }
        return bytes
    }

    /// The end-of-central-directory record, searched backwards over the largest possible comment.
    private static func findEnd(_ reader: ByteView) -> Int? {
        guard reader.count >= 22 else { return nil }
        let lowest = max(0, reader.count - 22 - 0xFFFF)
        var offset = reader.count - 22
        while offset >= lowest {
            if reader.u32(offset) == endSignature,
               let commentLength = reader.u16(offset + 20), offset + 22 + Int(commentLength) <= reader.count {
                return offset
            }
            offset -= 1
        }
        return nil
    }

    private static func readEntry(_ reader: ByteView, at cursor: inout Int, limit: Int,
                                  corrupt: (String) -> WeightError) throws -> Entry {
        guard cursor + 46 <= limit, reader.u32(cursor) == centralSignature else {
            throw corrupt("bad central directory entry at offset \(cursor)")
        }
        let flags = reader.u16(cursor + 8)!
        let method = reader.u16(cursor + 10)!
        let crc = reader.u32(cursor + 16)!
        var compressedSize = UInt64(reader.u32(cursor + 20)!)
        var size = UInt64(reader.u32(cursor + 24)!)
        let nameLength = Int(reader.u16(cursor + 28)!)
        let extraLength = Int(reader.u16(cursor + 30)!)
        let commentLength = Int(reader.u16(cursor + 32)!)
        let disk = reader.u16(cursor + 34)!
        var localOffset = UInt64(reader.u32(cursor + 42)!)
        let nameStart = cursor + 46
        let next = nameStart + nameLength + extraLength + commentLength
        guard next <= limit else { throw corrupt("central directory entry at offset \(cursor) is truncated") }
        guard let name = String(validating: reader.bytes(nameStart, nameLength)!, as: UTF8.self) else {
            throw corrupt("record name at offset \(nameStart) is not UTF-8")
        }
        guard flags & 1 == 0 else { throw corrupt("record '\(name)' is encrypted") }

        // zip64 extended information: only the fields saturated in the fixed header are present, in this order.
        var extra = nameStart + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let tag = reader.u16(extra)!
            let length = Int(reader.u16(extra + 2)!)
            guard extra + 4 + length <= extraEnd else { throw corrupt("extra field of '\(name)' is truncated") }
            if tag == 0x0001 {
                var field = extra + 4
                func next64() throws -> UInt64 {
                    guard field + 8 <= extra + 4 + length else { throw corrupt("zip64 field of '\(name)' is truncated") }
                    defer { field += 8 }
                    return reader.u64(field)!
                }
                if size == 0xFFFF_FFFF { size = try next64() }
                if compressedSize == 0xFFFF_FFFF { compressedSize = try next64() }
                if localOffset == 0xFFFF_FFFF { localOffset = try next64() }
            }
            extra += 4 + length
        }
        guard disk == 0 || disk == 0xFFFF else { throw corrupt("record '\(name)' lies on another disk") }
        guard let local = Int(exactly: localOffset), let byteCount = Int(exactly: size),
              local <= reader.count - 30, reader.u32(local) == localSignature
        else { throw corrupt("local header of '\(name)' is missing or out of bounds") }
        if method == 0, compressedSize != size {
            throw corrupt("stored record '\(name)' has different compressed and uncompressed sizes")
        }
        let localNameLength = Int(reader.u16(local + 26)!)
        let localExtraLength = Int(reader.u16(local + 28)!)
        let dataOffset = local + 30 + localNameLength + localExtraLength
        guard reader.bytes(local + 30, localNameLength).map({ Array($0) }) == Array(name.utf8) else {
            throw corrupt("local header name of '\(name)' differs from the central directory")
        }
        guard let storedBytes = Int(exactly: compressedSize), dataOffset <= reader.count,
              storedBytes <= reader.count - dataOffset else {
            throw corrupt("data of '\(name)' runs past the end of the file (truncated archive?)")
        }
        cursor = next
        return Entry(name: name, method: method, crc32: crc, size: byteCount, dataOffset: dataOffset)
    }
}
