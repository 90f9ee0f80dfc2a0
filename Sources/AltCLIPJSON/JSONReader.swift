import Foundation

/// A strict JSON reader over UTF-8 bytes (RFC 8259), fast enough for XLM-R's 17 MB `tokenizer.json`.
///
/// Besides building `JSONValue` trees it can walk objects and arrays member by member, so a big table
/// (the Unigram vocabulary) is read straight into compact storage instead of a tree of small arrays.
/// Errors are `JSONError`s with the byte offset; nesting is limited (`maxDepth`) so hostile input cannot
/// exhaust the stack.
///
/// ```swift
/// let value = try JSONReader.parse(data)                           // one document
/// try bytes.withUnsafeBufferPointer { buffer in                    // streaming
///     var reader = JSONReader(bytes: buffer)
///     try reader.forEachMember { reader, key in _ = try reader.parseValue() }
///     try reader.expectEnd()
/// }
/// ```
public struct JSONReader {
    /// What to do when an object names a key twice.
    public enum DuplicateKeys: Sendable {
        /// Keep both in the tree; lookups take the last (Python's `json`).
        case keep
        /// Throw `JSONError.duplicateKey` (Foundation would silently keep one of them).
        case reject
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    /// The read position, from the start of `bytes`.
    public private(set) var position = 0
    /// Added to `position` in errors, when `bytes` is a slice of a larger file.
    public let baseOffset: Int
    public let maxDepth: Int
    public let duplicateKeys: DuplicateKeys

    public init(bytes: UnsafeBufferPointer<UInt8>, baseOffset: Int = 0, maxDepth: Int = 512,
                duplicateKeys: DuplicateKeys = .keep) {
        self.bytes = bytes
        self.baseOffset = baseOffset
        self.maxDepth = max(maxDepth, 1)
        self.duplicateKeys = duplicateKeys
    }

    /// A `malformed` error at the current position.
    public func error(_ reason: String) -> JSONError {
        .malformed(offset: baseOffset + position, reason: reason)
    }

    public mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Next non-whitespace byte without consuming it (nil at end of input).
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end of input, expected '\(Character(Unicode.Scalar(byte)))'") }
        guard bytes[position] == byte else {
            throw error("expected '\(Character(Unicode.Scalar(byte)))', found '\(Character(Unicode.Scalar(bytes[position])))'")
        }
        position += 1
    }

    /// Parses one complete document and checks that only whitespace follows.
    public mutating func parseDocument() throws -> JSONValue {
        let value = try parseValue()
        try expectEnd()
        return value
    }

    /// Checks that only whitespace is left.
    public mutating func expectEnd() throws {
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected data after the JSON value") }
    }

    /// Parses the next value (nested `depth` levels deep, for the nesting limit).
    public mutating func parseValue(depth: Int = 0) throws -> JSONValue {
        guard depth < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
        guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            var members: [(key: String, value: JSONValue)] = []
            var seen = Set<String>()
            let rejecting = duplicateKeys == .reject
            try forEachMember { reader, key in
                if rejecting, !seen.insert(key).inserted {
                    throw JSONError.duplicateKey(key: key, offset: reader.baseOffset + reader.lastKeyOffset)
                }
                members.append((key, try reader.parseValue(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            try forEachElement { reader in elements.append(try reader.parseValue(depth: depth + 1)) }
            return .array(elements)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let (value, integer) = try scanNumber()
            return integer.map(JSONValue.integer) ?? .number(value)
        default:
            throw error("unexpected character '\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input in literal") }
        let start = literal.utf8Start
        for i in 0..<count where bytes[position + i] != start[i] {
            throw error("invalid literal")
        }
        position += count
    }

    /// Where the last member name read by `forEachMember` began (its opening quote).
    private var lastKeyOffset = 0

    /// Calls `body` for each member of an object; `body` must consume the member's value.
    public mutating func forEachMember(_ body: (inout JSONReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let keyOffset = position
            let key = try parseString()
            lastKeyOffset = keyOffset
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
            guard let next = peek() else { throw error("unexpected end of input in object") }
            guard next == UInt8(ascii: ",") || next == UInt8(ascii: "}") else { throw error("expected ',' or '}' in object") }
            position += 1
            if next == UInt8(ascii: "}") { return }
        }
    }

    /// Calls `body` for each element of an array; `body` must consume the element.
    public mutating func forEachElement(_ body: (inout JSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if peek() == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            try body(&self)
            guard let next = peek() else { throw error("unexpected end of input in array") }
            guard next == UInt8(ascii: ",") || next == UInt8(ascii: "]") else { throw error("expected ',' or ']' in array") }
            position += 1
            if next == UInt8(ascii: "]") { return }
        }
    }

    /// Parses a string (escapes decoded, UTF-8 validated).
    public mutating func parseString() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                guard let s = String(validating: slice, as: UTF8.self) else {
                    position = start
                    throw error("string is not valid UTF-8")
                }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in string") }
            position += 1
        }
        var scratch = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                position += 1
                guard let s = String(validating: scratch, as: UTF8.self) else {
                    position = start
                    throw error("string is not valid UTF-8")
                }
                return s
            }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") {
                scratch.append(b)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { break }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else { throw error("lone leading surrogate in \\u escape") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid trailing surrogate in \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw error("lone trailing surrogate in \\u escape")
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                scratch.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Parses a number as a `Double` (correctly rounded).
    public mutating func parseNumber() throws -> Double {
        try scanNumber().value
    }

    /// Checks the number grammar here; the value is exact for integer literals up to 15 digits, else the
    /// correctly rounded conversion. `integer` is set for an integer literal that fits `Int64`.
    private mutating func scanNumber() throws -> (value: Double, integer: Int64?) {
        skipWhitespace()
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number: digit expected after '.'") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number: digit expected in exponent") }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let length = position - start
        if isInteger && length <= 15 {
            // Exact: fewer than 2^53.
            var value: Int64 = 0
            var i = start
            let negative = bytes[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            while i < position {
                value = value * 10 + Int64(bytes[i] - UInt8(ascii: "0"))
                i += 1
            }
            let signed = negative ? -value : value
            return (Double(signed), signed)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text) else { throw error("invalid number") }
        return (value, isInteger ? Int64(text) : nil)
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool {
        b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
    }
}

extension JSONReader {
    /// Parses exactly one JSON document from `bytes`; only whitespace may follow it.
    public static func parse(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0, maxDepth: Int = 512,
                             duplicateKeys: DuplicateKeys = .keep) throws -> JSONValue {
        var reader = JSONReader(bytes: bytes.bindMemory(to: UInt8.self), baseOffset: baseOffset, maxDepth: maxDepth,
                                duplicateKeys: duplicateKeys)
        return try reader.parseDocument()
    }

    /// Parses exactly one JSON document (any contiguous bytes: `[UInt8]`, `Data`, …).
    public static func parse<Bytes: ContiguousBytes>(_ bytes: Bytes, maxDepth: Int = 512,
                                                     duplicateKeys: DuplicateKeys = .keep) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0, maxDepth: maxDepth, duplicateKeys: duplicateKeys) }
    }
}
