# threecx-xapi: every target runs inside .venv, which `make setup` creates from uv.lock.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
PY         := .venv/bin/python
SHARED_SPEC := ../shared/spec/xapi-20.0.10.yaml
PREVIOUS_SPEC := ../shared/spec/xapi-20.0.9.yaml
SPEC ?= $(wildcard $(SHARED_SPEC))
OUT  ?= generated

.PHONY: help setup test test-fast test-pythons lint typecheck generate regenerate check-generated check-previous fetch-spec diff-spec \
	bench demo contract build publish test-publish clean

help:
	@echo "make setup            create .venv from uv.lock (idempotent)"
	@echo "make demo             a walkthrough against the loopback test server"
	@echo "make test             lint, type-check, every test, generated/ up to date, contract, other Pythons, publishing"
	@echo "make test-fast        lint, type-check and the unit tests (no contract, publishing or other Pythons)"
	@echo "make generate         SPEC=<file or PBX URL> [OUT=dir]: regenerate the client"
	@echo "make check-generated  fail if generated/ differs from a fresh run on SPEC"
	@echo "make fetch-spec       XAPI_URL=<PBX URL> or SPEC=<file> [SPEC_OUT=file]: fetch and validate a document"
	@echo "make bench            generation, import, call and parsing benchmarks (ratios)"
	@echo "make contract         every operation through XAPI and AsyncXAPI against the loopback test server"
	@echo "make regenerate       SPEC=<file or PBX URL>: fetch, diff against the locked document, regenerate, lock"
	@echo "make diff-spec        OLD=<file> NEW=<file>: what changed between two XAPI documents"
	@echo "make build            wheel and sdist in dist/ (reproducible with SOURCE_DATE_EPOCH)"
	@echo "make publish          upload dist/ to XAPI_INDEX_URL (credentials from the environment)"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

setup: $(UV)
	$(UV) sync --frozen --quiet

define need_spec
	@if [ -z "$(SPEC)" ]; then echo "error: no SPEC. Pass one: make $@ SPEC=path/to/xapi.yaml (or SPEC=https://pbx.example.com with XAPI_CLIENT_ID/XAPI_CLIENT_SECRET set)"; exit 2; fi
endef

generate: setup
	$(need_spec)
	$(PY) -m generator generate --spec "$(SPEC)" --out "$(OUT)"

check-generated: setup
	$(need_spec)
	$(PY) -m generator check --spec "$(SPEC)"

check-previous: setup
	@if [ -f "$(PREVIOUS_SPEC)" ]; then $(PY) -m tests.tools.generate_and_import "$(PREVIOUS_SPEC)"; else echo "skip: $(PREVIOUS_SPEC) not found"; fi

SPEC_OUT ?= spec/fetched/xapi.yaml
fetch-spec: setup
	@src="$(or $(XAPI_URL),$(SPEC))"; \
	if [ -z "$$src" ]; then echo "error: set XAPI_URL=https://pbx.example.com (with XAPI_CLIENT_ID/XAPI_CLIENT_SECRET) or SPEC=file"; exit 2; fi; \
	$(PY) -m generator.fetch "$$src" --out "$(SPEC_OUT)"

lint: setup
	$(PY) -m ruff check generator src tests bench tools
	$(PY) -m ruff format --check generator src tests bench tools
	$(PY) -m ruff check --isolated --line-length 120 --target-version py310 --select E,F,W --ignore E501 generated

typecheck: setup
	$(PY) -m mypy generator src bench tools tests
	cd generated && ../$(PY) -m mypy --python-version 3.10 threecx_xapi_client

test: setup lint typecheck
	$(PY) -m pytest
	$(MAKE) --no-print-directory check-generated
	$(MAKE) --no-print-directory check-previous
	$(MAKE) --no-print-directory contract
	$(MAKE) --no-print-directory test-pythons
	$(MAKE) --no-print-directory test-publish

test-fast: setup lint
	$(PY) -m mypy generator src bench tools tests
	$(PY) -m pytest -x -m "not slow"

# requires-python says 3.10+: the facade tests and the contract suite also run on the oldest and newest Python.
OTHER_PYTHONS ?= 3.10 3.13
test-pythons: setup
	@for v in $(OTHER_PYTHONS); do \
		python="$$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -1)"; \
		if [ -z "$$python" ]; then python="$$(command -v python$$v || true)"; fi; \
		if [ -z "$$python" ]; then echo "error: Python $$v not found (pyenv or PATH)"; exit 2; fi; \
		echo "== Python $$v ($$python)"; \
		UV_PROJECT_ENVIRONMENT=.venv-$$v $(UV) sync --frozen --quiet --python "$$python" || exit 1; \
		.venv-$$v/bin/python -m pytest -q -p no:cacheprovider tests/facade tests/generated/test_wire.py \
			tests/export/test_export.py tests/fleet/test_fleet.py tests/doctor/test_doctor.py tests/provision/test_plan.py \
			tests/snapshot/test_diff.py || exit 1; \
		.venv-$$v/bin/python -m tests.contract || exit 1; \
	done

bench: setup
	$(PY) -m bench

demo: setup
	$(PY) examples/demo.py

contract: setup
	$(PY) -m tests.contract

regenerate: setup
	$(need_spec)
	$(PY) -m generator regenerate --spec "$(SPEC)"

diff-spec: setup
	@if [ -z "$(OLD)" ] || [ -z "$(NEW)" ]; then echo "error: pass OLD=<file> NEW=<file>"; exit 2; fi
	$(PY) -m generator diff --old "$(OLD)" --new "$(NEW)"

build: setup
	$(PY) -m tools.build

publish: setup
	$(PY) -m tools.publish

test-publish: setup
	$(PY) -m tests.publish.run

clean:
	rm -rf .venv .venv-3.* $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
