"""w2v.sampling's alias table: NumPy only, and bit for bit the compiled kernels' ``vose``."""

import os
import subprocess
import sys

import numpy as np
import pytest

from w2v import kernels
from w2v.sampling import _vose, alias_table, noise_distribution


def _same(p, **kw):
    p = np.ascontiguousarray(p / p.sum())
    prob, alias = _vose(p, **kw)
    k_prob, k_alias = kernels.vose(p)
    assert prob.dtype == np.float32 and alias.dtype == np.int32
    assert np.array_equal(prob, k_prob) and np.array_equal(alias, k_alias)


def _distributions(seed):
    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 7, 50, 299):
        yield rng.dirichlet(np.full(n, 0.3))
        yield np.arange(1, n + 1, dtype=np.float64) ** -0.75
        yield np.ones(n)
        yield rng.integers(1, 5, n).astype(np.float64)
        yield np.where(rng.random(n) < 0.3, 0.0, rng.random(n)) + (np.arange(n) == 0)  # zeros, one positive
        # decimal fractions whose residuals land on 1 in exact arithmetic but not in floating point,
        # where the predicted order of the pairs is wrong and must be corrected
        for _ in range(8):
            yield rng.choice([0.1, 0.2, 0.3, 0.7, 1.3, 1.9, 2.1, 1.0, 0.5], n)


@pytest.mark.parametrize("window", [1, 3, 1 << 12])
def test_alias_table_is_the_kernels_table(window):
    for p in _distributions(window):
        _same(p, window=window)


def test_alias_table_is_the_kernels_table_for_a_million_words():
    counts = np.maximum(1, 10**9 // np.arange(1, 10**6 + 1))  # Zipf
    _same(noise_distribution(counts, 0.75))
    _same(np.random.default_rng(0).dirichlet(np.full(10**6, 0.3)))


def test_alias_table_draws_the_distribution():
    q = noise_distribution(np.array([60, 40, 25, 18, 12, 9, 7, 5, 4, 3, 2, 1]))
    prob, alias = alias_table(q)
    n = q.size
    # each column i holds prob[i] of itself and 1 - prob[i] of alias[i], each column 1/n
    drawn = np.bincount(np.arange(n), weights=prob.astype(np.float64), minlength=n)
    drawn += np.bincount(alias, weights=1.0 - prob.astype(np.float64), minlength=n)
    assert np.allclose(drawn / n, q, atol=1e-7)
    assert alias_table(np.zeros(0))[0].shape == (0,)


def test_alias_table_needs_no_compiled_kernels():
    # the table is computed before the kernels are obtained, in a process that need not load them
    code = ("import sys; from w2v.sampling import alias_table; alias_table([3.0, 1.0, 0.5, 2.0]); "
            "print(sorted(m for m in sys.modules if m in ('numba', 'w2v.engine', 'w2v.kernels')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "W2V_KERNELS": "jit"}, check=True).stdout
    assert out.strip() == "[]"
