import CAltCLIPKernels

/// Branch-free Float32 `exp`, `erf` and `tanh` written so that loops calling them auto-vectorize
/// (no libm calls, only arithmetic, bit casts and selects). Libm's scalar `expf`/`erff`/`tanhf` cost
/// 5–40 ns per element here, which made softmax and the GELUs rival the GEMMs.
///
/// Accuracy: `exp` ≤ 2 ulp over the normal range, subnormal results down to 2⁻¹⁵⁰, +∞ above ln(FLT_MAX),
/// NaN passes through;
/// `erf` ≤ 1.5e-7 absolute (Abramowitz–Stegun 7.1.26, the same approximation torch's vectorized CPU
/// GELU uses); `tanh` ≤ ~3 ulp.
enum FastMath {
    /// eˣ: the library's one definition, `altclip_exp` in CAltCLIPKernels' altclip_exp.h (x = n·ln2 + r
    /// with |r| ≤ ln2/2, eʳ by a degree-7 Taylor polynomial, 2ⁿ from exponent bits as two factors), which
    /// the C and AVX-512 softmax use too. A static inline C function: inlined here, so loops calling it
    /// still vectorize.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        altclip_exp(x)
    }

    /// eʳ − 1 for |r| ≤ ln2/2, without the cancellation of `exp(r) − 1`.
    @inline(__always)
    static func expm1Small(_ r: Float) -> Float {
        var p: Float = 1.0 / 362_880
        p = p * r + 1.0 / 40320
        p = p * r + 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        return (p * r) * r + r
    }

    /// erf(x) ≈ 1 − (a₁t + … + a₅t⁵)·e^(−x²), t = 1/(1 + p|x|), odd extension.
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        let a = Swift.abs(x)
        let t = 1 / (1 + 0.3275911 * a)
        var poly: Float = 1.061405429
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        let y = 1 - poly * t * exp(-a * a)
        return Float(signOf: x, magnitudeOf: y)
    }

    /// tanh(x) = −m / (2 + m) with m = e^(−2|x|) − 1, the sign restored; m from a cancellation-free
    /// polynomial when 2|x| is small, from `exp` otherwise.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let a = 2 * Swift.abs(x)
        let small = expm1Small(-Swift.min(a, 0.34657359))
        let m = a < 0.34657359 ? small : exp(-a) - 1
        let y = Float(signOf: x, magnitudeOf: -m / (2 + m))
        return x.isNaN ? x : y
    }

    /// 1 / (1 + e^(−x)).
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }
}
