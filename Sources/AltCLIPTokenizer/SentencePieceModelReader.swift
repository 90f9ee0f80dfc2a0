/// Reads the parts of SentencePiece's `ModelProto` (`sentencepiece_model.proto`) the tokenizer needs:
/// `pieces` (1: piece, score, type), `trainer_spec` (2: model_type, unk/bos/eos pieces) and
/// `normalizer_spec.precompiled_charsmap` (3.2). Unknown fields are skipped by wire type.
struct SentencePieceModelReader {
    struct Piece: Sendable, Equatable {
        var piece: String
        var score: Float
        /// NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6.
        var type: Int
    }

    private(set) var pieces: [Piece] = []
    private(set) var precompiledCharsmap: [UInt8] = []
    /// UNIGRAM = 1 (the default), BPE = 2, WORD = 3, CHAR = 4.
    private(set) var modelType = 1

    private let file: String

    init(bytes: [UInt8], file: String) throws {
        self.file = file
        try bytes.withUnsafeBufferPointer { buffer in
            var top = ProtobufReader(buffer, range: 0..<buffer.count, file: file, message: "ModelProto")
            while let field = try top.nextField() {
                switch (field.number, field.wireType) {
                case (1, 2):
                    pieces.append(try readPiece(buffer, field.range))
                case (2, 2):
                    try readTrainerSpec(buffer, field.range)
                case (3, 2):
                    try readNormalizerSpec(buffer, field.range)
                case (1, _), (2, _), (3, _):
                    throw TokenizerError.malformedProtobuf(
                        file: file, offset: field.range.lowerBound, field: "ModelProto.\(field.number)",
                        reason: "wire type \(field.wireType), expected a length-delimited message")
                default:
                    break
                }
            }
        }
        guard !pieces.isEmpty else {
            throw TokenizerError.invalidVocabulary(file: file, index: 0, reason: "the model has no pieces")
        }
    }

    private func readPiece(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws -> Piece {
        var reader = ProtobufReader(buffer, range: range, file: file, message: "SentencePiece")
        var piece = Piece(piece: "", score: 0, type: 1)
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 2):
                guard let s = String(validating: UnsafeBufferPointer(rebasing: buffer[field.range]), as: UTF8.self) else {
                    throw TokenizerError.malformedProtobuf(
                        file: file, offset: field.range.lowerBound, field: "SentencePiece.piece", reason: "not valid UTF-8")
                }
                piece.piece = s
            case (2, 5):
                piece.score = Float(bitPattern: UInt32(truncatingIfNeeded: field.value))
            case (3, 0):
                piece.type = Int(truncatingIfNeeded: field.value)
            case (1, _), (2, _), (3, _):
                throw TokenizerError.malformedProtobuf(
                    file: file, offset: field.range.lowerBound, field: "SentencePiece.\(field.number)",
                    reason: "unexpected wire type \(field.wireType)")
            default:
                break
            }
        }
        return piece
    }

    private mutating func readTrainerSpec(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws {
        var reader = ProtobufReader(buffer, range: range, file: file, message: "TrainerSpec")
        while let field = try reader.nextField() {
            if field.number == 3 {
                guard field.wireType == 0 else {
                    throw TokenizerError.malformedProtobuf(
                        file: file, offset: field.range.lowerBound, field: "TrainerSpec.model_type",
                        reason: "unexpected wire type \(field.wireType)")
                }
                modelType = Int(truncatingIfNeeded: field.value)
            }
        }
    }

    private mutating func readNormalizerSpec(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws {
        var reader = ProtobufReader(buffer, range: range, file: file, message: "NormalizerSpec")
        while let field = try reader.nextField() {
            if field.number == 2 {
                guard field.wireType == 2 else {
                    throw TokenizerError.malformedProtobuf(
                        file: file, offset: field.range.lowerBound, field: "NormalizerSpec.precompiled_charsmap",
                        reason: "unexpected wire type \(field.wireType)")
                }
                precompiledCharsmap = Array(buffer[field.range])
            }
        }
    }
}

/// Protobuf wire-format field iterator over a byte range (varint, 64-bit, length-delimited, 32-bit).
struct ProtobufReader {
    struct Field {
        var number: Int
        var wireType: Int
        /// Varint or fixed value (wire types 0, 1, 5).
        var value: UInt64
        /// Payload bytes (wire type 2), or the bytes of the value otherwise.
        var range: Range<Int>
    }

    private let buffer: UnsafeBufferPointer<UInt8>
    private var position: Int
    private let end: Int
    private let file: String
    private let message: String

    init(_ buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>, file: String, message: String) {
        self.buffer = buffer
        position = range.lowerBound
        end = range.upperBound
        self.file = file
        self.message = message
    }

    private func failure(_ reason: String, at offset: Int) -> TokenizerError {
        .malformedProtobuf(file: file, offset: offset, field: message, reason: reason)
    }

    private mutating func varint() throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw failure("truncated varint", at: start) }
            let b = buffer[position]
            position += 1
            guard shift < 64 else { throw failure("varint longer than 10 bytes", at: start) }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func nextField() throws -> Field? {
        guard position < end else { return nil }
        let keyOffset = position
        let key = try varint()
        let number = Int(key >> 3)
        let wireType = Int(key & 7)
        guard number > 0 else { throw failure("field number 0", at: keyOffset) }
        let start = position
        switch wireType {
        case 0:
            let value = try varint()
            return Field(number: number, wireType: 0, value: value, range: start..<position)
        case 1, 5:
            let size = wireType == 1 ? 8 : 4
            guard end - position >= size else {
                throw failure("truncated \(size * 8)-bit value of field \(number)", at: start)
            }
            var value: UInt64 = 0
            for i in 0..<size { value |= UInt64(buffer[position + i]) << (8 * UInt64(i)) }
            position += size
            return Field(number: number, wireType: wireType, value: value, range: start..<position)
        case 2:
            let length = try varint()
            guard length <= UInt64(end - position) else {
                throw failure("field \(number) declares \(length) bytes but only \(end - position) remain", at: start)
            }
            let payload = position..<(position + Int(length))
            position += Int(length)
            return Field(number: number, wireType: 2, value: length, range: payload)
        default:
            throw failure("unsupported wire type \(wireType) for field \(number)", at: keyOffset)
        }
    }
}
