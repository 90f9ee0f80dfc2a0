import AltCLIPTensor
import Foundation
import Testing

@Suite("Cross-entropy and bicubic interpolation against torch")
struct LossAndInterpolationTests {
    /// torch F.cross_entropy on pattern([4, 5], 41, 19, 9, 3): 4.0832672119140625 for targets [0, 3, 4, 1],
    /// 3.602362632751465 for [2, -100, 4, -100] (ignore_index); 190.0 for the large logits.
    @Test func crossEntropyMatchesTorch() {
        let logits = pattern([4, 5], mul: 41, mod: 19, offset: 9, divisor: 3)
        let loss = Ops.crossEntropy(logits: logits, targets: [0, 3, 4, 1])
        #expect(abs(Double(loss) - 4.0832672119140625) <= 2e-6, "crossEntropy: got \(loss), torch 4.0832672119140625")
        let ignored = Ops.crossEntropy(logits: logits, targets: [2, -100, 4, -100])
        #expect(abs(Double(ignored) - 3.602362632751465) <= 2e-6, "crossEntropy ignore_index: got \(ignored), torch 3.602362632751465")
        let big = Tensor(shape: [3, 3], scalars: [-150, 60, -60, 150, 30, -90, 120, 0, -120])
        let bigLoss = Ops.crossEntropy(logits: big, targets: [0, 1, 2])
        #expect(abs(bigLoss - 190) <= 1e-4, "crossEntropy large logits: got \(bigLoss), torch 190.0")
        #expect(Ops.crossEntropy(logits: big, targets: [-100, -100, -100]).isNaN)
    }

    @Test func crossEntropyMatchesDoubleReference() {
        var rng = SeededRandom(seed: 50)
        let logits = rng.tensor([7, 13], -10, 10)
        let targets = (0..<7).map { ($0 * 5) % 13 }
        let v = logits.scalars.map(Double.init)
        var total = 0.0
        for (r, t) in targets.enumerated() {
            let row = v[(r * 13)..<((r + 1) * 13)]
            let m = row.max()!
            total += Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) }) + m - row[r * 13 + t]
        }
        let expected = total / 7
        let loss = Ops.crossEntropy(logits: logits, targets: targets)
        #expect(abs(Double(loss) - expected) <= 1e-5, "crossEntropy: got \(loss), reference \(expected)")
    }

    // torch F.interpolate(pattern([1, 2, 4, 4]), size=(7, 5), mode="bicubic", align_corners=False).
    static let torchUpsample: [Double] = [
        -1.6226627826690674, 0.1238725334405899, -0.16889698803424835, -0.4616665840148926, 1.2848684787750244,
        -1.0727434158325195, -0.47397834062576294, -0.22328273952007294, -0.05506773665547371, 0.4054780900478363,
        -0.19590915739536285, -1.1362264156341553, -0.34316080808639526, 0.38795268535614014, -0.6561824083328247,
        0.8706233501434326, -0.4944267272949219, -0.7888184189796448, -0.1611439287662506, 0.01898454874753952,
        1.1481146812438965, 0.5359129309654236, -0.7507791519165039, -0.7878073453903198, 0.6941507458686829,
        0.08378060162067413, 0.8295356035232544, 0.31931358575820923, -0.5356141924858093, -0.36750954389572144,
        -0.7848682403564453, 0.930217981338501, 1.1345356702804565, -0.2684691548347473, -1.246899127960205,
        0.9968997836112976, -0.32994750142097473, 0.49186140298843384, 1.4467384815216064, 0.34288305044174194,
        0.11750936508178711, 0.07665127515792847, 0.5560581684112549, 0.49598434567451477, -0.44892415404319763,
        -0.9441512823104858, 0.5196716785430908, 0.5984488725662231, -0.6491757035255432, -1.4081077575683594,
        -0.26898428797721863, -0.059140644967556, 0.3787841200828552, 0.020379243418574333, -1.1042488813400269,
        0.4061819911003113, -0.6379525661468506, 0.09316082298755646, 0.8862263560295105, -0.05409042537212372,
        -0.6554785370826721, -0.19493187963962555, -0.02671697735786438, 0.22397781908512115, 0.822742223739624,
        -1.5348682403564453, 0.21166640520095825, -0.08110308647155762, -0.3738726079463959, 1.372661828994751,
    ]
    // ... pattern([1, 1, 5, 6], 29, 17, 8, 4) to (3, 4) (downsampling).
    static let torchDownsample: [Double] = [
        -0.9553132653236389, 0.5915620923042297, -1.0074145793914795, 0.7303779125213623, -0.388671875,
        1.158203125, 0.12890625, -1.7607421875, 1.5097836256027222, -0.736798882484436, -0.21661551296710968,
        0.08237507939338684,
    ]

    // Float32 weights and sums over 16 taps of O(1) values: measured diff to torch ≤ 3e-7.
    static let torchTolerance = (absolute: 1e-6, relative: 1e-6)

    @Test func bicubicMatchesTorch() {
        let up = Ops.bicubicInterpolate(pattern([1, 2, 4, 4]), outHeight: 7, outWidth: 5)
        expectClose("bicubic 4×4→7×5 vs torch", up, shape: [1, 2, 7, 5], Self.torchUpsample,
                    absolute: Self.torchTolerance.absolute, relative: Self.torchTolerance.relative)
        let down = Ops.bicubicInterpolate(pattern([1, 1, 5, 6], mul: 29, mod: 17, offset: 8, divisor: 4), outHeight: 3, outWidth: 4)
        expectClose("bicubic 5×6→3×4 vs torch", down, shape: [1, 1, 3, 4], Self.torchDownsample,
                    absolute: Self.torchTolerance.absolute, relative: Self.torchTolerance.relative)
        // A position-embedding-like grid, 16×16 → 20×23 over 3 channels: sampled values and sums from torch.
        let grid = Ops.bicubicInterpolate(pattern([1, 3, 16, 16], mul: 53, mod: 31, offset: 15, divisor: 16),
                                          outHeight: 20, outWidth: 23)
        let samples: [([Int], Double)] = [
            ([0, 0, 0], -1.1017247438430786), ([0, 0, 22], 0.34229129552841187), ([0, 19, 0], -0.3422914445400238),
            ([1, 7, 11], -0.0625), ([2, 19, 22], -0.4442403018474579), ([2, 10, 3], 0.20011748373508453),
            ([1, 0, 13], -0.9058303833007812), ([0, 13, 17], -0.6372998356819153),
        ]
        for (index, value) in samples {
            let got = grid[0, index[0], index[1], index[2]]
            #expect(abs(Double(got) - value) <= 1e-6, "bicubic 16×16→20×23 at \(index): got \(got), torch \(value)")
        }
        let values = grid.scalars.map(Double.init)
        #expect(abs(values.reduce(0, +) - 0.8981713629764272) <= 1e-4, "bicubic sum \(values.reduce(0, +)) vs torch 0.89817136")
        #expect(abs(values.reduce(0) { $0 + abs($1) } - 548.8256119615253) <= 1e-3)
    }

    @Test(arguments: [([2, 3, 6, 6], 9, 4), ([1, 2, 7, 7], 7, 7), ([1, 1, 1, 3], 2, 5), ([2, 4, 16, 16], 24, 24)])
    func bicubicMatchesDoubleFormula(shape: [Int], outHeight: Int, outWidth: Int) {
        var rng = SeededRandom(seed: 51)
        let x = rng.tensor(shape)
        expectClose("bicubic \(shape)→\(outHeight)×\(outWidth)", Ops.bicubicInterpolate(x, outHeight: outHeight, outWidth: outWidth),
                    // Float taps and weights (as torch) vs Double: 16 products of |x| ≤ 1, measured ≤ 2.4e-6.
                    Naive.bicubic(x, outH: outHeight, outW: outWidth), absolute: 5e-6, relative: 1e-6)
    }

    @Test func bicubicAtSameSizeIsIdentity() {
        var rng = SeededRandom(seed: 52)
        let x = rng.tensor([1, 3, 5, 4])
        #expect(Ops.bicubicInterpolate(x, outHeight: 5, outWidth: 4).scalars == x.scalars)
    }
}
