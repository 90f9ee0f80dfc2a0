// swift-tools-version:6.0
// libFuzzer harnesses for altclip-swift's parsers (a dev-only package: `make fuzz`, Scripts/fuzz.sh).
// Built with `-sanitize=fuzzer,address -parse-as-library -enable-testing` passed on the command line,
// so this manifest needs no unsafe flags either.
import PackageDescription

let harnesses: [(name: String, dependency: String)] = [
    ("FuzzSafetensors", "AltCLIPWeights"),
    ("FuzzTorchCheckpoint", "AltCLIPWeights"),
    ("FuzzTokenizerJSON", "AltCLIPTokenizer"),
    ("FuzzSentencePiece", "AltCLIPTokenizer"),
    ("FuzzModelConfig", "AltCLIP"),
    ("FuzzPreprocessorConfig", "AltCLIPImage"),
    ("FuzzImage", "AltCLIPImage"),
]

let package = Package(
    name: "altclip-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "altclip-swift", path: "..")],
    targets: [
        // libFuzzer's driver behind SwiftPM's `<Target>_main` entry point.
        .target(name: "CFuzzDriver"),
        // Shared by the two tokenizer harnesses (their loaders read files).
        .target(name: "FuzzSupport", dependencies: [.product(name: "AltCLIPTokenizer", package: "altclip-swift"),
                                                    .product(name: "AltCLIPSupport", package: "altclip-swift")]),
    ] + harnesses.map { harness in
        .executableTarget(
            name: harness.name,
            dependencies: [.product(name: harness.dependency, package: "altclip-swift"),
                           .product(name: "AltCLIPSupport", package: "altclip-swift"), "FuzzSupport", "CFuzzDriver"],
            path: "Sources/\(harness.name)")
    },
    swiftLanguageModes: [.v5]
)
