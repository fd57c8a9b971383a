# The two commands: `make run` and `make test`. Both install what is missing,
# build Release with CMake and Ninja, then run the CLI or every test.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
MODEL ?= models/stories260K.gguf
PROMPT ?= Once upon a time

.PHONY: all deps configure build build-gpu run test test-unit build-cuda build-hip fuzz clean

all: build

deps:
	scripts/install-deps.sh

configure:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: deps build
	$(BUILD_DIR)/bin/rocmforge run -m $(MODEL) -p "$(PROMPT)" -n 128

# The GPU backend is compiled for CUDA and HIP too (nothing GPU runs without a GPU).
test: deps build build-gpu
	scripts/run-tests.sh $(BUILD_DIR) -j $(JOBS)

build-gpu:
	JOBS=$(JOBS) scripts/build-gpu.sh

test-unit: build
	scripts/run-tests.sh $(BUILD_DIR) -j $(JOBS) -L unit

# The GPU backend, compiled for NVIDIA (sm_80, sm_90) or AMD (gfx90a, gfx1030)
# in its own build directory; the whole project is built (CPU objects come
# from ccache when `make build` ran first).
build-cuda:
	cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DROCMFORGE_CUDA=ON $(CMAKE_FLAGS)
	cmake --build build-cuda -j $(JOBS)

build-hip:
	cmake -S . -B build-hip -G Ninja -DCMAKE_BUILD_TYPE=Release -DROCMFORGE_HIP=ON $(CMAKE_FLAGS)
	cmake --build build-hip -j $(JOBS)

fuzz:
	tests/fuzz/run_bounded.sh $(CURDIR) $(CURDIR)/build-fuzz 600

clean:
	rm -rf $(BUILD_DIR) build-cuda build-hip build-fuzz
