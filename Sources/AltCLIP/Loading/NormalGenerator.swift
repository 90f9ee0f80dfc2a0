import AltCLIPTensor

/// Deterministic normal samples (SplitMix64 + Box–Muller) for random initialisation.
struct NormalGenerator {
    private var state: UInt64
    private var spare: Double?

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    private mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    private mutating func nextUnit() -> Double {
        Double((nextUInt64() >> 11) + 1) * 0x1.0p-53
    }

    mutating func nextNormal() -> Double {
        if let s = spare { spare = nil; return s }
        let u1 = nextUnit(), u2 = nextUnit()
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * .pi * u2)
        return r * cos(2 * .pi * u2)
    }

    mutating func tensor(shape: [Int], initializer: ParameterInit) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        switch initializer {
        case .zeros: break
        case .ones: values = [Float](repeating: 1, count: count)
        case let .constant(v): values = [Float](repeating: v, count: count)
        case let .normal(std):
            for i in 0..<count { values[i] = Float(nextNormal()) * std }
        case let .normalWithZeroRow(std, row):
            for i in 0..<count { values[i] = Float(nextNormal()) * std }
            let width = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
            if row >= 0, (row + 1) * width <= count {
                for i in row * width..<(row + 1) * width { values[i] = 0 }
            }
        }
        return Tensor(shape: shape, scalars: values)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
