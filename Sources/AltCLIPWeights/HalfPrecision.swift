import AltCLIPSupport
import Foundation

/// IEEE binary16 and bfloat16 conversions, bit-compatible with torch's `.float()`, `.half()` and
/// `.bfloat16()` on CPU: round to nearest even; a NaN keeps its sign and top payload bits, quieted, in
/// F16 (as the x86 F16C instruction does) and becomes 0xFFFF in BF16 (measured with torch 2.15 on CPU;
/// see the `narrow_*` tensors of the weights fixtures).
enum HalfPrecision {
    /// All 65536 binary16 values widened to Float; a lookup beats bit twiddling in the hot loop.
    static let float16Table: [Float] = (0...0xFFFF).map { float(fromFloat16Bits: UInt16($0)) }

    /// Exact widening of one binary16 value.
    static func float(fromFloat16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent != 0 {
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
        if mantissa == 0 { return Float(bitPattern: sign) }
        // Subnormal: shift the leading one up to the implicit bit position.
        var shifts: UInt32 = 0
        while mantissa & 0x400 == 0 {
            mantissa <<= 1
            shifts += 1
        }
        return Float(bitPattern: sign | ((113 - shifts) << 23) | ((mantissa & 0x3FF) << 13))
    }

    /// Exact widening of one bfloat16 value.
    @inline(__always)
    static func float(fromBFloat16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// Nearest binary16 value, ties to even; overflow gives infinity.
    static func float16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let biased = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if biased == 0xFF { return sign | (mantissa != 0 ? 0x7E00 | UInt16(mantissa >> 13) : 0x7C00) }
        let exponent = biased - 127
        if exponent > 15 { return sign | 0x7C00 }
        if exponent >= -14 {
            var half = UInt32(exponent + 15) << 10 | (mantissa >> 13)
            let rest = mantissa & 0x1FFF
            if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }  // a carry into the exponent is correct
            return sign | UInt16(half)
        }
        if exponent < -25 { return sign }
        // Result is subnormal (or rounds up to the smallest normal): count units of 2^-24.
        let significand = mantissa | 0x80_0000
        let shift = UInt32(-(exponent + 1))  // 14...24
        var half = significand >> shift
        let rest = significand & ((1 << shift) - 1)
        let halfway: UInt32 = 1 << (shift - 1)
        if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
        return sign | UInt16(half)
    }

    /// Nearest bfloat16 value, ties to even.
    @inline(__always)
    static func bfloat16Bits(from value: Float) -> UInt16 {
        if value.isNaN { return 0xFFFF }
        let bits = value.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Widens `count` elements of `dtype` at `source` (any alignment) into `destination`.
    /// Large buffers are split across cores.
    static func widen(_ dtype: WeightDType, from source: UnsafeRawPointer, count: Int,
                      into destination: UnsafeMutablePointer<Float>) {
        let chunk = 1 << 18
        let chunks = (count + chunk - 1) / chunk
        let convert = { (index: Int) in
            let start = index * chunk
            let end = min(count, start + chunk)
            widenRange(dtype, source, destination, start, end)
        }
        if chunks <= 1 {
            if count > 0 { convert(0) }
        } else {
            ThreadBudget.forEach(iterations: chunks, convert)
        }
    }

    private static func widenRange(_ dtype: WeightDType, _ source: UnsafeRawPointer,
                                   _ destination: UnsafeMutablePointer<Float>, _ start: Int, _ end: Int) {
        switch dtype {
        case .float16:
            float16Table.withUnsafeBufferPointer { table in
                for i in start..<end {
                    let h = source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                    destination[i] = table[Int(UInt16(littleEndian: h))]
                }
            }
        case .bfloat16:
            for i in start..<end {
                let b = source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
                destination[i] = float(fromBFloat16Bits: UInt16(littleEndian: b))
            }
        case .float32:
            for i in start..<end {
                let bits = source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                destination[i] = Float(bitPattern: UInt32(littleEndian: bits))
            }
        case .float64:
            for i in start..<end {
                let bits = source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                destination[i] = Float(Double(bitPattern: UInt64(littleEndian: bits)))
            }
        default:
            break  // callers only pass floating dtypes
        }
    }
}
