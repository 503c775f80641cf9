# Two commands set up and run everything on a fresh machine (see README.md):
#   make study   # install (exact pins), then run the whole study with Snakemake and build its report
#   make test    # install (exact pins, dev tools, a local SLURM), then run the test suite
# and the offline demo on the committed sample: `make demo` (workflow and its report, a few minutes).
#
# Installs come from the lock files in requirements/ (every transitive pin, Python 3.11), so a
# study reproduced from scratch runs with the same package versions; pyproject.toml keeps the
# ranges for library use. `make lock` regenerates the lock files from pyproject.toml.
# W2V_DATA_MIRROR (a folder with the archives) defaults to ../shared/data when that exists.

PYTHON ?= python
CORES ?= 2
SHARED_DATA := $(abspath ../shared/data)
export W2V_DATA_MIRROR ?= $(if $(wildcard $(SHARED_DATA)/MANIFEST.md),$(SHARED_DATA),)
PIP := $(PYTHON) -m pip install --quiet --disable-pip-version-check
LOCK_PLATFORM := --python-version 3.11 --python-platform x86_64-manylinux_2_28
SNAKEMAKE := $(PYTHON) -m snakemake

.PHONY: install install-dev study report demo demo-report test slow bench lock

# the study: the package, its pinned dependencies and the study's reference trainer (gensim)
install:
	$(PIP) -r requirements/study.lock
	$(PIP) --no-deps -e .

# the tests: the study's install plus pytest and the SLURM executor plugin, and Debian's slurm-wlm
install-dev:
	$(PIP) -r requirements/dev.lock
	$(PIP) --no-deps -e .
	bash .ci/install-slurm.sh

study: install
	$(SNAKEMAKE) --cores $(CORES) --profile workflow/profiles/default
	$(MAKE) report

report:
	$(SNAKEMAKE) --report results/report.html

demo: install
	$(SNAKEMAKE) --cores $(CORES) --profile workflow/profiles/default --config preset=demo
	$(MAKE) demo-report

demo-report:
	$(SNAKEMAKE) --config preset=demo --report results/demo/report.html

test: install-dev
	$(PYTHON) -m pytest

slow: install-dev
	$(PYTHON) -m pytest -m slow

bench: install-dev
	$(PIP) -e ".[bench]"
	$(PYTHON) bench/train_vs_peers.py --peers gensim,word2vec.c,fasttext --threads 1,2

# Regenerate the lock files (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra study $(LOCK_PLATFORM) -o requirements/study.lock \
	    --custom-compile-command "make lock" --quiet
	uv pip compile pyproject.toml --extra dev $(LOCK_PLATFORM) -o requirements/dev.lock \
	    --custom-compile-command "make lock" --quiet
