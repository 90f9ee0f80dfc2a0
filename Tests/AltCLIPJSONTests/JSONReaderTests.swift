import AltCLIPJSON
import Foundation
import Testing

@Suite("Shared JSON reader")
struct JSONReaderTests {
    static func parse(_ text: String, duplicateKeys: JSONReader.DuplicateKeys = .keep) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8), duplicateKeys: duplicateKeys)
    }

    static func failure(_ text: String, maxDepth: Int = 512, duplicateKeys: JSONReader.DuplicateKeys = .keep)
        -> JSONError? {
        do {
            _ = try JSONReader.parse(Array(text.utf8), maxDepth: maxDepth, duplicateKeys: duplicateKeys)
            return nil
        } catch let error as JSONError {
            return error
        } catch {
            Issue.record("not a JSONError: \(error)")
            return nil
        }
    }

    @Test("malformed input is an error at the byte where it goes wrong", arguments: [
        (#"{"a": tru}"#, 6, "invalid literal"),
        (#"{"a": 1,}"#, 8, "expected a member name"),
        (#"{"a" 1}"#, 5, "expected ':', found '1'"),
        (#"[1 2]"#, 3, "expected ',' or ']' in array"),
        (#"{"a": 1 "b": 2}"#, 8, "expected ',' or '}' in object"),
        (#"{"a": 1"#, 7, "unexpected end of input in object"),
        (#"{"a": 1} x"#, 9, "unexpected data after the JSON value"),
        (#""abc"#, 4, "unterminated string"),
        ("\"a\u{01}b\"", 2, "control character in string"),
        (#""\x""#, 3, "invalid escape '\\x'"),
        (#""\u12G4""#, 5, "invalid hex digit in \\u escape"),
        (#"01"#, 1, "unexpected data after the JSON value"),
        (#"-"#, 1, "invalid number"),
        (#"1."#, 2, "invalid number: digit expected after '.'"),
        (#"1e+"#, 3, "invalid number: digit expected in exponent"),
        (#"+1"#, 0, "unexpected character '+'"),
        (#"NaN"#, 0, "unexpected character 'N'"),
        ("", 0, "unexpected end of input, expected a value"),
    ])
    func malformed(_ text: String, offset: Int, reason: String) {
        #expect(Self.failure(text) == .malformed(offset: offset, reason: reason), "\(text)")
    }

    @Test func invalidUTF8IsRefusedAtTheString() throws {
        let bytes: [UInt8] = Array(#"{"k": "a"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(throws: JSONError.malformed(offset: 7, reason: "string is not valid UTF-8")) {
            try JSONReader.parse(bytes)
        }
    }

    @Test func baseOffsetIsAddedToPositions() throws {
        let bytes = Array(#"{"a": x}"#.utf8)
        #expect(throws: JSONError.malformed(offset: 108, reason: "unexpected character 'x'")) {
            try bytes.withUnsafeBytes { try JSONReader.parse($0, baseOffset: 102) }
        }
    }

    @Test func nestingIsLimited() {
        let deep = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(Self.failure(deep, maxDepth: 20) == nil)
        #expect(Self.failure(deep, maxDepth: 19) == .malformed(offset: 19, reason: "nesting deeper than 19"))
        // The default stops hostile input long before the stack does.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(Self.failure(hostile)?.reason == "nesting deeper than 512")
    }

    @Test("unicode escapes, surrogate pairs included, and raw UTF-8")
    func unicode() throws {
        #expect(try Self.parse(#""\u0041\u00e9\u4E2D""#) == .string("Aé中"))
        #expect(try Self.parse(#""\ud83d\ude00 \uD834\uDD1E""#) == .string("😀 𝄞"))
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try Self.parse(#""▁héllo 世界 😀""#) == .string("▁héllo 世界 😀"))
        #expect(try Self.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(Self.failure(#""\ud83d""#) == .malformed(offset: 7, reason: "lone leading surrogate in \\u escape"))
        #expect(Self.failure(#""\ud83d\u0041""#) == .malformed(offset: 13, reason: "invalid trailing surrogate in \\u escape"))
        #expect(Self.failure(#""\ude00""#) == .malformed(offset: 7, reason: "lone trailing surrogate in \\u escape"))
        #expect(Self.failure(#""\u12""#) == .malformed(offset: 3, reason: "truncated \\u escape"))
    }

    @Test func numbers() throws {
        #expect(try Self.parse("0") == .integer(0))
        #expect(try Self.parse("-0") == .integer(0))
        #expect(try Self.parse("42") == .integer(42))
        #expect(try Self.parse("-17") == .integer(-17))
        // Integers stay exact up to Int64, beyond 2^53 too (safetensors offsets).
        #expect(try Self.parse("9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try Self.parse("9223372036854775807") == .integer(.max))
        #expect(try Self.parse("-9223372036854775808") == .integer(.min))
        // Beyond Int64 (transformers' int(1e30) "no limit"): a double.
        #expect(try Self.parse("1000000000000000019884624838656") == .number(1e30))
        #expect(try Self.parse("1.5") == .number(1.5))
        #expect(try Self.parse("-2.5e-3") == .number(-0.0025))
        #expect(try Self.parse("1E2") == .number(100))
        #expect(try Self.parse("0.1") == .number(0.1))  // correctly rounded
        #expect(try Self.parse("1e400") == .number(.infinity))
        #expect(try Self.parse("2").numberValue == 2 && Self.parse("2.0").numberValue == 2)
        #expect(try Self.parse("2.0") != Self.parse("2"))
    }

    @Test func valuesAndLookups() throws {
        let value = try Self.parse(#" {"b": [true, false, null], "a": {"x": "y"}, "b": 3} "#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "b"], "file order, duplicates kept")
        #expect(value["b"] == .integer(3), "the last of equal keys wins, as Python's json")
        #expect(value.objectValue?["b"] == .integer(3))
        #expect(value["a"]?["x"]?.stringValue == "y")
        #expect(value["missing"] == nil && JSONValue.array([])["a"] == nil)
        #expect(members[0].value == .array([.bool(true), .bool(false), .null]))
        #expect(value.kind == "an object" && JSONValue.integer(1).kind == "a number")
        #expect(value.description == #"{"a": {"x": "y"}, "b": 3}"#)
        #expect(try Self.parse("[]") == .array([]) && Self.parse("{}") == .object([]))
    }

    @Test func duplicateKeysCanBeRefused() {
        #expect(Self.failure(#"{"a": 1, "b": {"c": 1, "c": 2}}"#, duplicateKeys: .reject)
            == .duplicateKey(key: "c", offset: 23))
        #expect(Self.failure(#"{"a": 1, "b": {"c": 1}, "d": {"c": 2}}"#, duplicateKeys: .reject) == nil,
                "equal keys in different objects are fine")
    }

    @Test("streaming: members and elements one at a time, values parsed or skipped")
    func streaming() throws {
        let bytes = Array(#"{"vocab": [["a", -1.5], ["b", 2]], "skip": {"deep": [1, 2, {"x": null}]}, "n": 7}"#.utf8)
        var pieces: [String] = [], scores: [Double] = [], keys: [String] = []
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(bytes: buffer)
            try reader.forEachMember { reader, key in
                keys.append(key)
                guard key == "vocab" else { _ = try reader.parseValue(); return }
                try reader.forEachElement { reader in
                    var field = 0
                    try reader.forEachElement { reader in
                        field += 1
                        if field == 1 { pieces.append(try reader.parseString()) } else { scores.append(try reader.parseNumber()) }
                    }
                }
            }
            try reader.expectEnd()
            #expect(reader.position == buffer.count)
        }
        #expect(keys == ["vocab", "skip", "n"] && pieces == ["a", "b"] && scores == [-1.5, 2])
    }
}
