# The two README commands are `make demo` and `make test`; .ci/run calls `make test`.
SWIFT ?= swift
DEBS := libdnnl-dev libopenblas-dev libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev libsqlite3-dev libarchive-dev chromium pkg-config
VENV ?= .venv

.PHONY: deps build test demo fixtures bench venv clean fuzz

# Install the Debian -dev packages that are missing (needs root or sudo; a no-op when all are present).
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	bash Scripts/with-test-postgres.sh $(SWIFT) test --skip-build
	# On a CPU with AMX the numeric suites once more without it (oneDNN int8, Float32 attention), so both
	# paths are tested wherever this runs.
	ALTCLIP_DISABLE_AMX=1 $(SWIFT) test --skip-build --filter 'AltCLIPTensorTests|AltCLIPTests'
	bash Scripts/check-versioned-dependency.sh
	FUZZ_SECONDS=$(CI_FUZZ_SECONDS) bash Scripts/fuzz.sh

# libFuzzer harnesses (Fuzz/): every parser for FUZZ_SECONDS each (default 60; 1800 for a long pass).
# `make test` runs a short pass of CI_FUZZ_SECONDS each; finds are kept in Tests/Fixtures/fuzz-regressions.
CI_FUZZ_SECONDS ?= 15
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Scripts/fuzz.sh

demo: build
	.build/release/altclip classify --model Models/altclip-demo Samples/*.png --top 2 \
	  --labels "a red circle,绿色的正方形,un triangle bleu,una estrella amarilla,ein violetter Kreis,赤い星,a yellow square,紫色的三角形,a blue circle,un carré rouge,una estrella verde,绿色的三角形"

# Reference side (Python, pinned): only for regenerating fixtures and for benchmarks.
venv:
	VENV=$(VENV) bash Scripts/setup-venv.sh

# Regenerates every committed fixture with the pinned reference venvs (.venv, and .venv4 with
# transformers 4.x for the relative-position text fixtures).
fixtures: venv
	VENV4=$(VENV)4 bash Scripts/setup-venv4.sh
	$(VENV)/bin/python Scripts/make_tokenizer_fixtures.py
	$(VENV)/bin/python Scripts/make_image_fixtures.py
	$(VENV)/bin/python Scripts/make_weights_fixtures.py
	$(VENV)/bin/python Scripts/make_model_fixtures.py --venv4 $(VENV)4
	$(VENV)/bin/python Scripts/make_hostile_fixtures.py
	$(VENV)/bin/python Scripts/make_activation_fixtures.py
	$(VENV)/bin/python Scripts/make_webdataset_fixture.py
	rm -rf .build/saved-demo && $(SWIFT) run altclip convert --model Models/altclip-demo --out .build/saved-demo
	$(VENV)/bin/python Scripts/make_save_fixtures.py .build/saved-demo

clean:
	rm -rf .build

# Side-by-side benchmark with PyTorch and ONNX Runtime on the full-size random checkpoint (not run by CI).
bench: deps
	VENV=$(VENV) BENCH=1 bash Scripts/setup-venv.sh
	$(VENV)/bin/python Scripts/bench.py
