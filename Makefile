# prefectgen's own build. `make demo` and `make test` are the two commands a
# newcomer needs; see README.md.

GO        ?= go
BIN       := bin/prefectgen
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
GOFLAGS_LD := -ldflags "-X main.version=$(VERSION)"
EXAMPLE   := examples/rpa-platform

# Linters run from the module proxy at pinned versions; they are not
# dependencies of prefectgen.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
ACTIONLINT  := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: all build install test precommit-test golden bench lint fmt demo e2e venv clean

all: build

build:
	$(GO) build $(GOFLAGS_LD) -o $(BIN) ./cmd/prefectgen

install:
	$(GO) install $(GOFLAGS_LD) ./cmd/prefectgen

# Every test: unit, golden, fuzz seeds, CLI scripts and the integration
# suite, with the race detector (cmd/prefectgen alone takes 9 to 10 minutes on
# two cores, past go test's default 10-minute limit); then the pre-commit hooks.
test:
	$(GO) test -race -timeout 30m ./...
	bash scripts/precommit-test.sh

# prefectgen's pre-commit hooks, run by the pinned pre-commit in a throw-away
# repository (pre-commit comes from PyPI into .cache/precommit-venv, once).
precommit-test:
	bash scripts/precommit-test.sh

# Rewrite every golden file from what prefectgen produces now: the
# example's generated files, the generation cases (golden/), the example's
# discovery JSON and the CLI scripts' expected files. Read every diff
# before committing it.
golden:
	$(GO) run ./cmd/prefectgen generate $(EXAMPLE)
	$(GO) test ./generator/ -run TestGolden -update
	$(GO) test ./generator/discover/ -run TestExampleRepository -update
	$(GO) test ./cmd/prefectgen/ -run TestScripts -update

# Benchmarks on synthetic repositories (10,000 files with 5% flows; 1,000 flow files).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x ./generator/discover/

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(ACTIONLINT) ci/github/*.yml
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needs to run on:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

# The main job on the bundled example repository: validate, generate, and
# deploy to a throw-away local Prefect server (scripts/demo.sh).
demo: build
	bash scripts/demo.sh

# End to end on a real Docker engine (started, and stopped, by the
# script when none answers; needs root on Debian): every deployment of the
# example, process and docker, in two environments, runs to Completed
# through real workers (scripts/e2e.sh).
e2e:
	bash scripts/e2e.sh

# The virtualenv with the pinned prefect (.cache/prefect-venv).
venv:
	bash scripts/prefect-venv.sh

clean:
	rm -rf bin .cache
