import Foundation

/// Activation functions by their transformers `ACT2FN` / config `hidden_act` names.
public enum Activation: String, Sendable, Codable, CaseIterable {
    /// Exact GELU, `0.5·x·(1 + erf(x/√2))` (transformers "gelu").
    case gelu
    /// Tanh approximation, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (GPT-2's "gelu_new").
    case geluNew = "gelu_new"
    /// `x·sigmoid(1.702·x)` (OpenAI CLIP).
    case quickGelu = "quick_gelu"
    /// `max(x, 0)`.
    case relu
    /// torch `gelu(approximate="tanh")`: the same formula as `geluNew`, kept distinct so configs round-trip.
    case geluPytorchTanh = "gelu_pytorch_tanh"
    /// `0.5·x·(1 + tanh(0.7978845608·x·(1 + 0.044715·x²)))`.
    case geluFast = "gelu_fast"
    /// The erf form written in Python; numerically `gelu`.
    case geluPython = "gelu_python"
    /// `x·sigmoid(x)`.
    case silu
    /// transformers maps "swish" to `nn.SiLU`.
    case swish
    /// `tanh(x)`.
    case tanh
    /// `1 / (1 + e^-x)`.
    case sigmoid
    /// `min(max(x, 0), 6)`.
    case relu6
    /// Identity.
    case linear
    /// Exact GELU clipped to [-10, 10] (transformers `ClippedGELUActivation(min=-10, max=10)`).
    case gelu10 = "gelu_10"
    /// The tanh form with √(2/π) precomputed (transformers `AccurateGELUActivation`); numerically `gelu_new`.
    case geluAccurate = "gelu_accurate"
    /// The tanh form written in Python (transformers `GELUTanh(use_gelu_tanh_python=True)`).
    case geluPythonTanh = "gelu_python_tanh"
    /// `x · relu6(x + 3) / 6` (torch `Hardswish`).
    case hardswish
    /// `0.5 · (1 + erf((x − 0.707107) / (0.282095 · √2)))` (transformers `LaplaceActivation`).
    case laplace
    /// `x` for x ≥ 0, else `0.01 · x` (torch `LeakyReLU` with its default slope).
    case leakyRelu = "leaky_relu"
    /// `x · tanh(softplus(x))` (torch `mish`).
    case mish
    /// `relu(x)²` (transformers `ReLUSquaredActivation`).
    case relu2
    /// `√softplus(x)` (transformers `SqrtSoftplusActivation`).
    case sqrtsoftplus


    /// The scalar function in Float32 (vectorizable approximations from `FastMath`, see there for accuracy).
    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .gelu, .geluPython: return Activation.erfGelu(x)
        case .geluNew, .geluPytorchTanh: return Activation.tanhGelu(x)
        case .geluFast: return Activation.fastGelu(x)
        case .quickGelu: return Activation.quickGelu(x)
        case .relu: return Activation.relu(x)
        case .silu, .swish: return x * FastMath.sigmoid(x)
        case .tanh: return FastMath.tanh(x)
        case .sigmoid: return FastMath.sigmoid(x)
        case .relu6: return x.isNaN ? x : Swift.min(Swift.max(x, 0), 6)
        case .linear: return x
        case .gelu10: return x.isNaN ? x : Swift.min(Swift.max(Activation.erfGelu(x), -10), 10)
        case .geluAccurate, .geluPythonTanh: return Activation.tanhGelu(x)
        case .hardswish: return x.isNaN ? x : x * Swift.min(Swift.max(x + 3, 0), 6) / 6
        case .laplace: return 0.5 * (1 + FastMath.erf((x - 0.707107) / (0.282095 * 1.41421356237309505)))
        case .leakyRelu: return x >= 0 || x.isNaN ? x : 0.01 * x
        case .mish: return x * FastMath.tanh(Activation.softplus(x))
        case .relu2: let r = Activation.relu(x); return r * r
        case .sqrtsoftplus: return Activation.softplus(x).squareRoot()
        }
    }

    /// torch `softplus` (β = 1, threshold 20: linear above it).
    @inline(__always)
    static func softplus(_ x: Float) -> Float { x > 20 ? x : Foundation.log1p(Foundation.exp(x)) }

    @inline(__always)
    static func erfGelu(_ x: Float) -> Float { 0.5 * x * (1 + FastMath.erf(x * 0.70710678118654752)) }

    /// √(2/π) = 0.7978845608…
    @inline(__always)
    static func tanhGelu(_ x: Float) -> Float {
        0.5 * x * (1 + FastMath.tanh(0.79788456080286536 * (x + 0.044715 * (x * x * x))))
    }

    @inline(__always)
    static func fastGelu(_ x: Float) -> Float { 0.5 * x * (1 + FastMath.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))) }

    @inline(__always)
    static func quickGelu(_ x: Float) -> Float { x * FastMath.sigmoid(1.702 * x) }

    @inline(__always)
    static func relu(_ x: Float) -> Float { x > 0 || x.isNaN ? x : 0 }
}
