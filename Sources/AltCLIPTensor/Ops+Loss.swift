import Foundation

extension Ops {
    /// Mean cross-entropy of `logits` `[N, C]` against class indices `targets` `[N]` (torch
    /// `F.cross_entropy`, reduction "mean"; a target of -100 is ignored like torch's `ignore_index`).
    /// Targets are produced by code (`arange(N)` for the contrastive loss), so an index outside `0..<C`
    /// is a programmer error. With every target ignored the result is NaN, as in torch.
    public static func crossEntropy(logits: Tensor, targets: [Int]) -> Float {
        precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                     "crossEntropy: logits \(logits.shape) vs \(targets.count) targets")
        let classes = logits.shape[1]
        var total: Double = 0
        var counted = 0
        logits.withUnsafeBufferPointer { buffer in
            for (row, target) in targets.enumerated() where target != -100 {
                precondition(target >= 0 && target < classes, "crossEntropy: target \(target) outside 0..<\(classes)")
                let p = buffer.baseAddress! + row * classes
                let m = Kernels.maximum(p, classes)
                var sum: Float = 0
                for j in 0..<classes { sum += expf(p[j] - m) }
                // -log_softmax(x)[t] = log Σ exp(x − m) − (x[t] − m)
                total += Double(logf(sum) - (p[target] - m))
                counted += 1
            }
        }
        return Float(total / Double(counted))
    }
}
