"""Held-out log-likelihood: worked numbers, a per-pair brute force, the tree's normalisation, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from w2v import heldout as ho
from w2v.cli import main
from w2v.sampling import huffman_tree
from w2v.train import Model, TrainConfig, load_model
from w2v.vocab import Vocabulary

# V = 4, d = 2. Rows of wo are (1,0), (0,1), (-1,0), (0,0), so u_w·h for h = (x, y) is (x, y, -x, 0).
WI = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], np.float32)
WO = np.array([[1, 0], [0, 1], [-1, 0], [0, 0]], np.float32)
E = math.e
# h = wi[0] = (1, 0), target 0: scores (1, 0, -1, 0), p = e / (e + 2 + 1/e) = 0.534447
P_A = E / (E + 2 + 1 / E)
# h = wi[1] = (0, 1), target 1: scores (0, 1, 0, 0), p = e / (e + 3) = 0.475367
P_B = E / (E + 3)


def _model(wi, wo, counts=None, **cfg) -> Model:
    V, d = wi.shape
    counts = np.arange(10 * V, 0, -10) if counts is None else counts
    vocab = Vocabulary([f"w{i}" for i in range(V)], counts)
    config = TrainConfig(dim=d, workers=1, min_count=1, **cfg)
    return Model(vocab, np.asarray(wi, np.float32), np.asarray(wo, np.float32), config,
                 {"config": config.to_dict()})


def test_tiny_model_worked_numbers():
    assert (round(P_A, 6), round(P_B, 6)) == (0.534447, 0.475367)
    nll = ho.softmax_nll(WO, WI[[0, 1]], np.array([0, 1]))
    np.testing.assert_allclose(nll, [-math.log(P_A), -math.log(P_B)], rtol=1e-6)
    # a document repeating one word gives the same example every time, for skip-gram and CBOW
    for arch in ("sg", "cbow"):
        m = _model(WI, WO, model=arch, loss="softmax")
        for doc, p in (([0, 0, 0], P_A), ([1, 1], P_B)):
            r = ho.heldout_loglik(m, [doc], n_pairs=300, window=2, seed=1)
            assert r["kind"] == "softmax" and r["pairs"] == 300
            assert r["mean_nll"] == pytest.approx(-math.log(p), rel=1e-6)
            assert r["perplexity"] == pytest.approx(1 / p, rel=1e-6)
    # skip-gram: the input is the context word, the target the centre; (w0, w1) both ways
    # averages p(0 | wi[1]) = 1/(3+e) (scores (0,1,0,0)) and p(1 | wi[0]) = 1/(e+2+1/e)
    r = ho.heldout_loglik(_model(WI, WO, model="sg", loss="softmax"), [[0, 1]], n_pairs=20_000, window=1)
    expected = -(math.log(1 / (3 + E)) + math.log(1 / (E + 2 + 1 / E))) / 2
    assert r["mean_nll"] == pytest.approx(expected, abs=0.02)


def test_pairs_follow_the_training_windows():
    # docs [0,1,2] and [3,4], window 2: a pass pairs positions at distance δ with weight (3 - δ) / 2
    offsets = np.array([0, 3, 5])
    c, o = ho.draw_pairs(offsets, 200_000, window=2, seed=5)
    weights = {}
    for lo, hi in ((0, 3), (3, 5)):
        for i in range(lo, hi):
            for j in range(lo, hi):
                if i != j and abs(i - j) <= 2:
                    weights[(i, j)] = (3 - abs(i - j)) / 2
    total = sum(weights.values())
    seen = {}
    for pair in zip(c.tolist(), o.tolist()):
        seen[pair] = seen.get(pair, 0) + 1
    assert set(seen) == set(weights)  # never across documents, never the centre itself
    for pair, w in weights.items():
        assert seen[pair] / c.size == pytest.approx(w / total, abs=0.004)
    # CBOW windows: centres uniform over the tokens, window inside the document, b in 1..window
    centre, lo, hi = ho.draw_windows(offsets, 50_000, window=2, seed=5)
    assert np.all((lo <= centre) & (centre < hi)) and np.all(hi - lo >= 2)
    doc_end = np.where(centre < 3, 3, 5)
    assert np.all(hi <= doc_end) and np.all(lo >= doc_end - np.where(centre < 3, 3, 2))
    np.testing.assert_allclose(np.bincount(centre) / centre.size, 0.2, atol=0.01)
    mid = centre == 1  # the middle of [0,1,2] has the whole document in reach whatever b is
    assert np.all(lo[mid] == 0) and np.all(hi[mid] == 3)
    first = centre == 0  # b = 1 reaches position 1 only, b = 2 positions 1 and 2: each half the time
    assert np.mean(hi[first] == 2) == pytest.approx(0.5, abs=0.03) and set(hi[first]) == {2, 3}


def _brute(m, ids, examples) -> float:
    """Per-example Python loop, math only: -log softmax (or the tree's product) of the target."""
    wi, wo = m.wi.astype(float).tolist(), m.wo.astype(float).tolist()
    dot = lambda a, b: sum(x * y for x, y in zip(a, b))
    if m.config.loss == "hs":
        points, codes, lengths = huffman_tree(m.vocab.counts)
    total = 0.0
    for target, context in examples:
        rows = [wi[ids[j]] for j in context]
        h = [sum(col) / (len(rows) if m.config.cbow_mean else 1) for col in zip(*rows)]
        if m.config.loss == "hs":
            lp = 0.0
            for k in range(lengths[target]):
                s = (1 - 2 * int(codes[target, k])) * dot(wo[points[target, k]], h)
                lp += math.log(1 / (1 + math.exp(-s)))
        else:
            scores = [dot(u, h) for u in wo]
            top = max(scores)
            lp = scores[target] - top - math.log(sum(math.exp(s - top) for s in scores))
        total -= lp
    return total / len(examples)


@pytest.mark.parametrize("arch,loss,mean", [("sg", "softmax", True), ("cbow", "softmax", True),
                                             ("cbow", "softmax", False), ("sg", "hs", True), ("cbow", "hs", True)])
def test_matches_a_per_pair_loop_on_fifty_words(arch, loss, mean):
    rng = np.random.default_rng(7)
    V, d = 50, 8
    m = _model(rng.normal(0, 0.6, (V, d)), rng.normal(0, 0.6, (V, d)),
               counts=np.sort(rng.integers(1, 500, V))[::-1], model=arch, loss=loss, cbow_mean=mean)
    docs = [rng.integers(0, V, rng.integers(1, 12)).tolist() for _ in range(40)]
    ids, offsets = ho.encode_documents(m.vocab, docs)
    ids = ids.tolist()
    n, window, seed = 400, 3, 11
    if arch == "sg":
        c, o = ho.draw_pairs(offsets, n, window, seed)
        examples = [(ids[i], [j]) for i, j in zip(c.tolist(), o.tolist())]
    else:
        c, lo, hi = ho.draw_windows(offsets, n, window, seed)
        examples = [(ids[i], [j for j in range(a, b) if j != i]) for i, a, b in zip(c.tolist(), lo, hi)]
    r = ho.heldout_loglik(m, docs, n_pairs=n, window=window, seed=seed)
    assert r["pairs"] == n and r["kind"] == ("tree" if loss == "hs" else "softmax")
    assert ("note" in r) == (loss == "hs")
    assert r["mean_nll"] == pytest.approx(_brute(m, ids, examples), rel=1e-6)


def test_tree_probabilities_sum_to_one_over_the_vocabulary():
    rng = np.random.default_rng(3)
    V, d = 37, 5
    counts = np.sort(rng.integers(1, 1000, V))[::-1]
    tree = huffman_tree(counts)
    wo = rng.normal(0, 1.5, (V, d))
    for h in rng.normal(0, 1.0, (4, d)):
        p = np.exp(-ho.tree_nll(wo, tree, np.tile(h, (V, 1)), np.arange(V)))
        assert p.min() > 0 and p.sum() == pytest.approx(1.0, abs=1e-12)
    # the softmax of the same rows is a distribution too, but over nodes, not words: the two differ
    h = np.tile(rng.normal(0, 1.0, d), (V, 1))
    assert not np.allclose(ho.tree_nll(wo, tree, h, np.arange(V)), ho.softmax_nll(wo, h, np.arange(V)))


def test_draws_are_determined_by_the_seed():
    rng = np.random.default_rng(0)
    m = _model(rng.normal(0, 1, (20, 4)), rng.normal(0, 1, (20, 4)), model="sg", loss="softmax")
    docs = [rng.integers(0, 20, 15).tolist() for _ in range(10)]
    a, b, c = (ho.heldout_loglik(m, docs, n_pairs=1000, window=4, seed=s) for s in (3, 3, 4))
    assert a["mean_nll"] == b["mean_nll"] != c["mean_nll"]
    # the first n examples of a seed do not depend on how many are drawn
    short, long = ho.draw_pairs(np.array([0, 200]), 100, 5, 9), ho.draw_pairs(np.array([0, 200]), 100_000, 5, 9)
    assert np.array_equal(short[0], long[0][:100]) and np.array_equal(short[1], long[1][:100])


def test_oov_tokens_are_dropped_and_an_empty_corpus_is_refused(tmp_path):
    m = _model(WI, WO, model="sg", loss="softmax")
    (tmp_path / "h.txt").write_text("w0 unknown w0\nw1\n")  # w0 w0 once the unknown word is gone
    r = ho.heldout_loglik(m, tmp_path / "h.txt", n_pairs=50, window=1)
    assert r["tokens"] == 3 and r["mean_nll"] == pytest.approx(-math.log(P_A), rel=1e-6)
    (tmp_path / "none.txt").write_text("w0 unknown\nw1\n")
    with pytest.raises(ho.W2VError, match="none.txt: no document has two in-vocabulary tokens"):
        ho.heldout_loglik(m, tmp_path / "none.txt")


def test_cli_evaluate_reports_heldout_perplexity(tmp_path, capsys):
    m = _model(WI, WO, model="sg", loss="hs", window=2)
    m.save(tmp_path / "model")
    (tmp_path / "held.txt").write_text("w0 w1 w2 w3 w0\nw2 w1\n")
    out = tmp_path / "eval.json"
    none = ["--analogies", "none", "--wordsim", "none", "--simlex", "none"]
    assert main(["evaluate", str(tmp_path / "model"), "--out", str(out), *none, "--heldout",
                 str(tmp_path / "held.txt"), "--heldout-pairs", "500", "--heldout-seed", "3"]) == 0
    got = json.loads(out.read_text())["heldout"]
    want = ho.heldout_loglik(load_model(tmp_path / "model"), tmp_path / "held.txt", 500, window=2, seed=3)
    assert got["mean_nll"] == want["mean_nll"] and (got["pairs"], got["kind"]) == (500, "tree")
    assert got["corpus"] == str(tmp_path / "held.txt") and "heldout_perplexity" in capsys.readouterr().err
    # a vectors file has no output vectors; a missing corpus is named
    bad = main(["evaluate", str(tmp_path / "model" / "vectors.bin"), "--out", str(out), *none,
                "--heldout", str(tmp_path / "held.txt")])
    assert bad == 2 and "needs a model directory with model.npz" in capsys.readouterr().err
    bad = main(["evaluate", str(tmp_path / "model"), "--out", str(out), *none, "--heldout", str(tmp_path / "x.txt")])
    assert bad == 2 and "x.txt: no such file for --heldout" in capsys.readouterr().err
