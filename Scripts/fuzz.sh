#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ (address sanitizer, coverage) and runs each for FUZZ_SECONDS
# (default 60) on a seed corpus made from the test fixtures. A crashing, leaking or timing-out input is
# saved to Tests/Fixtures/fuzz-regressions/<harness>/, which the regression tests replay through the
# same APIs on every `make test`; the script then exits 1.
#   FUZZ_SECONDS=1800 bash Scripts/fuzz.sh            # every harness, 30 minutes each
#   FUZZ_SECONDS=30 bash Scripts/fuzz.sh FuzzImage    # some harnesses
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-60}
scratch=${FUZZ_BUILD_DIR:-.build-fuzz}
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(FuzzSafetensors FuzzTorchCheckpoint FuzzTokenizerJSON FuzzSentencePiece FuzzModelConfig FuzzPreprocessorConfig FuzzImage)

swift build -c release --package-path Fuzz --scratch-path "$scratch" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing -Xswiftc -use-ld=lld 2>&1 \
  | grep -E "error|Build complete" || true
bin="$scratch/release"

seeds() {  # the fixture files each harness starts from
  case "$1" in
    FuzzSafetensors) find Tests/Fixtures -name '*.safetensors' -size -200k ;;
    FuzzTorchCheckpoint) find Tests/Fixtures -name '*.bin' -size -200k ;;
    FuzzTokenizerJSON) find Tests/Fixtures/tokenizer Models -name 'tokenizer.json' ;;
    FuzzSentencePiece) find Tests/Fixtures/tokenizer Models -name '*.model' ;;
    FuzzModelConfig) find Tests/Fixtures/models Models -name '*.json' -path '*config*' -size -50k ;;
    FuzzPreprocessorConfig) find Tests/Fixtures/image/configs Models -name '*preprocessor_config.json' ;;
    FuzzImage) find Tests/Fixtures/image/sources Samples -type f -size -100k \( -name '*.png' -o -name '*.jpg' -o -name '*.webp' -o -name '*.gif' -o -name '*.bmp' \) ;;
  esac
}

status=0
for harness in "${harnesses[@]}"; do
  corpus="$scratch/corpus/$harness"
  regressions="Tests/Fixtures/fuzz-regressions/$harness"
  mkdir -p "$corpus" "$regressions"
  seeds "$harness" | while read -r f; do cp "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done
  log="$scratch/$harness.log"
  echo "== $harness: $seconds s, corpus $(ls "$corpus" | wc -l) files"
  if ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$bin/$harness" "$corpus" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=262144 -print_final_stats=1 \
      -artifact_prefix="$regressions/" > "$log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|new_units_added)|^#[0-9]+.*DONE" "$log" | tail -3 || true
  else
    status=1
    echo "!! $harness found a problem (input saved in $regressions/):"
    grep -E "ERROR|Fatal|==ERROR|SUMMARY|Test unit written" "$log" | head -8
  fi
done
exit $status
