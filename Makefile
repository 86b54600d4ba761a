# Everything runs from a local virtualenv built from pyproject.toml, so a fresh machine with
# only Python 3 can run `make test`. The stamp makes reinstalls happen only when
# pyproject.toml changes (the package itself is installed editable).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: all venv test lint pytest test-gpu demo bench docs clean

all: test

venv: $(STAMP)

# A failed `python -m venv` (e.g. no ensurepip) would leave a half-built .venv whose
# bin/python makes make think the venv exists; remove it so the next run retries.
$(PY):
	@rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "error: '$(PYTHON) -m venv' failed (on Debian: apt-get install python3-venv)" >&2; \
		exit 1; }

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	@touch $@

lint: venv
	$(VENV)/bin/ruff check tensorgrad tests benchmarks scripts $(wildcard examples)

# The second run takes the op tables through the NumPy reference path that the numba kernels
# (tensorgrad/kernels/) are tested against, and that runs where numba is not installed: the
# tables of the ops that call kernels (elementwise, fused, conv and pooling, dropout, the
# optimizers; tests/kernels compares each kernel with its NumPy code in the first run). The
# linalg, sorting, indexing, movement and reduce ops call none, so the switch cannot change
# them; leaving their tables out (8,500 tests, 45 s) keeps make test under 10 minutes, as does
# leaving out the bfloat16 tables (an op's bfloat16 inputs reach it as float32, the same arrays
# as in its float32 tests).
# -n auto (pytest-xdist): one worker per core. The tests are single-threaded Python and NumPy
# on small arrays, so two workers on a 2-core machine take the first run from 5-7 min to 3.5.
NO_KERNEL_TABLES = linalg sorting indexing movement reduce
pytest: venv
	$(PY) -m pytest -n auto
	TENSORGRAD_KERNELS=numpy $(PY) -m pytest -n auto tests/ops tests/nn tests/optim \
		$(foreach t,$(NO_KERNEL_TABLES),--ignore=tests/ops/test_$(t).py) -k "not bfloat16"

test: lint pytest

# CUDA tests (need CuPy and a GPU). They run GPU_PY on this checkout, not the venv: the GPU
# machines' python3 holds CuPy and PyTorch and can't install anything. Where the venv has CuPy
# (`pip install -e '.[cuda]'`), use `make test-gpu GPU_PY=$(PY)`. scripts/gpu_check.sh runs these
# plus the GPU benchmark and the examples on CUDA.
GPU_PY ?= $(PYTHON)
test-gpu:
	PYTHONPATH=. $(GPU_PY) -m pytest -m cuda tests/cuda tests/test_cuda.py tests/distributed

# The demo installs only what it runs on: the package (Digits ships with it) with the train
# (tqdm, matplotlib, safetensors) and fast (numba: the CPU kernels) extras; no PyTorch, no
# test tools. --no-compile skips byte-compiling the modules the demo never imports (Python
# compiles the ones it does import on first use), so .venv stays well under 400 MB.
# tests/test_make_demo.py checks these extras; scripts/check_demo_install.sh (CI) builds it.
DEMO_EXTRAS := train,fast
DEMO_STAMP  := $(VENV)/.demo-stamp

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --no-compile -e '.[$(DEMO_EXTRAS)]'
	@touch $@

demo: $(DEMO_STAMP)
	$(PY) examples/digits_cnn.py

bench: venv
	$(PY) benchmarks/run_all.py
	$(PY) benchmarks/bench_compile.py

# The documentation site (mkdocs.yml): the docs extra has its own stamp, so `make test` never
# installs MkDocs; --strict turns every warning (a broken link, a missing page) into an error.
# The site's browser files (MathJax, the offline-search shim) come from npm (package.json,
# pinned by package-lock.json) into node_modules/; the built site works opened from disk, and
# scripts/check_offline_site.py fails the build if it would load anything from the network.
DOCS_STAMP := $(VENV)/.docs-stamp

$(DOCS_STAMP): pyproject.toml package-lock.json $(STAMP)
	$(PY) -m pip install -e '.[docs]'
	@command -v npm >/dev/null || { echo "error: make docs needs npm (Node.js) to fetch" \
		"MathJax and the search shim: apt-get install npm" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d site
	$(PY) scripts/check_offline_site.py site

clean:
	rm -rf $(VENV) node_modules build dist site *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
