// swift-tools-version:6.0
import PackageDescription

// Every target builds with Swift's normal safety checks (no unsafe compiler flags: release builds use -O and
// whole-module optimisation, SwiftPM's defaults). A hot kernel that needs unchecked arithmetic says so
// locally (unsafe buffer pointers, wrapping operators); files, configs and network input are parsed
// with overflow and bounds traps on.

let package = Package(
    name: "altclip-swift",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "AltCLIP", targets: ["AltCLIP"]),
        .library(name: "AltCLIPTokenizer", targets: ["AltCLIPTokenizer"]),
        .library(name: "AltCLIPImage", targets: ["AltCLIPImage"]),
        .library(name: "AltCLIPWeights", targets: ["AltCLIPWeights"]),
        .library(name: "AltCLIPSupport", targets: ["AltCLIPSupport"]),
        .library(name: "AltCLIPJSON", targets: ["AltCLIPJSON"]),
        .library(name: "AltCLIPTensor", targets: ["AltCLIPTensor"]),
        .library(name: "AltCLIPHub", targets: ["AltCLIPHub"]),
        .library(name: "AltCLIPStore", targets: ["AltCLIPStore"]),
        .library(name: "AltCLIPDataset", targets: ["AltCLIPDataset"]),
        .executable(name: "altclip", targets: ["AltCLIPCommand"]),
        .executable(name: "altclip-bench", targets: ["AltCLIPBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Server only (AltCLIPServer); the model library's graph never builds these.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
        // Store only (AltCLIPStore): SQLite through GRDB (Debian's libsqlite3), SHA-256 for content hashes.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        // Store at scale: PostgreSQL + pgvector.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages (see Makefile `deps`).
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CGIF", providers: [.apt(["libgif-dev"])]),

        // Vector kernels needing instructions Swift cannot express (AVX-512 BF16), dispatched at run time.
        .target(name: "CAltCLIPKernels"),
        // Input safety shared by every layer: regular-file reads that never block, checked size arithmetic,
        // the memory budget. Foundation only; the leaves below build on it and on nothing else of ours.
        .target(name: "AltCLIPSupport"),
        // The strict JSON reader the leaves below share (values and member-by-member streaming). Foundation only.
        .target(name: "AltCLIPJSON"),
        // Numeric core: tensor, GEMM on a real BLAS, the ops the models need.
        .target(name: "AltCLIPTensor", dependencies: ["AltCLIPSupport", "CDNNL", "COpenBLAS", "CAltCLIPKernels"]),
        // Checkpoint readers: safetensors and PyTorch zip/pickle, one WeightStore API. Foundation only.
        .target(name: "AltCLIPWeights", dependencies: ["AltCLIPSupport", "AltCLIPJSON"]),
        // Hugging Face Hub access: `ORG/NAME[@REVISION]` to a local snapshot folder in huggingface_hub's
        // cache layout (download, resume, verification). Foundation (+FoundationNetworking) only.
        .target(name: "AltCLIPHub", dependencies: ["AltCLIPSupport"]),
        // XLM-R SentencePiece Unigram tokenizer. Foundation only.
        .target(name: "AltCLIPTokenizer", dependencies: ["AltCLIPSupport", "AltCLIPJSON"]),
        // Image decoding and CLIPImageProcessor (Pillow-exact resampling). No tensor core.
        .target(name: "AltCLIPImage", dependencies: ["AltCLIPSupport", "AltCLIPJSON", "CJPEG", "CPNG", "CWebP", "CGIF"]),
        // Inputs at scale (WebDataset tar shards through libarchive, brace ranges, shard partitions);
        // outside the model library's graph.
        .target(name: "AltCLIPDataset", dependencies: ["AltCLIPSupport", "CArchive"]),
        // Configs, towers, AltCLIPModel, processor, model-folder loading, high-level API (the pipeline, with
        // `AltCLIPPipeline(pretrained:)` resolving hub ids through AltCLIPHub).
        .target(
            name: "AltCLIP",
            dependencies: ["AltCLIPSupport", "AltCLIPTensor", "AltCLIPWeights", "AltCLIPTokenizer", "AltCLIPImage", "AltCLIPHub"]),
        // Vector stores behind one protocol (`EmbeddingStore`): SQLite through GRDB, the embedded default,
        // with exact top-k on the tensor core; PostgreSQL + pgvector (HNSW) through postgres-nio at scale.
        // Kept out of the model library's dependency graph.
        .target(
            name: "AltCLIPStore",
            dependencies: [
                "AltCLIPTensor",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        // `altclip serve`: OpenAI-, TEI- and CLIP-shaped HTTP routes on Hummingbird 2, the dynamic batcher,
        // limits, API keys, Prometheus metrics. Kept out of the model library's dependency graph.
        .target(
            name: "AltCLIPServer",
            dependencies: [
                "AltCLIP", "AltCLIPImage", "AltCLIPTokenizer", "AltCLIPTensor", "AltCLIPSupport", "AltCLIPStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ]),
        // The `altclip` command-line tool.
        .executableTarget(
            name: "AltCLIPCommand",
            dependencies: ["AltCLIP", "AltCLIPSupport", "AltCLIPTokenizer", "AltCLIPWeights", "AltCLIPTensor", "AltCLIPImage", "AltCLIPHub", "AltCLIPServer", "AltCLIPStore", "AltCLIPDataset", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Side-by-side benchmark driver (Scripts/bench.py); no library depends on it.
        .executableTarget(
            name: "AltCLIPBench",
            dependencies: ["AltCLIP", "AltCLIPTensor", "AltCLIPStore", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "AltCLIPSupportTests", dependencies: ["AltCLIPSupport"]),
        .testTarget(name: "AltCLIPJSONTests", dependencies: ["AltCLIPJSON"]),
        .testTarget(name: "AltCLIPTensorTests", dependencies: ["AltCLIPTensor"]),
        .testTarget(name: "AltCLIPWeightsTests", dependencies: ["AltCLIPWeights"]),
        .testTarget(name: "AltCLIPHubTests", dependencies: ["AltCLIPHub"]),
        .testTarget(name: "AltCLIPTokenizerTests", dependencies: ["AltCLIPTokenizer"]),
        .testTarget(name: "AltCLIPImageTests", dependencies: ["AltCLIPImage"]),
        .testTarget(name: "AltCLIPTests", dependencies: ["AltCLIP", "AltCLIPTensor", "AltCLIPWeights", "AltCLIPTokenizer", "AltCLIPImage", "AltCLIPSupport"]),
        .testTarget(
            name: "AltCLIPServerTests",
            dependencies: ["AltCLIPServer", "AltCLIP", "AltCLIPStore", "AltCLIPImage", .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(
            name: "AltCLIPStoreTests",
            dependencies: ["AltCLIPStore", "AltCLIPTensor", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "AltCLIPCommandTests", dependencies: ["AltCLIPCommand", "AltCLIPWeights", "AltCLIPStore", "AltCLIPDataset",
                                                                .product(name: "PostgresNIO", package: "postgres-nio"),
                                                                .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "AltCLIPDatasetTests", dependencies: ["AltCLIPDataset", .product(name: "Crypto", package: "swift-crypto")]),
    ],
    swiftLanguageModes: [.v5]
)
