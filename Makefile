# Two commands set up and run everything on a fresh machine (see README.md):
#   make study   # install, then run the whole study with Snakemake (data downloaded or from a mirror)
#   make test    # install (with dev tools and a local SLURM), then run the test suite
# W2V_DATA_MIRROR (a folder with the archives) defaults to ../shared/data when that exists.

PYTHON ?= python
CORES ?= 2
SHARED_DATA := $(abspath ../shared/data)
export W2V_DATA_MIRROR ?= $(if $(wildcard $(SHARED_DATA)/MANIFEST.md),$(SHARED_DATA),)

.PHONY: install install-dev study demo report test slow bench

install:
	$(PYTHON) -m pip install --quiet -e .

install-dev:
	$(PYTHON) -m pip install --quiet -e ".[dev]"
	bash .ci/install-slurm.sh

study: install
	snakemake --cores $(CORES) --profile workflow/profiles/default
	snakemake --report results/report.html

demo: install
	snakemake --cores $(CORES) --profile workflow/profiles/default --config preset=demo

test: install-dev
	$(PYTHON) -m pytest

slow: install-dev
	$(PYTHON) -m pytest -m slow

bench: install-dev
	$(PYTHON) -m pip install --quiet -e ".[bench]"
	$(PYTHON) bench/train_vs_peers.py --peers gensim,word2vec.c,fasttext --threads 1,2
