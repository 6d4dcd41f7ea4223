# brand-monitor: `make demo` runs the embedded default, `make test` runs the checks.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# On a machine whose pip has no local CPU build of torch, pass the CPU wheel index, e.g.
#   make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
TORCH_FLAGS := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)

.PHONY: setup demo test lint typecheck bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned, so nothing later pulls a multi-GB CUDA build
	$(PY) -m pip install -q -c constraints.txt $(TORCH_FLAGS) torch
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

demo: setup
	$(VENV)/bin/brand-monitor demo

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy monitor connectors

test: setup lint
	$(VENV)/bin/pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure" >&2; exit 1; fi; \
	exit $$rc

bench: setup
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
