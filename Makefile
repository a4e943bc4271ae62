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
            libyaml-cpp-dev libhdf5-dev catch2 libbenchmark-dev dataset-fashion-mnist \
            python3-h5py python3-torch python3-numpy

.PHONY: all deps build test run bench clean
all: build

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

run: build
	./$(BUILD)/bench-run $(SUITE) $(ARGS)

bench: build
	./$(BUILD)/bench_matrix_sensing --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
	./$(BUILD)/bench_harness_overhead

clean:
	rm -rf $(BUILD)
