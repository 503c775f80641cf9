"""The shared-negatives skip-gram block (kernels._sg_ns_shared) against hand numbers and a NumPy reference."""

import numpy as np
import pytest

from w2v import kernels


def _run_block(sent, i, lo, hi, wi, wo, ahead, lr=0.1, window=2):
    """Call the block update for centre ``sent[i]`` with SGD; ``ahead`` holds its noise words."""
    K = ahead.size
    d = wi.shape[1]
    z2 = np.zeros((1, 1), np.float32)
    z1 = np.zeros(1, np.int64)
    prob, alias = np.ones(wo.shape[0], np.float32), np.arange(wo.shape[0], dtype=np.int32)
    state = kernels.seed_state(1, 0, 0)
    return kernels._sg_ns_shared(
        np.asarray(sent, np.int32), i, lo, hi, wi, wo, K, state, prob, alias,
        kernels.SGD, np.float32(lr), z2, z2, z1, z2, z2, z1, np.zeros(kernels.N_FPARAMS, np.float32),
        np.empty(2 * window, np.int64), np.empty(K + 1, np.int64), np.empty((2 * window, K + 1), np.float32),
        np.empty((2 * window, d), np.float32), np.empty(d, np.float32), ahead)


def test_block_worked_example_from_zero_output_rows():
    # centre 1 with contexts 0 and 2, one noise word 3; wo = 0 so every logit is 0, σ = 1/2:
    # g = +1/2 for the centre, -1/2 for the noise word; loss = 4 log 2; the input rows do not move
    wi = np.array([[1.0, 2.0], [9.0, 9.0], [3.0, -1.0], [9.0, 9.0]], np.float32)
    wo = np.zeros((4, 2), np.float32)
    ahead = np.array([3], np.int64)
    loss, n = _run_block([0, 1, 2], 1, 0, 3, wi, wo, ahead, lr=0.1)
    assert n == 2
    assert loss == pytest.approx(4 * np.log(2.0), abs=1e-5)
    # wo[1] += 0.1 * 0.5 * (wi[0] + wi[2]) = 0.05 * (4, 1); wo[3] gets the opposite
    np.testing.assert_allclose(wo[1], [0.2, 0.05], atol=1e-6)
    np.testing.assert_allclose(wo[3], [-0.2, -0.05], atol=1e-6)
    np.testing.assert_array_equal(wo[[0, 2]], 0.0)
    np.testing.assert_array_equal(wi, [[1, 2], [9, 9], [3, -1], [9, 9]])
    assert 0 <= ahead[0] < 4  # refilled with the next example's draw


def _reference(ctx, tgt, wi, wo, lr):
    """The block update in NumPy (float64): summed gradients from the old rows."""
    x = wi[ctx].astype(np.float64)
    y = wo[tgt].astype(np.float64)
    f = x @ y.T
    label = np.zeros(len(tgt))
    label[0] = 1.0
    sig = 1.0 / (1.0 + np.exp(-f))
    g = label - sig
    loss = -np.sum(np.log(np.where(label > 0, sig, 1.0 - sig)))
    wi2, wo2 = wi.astype(np.float64), wo.astype(np.float64)
    np.add.at(wo2, tgt, lr * g.T @ x)
    np.add.at(wi2, ctx, lr * g @ y)
    return loss, wi2, wo2


def test_block_matches_numpy_reference_with_repeated_words():
    rng = np.random.default_rng(3)
    wi = rng.normal(0, 0.5, (6, 5)).astype(np.float32)
    wo = rng.normal(0, 0.5, (6, 5)).astype(np.float32)
    sent = [4, 2, 0, 4, 5]           # centre 0 at i = 2; word 4 twice in its window
    ahead = np.array([5, 0, 1], np.int64)  # the noise draw equal to the centre (0) is dropped
    loss_ref, wi_ref, wo_ref = _reference([4, 2, 4, 5], [0, 5, 1], wi, wo, 0.05)
    loss, n = _run_block(sent, 2, 0, 5, wi, wo, ahead, lr=0.05)
    assert n == 4
    assert loss == pytest.approx(loss_ref, abs=1e-4)
    np.testing.assert_allclose(wi, wi_ref, atol=2e-6)
    np.testing.assert_allclose(wo, wo_ref, atol=2e-6)


def test_block_without_context_does_nothing():
    wi = np.ones((3, 2), np.float32)
    wo = np.ones((3, 2), np.float32)
    ahead = np.array([2], np.int64)
    assert _run_block([1], 0, 0, 1, wi, wo, ahead) == (0.0, 0)
    np.testing.assert_array_equal(wi, 1.0)
    np.testing.assert_array_equal(wo, 1.0)
    assert ahead[0] == 2  # no draw was used
