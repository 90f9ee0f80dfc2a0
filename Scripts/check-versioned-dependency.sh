#!/usr/bin/env bash
# Checks that altclip-swift works as a versioned SwiftPM dependency (SwiftPM refuses packages whose
# targets use unsafeFlags when they are required by version): clones this repository's HEAD into a
# temporary git repository, tags it, and builds a throw-away package that depends on it by URL and
# version and calls the library. Run by `make test` (and so by .ci/run).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/altclip-dependency.XXXXXX")
trap 'rm -rf "$work"' EXIT

git clone -q --no-local "$repo" "$work/altclip-swift"
git -C "$work/altclip-swift" -c user.name=ci -c user.email=ci@localhost tag -a 99.0.0 -m "dependency check"

mkdir -p "$work/consumer/Sources/Consumer"
cat > "$work/consumer/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "consumer",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "file://$work/altclip-swift", from: "99.0.0")],
    targets: [.executableTarget(name: "Consumer", dependencies: [.product(name: "AltCLIP", package: "altclip-swift")])]
)
SWIFT
cat > "$work/consumer/Sources/Consumer/main.swift" <<'SWIFT'
import AltCLIP
import Foundation

// Loads the demo model given as the first argument and prints the cosine of two embedded texts.
let clip = try AltCLIPPipeline(directory: URL(fileURLWithPath: CommandLine.arguments[1]))
let vectors = try clip.embedTexts(["a red circle", "红色的圆形"])
print(zip(vectors[0], vectors[1]).map(*).reduce(0, +))
SWIFT
cd "$work/consumer"
swift build -q 2>&1 | grep -v "^warning: " || true
test -x .build/debug/Consumer || { echo "versioned dependency check: the consumer package did not build"; exit 1; }
cosine=$(.build/debug/Consumer "$repo/Models/altclip-demo")
echo "versioned dependency check: consumer built against altclip-swift 99.0.0 (cosine $cosine)"
