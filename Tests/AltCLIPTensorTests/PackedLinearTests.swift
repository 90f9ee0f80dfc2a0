import AltCLIPTensor
import Foundation
import Testing

/// `MatmulWeight` and `try Ops.linear(_:weight:…)` (oneDNN matmul with fused epilogues) against Double
/// references: Float32 to the fp32 GEMM noise floor, bfloat16 against the same maths on inputs rounded
/// to bfloat16 (so only the accumulation order differs).
@Suite struct PackedLinearTests {
    /// Round-to-nearest-even to bfloat16, written independently of the library (Double arithmetic).
    static func bfloat16(_ x: Float) -> Double {
        guard x.isFinite else { return Double(x) }
        let bits = x.bitPattern
        let low = bits & 0xFFFF
        var high = bits >> 16
        if low > 0x8000 || (low == 0x8000 && high & 1 == 1) { high += 1 }
        return Double(Float(bitPattern: high << 16))
    }

    static func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor?, bf16: Bool) -> [Double] {
        let k = w.shape[1], n = w.shape[0], rows = x.count / k
        let xs = x.scalars.map { bf16 ? bfloat16($0) : Double($0) }
        let ws = w.scalars.map { bf16 ? bfloat16($0) : Double($0) }
        let bs = b?.scalars ?? []
        var out = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for o in 0..<n {
                var dot = bs.isEmpty ? 0.0 : Double(bs[o])
                for i in 0..<k { dot += xs[r * k + i] * ws[o * k + i] }
                out[r * n + o] = dot
            }
        }
        return out
    }

    @Test(arguments: [(1, 24, 40), (7, 64, 33), (16, 96, 128), (257, 80, 64), (300, 33, 257)])
    func float32MatchesReference(rows: Int, outFeatures: Int, inFeatures: Int) throws {
        var random = SeededRandom(seed: UInt64(rows * 7919 + outFeatures))
        let x = random.tensor([1, rows, inFeatures])
        let w = random.tensor([outFeatures, inFeatures], -0.2, 0.2)
        let b = random.tensor([outFeatures])
        let packed = try MatmulWeight(w, precision: .float32)
        let y = try Ops.linear(x, weight: packed, bias: b)
        expectClose("packed fp32 \(rows)×\(inFeatures)→\(outFeatures)", y,
                    Reference(shape: [1, rows, outFeatures], values: Self.reference(x, w, b, bf16: false)),
                    absolute: 2e-5, relative: 1e-5)
        let noBias = try Ops.linear(x, weight: packed, bias: nil)
        expectClose("packed fp32 no bias", noBias,
                    Reference(shape: [1, rows, outFeatures], values: Self.reference(x, w, nil, bf16: false)),
                    absolute: 2e-5, relative: 1e-5)
        // Unpacking gives the exact stored weight back.
        #expect(try packed.unpacked().scalars == w.scalars)
        // The stored layout read in place gives the same products, with every epilogue.
        let inPlace = try MatmulWeight(asStored: w)
        #expect(!inPlace.isPacked && packed.isPacked)
        let residual = random.tensor([1, rows, outFeatures])
        let a = try Ops.linear(x, weight: inPlace, bias: b, activation: .quickGelu, residual: residual)
        let c = try Ops.linear(x, weight: packed, bias: b, activation: .quickGelu, residual: residual)
        expectClose("in place vs packed", a, Reference(c), absolute: 2e-5, relative: 1e-5)
    }

    /// Shapes with out and in multiples of 32 run on the library's AMX kernel where the CPU has
    /// AMX-BF16 (row counts within, at and across its 32-row blocks; the last spans several of its
    /// column groups), the others on oneDNN.
    @Test(arguments: [(1, 24, 40), (16, 96, 128), (257, 80, 64), (100, 130, 70), (257, 96, 192), (33, 64, 1088),
                      (40, 1024, 512)])
    func bfloat16MatchesRoundedReference(rows: Int, outFeatures: Int, inFeatures: Int) throws {
        var random = SeededRandom(seed: UInt64(rows * 31 + inFeatures))
        let x = random.tensor([rows, inFeatures], -3, 3)
        let w = random.tensor([outFeatures, inFeatures], -0.2, 0.2)
        let b = random.tensor([outFeatures])
        let packed = try MatmulWeight(w, precision: .bfloat16)
        let amx = MatmulWeight.usesAMXBFloat16Kernel(outFeatures: outFeatures, inFeatures: inFeatures)
        #expect(packed.isAMXPacked == amx)
        #expect(try packed.kernelName(rows: rows).hasPrefix("amx:bf16") == amx)
        #expect(packed.byteCount >= outFeatures * inFeatures * 2)  // padded to whole blocks for small shapes
        let y = try Ops.linear(x, weight: packed, bias: b)
        expectClose("packed bf16 \(rows)×\(inFeatures)→\(outFeatures)", y,
                    Reference(shape: [rows, outFeatures], values: Self.reference(x, w, b, bf16: true)),
                    absolute: 1e-4, relative: 1e-5)
        // The stored weight is the bfloat16 rounding of the original.
        #expect(try packed.unpacked().scalars.map(Double.init) == w.scalars.map(Self.bfloat16))
        // Rounded in the stored layout (not packed), read in place from raw bits, and packed later: the
        // same products.
        let rounded = try MatmulWeight(bfloat16Rounding: w)
        #expect(!rounded.isPacked && rounded.precision == .bfloat16)
        #expect(try rounded.unpacked().scalars == packed.unpacked().scalars)
        let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: w.count)
        defer { bits.deallocate() }
        for (i, v) in w.scalars.enumerated() { bits[i] = UInt16(Float(Self.bfloat16(v)).bitPattern >> 16) }
        let inPlace = try MatmulWeight(asStoredBFloat16Bits: bits, outFeatures: outFeatures, inFeatures: inFeatures,
                                       owner: NSObject())
        for other in [rounded, inPlace, try rounded.packed()] {
            expectClose("bf16 \(other.isPacked ? "packed later" : "unpacked")", try Ops.linear(x, weight: other, bias: b),
                        Reference(y), absolute: 1e-4, relative: 1e-5)
        }
        // And it is a bfloat16-sized error away from the fp32 product (a test that the rounding happens).
        let exact = Self.reference(x, w, b, bf16: false)
        let worst = zip(y.scalars, exact).map { abs(Double($0) - $1) }.max()!
        // (The rounding errors add up like a random walk over the inputs.)
        #expect(worst > 1e-5 && worst < 0.004 * Double(inFeatures).squareRoot(), "bf16 vs fp32 max |diff| \(worst)")
    }

    /// The AMX kernel's own epilogue (bias, quick_gelu or exact GELU, residual), against the same maths
    /// on bfloat16-rounded inputs.
    @Test(arguments: [Activation.quickGelu, .gelu, .relu])
    func bfloat16FusedEpilogueMatchesRoundedReference(activation: Activation) throws {
        var random = SeededRandom(seed: 17)
        let x = random.tensor([1, 70, 256], -2, 2)
        let w = random.tensor([96, 256], -0.2, 0.2)
        let b = random.tensor([96])
        let residual = random.tensor([1, 70, 96])
        let packed = try MatmulWeight(w, precision: .bfloat16)
        let y = try Ops.linear(x, weight: packed, bias: b, activation: activation, residual: residual)
        let expected = zip(Self.reference(x, w, b, bf16: true), residual.scalars).map {
            Naive.activation($0, activation) + Double($1)
        }
        expectClose("bf16 + \(activation.rawValue) + residual", y, Reference(shape: [1, 70, 96], values: expected),
                    absolute: 1e-4, relative: 1e-5)
    }

    @Test func bfloat16WeightsFromRawBits() throws {
        var random = SeededRandom(seed: 5)
        let w = random.tensor([48, 40], -1, 1)
        let bits = w.scalars.map { UInt16(Float(Self.bfloat16($0)).bitPattern >> 16) }
        let fromBits = try bits.withUnsafeBufferPointer {
            try MatmulWeight(bfloat16Bits: $0.baseAddress!, outFeatures: 48, inFeatures: 40)
        }
        let fromFloat = try MatmulWeight(w, precision: .bfloat16)
        #expect(try fromBits.unpacked().scalars == fromFloat.unpacked().scalars)
    }

    /// Every fusable activation and the residual add, against the unfused ops.
    @Test(arguments: Activation.allCases)
    func fusedEpilogueMatchesUnfusedOps(activation: Activation) throws {
        var random = SeededRandom(seed: 99)
        let x = random.tensor([2, 9, 48], -2, 2)
        let w = random.tensor([64, 48], -0.3, 0.3)
        let b = random.tensor([64])
        let residual = random.tensor([2, 9, 64])
        let packed = try MatmulWeight(w, precision: .float32)
        let y = try Ops.linear(x, weight: packed, bias: b, activation: activation, residual: residual)
        let linear = Reference(shape: [2, 9, 64], values: Self.reference(x, w, b, bf16: false))
        let expected = Reference(shape: [2, 9, 64], values: zip(linear.values, residual.scalars).map {
            Naive.activation($0, activation) + Double($1)
        })
        expectClose("fused \(activation.rawValue) + residual", y, expected, absolute: 3e-5, relative: 1e-5)
        let noResidual = try Ops.linear(x, weight: packed, bias: b, activation: activation)
        expectClose("fused \(activation.rawValue)", noResidual,
                    Reference(shape: [2, 9, 64], values: linear.values.map { Naive.activation($0, activation) }),
                    absolute: 3e-5, relative: 1e-5)
    }

    /// The packed layout chosen once serves every row count on the optimized (brgemm) kernels, never
    /// oneDNN's slow reference implementation.
    @Test(arguments: [Precision.float32, .bfloat16, .int8])
    func everyRowCountRunsOptimizedKernels(precision: Precision) throws {
        let w = Tensor(zeros: [1024, 256])
        let packed = try MatmulWeight(w, precision: precision)
        let bytes = [Precision.float32: 4, .bfloat16: 2, .int8: 1][precision]!
        #expect(packed.byteCount == 1024 * 256 * bytes)
        let inPlace = try MatmulWeight(asStored: w)
        for rows in [1, 2, 16, 77, 257, 1232, 2056] {
            let name = try packed.kernelName(rows: rows)
            // int8: the library's AMX kernel where the CPU has AMX-INT8, else oneDNN's brgemm (VNNI)
            // kernels; oneDNN's generic int8 GEMM is several times slower.
            let int8Kernel = MatmulWeight.usesAMXKernel(outFeatures: 1024, inFeatures: 256) ? "amx:u8s8" : "brg"
            #expect(!name.contains("ref") && (precision != .int8 || name.hasPrefix(int8Kernel)), "\(precision) rows \(rows): \(name)")
            if precision == .int8 { continue }  // int8 is always packed
            let unpacked = precision == .float32 ? inPlace : try MatmulWeight(bfloat16Rounding: w)
            let stored = try unpacked.kernelName(rows: rows)
            #expect(!stored.contains("ref"), "\(precision) as stored, rows \(rows): \(stored)")
        }
    }

    @Test func roundsToBFloat16NearestEven() throws {
        // 1 + 2⁻⁸ is a tie → even (1); 1 + 3·2⁻⁸ is a tie → up; NaN stays NaN; overflow rounds to ∞.
        // (Subnormals are left out: the CPU's bfloat16 dot product treats them as zero.)
        let values: [Float] = [1 + 1.0 / 256, 1 + 3.0 / 256, -2.5, .nan, .infinity, Float.greatestFiniteMagnitude, 1e-30]
        let identity = Tensor(shape: [1, 1], scalars: [1])
        let packed = try MatmulWeight(identity, precision: .bfloat16)
        for (i, v) in values.enumerated() {
            let y = try Ops.linear(Tensor(shape: [1, 1], scalars: [v]), weight: packed, bias: nil).scalars[0]
            let expected = Self.bfloat16(v)
            if v.isNaN { #expect(y.isNaN) } else {
                #expect(Double(y) == (v == .greatestFiniteMagnitude ? .infinity : expected), "value \(i) \(v) → \(y)")
            }
        }
    }
}
