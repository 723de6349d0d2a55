# The front door. Every target bootstraps .venv on a fresh machine by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/default.yaml
CYCLE  ?=
ARGS   ?=

.PHONY: run test lab bench bench-forecast demo clean-sandbox help

help:
	@echo "make run    - full monthly cycle on the demo company -> reports/<cycle>/index.html"
	@echo "make test   - the whole test suite (unit, notebooks via nbval, end-to-end batch)"
	@echo "make lab    - JupyterLab on the notebooks"
	@echo "make bench  - benchmarks (ratios against baselines measured in the same run)"
	@echo "make bench-forecast - the demand engine vs SeasonalNaive/Theta/AutoETS on M1 and Tourism monthly"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (sop)" >/dev/null
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/sop run --params $(PARAMS) $(if $(CYCLE),--cycle $(CYCLE)) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(ARGS)

lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-forecast: $(STAMP)
	$(BIN)/python benchmarks/bench_forecast.py --method advi $(ARGS)

demo: $(STAMP)
	$(BIN)/sop demo --params $(PARAMS)

clean-sandbox:
	rm -rf reports/sandbox
