// swift-tools-version:6.0
import PackageDescription

// Release builds of the numeric code run without overflow/bounds traps in the innermost loops only
// where the code says so (unsafe buffers); the package itself keeps Swift's normal checks.
let optimize: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "altclip-swift",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "AltCLIP", targets: ["AltCLIP"]),
        .library(name: "AltCLIPTokenizer", targets: ["AltCLIPTokenizer"]),
        .library(name: "AltCLIPImage", targets: ["AltCLIPImage"]),
        .library(name: "AltCLIPWeights", targets: ["AltCLIPWeights"]),
        .library(name: "AltCLIPTensor", targets: ["AltCLIPTensor"]),
        .library(name: "AltCLIPHub", targets: ["AltCLIPHub"]),
        .executable(name: "altclip", targets: ["AltCLIPCommand"]),
        .executable(name: "altclip-bench", targets: ["AltCLIPBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages (see Makefile `deps`).
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CGIF", providers: [.apt(["libgif-dev"])]),

        // Vector kernels needing instructions Swift cannot express (AVX-512 BF16), dispatched at run time.
        .target(name: "CAltCLIPKernels"),
        // Numeric core: tensor, GEMM on a real BLAS, the ops the models need.
        .target(name: "AltCLIPTensor", dependencies: ["CDNNL", "COpenBLAS", "CAltCLIPKernels"], swiftSettings: optimize),
        // Checkpoint readers: safetensors and PyTorch zip/pickle, one WeightStore API. Foundation only.
        .target(name: "AltCLIPWeights", swiftSettings: optimize),
        // Hugging Face Hub access: `ORG/NAME[@REVISION]` to a local snapshot folder in huggingface_hub's
        // cache layout (download, resume, verification). Foundation (+FoundationNetworking) only.
        .target(name: "AltCLIPHub", swiftSettings: optimize),
        // XLM-R SentencePiece Unigram tokenizer. Foundation only.
        .target(name: "AltCLIPTokenizer", swiftSettings: optimize),
        // Image decoding and CLIPImageProcessor (Pillow-exact resampling). No tensor core.
        .target(name: "AltCLIPImage", dependencies: ["CJPEG", "CPNG", "CWebP", "CGIF"], swiftSettings: optimize),
        // Configs, towers, AltCLIPModel, processor, model-folder loading, high-level API.
        .target(
            name: "AltCLIP",
            dependencies: ["AltCLIPTensor", "AltCLIPWeights", "AltCLIPTokenizer", "AltCLIPImage"],
            swiftSettings: optimize),
        // The `altclip` command-line tool.
        .executableTarget(
            name: "AltCLIPCommand",
            dependencies: ["AltCLIP", "AltCLIPTokenizer", "AltCLIPWeights", "AltCLIPTensor", "AltCLIPImage", "AltCLIPHub", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimize),

        // Side-by-side benchmark driver (Scripts/bench.py); no library depends on it.
        .executableTarget(
            name: "AltCLIPBench",
            dependencies: ["AltCLIP", "AltCLIPTensor", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimize),

        .testTarget(name: "AltCLIPTensorTests", dependencies: ["AltCLIPTensor"]),
        .testTarget(name: "AltCLIPWeightsTests", dependencies: ["AltCLIPWeights"]),
        .testTarget(name: "AltCLIPHubTests", dependencies: ["AltCLIPHub"]),
        .testTarget(name: "AltCLIPTokenizerTests", dependencies: ["AltCLIPTokenizer"]),
        .testTarget(name: "AltCLIPImageTests", dependencies: ["AltCLIPImage"]),
        .testTarget(name: "AltCLIPTests", dependencies: ["AltCLIP", "AltCLIPTensor", "AltCLIPWeights"]),
        .testTarget(name: "AltCLIPCommandTests", dependencies: ["AltCLIPCommand", "AltCLIPWeights"]),
    ],
    swiftLanguageModes: [.v5]
)
