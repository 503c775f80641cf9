"""The full softmax trained in blocks through BLAS (w2v.blocked): gradients, examples, training."""

from __future__ import annotations

import numpy as np
import pytest

from w2v import blocked, engine
from w2v import kernel_abi as abi
from w2v import train as T
from w2v.vocab import Vocabulary


def _nll(h, wo, rows, targets):
    z = h @ wo.T
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[rows, targets].sum()


def test_block_loss_and_both_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    V, d, B, lr = 40, 6, 5, 0.1
    h = rng.normal(size=(B, d)).astype(np.float32)
    wo = (0.3 * rng.normal(size=(V, d))).astype(np.float32)
    rows = np.array([0, 0, 0, 1, 2, 3, 3, 4])  # rows with several targets: a skip-gram window
    targets = rng.integers(0, V, rows.size)
    h64, wo64 = h.astype(np.float64), wo.astype(np.float64)
    new_wo = wo.copy()
    loss, neu1e = blocked.softmax_block(h.copy(), rows, targets, new_wo, lr)
    assert loss == pytest.approx(_nll(h64, wo64, rows, targets), rel=1e-6)
    grad_h = _central_differences(lambda x: _nll(x, wo64, rows, targets), h64)
    assert np.allclose(neu1e, -lr * grad_h, atol=1e-5)  # -lr dL/dh for the inputs
    grad_wo = _central_differences(lambda x: _nll(h64, x, rows, targets), wo64)
    assert np.allclose(wo - new_wo, lr * grad_wo, atol=1e-5)  # wo took its SGD step in place


def _central_differences(f, x, eps=1e-4):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (f(up) - f(down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_examples_are_the_windows_of_the_walk(model):
    # window 1 without subsampling: every centre's window is its two neighbours (one at the ends)
    kern = engine.kernels("jit")
    ids = np.array([3, 1, 4, 1, 5, 9, 2], np.int32)
    seg = np.array([0, 4, 7], np.int64)  # windows never cross the segment boundary
    iparams = np.zeros(abi.N_IPARAMS, np.int64)
    iparams[abi.I_MODEL] = abi.MODELS[model]
    iparams[abi.I_WINDOW] = 1
    buf = blocked.ExampleBuffers()
    buf.fit(ids.size, 1)
    rows, n_words, n_kept = kern.softmax_examples(ids, seg, 0, 2, np.ones(10, np.float32), iparams,
                                                  kern.seed_state(1, 0, 0), buf.inp, buf.in_ptr, buf.tgt,
                                                  buf.tg_ptr)
    assert (rows, n_words, n_kept) == (7, 7, 7)
    windows = [[1], [3, 4], [1, 1], [4], [9], [5, 2], [9]]
    centres, contexts = (buf.inp, buf.tgt) if model == "sg" else (buf.tgt, buf.inp)
    c_ptr = buf.in_ptr if model == "sg" else buf.tg_ptr
    x_ptr = buf.tg_ptr if model == "sg" else buf.in_ptr
    for r in range(rows):
        assert list(centres[c_ptr[r]:c_ptr[r + 1]]) == [ids[r]]
        assert list(contexts[x_ptr[r]:x_ptr[r + 1]]) == windows[r]


def _structured_corpus(n=100_000, V=2000, seed=0):
    """Zipf draws where half the tokens are followed by the next word id: a learnable corpus."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, V + 1)
    ids = rng.choice(V, size=n, p=p / p.sum())
    follow = rng.random(n) < 0.5
    for i in range(1, n):
        if follow[i]:
            ids[i] = (ids[i - 1] + 1) % V
    counts = np.maximum(np.bincount(ids, minlength=V), 1)  # no word without noise mass
    vocab = Vocabulary([f"w{i}" for i in range(V)], counts)
    return vocab, ids.astype(np.int32), np.arange(0, n + 1, 1000)


def test_blocked_cbow_reaches_the_per_example_kernels_loss(monkeypatch):
    vocab, ids, offsets = _structured_corpus()
    cfg = T.TrainConfig(model="cbow", loss="softmax", dim=32, epochs=3, workers=1, seed=1, sample=0,
                        min_count=1)
    blocked_run = T.train(vocab, ids, offsets, cfg, progress=False)
    monkeypatch.setattr(T, "blocked_softmax", lambda cfg: False)
    reference = T.train(vocab, ids, offsets, cfg, progress=False)
    a, b = blocked_run.info["loss_per_epoch"], reference.info["loss_per_epoch"]
    assert a[-1] < a[0] - 0.5  # it learns (the unigram entropy is ~6.6 nats here)
    assert abs(a[-1] - b[-1]) < 0.02 * b[-1]
    assert blocked_run.info["epochs_log"][0]["examples"] == reference.info["epochs_log"][0]["examples"]
