import AltCLIPTensor
import Foundation
import Testing

/// Deterministic random numbers (SplitMix64) so failures reproduce.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [lower, upper).
    mutating func uniform(_ lower: Float = -1, _ upper: Float = 1) -> Float {
        lower + (upper - lower) * Float(next() >> 40) / Float(1 << 24)
    }

    mutating func tensor(_ shape: [Int], _ lower: Float = -1, _ upper: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { _ in uniform(lower, upper) })
    }

    mutating func int(_ range: Range<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// The numbers in the test's reference implementations: Double, row-major.
struct Reference {
    var shape: [Int]
    var values: [Double]

    init(shape: [Int], values: [Double]) {
        precondition(shape.reduce(1, *) == values.count)
        self.shape = shape
        self.values = values
    }

    init(_ t: Tensor) {
        shape = t.shape
        values = t.scalars.map(Double.init)
    }
}

/// Expects `actual` to match `expected` elementwise within `absolute + relative·|expected|`, and on
/// failure reports the tensor name, the largest difference, where it is, and the tolerance. NaN must
/// match NaN. Returns the max abs diff so tests can print the noise floor they measured.
@discardableResult
func expectClose(
    _ name: String, _ actual: Tensor, _ expected: Reference,
    absolute: Double, relative: Double = 0, sourceLocation: SourceLocation = #_sourceLocation
) -> Double {
    #expect(actual.shape == expected.shape, "\(name): shape \(actual.shape) ≠ \(expected.shape)",
            sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return .infinity }
    let got = actual.scalars
    var worst = 0.0, worstIndex = -1, failures = 0
    for i in got.indices {
        let a = Double(got[i]), e = expected.values[i]
        if a.isNaN || e.isNaN {
            if a.isNaN != e.isNaN { failures += 1; worstIndex = i; worst = .infinity }
            continue
        }
        if a == e { continue }  // also covers equal infinities
        let diff = abs(a - e)
        if diff > absolute + relative * abs(e) { failures += 1 }
        if diff > worst || worstIndex < 0 && diff.isNaN { worst = diff; worstIndex = i }
    }
    let location = worstIndex >= 0 ? "\(unflatten(worstIndex, expected.shape))" : "-"
    let detail = worstIndex >= 0 ? " (got \(got[worstIndex]), expected \(expected.values[worstIndex]))" : ""
    #expect(failures == 0,
            "\(name): \(failures) of \(got.count) outside tolerance \(absolute) + \(relative)·|ref|; max |diff| \(worst) at \(location)\(detail)",
            sourceLocation: sourceLocation)
    return worst
}

func expectClose(
    _ name: String, _ actual: Tensor, shape: [Int], _ expected: [Double],
    absolute: Double, relative: Double = 0, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(name, actual, Reference(shape: shape, values: expected), absolute: absolute,
                relative: relative, sourceLocation: sourceLocation)
}

func unflatten(_ index: Int, _ shape: [Int]) -> [Int] {
    var rest = index
    var result = [Int](repeating: 0, count: shape.count)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
        result[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return result
}

/// The values torch-side fixtures use: `((i·mul) mod m − offset) / divisor`, exact in Float32.
func pattern(_ shape: [Int], mul: Int = 37, mod: Int = 23, offset: Int = 11, divisor: Float = 8) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { Float((($0 * mul) % mod) - offset) / divisor })
}

/// Runs `body` once per GEMM backend, scoped to the calling task (tests run concurrently).
func forEachBackend(_ body: (GEMMBackend) throws -> Void) rethrows {
    for backend in GEMMBackend.allCases {
        try GEMMBackend.withCurrent(backend) { try body(backend) }
    }
}
