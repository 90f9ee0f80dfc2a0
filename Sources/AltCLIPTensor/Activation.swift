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

    /// The scalar function, in Float like torch's float32 kernels.
    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .gelu, .geluPython:
            return 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .geluNew, .geluPytorchTanh:
            // sqrt(2/pi)
            return 0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * (x * x * x))))
        case .geluFast:
            return 0.5 * x * (1 + tanhf(x * 0.7978845608 * (1 + 0.044715 * x * x)))
        case .quickGelu:
            return x / (1 + expf(-1.702 * x))
        case .relu:
            return x > 0 ? x : (x.isNaN ? x : 0)
        case .silu, .swish:
            return x / (1 + expf(-x))
        case .tanh:
            return tanhf(x)
        case .sigmoid:
            return 1 / (1 + expf(-x))
        case .relu6:
            return x.isNaN ? x : min(max(x, 0), 6)
        case .linear:
            return x
        }
    }
}
