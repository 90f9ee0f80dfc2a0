import Foundation

/// Pillow's resampling filters, with the integer codes `preprocessor_config.json` stores as `resample`
/// (`PIL.Image.Resampling`).
public enum ResamplingFilter: Int, Sendable, CaseIterable, Codable {
    case nearest = 0
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5
    /// Magic Kernel Sharp 2013 (Pillow 13).
    case mks2013 = 6
    /// Magic Kernel Sharp 2021 (Pillow 13).
    case mks2021 = 7

    /// Half-width of the kernel at scale 1 (Pillow `Resample.c` `struct filter.support`).
    var support: Double {
        switch self {
        case .nearest, .box: return 0.5
        case .bilinear, .hamming: return 1.0
        case .bicubic: return 2.0
        case .lanczos: return 3.0
        case .mks2013: return 2.5
        case .mks2021: return 4.5
        }
    }

    /// The kernel, evaluated exactly as Pillow's C code does (same operation order, same constants,
    /// the same libm calls) so the fixed-point weights derived from it are bit-identical.
    @inline(__always)
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest, .box:
            return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0
        case .bilinear:
            let x = abs(x)
            return x < 1.0 ? 1.0 - x : 0.0
        case .hamming:
            let x = abs(x)
            if x == 0.0 { return 1.0 }
            if x >= 1.0 { return 0.0 }
            let px = x * Double.pi
            // Pillow writes the window constants as float literals (0.54f, 0.46f).
            return sin(px) / px * (Double(Float(0.54)) + Double(Float(0.46)) * cos(px))
        case .bicubic:
            let a = -0.5
            let x = abs(x)
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        case .lanczos:
            guard -3.0 <= x && x < 3.0 else { return 0.0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        case .mks2013:
            let x = abs(x)
            if x < 0.5 { return 17.0 / 16.0 - 7.0 / 4.0 * pow(x, 2) }
            if x < 1.5 { return (1.0 - x) * (7.0 / 4.0 - x) }
            if x < 2.5 { return -1.0 / 8.0 * pow(x - 5.0 / 2.0, 2) }
            return 0
        case .mks2021:
            let x = abs(x)
            if x < 0.5 { return 577.0 / 576.0 - 239.0 / 144.0 * pow(x, 2) }
            if x < 1.5 { return 35.0 / 36.0 * (x - 1.0) * (x - 239.0 / 140.0) }
            if x < 2.5 { return 1.0 / 6.0 * (x - 2.0) * (65.0 / 24.0 - x) }
            if x < 3.5 { return 1.0 / 36.0 * (x - 3.0) * (x - 15.0 / 4.0) }
            if x < 4.5 { return -1.0 / 288.0 * pow(x - 9.0 / 2.0, 2) }
            return 0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0.0 { return 1.0 }
        let px = x * Double.pi
        return sin(px) / px
    }
}
