import CAltCLIPKernels
import Foundation

extension Ops {
    /// Multi-head scaled dot-product attention as transformers' eager path computes it:
    /// `P = softmax(Q·Kᵀ·scale + mask)`, `P ← P · headMask[h]`, `out = P·V`, heads merged back.
    ///
    /// - Parameters:
    ///   - query: `[B, Lq, H·D]`; key and value: `[B, Lk, H·D]` (heads side by side, as the projections
    ///     produce them; no transpose is needed).
    ///   - heads: H.
    ///   - additiveMask: added to the scaled scores, or nil: `[B, Lk]` (the same for every query and head,
    ///     e.g. `(1 − attention_mask)·finfo.min`), `[B, Lq, Lk]` per query, or `[B, H, Lq, Lk]`
    ///     (any shape with that many elements, e.g. `[B, 1, 1, Lk]`).
    ///   - headMask: `[H]` or `[B, H]`, multiplies each head's probabilities, or nil.
    ///   - scale: defaults to `1/sqrt(D)`.
    ///   - returnProbabilities: also return `P` as `[B, H, Lq, Lk]` (after the head mask, as transformers
    ///     returns it).
    ///   - precision: `.float32` computes in Float32 throughout. `.bfloat16` and `.int8` (the reduced-precision
    ///     models) run the two products in bfloat16 on AMX tiles where the CPU has them (Q·scale, K, V and
    ///     the softmax numerators rounded to bf16, fp32 accumulation and softmax; see
    ///     `altclip_attention_bf16`) for heads 32 or 64 wide, without a head mask, score bias or returned
    ///     probabilities; otherwise in Float32.
    /// - Returns: `[B, Lq, H·D]` and the probabilities when asked.
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int,
        additiveMask: Tensor?, headMask: Tensor?, scale: Float? = nil,
        returnProbabilities: Bool, precision: Precision = .float32
    ) -> (output: Tensor, probabilities: Tensor?) {
        attention(query: query, key: key, value: value, heads: heads, additiveMask: additiveMask,
                  headMask: headMask, scale: scale, scoreBias: nil, returnProbabilities: returnProbabilities,
                  precision: precision)
    }

    /// Whether `attention` with a reduced `precision` runs its products in bfloat16 on this machine for
    /// heads `headDimension` wide (AMX-BF16 present and allowed by the OS, head width 32 or 64).
    public static func attentionRunsInBFloat16(headDimension: Int) -> Bool {
        headDimension > 0 && altclip_attention_bf16_available(headDimension) != 0
    }

    /// `attention` on one `[B, L, 3·H·D]` tensor holding query, key and value side by side (the output
    /// of a fused QKV projection), read in place.
    public static func attention(
        qkv: Tensor, heads: Int, additiveMask: Tensor?, headMask: Tensor?, scale: Float? = nil,
        returnProbabilities: Bool, precision: Precision = .float32
    ) -> (output: Tensor, probabilities: Tensor?) {
        precondition(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "attention: qkv must be [B, L, 3·H·D], got \(qkv.shape)")
        let width = qkv.shape[2] / 3
        return attentionCore(
            query: qkv.pointer, key: qkv.pointer + width, value: qkv.pointer + 2 * width, rowStride: 3 * width,
            batch: qkv.shape[0], lq: qkv.shape[1], lk: qkv.shape[1], width: width, heads: heads,
            additiveMask: additiveMask, headMask: headMask, scale: scale, scoreBias: nil,
            returnProbabilities: returnProbabilities, precision: precision)
    }

    /// `attention` with an extra `scoreBias` `[B, H, Lq, Lk]` added to the raw `Q·Kᵀ` *before* scaling,
    /// as transformers 4.x does for `position_embedding_type` "relative_key" / "relative_key_query"
    /// (`scores = (Q·Kᵀ + relative_scores) / sqrt(D) + mask`).
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int,
        additiveMask: Tensor?, headMask: Tensor?, scale: Float? = nil,
        scoreBias: Tensor?, returnProbabilities: Bool, precision: Precision = .float32
    ) -> (output: Tensor, probabilities: Tensor?) {
        precondition(query.rank == 3 && key.rank == 3 && value.rank == 3,
                     "attention: q, k, v must be [B, L, H·D], got \(query.shape), \(key.shape), \(value.shape)")
        let batch = query.shape[0], lq = query.shape[1], width = query.shape[2]
        let lk = key.shape[1]
        precondition(heads > 0 && width % heads == 0, "attention: width \(width) not divisible by \(heads) heads")
        precondition(key.shape == [batch, lk, width] && value.shape == key.shape,
                     "attention: key \(key.shape) / value \(value.shape) do not match query \(query.shape)")
        return attentionCore(
            query: query.pointer, key: key.pointer, value: value.pointer, rowStride: width, batch: batch, lq: lq, lk: lk,
            width: width, heads: heads, additiveMask: additiveMask, headMask: headMask, scale: scale,
            scoreBias: scoreBias, returnProbabilities: returnProbabilities, precision: precision)
    }

    /// The shared body: q, k, v rows `rowStride` scalars apart, heads side by side in the first `width`.
    // swiftlint:disable:next function_parameter_count
    private static func attentionCore(
        query pq: UnsafePointer<Float>, key pk: UnsafePointer<Float>, value pv: UnsafePointer<Float>, rowStride: Int,
        batch: Int, lq: Int, lk: Int, width: Int, heads: Int, additiveMask: Tensor?, headMask: Tensor?,
        scale: Float?, scoreBias: Tensor?, returnProbabilities: Bool, precision: Precision
    ) -> (output: Tensor, probabilities: Tensor?) {
        precondition(heads > 0 && width % heads == 0, "attention: width \(width) not divisible by \(heads) heads")
        let d = width / heads
        let maskKind = additiveMask.map { mask -> Int in
            switch mask.count {
            case batch * lk: return 1
            case batch * lq * lk: return 2
            case batch * heads * lq * lk: return 3
            default: preconditionFailure("attention: mask \(mask.shape) does not fit [B=\(batch), H=\(heads), Lq=\(lq), Lk=\(lk)]")
            }
        } ?? 0
        if let headMask {
            precondition(headMask.count == heads || headMask.count == batch * heads,
                         "attention: head mask \(headMask.shape) is not [H] or [B, H]")
        }
        if let scoreBias {
            precondition(scoreBias.count == batch * heads * lq * lk, "attention: score bias \(scoreBias.shape) is not [B, H, Lq, Lk]")
        }
        // transformers: head_dim ** -0.5 in double, rounded to float when it scales the scores.
        let scale = scale ?? Float(1 / Double(d).squareRoot())

        let output = Tensor(uninitializedShape: [batch, lq, width])
        let probabilities = returnProbabilities ? Tensor(uninitializedShape: [batch, heads, lq, lk]) : nil
        let po = output.storage.pointer
        let pp = probabilities?.storage.pointer
        let mask = additiveMask?.pointer
        let headScale = headMask?.pointer, headScaleCount = headMask?.count ?? 0
        let bias = scoreBias?.pointer

        if precision != .float32, lq > 0, lk > 0, !returnProbabilities, headMask == nil, scoreBias == nil,
           attentionRunsInBFloat16(headDimension: d) {
            let maskStride = maskKind == 1 ? 0 : lk
            let scratchBytes = altclip_attention_bf16_scratch_bytes(lq, lk, d)
            // AMX does the products ~16× faster than the scalar operations `costPerItem` counts: a short
            // text's heads (16 × 16 scores) finish before a second thread would wake.
            Threading.parallelFor(batch * heads, costPerItem: lq * lk * (d / 4 + 8)) { items in
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
                defer { scratch.deallocate() }
                for item in items {
                    let b = item / heads, h = item % heads
                    let maskRows: UnsafePointer<Float>? = mask.map { m in
                        switch maskKind {
                        case 1: return m + b * lk
                        case 2: return m + b * lq * lk
                        default: return m + item * lq * lk
                        }
                    }
                    // Available was checked above; the kernel only declines when it is not.
                    _ = altclip_attention_bf16(
                        pq + b * lq * rowStride + h * d, pk + b * lk * rowStride + h * d, pv + b * lk * rowStride + h * d,
                        rowStride, lq, lk, d, scale, maskRows, maskStride, po + b * lq * width + h * d, width, scratch)
                }
            }
            return (output, nil)
        }

        let backend = GEMMBackend.current
        GEMM.parallelBatches(batch * heads, flopsPerItem: 4 * lq * lk * d + 30 * lq * lk, backend: backend) { items, single in
            // Scores for one (batch, head) at a time; written straight into the output when requested.
            let scratch = pp == nil ? UnsafeMutablePointer<Float>.allocate(capacity: lq * lk) : nil
            defer { scratch?.deallocate() }
            for item in items {
                let b = item / heads, h = item % heads
                let scores = pp.map { $0 + item * lq * lk } ?? scratch!
                let qBase = pq + b * lq * rowStride + h * d
                let kBase = pk + b * lk * rowStride + h * d
                let vBase = pv + b * lk * rowStride + h * d
                if let bias {
                    (scores).update(from: bias + item * lq * lk, count: lq * lk)
                    GEMM.sgemm(transA: false, transB: true, m: lq, n: lk, k: d, alpha: 1,
                               a: qBase, lda: rowStride, b: kBase, ldb: rowStride, beta: 1, c: scores, ldc: lk,
                               backend: backend, singleThreaded: single)
                    for i in 0..<(lq * lk) { scores[i] *= scale }
                } else {
                    GEMM.sgemm(transA: false, transB: true, m: lq, n: lk, k: d, alpha: scale,
                               a: qBase, lda: rowStride, b: kBase, ldb: rowStride, beta: 0, c: scores, ldc: lk,
                               backend: backend, singleThreaded: single)
                }
                let factor: Float = headScale.map { $0[headScaleCount == heads ? h : item] } ?? 1
                for row in 0..<lq {
                    let s = scores + row * lk
                    if let mask {
                        let m: UnsafePointer<Float>
                        switch maskKind {
                        case 1: m = mask + b * lk
                        case 2: m = mask + (b * lq + row) * lk
                        default: m = mask + (item * lq + row) * lk
                        }
                        for j in 0..<lk { s[j] += m[j] }
                    }
                    Kernels.softmaxInPlace(s, lk)
                    if headScale != nil {
                        for j in 0..<lk { s[j] *= factor }
                    }
                }
                GEMM.sgemm(transA: false, transB: false, m: lq, n: d, k: lk, alpha: 1,
                           a: scores, lda: lk, b: vBase, ldb: rowStride, beta: 0, c: po + b * lq * width + h * d,
                           ldc: width, backend: backend, singleThreaded: single)
            }
        }
        return (output, probabilities)
    }
}
