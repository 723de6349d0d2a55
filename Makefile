# The front door. Every target bootstraps .venv on a fresh machine by itself.
# The first Python 3.12+ found: python3.12, python3.13 or python3 on PATH, else one that pyenv
# installed (its shims answer only with PYENV_VERSION set); `make PYTHON=...` chooses another
PYTHON ?= $(shell for p in python3.12 python3.13 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V); do \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/default.yaml
CYCLE  ?=
ARGS   ?=

.PHONY: run test lint docs lab bench bench-forecast bench-sampler bench-backtest bench-cycle bench-dask bench-intermittent demo clean-sandbox help

help:
	@echo "make run    - full monthly cycle on the demo company -> reports/<cycle>/index.html"
	@echo "make test   - the whole test suite (unit, notebooks via nbval, end-to-end batch)"
	@echo "make lint   - ruff (lint and format check) and import-linter (the steps' import order)"
	@echo "make docs   - the documentation site from docs/ into site/ (broken links fail the build)"
	@echo "make lab    - JupyterLab on the notebooks"
	@echo "make bench  - benchmarks (ratios against baselines measured in the same run)"
	@echo "make bench-forecast - the demand engine vs SeasonalNaive/Theta/AutoETS on M1 and Tourism monthly"
	@echo "make bench-sampler - the demo's NUTS fit over 5 seeds: divergences, r-hat, ESS, seconds"
	@echo "make bench-backtest - sop backtest on the demo: 12 re-plans x 4 policies, seconds and the summary"
	@echo "make bench-cycle - the whole cycle on the demo scaled to 1,000 SKUs x 3 regions: seconds per step vs AutoETS"
	@echo "make bench-dask - the demand fit in partitions: in-process, Dask with 1 and 2 workers, estimate for 100k series"
	@echo "make bench-intermittent - spare-part series with a known truth: the engine vs Croston, TSB, ADIDA"
	@echo "make demo   - (re)write the demo company's source files into data/demo/"
	@echo "make clean-sandbox - forget the analysts' sandbox cycle (reports/sandbox)"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python 3.12 or newer on this machine (PyMC 6 needs it): install one (apt-get install python3.12 python3.12-venv, or pyenv install 3.12), or set PYTHON=/path/to/python3.12"; false; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.12")'
	@# a .venv from an older Python (3.11 before the move to PyMC 6) is rebuilt, not patched
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || rm -rf $(VENV)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || (echo "python venv failed: apt-get install python3-venv" && false)
	@# Debian's OpenBLAS for PyTensor (optional: measured 14% faster on the Student-t model, docs/scale.md)
	@test -e /usr/lib/x86_64-linux-gnu/libopenblas.so -o -e /usr/lib/aarch64-linux-gnu/libopenblas.so || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq libopenblas-dev >/dev/null; } || \
	  echo "note: libopenblas-dev not installed; PyTensor falls back to NumPy's BLAS (slower, same results)"
	@# Debian's Chromium: prints the executive review to PDF; the browser test opens every report in it (no browser download)
	@command -v chromium >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "note: chromium not installed: no PDF reports, and tests/cycle/test_hostile_text.py needs it (apt-get install chromium)"
	@# Debian's PostgreSQL server: tests/data/test_postgres.py reads from a throwaway cluster of it (initdb, pg_ctl)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } || \
	  echo "note: postgresql not installed; tests/data/test_postgres.py needs it (apt-get install postgresql)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench,docs,postgres]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (sop)" >/dev/null
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/sop run --params $(PARAMS) $(if $(CYCLE),--cycle $(CYCLE)) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check sop_lib tests benchmarks conftest.py
	$(BIN)/ruff format --check sop_lib tests benchmarks conftest.py
	$(BIN)/lint-imports

docs: $(STAMP)
	$(BIN)/python docs/generate.py
	$(BIN)/mkdocs build --strict --quiet

lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-forecast: $(STAMP)
	$(BIN)/python benchmarks/bench_forecast.py $(ARGS)

bench-sampler: $(STAMP)
	$(BIN)/python benchmarks/bench_sampler.py $(ARGS)

bench-backtest: $(STAMP)
	$(BIN)/python benchmarks/bench_backtest.py $(ARGS)

bench-cycle: $(STAMP)
	$(BIN)/python benchmarks/bench_cycle.py $(ARGS)

bench-dask: $(STAMP)
	$(BIN)/python benchmarks/bench_dask.py $(ARGS)

bench-intermittent: $(STAMP)
	$(BIN)/python benchmarks/bench_intermittent.py $(ARGS)

demo: $(STAMP)
	$(BIN)/sop demo --params $(PARAMS)

clean-sandbox:
	rm -rf reports/sandbox
