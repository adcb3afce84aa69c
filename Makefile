# The contract (docs/architecture.md): make run | make test | make build.
PRESET ?= release
BUILD_DIR ?= build
DATA ?= var/dev
JOBS ?= $(shell nproc)

.PHONY: deps configure build run test test-unit bench format asan clean

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake --preset $(PRESET)

configure: $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: deps build
	$(BUILD_DIR)/bin/fleetpki serve --data $(DATA)

test: deps build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

bench: deps build
	bash bench/run_all.sh

asan:
	cmake --preset asan && cmake --build build-asan -j $(JOBS) && cd build-asan && ctest --output-on-failure -j $(JOBS) -LE slow

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf $(BUILD_DIR) build-asan
