# Two entry points for a fresh machine: `make run` and `make test`.
# Both bootstrap .venv from pyproject.toml with a Python >= 3.12 found by scripts/find-python.sh.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SCENARIO ?= scenarios/baseline.yaml
OUT ?= results/baseline

.PHONY: setup run test lint bench clean validation validation-tiny

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

run: setup
	$(VENV)/bin/cadresim run $(SCENARIO) --out $(OUT)

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: setup
	$(PY) -m benchmarks

# Every number of docs/validation.md, regenerated on this tree (calibration/validate_all.py):
# docking, synthetic recovery, the reform-era posterior with held-out checks, the paired
# variant comparison, the Cultural Revolution fit, and results/validation/validation_generated.md.
# The budget below is the config's own (calibration/reform_era.yaml abc:), the one docs/validation.md
# reports (one fitted variant, 75 particles, 4 generations, a tenth of proposals from the prior):
# about 3,600 CPU s and 40 min of wall time on 2 cores; the run there stopped on max_populations,
# the wall-time cap (no generation starts after 25 min) only ends a run early on a slower machine.
VALIDATION_ARGS ?= --workers 2 --variants full \
	--abc population_size=75 --abc max_populations=4 --abc defensive_share=0.1 \
	--abc max_simulations=1600 --abc max_walltime_minutes=25 --compare-draws 10
validation: setup
	nice -n 5 $(PY) calibration/validate_all.py $(VALIDATION_ARGS)

# The same stages at a dry-run budget (minutes), into results/validation-tiny.
validation-tiny: setup
	$(PY) calibration/validate_all.py --tiny --workers 2 --out results/validation-tiny

clean:
	rm -rf $(VENV) .pytest_cache
