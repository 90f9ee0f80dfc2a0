#!/usr/bin/env bash
# Checks that altclip-swift works as a versioned SwiftPM dependency (SwiftPM refuses packages whose
# targets use unsafeFlags when they are required by version): clones this repository's HEAD into a
# temporary git repository, tags it, and builds a throw-away package that depends on it by URL and
# version, whose program is the README's Swift example, and runs it. Run by `make test` (and so by .ci/run).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/altclip-dependency.XXXXXX")
trap 'rm -rf "$work"' EXIT

git clone -q --no-local "$repo" "$work/altclip-swift"
git -C "$work/altclip-swift" -c user.name=ci -c user.email=ci@localhost tag -a 99.0.0 -m "dependency check"

mkdir -p "$work/consumer/Sources/Consumer" "$work/consumer/Sources/HubExample"
cat > "$work/consumer/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "consumer",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "file://$work/altclip-swift", from: "99.0.0")],
    targets: [
        .executableTarget(name: "Consumer", dependencies: [.product(name: "AltCLIP", package: "altclip-swift")]),
        .executableTarget(name: "HubExample", dependencies: [.product(name: "AltCLIP", package: "altclip-swift")]),
    ]
)
SWIFT
# The consumer's program is the README's Swift example, verbatim, so the example cannot rot.
awk '/^```swift$/ {inside = 1; next} /^```$/ && inside {exit} inside' "$repo/README.md" \
  > "$work/consumer/Sources/Consumer/main.swift"
test -s "$work/consumer/Sources/Consumer/main.swift" || { echo "versioned dependency check: no Swift example in README.md"; exit 1; }
# The second example (BAAI/AltCLIP by hub id) is built too; it is not run (no network here).
awk '/^```swift$/ {n++; if (n == 2) {inside = 1; next}} /^```$/ && inside {exit} inside' "$repo/README.md" \
  > "$work/consumer/Sources/HubExample/main.swift"
test -s "$work/consumer/Sources/HubExample/main.swift" || { echo "versioned dependency check: no second Swift example in README.md"; exit 1; }
cd "$work/consumer"
swift build -q 2>&1 | grep -v "^warning: " || true
test -x .build/debug/Consumer || { echo "versioned dependency check: the consumer package did not build"; exit 1; }
test -x .build/debug/HubExample || { echo "versioned dependency check: the README's hub-id example did not build"; exit 1; }
output=$(cd "$repo" && "$work/consumer/.build/debug/Consumer")
echo "$output" | grep -q 'LabelScore(label: "a red circle"' ||
  { echo "versioned dependency check: the README example printed something else:"; echo "$output"; exit 1; }
echo "versioned dependency check: the README example builds against altclip-swift 99.0.0 by version and runs: $output"
