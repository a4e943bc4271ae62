# genbench — the two commands a newcomer needs:
#   make run    install what is missing, build, run the default suite end to end
#   make test   install what is missing, build, run every test through ctest
BUILD ?= build
JOBS  ?= $(shell nproc)
SUITE ?= configs/matrix_sensing.yaml
ARGS  ?=

# Debian bookworm packages. libopenblas0-pthread matters: without it LibTorch
# falls back to the reference BLAS, about 25x slower.
PACKAGES := build-essential cmake ninja-build git libtorch-dev libopenblas0-pthread \
            libyaml-cpp-dev libhdf5-dev libcli11-dev catch2 libbenchmark-dev dataset-fashion-mnist \
            python3-h5py python3-torch python3-numpy python3-pandas python3-matplotlib

# What only the tests need: the report is opened in a real browser,
# bench-run --slurm is tested on a real one-node cluster the test starts, and
# the Python package (python/genbench) with pytest.
TEST_PACKAGES := chromium python3-pil slurmctld slurmd slurm-client munge python3-pytest

.PHONY: all deps test-deps build test run bench regress baselines clean
all: build

deps test-deps: ## install the Debian packages that are missing
	@missing=$$(for p in $(if $(filter test-deps,$@),$(TEST_PACKAGES),$(PACKAGES)); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make $@: installing" $$missing; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build test-deps
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

run: build
	./$(BUILD)/bench-run $(SUITE) $(ARGS)

# Benchmarks write Google Benchmark JSON to $(BUILD)/bench/; compare two such
# files with build/bench-perf-compare OLD.json NEW.json (noise-aware ratios).
bench: build
	@mkdir -p $(BUILD)/bench
	./$(BUILD)/bench_matrix_sensing --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
	  --benchmark_display_aggregates_only=true \
	  --benchmark_out=$(BUILD)/bench/matrix_sensing.json --benchmark_out_format=json
	./$(BUILD)/bench_double_descent --benchmark_repetitions=3 --benchmark_display_aggregates_only=true \
	  --benchmark_out=$(BUILD)/bench/double_descent.json --benchmark_out_format=json
	./$(BUILD)/bench_grokking --benchmark_repetitions=3 --benchmark_display_aggregates_only=true \
	  --benchmark_out=$(BUILD)/bench/grokking.json --benchmark_out_format=json
	./$(BUILD)/bench_mlp_step --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
	  --benchmark_display_aggregates_only=true \
	  --benchmark_out=$(BUILD)/bench/mlp_step.json --benchmark_out_format=json
	./$(BUILD)/bench_optimizer --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
	  --benchmark_display_aggregates_only=true \
	  --benchmark_out=$(BUILD)/bench/optimizer.json --benchmark_out_format=json
	./$(BUILD)/bench_harness_overhead
	./$(BUILD)/bench_store_scaling
	/usr/bin/python3 bench/mlp_vs_python.py $(BUILD)
	/usr/bin/python3 bench/grokking_vs_python.py $(BUILD)
	/usr/bin/python3 bench/adversarial_vs_python.py $(BUILD)
	/usr/bin/python3 bench/stacked_vs_python.py $(BUILD)

# CI regression tracking: every suite with a committed baseline runs its ci tier
# and is compared against it (bench-compare: 0 same, 1 regression, 2 cannot
# compare); each run is appended to $(BUILD)/history.csv (bench-report
# --history plots it). `make baselines` refreshes them on purpose: see README.
# REUSE=1 (CI, right after make test): a suite whose ci tier the tests already
# ran with this bench-run and this config is compared from that file.
BASELINES := $(wildcard results/baselines/*-ci.h5)
REUSE ?= 0
# A ci tier can be exact on one CPU and another result on the next: robust
# overfitting sits on a tipping point (catastrophic overfitting), and the
# kernels of AVX2, AVX-512 and of two Intel Xeon and three AMD EPYC hosts
# round differently. Such a suite keeps a baseline per CPU measured,
# <suite>-ci.<name>.h5 beside <suite>-ci.h5, and its ci tier is "same" when
# it matches any of them (which one is printed); matching none, it is compared
# with this vendor's baseline (<suite>-ci.<vendor_id>.h5) or the default, and
# that verdict stands.
# make baselines CPU_SPECIFIC=1 writes <suite>-ci.<vendor_id>.h5 for this
# machine, CPU_SPECIFIC=NAME <suite>-ci.NAME.h5.
CPU_VENDOR := $(shell awk -F': *' '/^vendor_id/ {print $$2; exit}' /proc/cpuinfo 2>/dev/null)
regress: build
	@mkdir -p $(BUILD)/regress; status=0; \
	for base in $(BASELINES); do \
	  suite=$$(basename $$base -ci.h5); cand=$(BUILD)/regress/$$suite-ci.h5; \
	  if [ $(REUSE) = 1 ] && [ $$cand -nt $(BUILD)/bench-run ] && [ $$cand -nt configs/$$suite.yaml ]; then \
	    echo "make regress: $$suite: the ci tier make test ran ($$cand)"; \
	  else \
	    ./$(BUILD)/bench-run configs/$$suite.yaml --tier ci --force --out $$cand > $(BUILD)/regress/$$suite.log 2>&1 \
	      || { echo "make regress: bench-run failed for $$suite (see $(BUILD)/regress/$$suite.log)"; status=2; continue; }; \
	  fi; \
	  ./$(BUILD)/bench-history append $(BUILD)/history.csv $$cand > /dev/null; \
	  match=; for b in $$base results/baselines/$$suite-ci.*.h5; do \
	    [ -e $$b ] && ./$(BUILD)/bench-compare $$b $$cand > /dev/null 2>&1 && { match=$$b; break; }; \
	  done; \
	  if [ -n "$$match" ]; then echo "make regress: $$suite: same within tolerance as $$match"; continue; fi; \
	  if [ -n "$(CPU_VENDOR)" ] && [ -e results/baselines/$$suite-ci.$(CPU_VENDOR).h5 ]; then \
	    base=results/baselines/$$suite-ci.$(CPU_VENDOR).h5; \
	  fi; \
	  echo "make regress: $$suite: matches no baseline; against $$base:"; \
	  ./$(BUILD)/bench-compare $$base $$cand || { rc=$$?; [ $$status -ne 0 ] || status=$$rc; }; \
	done; exit $$status

# make baselines SUITES="matrix_sensing" refreshes only those suites.
SUITES ?= $(basename $(notdir $(wildcard configs/*.yaml)))
baselines: build
	@mkdir -p results/baselines; \
	for suite in $(SUITES); do \
	  f=configs/$$suite.yaml; \
	  if ./$(BUILD)/bench-run $$f --tier ci --dry-run > /dev/null 2>&1; then \
	    ./$(BUILD)/bench-run $$f --tier ci --force \
	      --out results/baselines/$$suite-ci$(if $(CPU_SPECIFIC),.$(if $(filter 1,$(CPU_SPECIFIC)),$(CPU_VENDOR),$(CPU_SPECIFIC))).h5 || exit 1; \
	  fi; \
	done

clean:
	rm -rf $(BUILD)
