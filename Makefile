# prefectgen's own build. `make demo` and `make test` are the two commands a
# newcomer needs; see README.md.

GO        ?= go
BIN       := bin/prefectgen
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
GOFLAGS_LD := -ldflags "-X main.version=$(VERSION)"
EXAMPLE   := examples/rpa-platform

.PHONY: all build install test bench lint fmt demo clean

all: build

build:
	$(GO) build $(GOFLAGS_LD) -o $(BIN) ./cmd/prefectgen

install:
	$(GO) install $(GOFLAGS_LD) ./cmd/prefectgen

# Every test: unit, golden, fuzz seeds and CLI scripts.
test:
	$(GO) test ./...

# Benchmarks on synthetic repositories (10,000 files with 5% flows; 1,000 flow files).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x ./generator/discover/

lint:
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needs to run on:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

# The main job on the bundled example repository.
demo: build
	@echo "== prefectgen discover $(EXAMPLE)"
	@$(BIN) discover $(EXAMPLE)
	@echo
	@echo "== prefectgen validate $(EXAMPLE)"
	@$(BIN) validate $(EXAMPLE)
	@echo
	@echo "== prefectgen generate $(EXAMPLE)"
	@$(BIN) generate $(EXAMPLE)
	@$(BIN) generate --check $(EXAMPLE)
	@echo
	@echo "== prefectgen config show --env staging $(EXAMPLE) (first deployment)"
	@$(BIN) config show --env staging $(EXAMPLE) | sed -n '1,40p'

clean:
	rm -rf bin .cache
