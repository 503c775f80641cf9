"""Test session setup: the ahead-of-time kernels are built once, into a folder of this session."""

import os
import shutil
import tempfile

_cache = None


def pytest_configure(config):
    # every test, and every w2v process a test starts (CLI, Snakemake), shares one build of the
    # kernels (w2v.engine), made by the first training of the session; nothing goes to ~/.cache
    global _cache
    _cache = tempfile.mkdtemp(prefix="w2v-test-kernels-")
    os.environ["W2V_CACHE_DIR"] = _cache
    os.environ.pop("W2V_KERNELS", None)


def pytest_unconfigure(config):
    if _cache:
        shutil.rmtree(_cache, ignore_errors=True)
