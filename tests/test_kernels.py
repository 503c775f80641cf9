"""Kernel pieces: the shared-negatives skip-gram block (kernels._sg_ns_shared) against hand numbers and a
NumPy reference; thread-private hot output rows against training on the shared rows."""

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
    none1 = np.zeros(1, np.int32)
    tab = kernels.Tables(prob, alias, np.zeros(1, np.float32), z2.astype(np.int32), z2.astype(np.int8), none1)
    sgd = kernels.Optimiser(kernels.SGD, np.float32(lr), z2, z2, z1, np.zeros(kernels.N_FPARAMS, np.float32),
                            np.ones(1))
    hot = kernels.Hot(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros((0, d), np.float32))
    work = kernels.Work(np.empty(K + 1, np.int64), np.empty(K + 1, np.float64), ahead)
    buf = kernels.Buffers(np.asarray(sent, np.int32), np.empty(d, np.float32), np.empty(d, np.float32),
                          np.empty(2 * window, np.int64), np.empty(K + 1, np.int64),
                          np.empty((2 * window, K + 1), np.float32), np.empty((2 * window, d), np.float32), work)
    return kernels._sg_ns_shared(buf.sent, i, lo, hi, wi, wo, K, state, tab, sgd, sgd, hot, buf)


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


# --------------------------------------------------------------------------- thread-private hot rows


def test_hot_row_changes_from_two_threads_add_up():
    # two threads load the same shared row, change their copies by +2 and -1, and merge in turn
    w = np.array([[1.0, 5.0], [7.0, 7.0]], np.float32)
    hot = np.array([0], np.int64)
    a = np.empty((2, 2), np.float32)
    b = np.empty((2, 2), np.float32)
    kernels._hot_load(w, hot, a)
    kernels._hot_load(w, hot, b)
    a[0] += 2.0
    b[0] -= 1.0
    kernels._hot_merge(w, hot, a)
    kernels._hot_merge(w, hot, b)
    np.testing.assert_array_equal(w, [[2.0, 6.0], [7.0, 7.0]])  # both changes, row 1 untouched


def _chunk(model, loss, shared, hot, sync, seed=4):
    """One train_chunk over a fixed random corpus (one thread); ``hot`` rows of wo in private copies."""
    from w2v.sampling import alias_table, huffman_tree, noise_distribution

    rng = np.random.default_rng(seed)
    V, d, K = 30, 8, 4
    counts = np.sort(rng.integers(1, 200, V))[::-1].astype(np.int64)
    ids = rng.choice(V, 600, p=counts / counts.sum()).astype(np.int32)
    seg = np.array([0, 200, 450, 600], np.int64)
    wi = ((rng.random((V, d)) - 0.5) / d).astype(np.float32)
    wo = rng.normal(0, 0.1, (V, d)).astype(np.float32)
    wo_start = wo.copy()
    q = noise_distribution(counts)
    prob, alias = alias_table(q)
    points, codes, lengths = huffman_tree(counts)
    ip = np.zeros(kernels.N_IPARAMS, np.int64)
    ip[kernels.I_MODEL] = kernels.MODELS[model]
    ip[kernels.I_LOSS] = kernels.LOSSES[loss]
    ip[kernels.I_NEG] = K
    ip[kernels.I_WINDOW] = 3
    ip[kernels.I_OPT] = kernels.SGD
    ip[kernels.I_CBOW_MEAN] = 1
    ip[kernels.I_SHARED_NEG] = int(shared)
    ip[kernels.I_HOT_SYNC] = sync
    fp = np.zeros(kernels.N_FPARAMS, np.float32)
    fp[kernels.F_LR] = 0.05
    hot = np.asarray(hot, np.int64)
    slot = np.full(V, -1, np.int32) if hot.size else np.zeros(0, np.int32)
    slot[hot] = np.arange(hot.size)
    z2, z1 = np.zeros((1, 1), np.float32), np.zeros(1, np.int64)
    res = kernels.train_chunk(ids, seg, 0, 3, wi, wo, np.full(V, 0.9, np.float32), prob, alias,
                              np.log(q).astype(np.float32), points, codes, lengths, z2, z2, z1, z2, z2, z1, np.ones(1),
                              ip, fp, kernels.seed_state(1, 0, 0), hot, slot,
                              np.empty((2 * hot.size, d), np.float32))
    return res, wi, wo, wo_start


@pytest.mark.parametrize("model,loss,shared", [
    ("sg", "hs", False), ("cbow", "hs", False), ("sg", "ns", False), ("sg", "ns", True),
    ("cbow", "nce", False), ("sg", "sampled", False), ("cbow", "softmax", False),
])
@pytest.mark.parametrize("sync", [0, 7])
def test_hot_rows_train_like_the_shared_rows_with_one_thread(model, loss, shared, sync):
    # every read and write of an output row must go to the thread's copy: with one thread the
    # result is the plain run's up to rounding (a path that read the stale shared row would not be)
    (l0, n0, w0, k0), wi0, wo0, start = _chunk(model, loss, shared, [], 0)
    hot = [0, 1, 2, 5, 28] if loss == "hs" else [0, 1, 3, 17]  # 28 = the root of the 30-word tree
    (l1, n1, w1, k1), wi1, wo1, _ = _chunk(model, loss, shared, hot, sync)
    assert (n1, w1, k1) == (n0, w0, k0)
    assert l1 == pytest.approx(l0, rel=1e-5)
    np.testing.assert_allclose(wi1, wi0, atol=1e-6)
    np.testing.assert_allclose(wo1, wo0, atol=1e-6)
    assert np.abs(wo1[hot] - start[hot]).min(axis=1).max() > 1e-4  # the hot rows were trained and merged
