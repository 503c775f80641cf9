"""The kernels against docs/theory.md: every output layer, optimiser and input rule compared with a separate
NumPy reference (tests/reference_numpy.py) or with numbers worked out by hand from the published formulas.

The finite-difference tests in test_train.py differentiate the kernels' own loss, so they cannot catch a
wrong objective (a missing -log(Kq) shift, a flipped code); these compare the objective itself.
"""

import numpy as np
import pytest
import reference_numpy as ref

from w2v import kernels
from w2v import train as train_module
from w2v.sampling import alias_table, huffman_tree, noise_distribution
from w2v.train import TrainConfig, adam_bias_table, train
from w2v.vocab import Vocabulary

V, D, K = 12, 5, 8
COUNTS = np.array([60, 40, 25, 18, 12, 9, 7, 5, 4, 3, 2, 1], dtype=np.int64)
# (target, seed): the K draws of that seed hold accidental hits of the target and a repeated noise word
# (seed 0: 1, 4, 6, 5, 0, 0, 1, 2; seed 8: 5, 8, 9, 7, 0, 5, 1, 1), so both special cases are exercised
CASES = [(0, 0), (9, 8)]


def _tables():
    q = ref.noise_q(COUNTS)
    prob, alias = alias_table(q)
    points, codes, lengths = huffman_tree(COUNTS)
    return q, prob, alias, np.log(q).astype(np.float32), points, codes, lengths


def _example(seed=11):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.7, D).astype(np.float32), rng.normal(0, 0.7, (V, D)).astype(np.float32)


def _reference(layer, h, wo, target, noise, q, points, codes, lengths, lr):
    if layer == "softmax":
        return ref.softmax(h, wo, target, lr)
    if layer == "hs":
        return ref.hs(h, wo, target, points, codes, lengths, lr)
    if layer == "ns":
        return ref.ns(h, wo, target, noise, lr)
    if layer == "nce":
        return ref.nce(h, wo, target, noise, q, lr)
    return ref.sampled(h, wo, target, noise, q, lr)


def test_noise_distribution_is_the_documented_one():
    np.testing.assert_allclose(noise_distribution(COUNTS), ref.noise_q(COUNTS), rtol=1e-12)


@pytest.mark.parametrize("target,seed", CASES)
@pytest.mark.parametrize("layer", ["softmax", "hs", "ns", "nce", "sampled"])
def test_output_layer_matches_the_numpy_reference(layer, target, seed):
    q, prob, alias, logq, points, codes, lengths = _tables()
    h, wo = _example()
    noise = kernels.sample_noise(prob, alias, K, seed)  # the draws example_step makes with this seed
    assert target in noise and len(set(noise[noise != target].tolist())) < np.sum(noise != target)
    kind = kernels.LOSSES[layer]
    # loss and e = -dL/dh, nothing updated
    wo_k = wo.copy()
    loss, e = kernels.example_step(kind, h, target, wo_k, K, seed, prob, alias, logq, points, codes, lengths, 0.0)
    loss_r, e_r, _ = _reference(layer, h, wo, target, noise, q, points, codes, lengths, 0.0)
    assert loss == pytest.approx(loss_r, rel=1e-5)
    np.testing.assert_allclose(e, e_r, rtol=1e-5, atol=2e-6)
    np.testing.assert_array_equal(wo_k, wo)
    # one SGD step: the updated output rows (and e, which later draws of a repeated word see moved)
    lr = 0.1
    wo_k = wo.copy()
    loss, e = kernels.example_step(kind, h, target, wo_k, K, seed, prob, alias, logq, points, codes, lengths,
                                   np.float32(lr))
    loss_r, e_r, wo_r = _reference(layer, h, wo, target, noise, q, points, codes, lengths, lr)
    assert loss == pytest.approx(loss_r, rel=1e-5)
    np.testing.assert_allclose(e, e_r, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(wo_k, wo_r, rtol=1e-5, atol=2e-6)
    assert np.abs(wo_k - wo).max() > 1e-3  # the step did something


def test_hierarchical_softmax_probabilities_sum_to_one():
    # P(w|h) = exp(-L_w): with the documented sign convention the tree's leaves form a distribution
    _, prob, alias, logq, points, codes, lengths = _tables()
    h, wo = _example(5)
    p = [np.exp(-kernels.example_step(kernels.HS, h, w, wo.copy(), K, 0, prob, alias, logq, points, codes,
                                      lengths, 0.0)[0]) for w in range(V)]
    assert sum(p) == pytest.approx(1.0, abs=1e-5)


def test_sigmoid_and_softplus_tables_within_the_documented_error():
    x = np.linspace(-7.999, 7.999, 20_001)
    got = np.array([kernels._sigmoid_softplus(v) for v in x])
    assert np.abs(got[:, 0] - ref.sigmoid(x)).max() < 3e-7
    assert np.abs(got[:, 1] - ref.neg_log_sigmoid(x)).max() < 6e-7
    for v in (8.0, 12.5, 40.0, -8.0, -12.5, -40.0):  # exact forms outside the table
        s, sp = kernels._sigmoid_softplus(v)
        assert s == pytest.approx(ref.sigmoid(v), rel=1e-12, abs=1e-12)
        assert sp == pytest.approx(ref.neg_log_sigmoid(v), rel=1e-12, abs=1e-12)
    assert kernels._sigmoid_softplus(-1000.0)[1] == pytest.approx(1000.0)  # linear, not clamped


# --------------------------------------------------------------------------- optimisers (update_row)


def _opt_state(lr, eps=1e-8, b1=0.9, b2=0.999):
    w = np.array([[9.0, 9.0], [0.5, -0.25], [1.0, 2.0]], np.float32)
    fp = np.zeros(kernels.N_FPARAMS, np.float32)
    fp[[kernels.F_LR, kernels.F_BETA1, kernels.F_BETA2, kernels.F_EPS]] = lr, b1, b2, eps
    return w, np.zeros_like(w), np.zeros_like(w), np.zeros(3, np.int64), fp


def _step(opt, w, m, v, t, fp, r, grad):
    """update_row takes the gradient to be -g*scale*x: pass g = 2, scale = 0.5, x = -grad."""
    x = -np.asarray(grad, np.float32)
    kernels.update_row(w, r, 2.0, x, 0.5, opt, fp[kernels.F_LR], m, v, t, fp,
                       adam_bias_table(fp[kernels.F_BETA1], fp[kernels.F_BETA2]))


def test_adam_two_steps_worked_numbers():
    # Kingma & Ba (2015), lr 0.01, β = (0.9, 0.999), row (0.5, -0.25):
    # t=1, G = (0.2, -0.4): m = 0.1 G = (0.02, -0.04), v = 0.001 G² = (4e-5, 1.6e-4);
    #   step = 0.01 √(1-0.999)/(1-0.9) m/√v = 0.01 sign(G)  ->  (0.49, -0.24)
    # t=2, G = (0.1, 0.3): m = 0.9 m + 0.1 G = (0.028, -0.006), v = 0.999 v + 0.001 G² = (4.996e-5, 2.4984e-4);
    #   step = 0.01 √(1-0.999²)/(1-0.9²) m/√v = 0.00235317 (3.96138, -0.379595) = (0.0093218, -0.00089325)
    w, m, v, t, fp = _opt_state(0.01)
    _step(kernels.ADAM, w, m, v, t, fp, 1, [0.2, -0.4])
    np.testing.assert_allclose(w[1], [0.49, -0.24], atol=2e-7)
    np.testing.assert_allclose(m[1], [0.02, -0.04], rtol=1e-6)
    np.testing.assert_allclose(v[1], [4e-5, 1.6e-4], rtol=1e-4)  # β2 = 0.999 in float32: 1 - β2 off by 1.3e-5
    assert t.tolist() == [0, 1, 0]
    _step(kernels.ADAM, w, m, v, t, fp, 1, [0.1, 0.3])
    # the moments are float32 arithmetic: -0.036 + 0.03 cancels to within a few float32 ulps of 0.04
    np.testing.assert_allclose(m[1], [0.028, -0.006], rtol=1e-6, atol=2e-8)
    np.testing.assert_allclose(v[1], [4.996e-5, 2.4984e-4], rtol=1e-4)
    np.testing.assert_allclose(w[1], [0.48067823, -0.23910676], atol=2e-7)
    assert t.tolist() == [0, 2, 0]
    # lazy rows: the others untouched, moments included; a first update of row 2 gets the full
    # bias correction of t = 1 (a step of lr sign(G)) although row 1 is at t = 2
    np.testing.assert_array_equal(w[[0, 2]], [[9, 9], [1, 2]])
    assert not m[[0, 2]].any() and not v[[0, 2]].any()
    _step(kernels.ADAM, w, m, v, t, fp, 2, [-3.0, 0.5])
    np.testing.assert_allclose(w[2], [1.01, 1.99], atol=2e-6)
    assert t.tolist() == [0, 2, 1]


def test_adam_epsilon_is_added_outside_the_bias_correction():
    # theory.md §5: the "efficient" form w -= lr √(1-β2^t)/(1-β1^t) m/(√v + ε). With ε = 0.01, t = 1,
    # G = (0.2, -0.4): √v = (0.0063246, 0.0126491), step = 0.00316228 (0.02/0.0163246, -0.04/0.0226491)
    # = (0.0038742, -0.0055848); Algorithm 1's m̂/(√v̂ + ε) would give 0.01 G/(|G| + ε) = (0.0095, -0.0098)
    w, m, v, t, fp = _opt_state(0.01, eps=0.01)
    _step(kernels.ADAM, w, m, v, t, fp, 1, [0.2, -0.4])
    np.testing.assert_allclose(0.5 - w[1, 0], 0.0038742, rtol=1e-3)
    np.testing.assert_allclose(-0.25 - w[1, 1], -0.0055848, rtol=1e-3)


def test_adagrad_two_steps_worked_numbers():
    # Duchi et al. (2011), diagonal, lr 0.1, row (0.5, -0.25):
    # G = (0.2, -0.4): v = (0.04, 0.16), step = 0.1 G/√v = (0.1, -0.1)  ->  (0.4, -0.15)
    # G = (0.1, 0.3): v = (0.05, 0.25), step = 0.1 (0.1/0.2236068, 0.3/0.5) = (0.0447214, 0.06)  ->  (0.3552786, -0.21)
    w, m, v, t, fp = _opt_state(0.1)
    _step(kernels.ADAGRAD, w, m, v, t, fp, 1, [0.2, -0.4])
    np.testing.assert_allclose(w[1], [0.4, -0.15], atol=2e-7)
    np.testing.assert_allclose(v[1], [0.04, 0.16], rtol=1e-6)
    _step(kernels.ADAGRAD, w, m, v, t, fp, 1, [0.1, 0.3])
    np.testing.assert_allclose(w[1], [0.3552786, -0.21], atol=2e-7)
    np.testing.assert_allclose(v[1], [0.05, 0.25], rtol=1e-6)
    np.testing.assert_array_equal(w[[0, 2]], [[9, 9], [1, 2]])
    assert not v[[0, 2]].any()


def test_optimisers_match_the_numpy_reference_on_random_steps():
    rng = np.random.default_rng(2)
    grads = rng.normal(0, 1, (5, 4))
    for opt in (kernels.ADAM, kernels.ADAGRAD):
        w0 = rng.normal(0, 1, 4)
        w = np.zeros((2, 4), np.float32)
        w[1] = w0
        m, v, t = np.zeros_like(w), np.zeros_like(w), np.zeros(2, np.int64)
        fp = np.zeros(kernels.N_FPARAMS, np.float32)
        fp[[kernels.F_LR, kernels.F_BETA1, kernels.F_BETA2, kernels.F_EPS]] = 0.05, 0.5, 0.75, 1e-8
        wr, mr, vr, tr = w0, 0.0, 0.0, 0
        for grad in grads:
            _step(opt, w, m, v, t, fp, 1, grad)
            if opt == kernels.ADAM:
                wr, mr, vr, tr = ref.adam_row(wr, mr, vr, tr, grad, 0.05, 0.5, 0.75)
            else:
                wr, vr = ref.adagrad_row(wr, vr, grad, 0.05)
        np.testing.assert_allclose(w[1], wr, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- CBOW input rows (§3)


def _chunk_hs_cbow(sent, wi, wo, cbow_mean, lr):
    """One train_chunk over the segment ``sent``: CBOW, hierarchical softmax, window 1, no subsampling."""
    counts = np.array([2, 1], np.int64)
    points, codes, lengths = huffman_tree(counts)
    prob, alias = alias_table(ref.noise_q(counts))
    ip = np.zeros(kernels.N_IPARAMS, np.int64)
    ip[[kernels.I_MODEL, kernels.I_LOSS, kernels.I_NEG, kernels.I_WINDOW, kernels.I_OPT, kernels.I_CBOW_MEAN]] = \
        kernels.CBOW, kernels.HS, 1, 1, kernels.SGD, int(cbow_mean)
    fp = np.zeros(kernels.N_FPARAMS, np.float32)
    fp[kernels.F_LR] = lr
    z2, z1 = np.zeros((1, 1), np.float32), np.zeros(1, np.int64)
    return kernels.train_chunk(np.asarray(sent, np.int32), np.array([0, len(sent)], np.int64), 0, 1, wi, wo,
                               np.ones(2, np.float32), prob, alias, np.zeros(2, np.float32), points, codes,
                               lengths, z2, z2, z1, z2, z2, z1, np.ones(1), ip, fp, kernels.seed_state(1, 0, 0),
                               np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros((0, 2), np.float32))


@pytest.mark.parametrize("cbow_mean,sigma,expected", [(True, 0.6224593, [1.9377541, 0.6244919]),
                                                     (False, 0.7310586, [1.9268941, 0.6462117])])
def test_cbow_adds_the_unscaled_neu1e_to_every_context_position(cbow_mean, sigma, expected):
    # V = 2: one inner node (row 0, u = (0.5, -1)); word 0 has code 1, word 1 code 0. Segment (1, 0, 1):
    # centre 0: h = wi[0] = 0, so wo does not move; centre 1 (word 0): contexts (1, 1), h = v = (2, 0.5)
    # (mean) or 2v (sum), s = u·h = 0.5 or 1, g = ς(1 - σ(ς s)) = -σ(s), e = g u; each of the two context
    # positions adds lr e to wi[1] (also for the mean: no division by |C|); centre 2 moves wi[0] only.
    codes = huffman_tree(np.array([2, 1]))[1]
    assert codes[0, 0] == 1 and codes[1, 0] == 0
    wi = np.array([[0.0, 0.0], [2.0, 0.5]], np.float32)
    wo = np.array([[0.5, -1.0], [0.0, 0.0]], np.float32)
    lr = 0.1
    loss, n_ex, n_words, n_kept = _chunk_hs_cbow([1, 0, 1], wi, wo, cbow_mean, lr)
    assert (n_ex, n_words, n_kept) == (3, 3, 3)
    # σ(0.5) = 0.6224593, σ(1) = 0.7310586; wi[1] = v + 2 lr (-σ) u
    np.testing.assert_allclose(wi[1], np.array([2.0, 0.5]) + 2 * lr * -sigma * np.array([0.5, -1.0]), atol=1e-6)
    np.testing.assert_allclose(wi[1], expected, atol=1e-6)


@pytest.mark.parametrize("model,cbow_mean", [("cbow", True), ("cbow", False), ("sg", True)])
def test_training_walk_matches_the_numpy_reference(model, cbow_mean, monkeypatch):
    # one document, window 1 (every effective window is 1), no subsampling, full softmax through the
    # per-example kernel (SGD otherwise trains it in blocks: tests/test_blocked.py): train() is
    # deterministic and equals the reference walk of §1/§3 from the documented initialisation
    monkeypatch.setattr(train_module, "blocked_softmax", lambda cfg: False)
    words = ["a", "b", "c", "d"]
    doc = [0, 1, 0, 0, 2, 1, 3, 0, 2]  # word 0 twice in the window of position 2: two updates of its row
    vocab = Vocabulary(words, np.bincount(doc, minlength=4))
    cfg = TrainConfig(model=model, loss="softmax", cbow_mean=cbow_mean, dim=4, window=1, sample=0, epochs=1,
                      min_count=1, workers=1, seed=5)
    m = train(vocab, np.array(doc, np.int32), np.array([0, len(doc)], np.int64), cfg, progress=False)
    rng = np.random.default_rng(5)
    wi0 = ((rng.random((4, 4), dtype=np.float32) - np.float32(0.5)) / np.float32(4)).astype(np.float32)
    lr = float(np.float32(cfg.learning_rate))
    loss_sum, n_ex, wi_r, wo_r = ref.walk_window1(doc, wi0, np.zeros((4, 4)), model, lr, cbow_mean)
    log = m.info["epochs_log"][0]
    assert log["examples"] == n_ex == (2 * len(doc) - 2 if model == "sg" else len(doc))
    assert log["loss"] == pytest.approx(loss_sum / n_ex, rel=1e-5)
    np.testing.assert_allclose(m.wo, wo_r, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(m.wi, wi_r, rtol=1e-5, atol=1e-7)
    assert np.abs(m.wi - wi0).max() > 1e-4
