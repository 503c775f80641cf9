"""Tests for w2v.classify: poolings by hand, train-only fitting, OOV, baselines, end to end."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest
from negation import negation_documents

from w2v import classify as C
from w2v.cli import main
from w2v.documents import write_documents
from w2v.errors import W2VError
from w2v.io import atomic_open


class StandIn:
    """The KeyedVectors interface the classifier uses (words, vectors, counts)."""

    def __init__(self, words, vectors, counts=None):
        self.index_to_key = list(words)
        self.key_to_index = {w: i for i, w in enumerate(words)}
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.counts = counts

    @property
    def vector_size(self):
        return self.vectors.shape[1]


KV = StandIn(["a", "b", "c", "d"], [[1, 0], [0, 2], [3, 3], [-1, -2]])
DOCS = [["a", "a", "b"], ["b", "c", "x"], [], ["x"], ["d"]]


def test_mean_by_hand_with_oov_and_empty_documents():
    v = C.document_vectors(DOCS, KV, "mean")
    np.testing.assert_allclose(v, [[2 / 3, 2 / 3], [1.5, 2.5], [0, 0], [0, 0], [-1, -2]])


def test_tfidf_by_hand():
    v = C.document_vectors(DOCS, KV, "tfidf")
    n = 5  # documents the IDF is fitted on
    idf_a = math.log((1 + n) / (1 + 1)) + 1
    idf_b = math.log((1 + n) / (1 + 2)) + 1
    idf_c = math.log((1 + n) / (1 + 1)) + 1
    d0 = (2 * idf_a * np.array([1, 0]) + idf_b * np.array([0, 2])) / (2 * idf_a + idf_b)
    d1 = (idf_b * np.array([0, 2]) + idf_c * np.array([3, 3])) / (idf_b + idf_c)
    np.testing.assert_allclose(v, [d0, d1, [0, 0], [0, 0], [-1, -2]], rtol=1e-6)


def test_swem_concatenates_mean_and_max_without_flooring_at_zero():
    v = C.document_vectors(DOCS, KV, "swem")
    np.testing.assert_allclose(v, [[2 / 3, 2 / 3, 1, 2], [1.5, 2.5, 3, 3], [0, 0, 0, 0],
                                   [0, 0, 0, 0], [-1, -2, -1, -2]])


def test_swem_max_pooling_across_chunks(monkeypatch):
    monkeypatch.setattr(C, "_SWEM_CHUNK", 2)
    v = C.document_vectors(DOCS, KV, "swem")
    np.testing.assert_allclose(v[:, 2:], [[1, 2], [3, 3], [0, 0], [0, 0], [-1, -2]])


def test_sif_by_hand_single_training_document():
    # Fitted on d0 = [a, a, b] only: p(a) = 2/3, p(b) = 1/3, p(c) = 0; with a = 1 the
    # weights are 3/5, 3/4, 1. d0 = (2*3/5*[1,0] + 3/4*[0,2]) / 3 = [0.4, 0.5] is the
    # principal direction, so d0 becomes 0; d1 = (3/4*[0,2] + [3,3]) / 2 = [1.5, 2.25]
    # minus its projection on [0.4, 0.5]: 1.725/0.41 * [0.4, 0.5] -> [-15/82, 12/82].
    fit = [True, False, False, False, False]
    v = C.document_vectors(DOCS, KV, "sif", fit, a=1.0)
    np.testing.assert_allclose(v[0], [0, 0], atol=1e-9)
    np.testing.assert_allclose(v[1], [-15 / 82, 12 / 82], rtol=1e-6)
    np.testing.assert_allclose(v[2], [0, 0])
    u = np.array([0.4, 0.5]) / math.sqrt(0.41)
    np.testing.assert_allclose(v @ u, 0, atol=1e-9)


def test_sif_default_weight_downweights_frequent_words():
    # Fitted on d0 = 98 x a + 2 x b: p(a) = 0.98, p(b) = 0.02, a = 1e-3.
    w_a, w_b = 1e-3 / (1e-3 + 0.98), 1e-3 / (1e-3 + 0.02)
    kv = StandIn(["a", "b"], [[1, 0], [0, 1]])
    v = C.document_vectors([["a"] * 98 + ["b"] * 2, ["a", "b"]], kv, "sif", [True, False])
    u = np.array([98 * w_a, 2 * w_b]) / 100
    u /= np.linalg.norm(u)
    pre = np.array([w_a, w_b]) / 2
    np.testing.assert_allclose(v[1], pre - (pre @ u) * u, rtol=1e-6)
    assert w_b / w_a > 40  # the rare word dominates


def test_cluster_pooling_by_hand():
    # Two clear clusters {a, b} and {c, d}; every type has df = 2, so the IDF
    # weights are equal and cancel: block k = sum of the cluster's tokens / 5.
    kv = StandIn(["a", "b", "c", "d"], [[1, 0], [2, 0.1], [0, 1], [0.1, 3]])
    docs = [["c", "a", "c", "b", "d"], ["a", "b", "c", "d"], []]
    v = C.document_vectors(docs, kv, "cluster", n_clusters=2)
    # clusters are numbered by their first type in corpus order: c's cluster is block 0
    np.testing.assert_allclose(v[0], [0.1 / 5, 5 / 5, 3 / 5, 0.1 / 5], rtol=1e-6)
    np.testing.assert_allclose(v[1], [0.1 / 4, 4 / 4, 3 / 4, 0.1 / 4], rtol=1e-6)
    np.testing.assert_array_equal(v[2], 0)
    # more clusters than training types: one centroid (a's), unused blocks stay zero, the
    # width stays n_clusters x d; c, seen only in a test document, joins the nearest centroid
    w = C.document_vectors([["a"], ["c"]], kv, "cluster", [True, False], n_clusters=3)
    np.testing.assert_allclose(w, [[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]])


def test_scdv_soft_assignments_shapes_and_sparsity():
    # Two well separated groups of word vectors; the mixture puts each group in one component.
    rng = np.random.default_rng(0)
    words = [f"p{i}" for i in range(20)] + [f"n{i}" for i in range(20)]
    vecs = np.vstack([rng.normal([3, 0, 0], 0.3, (20, 3)), rng.normal([0, 3, 0], 0.3, (20, 3))])
    kv = StandIn(words, vecs)
    probs = C._soft_clusters(vecs, np.ones(40, dtype=bool), 2, seed=0)
    assert probs.shape == (40, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)  # soft assignments before any weighting
    assert probs[:20].argmax(axis=1).tolist() == [0] * 20  # numbered by first member type
    assert probs[20:].argmax(axis=1).tolist() == [1] * 20
    docs = [list(rng.choice(words[:20], 8)) for _ in range(10)] + [list(rng.choice(words[20:], 8)) for _ in range(10)]
    docs.append([])
    v = C.document_vectors(docs, kv, "scdv", n_clusters=2, sparsity=0.0)
    assert v.shape == (21, 6) and v.dtype == np.float32
    dense = v.toarray()
    np.testing.assert_allclose(np.linalg.norm(dense[:20], axis=1), 1.0, rtol=1e-5)  # unit length
    np.testing.assert_array_equal(dense[20], 0)  # empty document
    # group p lives in block 0, group n in block 1: the two topics separate
    assert np.abs(dense[:10, :3]).sum(axis=1).min() > 0.99 and np.abs(dense[10:20, :3]).max() < 1e-2
    # by hand for one document: idf-weighted sum of p(k|w) v_w over its tokens, scaled to unit length
    types = sorted(set(sum(docs, [])), key=words.index)
    df = np.array([sum(t in d for d in docs) for t in types])
    idf = np.log((1 + 21) / (1 + df)) + 1
    expect = np.zeros(6)
    for t in docs[0]:
        i = words.index(t)
        expect += idf[types.index(t)] * np.concatenate([p * vecs[i] for p in probs[i]])
    np.testing.assert_allclose(dense[0], expect / np.linalg.norm(expect), atol=1e-5)
    # sparsity zeroes the small entries and only those
    s = C.document_vectors(docs, kv, "scdv", n_clusters=2, sparsity=0.5).toarray()
    kept = s != 0
    np.testing.assert_allclose(s[kept], dense[kept], rtol=1e-6)
    assert kept.sum() < (dense != 0).sum()
    thres = 0.5 * (abs(dense[:21].max(axis=1).mean()) + abs(dense[:21].min(axis=1).mean())) / 2
    assert np.abs(dense[~kept]).max() < thres <= np.abs(s[kept]).min()


@pytest.mark.parametrize("covariance", C.COVARIANCES)
def test_scdv_mixture_covariance(covariance):
    # One covariance shared by the components (tied, SCDV's) makes the log-odds of two components
    # linear in the vector (as in linear discriminant analysis); one per component makes it quadratic.
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal([0, 0, 0], [1, .3, .5], (100, 3)), rng.normal([4, 1, 0], [.4, 1, 1.5], (100, 3))])
    probs = C._soft_clusters(x, np.ones(200, dtype=bool), 2, seed=0, covariance=covariance)
    inside = probs.min(axis=1) > 1e-9
    logit = np.log(probs[inside, 1]) - np.log(probs[inside, 0])
    design = np.hstack([np.ones((inside.sum(), 1)), x[inside]])
    residual = logit - design @ np.linalg.lstsq(design, logit, rcond=None)[0]
    assert inside.sum() >= 50 and np.abs(logit).max() > 10
    if covariance == "tied":
        assert np.abs(residual).max() < 1e-6
    else:
        assert np.abs(residual).max() > 1.0


def test_tied_log_density_is_the_gaussians():
    # the shared-covariance log density from one product with the precision's Cholesky factor
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 4))
    cov = a @ a.T + 0.5 * np.eye(4)
    prec_chol = np.linalg.cholesky(np.linalg.inv(cov))  # P P^T = cov^-1
    means, x = rng.normal(size=(3, 4)), rng.normal(size=(20, 4)) * 3
    got = C._tied_log_prob(x, means, prec_chol)
    want = np.stack([multivariate_normal(mu, cov).logpdf(x) for mu in means], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_tied_mixture_is_scikit_learns_model():
    # the same EM, initialisation and stopping as GaussianMixture(covariance_type="tied"): only the
    # per-component density is computed another way, so the fitted model and posteriors agree
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(4)
    centres = rng.normal(0, 3, (6, 10))
    x = np.vstack([c + rng.normal(0, 1, (80, 10)) @ rng.normal(0, .5, (10, 10)) for c in centres])
    ours = C._tied_mixture_class()(6, covariance_type="tied", max_iter=50, reg_covar=1e-4, random_state=1).fit(x)
    theirs = GaussianMixture(6, covariance_type="tied", max_iter=50, reg_covar=1e-4, random_state=1).fit(x)
    assert ours.n_iter_ == theirs.n_iter_ and ours.converged_
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=1e-8)
    assert ours.score(x) == pytest.approx(theirs.score(x), rel=1e-10)
    assert hasattr(GaussianMixture, "_estimate_log_prob")  # the step the subclass replaces


def test_scdv_defaults_are_the_papers():
    assert (C.SCDV_CLUSTERS, C.SCDV_SPARSITY) == (60, 0.04)
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(80)]
    kv = StandIn(words, rng.normal(size=(80, 3)))
    docs = [list(rng.choice(words, 6)) for _ in range(30)]
    assert C.document_vectors(docs, kv, "scdv").shape[1] == 60 * 3
    assert C.document_vectors(docs, kv, "cluster").shape[1] == C.N_CLUSTERS * 3
    with pytest.raises(W2VError, match="covariance 'full' is unknown"):
        C.document_vectors(docs, kv, "scdv", covariance="full")


def test_scdv_blocks_give_the_same_vectors(monkeypatch):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(30)]
    kv = StandIn(words, rng.normal(size=(30, 4)))
    docs = [list(rng.choice(words, 6)) for _ in range(25)] + [[]]
    fit = np.arange(26) % 3 != 0
    whole = C.document_vectors(docs, kv, "scdv", fit, n_clusters=3, sparsity=0.3).toarray()
    monkeypatch.setattr(C, "_SWEM_CHUNK", 4)
    blocks = C.document_vectors(docs, kv, "scdv", fit, n_clusters=3, sparsity=0.3).toarray()
    np.testing.assert_allclose(blocks, whole, rtol=1e-6)
    assert (whole == 0).sum() > (C.document_vectors(docs, kv, "scdv", fit, n_clusters=3, sparsity=0).toarray() == 0).sum()


def test_fitting_uses_training_documents_only():
    train = [["a", "a", "b"], ["b", "c"], ["d", "a"]]
    fit = [True, True, True, False, False]
    for pooling in ("tfidf", "sif", "cluster", "scdv"):
        v1 = C.document_vectors(train + [["c"], ["c", "a"]], KV, pooling, fit, n_clusters=2)
        v2 = C.document_vectors(train + [["c"], ["a"]], KV, pooling, fit, n_clusters=2)
        leak = C.document_vectors(train + [["c"], ["c", "a"]], KV, pooling, None, n_clusters=2)
        v1, v2, leak = (m.toarray() if hasattr(m, "toarray") else m for m in (v1, v2, leak))
        np.testing.assert_array_equal(v1[:4], v2[:4])  # test documents do not move anything else
        assert not np.allclose(leak[:3], v1[:3])  # a fit on all documents would differ


def test_all_oov_documents_and_empty_corpus():
    v = C.document_vectors([["x", "y"], []], KV, "tfidf")
    np.testing.assert_array_equal(v, np.zeros((2, 2)))
    assert C.document_vectors([], KV, "sif").shape == (0, 2)


def test_unknown_pooling_is_a_user_error():
    with pytest.raises(W2VError, match="pooling 'median'"):
        C.document_vectors(DOCS, KV, "median")


def test_case_and_digit_fallback_for_pretrained_vocabularies():
    kv = StandIn(["Paris", "NASA", "the", "####", "mp#"], np.eye(5))
    types = ["paris", "nasa", "the", "1993", "mp3", "x"]
    np.testing.assert_array_equal(C.lookup_rows(types, kv), [0, 1, 2, 3, 4, -1])
    np.testing.assert_array_equal(C.lookup_rows(types, kv, case_fallback=False), [-1, -1, 2, -1, -1, -1])
    np.testing.assert_array_equal(C.lookup_rows(["paris"], KV), [-1])  # lower-case vectors: no fallback


# ----------------------------------------------------------------- end to end
POS = ["good", "great", "fine", "nice", "superb"]
NEG = ["bad", "awful", "poor", "worse", "dull"]
NOISE = [f"w{i}" for i in range(30)]


def _synthetic(tmp_path, n_train=1000, n_test=400, shuffle=False, seed=0):
    """Two classes that differ only in which sentiment words they use."""
    rng = np.random.default_rng(seed)
    docs, lines = [], []
    for split, n in (("train", n_train), ("test", n_test), ("unsup", 20)):
        for i in range(n):
            label = ["neg", "pos"][i % 2]
            words = list(rng.choice(NOISE, 7)) + list(rng.choice(POS if label == "pos" else NEG, 3))
            if split == "unsup":
                words.append("unsuponly")
            docs.append({"id": f"{split}/{i}", "split": split, "label": "" if split == "unsup" else label,
                         "text": " ".join(words)})
            lines.append(" ".join(words))
    if shuffle:
        train_labels = [d["label"] for d in docs[:n_train]]
        rng.shuffle(train_labels)
        for d, lab in zip(docs, train_labels):
            d["label"] = lab
    write_documents(docs, tmp_path / "documents.jsonl.gz")
    with atomic_open(tmp_path / "corpus.txt.gz") as fh:
        fh.write("\n".join(lines) + "\n")
    words = POS + NEG + NOISE
    vecs = np.random.default_rng(1).normal(0, 0.2, (len(words), 8))
    vecs[:, 1] += 2.0  # a direction shared by all words, as in real embeddings (what SIF removes)
    vecs[: len(POS), 0] += 1.0
    vecs[len(POS): len(POS) + len(NEG), 0] -= 1.0
    return tmp_path / "documents.jsonl.gz", tmp_path / "corpus.txt.gz", StandIn(words, vecs)


@pytest.mark.parametrize("pooling", C.POOLINGS)
def test_end_to_end_separates_two_classes(tmp_path, pooling):
    docs, corpus, kv = _synthetic(tmp_path)
    out = tmp_path / "result.json"
    r = C.classify(docs, corpus, kv, "mlp", pooling, seed=0, hidden=(16,), out=out, n_clusters=4)
    assert r["accuracy"] > 0.9 and r["macro_f1"] > 0.9
    assert (r["n_train"], r["n_test"], r["n_classes"], r["n_unsup_skipped"]) == (1000, 400, 2, 20)
    assert r["oov_rate"] == 0.0
    assert r["settings"]["scale"] == ("none" if pooling in ("cluster", "scdv") else "standard")  # scale="auto"
    assert json.loads(out.read_text())["accuracy"] == r["accuracy"]


def test_shuffled_labels_control_is_at_chance(tmp_path):
    docs, corpus, kv = _synthetic(tmp_path, shuffle=True)
    r = C.classify(docs, corpus, kv, "mlp", "mean", seed=0, hidden=(16,))
    assert r["accuracy"] < 0.65


def test_tfidf_logreg_baseline_and_oov_rate(tmp_path):
    docs, corpus, _ = _synthetic(tmp_path)
    r = C.classify(docs, corpus, None, "tfidf_logreg")
    assert r["accuracy"] > 0.9 and r["pooling"] is None
    assert r["oov_rate"] == 0.0  # unsup-only words are not counted: unsup is never read
    half = StandIn(POS + NOISE, np.random.default_rng(0).normal(size=(35, 4)))
    r = C.classify(docs, corpus, half, "mlp", "mean", hidden=(8,))
    assert r["oov_rate"] == pytest.approx(0.15)  # 3 of the 10 tokens of each neg document (half)


def test_random_baseline_is_seeded(tmp_path):
    docs, corpus, kv = _synthetic(tmp_path)
    corpus_ = C.load_corpus(docs, corpus)
    a = C.score(corpus_, None, "random", "mean", seed=3, hidden=(8,), dim=6)
    b = C.score(corpus_, None, "random", "mean", seed=3, hidden=(8,), dim=6)
    assert a["accuracy"] == b["accuracy"] and a["dim"] == 6
    same_dim = C.score(corpus_, kv, "random", "mean", seed=3, hidden=(8,))
    assert same_dim["dim"] == kv.vector_size


def test_mlp_is_deterministic_with_a_seed(tmp_path):
    docs, corpus, kv = _synthetic(tmp_path)
    corpus_ = C.load_corpus(docs, corpus)
    runs = [C.score(corpus_, kv, "mlp", "swem", seed=5, hidden=(8,)) for _ in range(2)]
    assert runs[0]["accuracy"] == runs[1]["accuracy"]
    assert runs[0]["settings"]["epochs_run"] == runs[1]["settings"]["epochs_run"]


def test_absent_pretrained_vectors_row(tmp_path):
    docs, corpus, _ = _synthetic(tmp_path, n_train=4, n_test=4)
    missing = tmp_path / "GoogleNews-vectors-negative300.bin.gz"
    out = tmp_path / "pretrained.json"
    r = C.classify(docs, corpus, missing, "mlp", "mean", out=out, limit=1000, allow_missing=True)
    assert r["status"] == "absent" and str(missing) in r["reason"]
    assert json.loads(out.read_text())["status"] == "absent"
    with pytest.raises(W2VError, match="no such vectors file"):
        C.classify(docs, corpus, missing, "mlp")


def test_misaligned_corpus_and_bad_bytes(tmp_path):
    docs, corpus, kv = _synthetic(tmp_path, n_train=4, n_test=4)
    short = tmp_path / "short.txt"
    short.write_text("good w1\n")
    with pytest.raises(W2VError, match="has 1 lines"):
        C.load_corpus(docs, short)
    long = tmp_path / "long.txt.gz"
    with gzip.open(corpus, "rb") as fh:
        long.write_bytes(gzip.compress(fh.read() + b"extra line\n"))
    with pytest.raises(W2VError, match="more lines"):
        C.load_corpus(docs, long)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"good \xff\xfe\n" * 28)
    with pytest.raises(W2VError, match="not valid UTF-8"):
        C.load_corpus(docs, bad)


def test_missing_label_and_single_class_are_user_errors(tmp_path):
    write_documents([{"id": "1", "split": "train", "label": "", "text": "a"}], tmp_path / "d.jsonl.gz")
    (tmp_path / "c.txt").write_text("a\n")
    with pytest.raises(W2VError, match="has no label"):
        C.load_corpus(tmp_path / "d.jsonl.gz", tmp_path / "c.txt")
    write_documents([{"id": str(i), "split": s, "label": "x", "text": "a"} for i, s in enumerate(["train", "test"])],
                    tmp_path / "e.jsonl.gz")
    (tmp_path / "e.txt").write_text("a\na\n")
    with pytest.raises(W2VError, match="1 label"):
        C.classify(tmp_path / "e.jsonl.gz", tmp_path / "e.txt", None, "tfidf_logreg")


def test_cli_baseline_and_absent_row(tmp_path, capsys):
    docs, corpus, _ = _synthetic(tmp_path, n_train=40, n_test=40)
    out = tmp_path / "r.json"
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--method", "random",
                 "--dim", "5", "--hidden", "8", "--seed", "2"]) == 0
    r = json.loads(out.read_text())
    assert r["method"] == "random" and r["dim"] == 5 and r["settings"]["hidden"] == [8]
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--vectors",
                 str(tmp_path / "none.bin"), "--allow-missing"]) == 0
    assert json.loads(out.read_text())["status"] == "absent"
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--vectors",
                 str(tmp_path / "none.bin")]) == 2
    assert "no such vectors file" in capsys.readouterr().err
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--hidden", "0"]) == 2


def _train_gensim_script():
    """The workflow's gensim reference script: its path and the module loaded from it."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "train_gensim.py"
    spec = importlib.util.spec_from_file_location("train_gensim", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return script, mod


def _noise_corpus(path, n_lines: int, seed: int):
    """A gzip corpus of ``n_lines`` lines of 20 words drawn from ten noise words."""
    rng = np.random.default_rng(seed)
    lines = [" ".join(rng.choice(NOISE[:10], 20)) for _ in range(n_lines)]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_train_gensim_script_writes_vectors_and_train_json(tmp_path):
    gensim = pytest.importorskip("gensim")  # a dev dependency: the reference trainer needs it
    _, mod = _train_gensim_script()
    corpus = _noise_corpus(tmp_path / "corpus.txt.gz", 50, seed=0)
    out = tmp_path / "run"
    out.mkdir()
    (out / "classify-mlp-mean.json").write_text("{}")  # another stage's file survives
    assert mod.main([str(corpus), "--out", str(out), "--dim", "4", "--epochs", "1", "--min-count", "1",
                     "--workers", "1"]) == 0
    info = json.loads((out / "train.json").read_text())
    assert info["trainer"] == "gensim" and info["corpus_words"] == 1000
    assert info["words_per_second"] == pytest.approx(1000 / info["seconds"])
    kv = gensim.models.KeyedVectors.load_word2vec_format(str(out / "vectors.bin"), binary=True)
    assert sorted(kv.index_to_key) == sorted(NOISE[:10]) and kv.vector_size == 4
    assert (out / "classify-mlp-mean.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt.gz", "run"]  # no temp dirs left


def test_train_gensim_script_clears_what_a_killed_run_left(tmp_path):
    import subprocess
    import sys
    import time

    pytest.importorskip("gensim")
    script, mod = _train_gensim_script()
    corpus = _noise_corpus(tmp_path / "corpus.txt.gz", 20_000, seed=1)
    out = tmp_path / "run"
    out.mkdir()
    for name, text in (("vectors.bin", "old"), ("train.json", '{"old": true}'), ("classify-mlp-mean.json", "{}")):
        (out / name).write_text(text)
    # a run killed while it trains (400k words x 1000 epochs would take many minutes)
    proc = subprocess.Popen([sys.executable, str(script), str(corpus), "--out", str(out), "--dim", "4",
                             "--epochs", "1000", "--min-count", "1", "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not any(p.is_dir() and p.name.startswith(".run.") for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait()
    assert (out / "train.json").read_text() == '{"old": true}'  # the previous result is untouched
    assert mod.main([str(corpus), "--out", str(out), "--dim", "4", "--epochs", "1", "--min-count", "1",
                     "--workers", "1"]) == 0
    assert json.loads((out / "train.json").read_text())["corpus_words"] == 400_000
    assert (out / "classify-mlp-mean.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt.gz", "run"]  # the killed run's files too


def test_cli_with_a_vectors_file_and_limit(tmp_path):
    from w2v.vectors import KeyedVectors

    docs, corpus, kv = _synthetic(tmp_path, n_train=400, n_test=100)
    path = tmp_path / "vectors.txt"
    KeyedVectors(kv.index_to_key, kv.vectors).save_word2vec_format(path, binary=False)
    out = tmp_path / "r.json"
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--vectors", str(path),
                 "--pooling", "tfidf", "--hidden", "16"]) == 0
    r = json.loads(out.read_text())
    assert r["status"] == "ok" and r["accuracy"] > 0.9 and r["oov_rate"] == 0.0 and r["vectors"] == str(path)
    # --limit 5 keeps only the POS words: the NEG words (3 of 10 tokens in half the documents)
    # and all NOISE words (7 of 10 tokens everywhere) have no vector
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--vectors", str(path),
                 "--limit", "5", "--hidden", "16"]) == 0
    r = json.loads(out.read_text())
    assert r["oov_rate"] == pytest.approx(0.85) and r["settings"]["limit"] == 5


def _negation(tmp_path, n_train=300, n_test=200, seed=0):
    """Both classes hold "not", "good" and "bad" once each: only the bigram "not good" or
    "not bad" tells them apart."""
    docs, lines = [], []
    for is_train, i, label, words in negation_documents(NOISE, n_train, n_test, seed):
        split = "train" if is_train else "test"
        docs.append({"id": f"{split}/{i}", "split": split, "label": label, "text": " ".join(words)})
        lines.append(" ".join(words))
    write_documents(docs, tmp_path / "documents.jsonl.gz")
    with atomic_open(tmp_path / "corpus.txt.gz") as fh:
        fh.write("\n".join(lines) + "\n")
    return tmp_path / "documents.jsonl.gz", tmp_path / "corpus.txt.gz"


@pytest.mark.parametrize("method", ["tfidf_logreg", "tfidf_svm"])
def test_bigrams_separate_what_unigrams_cannot(tmp_path, method):
    docs, corpus = _negation(tmp_path)
    uni = C.classify(docs, corpus, None, method, ngrams=1)
    bi = C.classify(docs, corpus, None, method, ngrams=2)
    assert uni["accuracy"] < 0.65 and bi["accuracy"] > 0.95 and bi["macro_f1"] > 0.95
    assert (uni["settings"]["ngrams"], bi["settings"]["ngrams"]) == (1, 2)
    assert uni["settings"]["n_bigrams"] == 0 and bi["settings"]["n_bigrams"] > 0
    assert bi["dim"] == uni["dim"] + bi["settings"]["n_bigrams"]


def test_bigrams_stay_within_documents_and_need_min_df():
    docs = [["not", "good"], ["good", "not"], ["not", "good", "x"], ["x", "y"]]
    tc = C.count_tokens(docs)
    corpus = C.LabelledCorpus(tc.counts, tc.types, np.array(["a"] * 4, dtype=object), np.ones(4, dtype=bool),
                              tokens=np.array([tc.types.index(t) for d in docs for t in d], dtype=np.int32),
                              token_indptr=np.cumsum([0] + [len(d) for d in docs]))
    pairs = C._bigram_counts(corpus, np.ones(4, dtype=bool), min_df=2)
    np.testing.assert_array_equal(pairs.toarray(), [[1], [0], [1], [0]])  # "not good" only: no "not not"
    assert C._bigram_counts(corpus, np.array([True, False, False, True]), min_df=2).shape[1] == 0


@pytest.mark.parametrize("method", ["tfidf_logreg", "tfidf_svm"])
def test_c_is_chosen_without_the_test_labels(tmp_path, method):
    docs, corpus = _synthetic(tmp_path, n_train=300, n_test=200)[:2]
    lc = C.load_corpus(docs, corpus, keep_tokens=True)
    a = C.score(lc, None, method, seed=3, ngrams=2, C="auto")
    test = ~lc.is_train
    lc.labels[test] = np.where(lc.labels[test] == "pos", "neg", "pos")  # every test label wrong
    b = C.score(lc, None, method, seed=3, ngrams=2, C="auto")
    assert b["accuracy"] == pytest.approx(1 - a["accuracy"])  # the patched labels are the ones scored
    assert a["settings"]["C"] == b["settings"]["C"] and a["settings"]["C_selection"] == b["settings"]["C_selection"]
    sel = a["settings"]["C_selection"]
    assert sel["grid"] == list(C.C_GRIDS[method]) and sel["n_validation"] == 30 and sel["split_seed"] == 3
    assert a["settings"]["C"] in sel["grid"]
    assert C.score(lc, None, method, seed=4, C="auto")["settings"]["C_selection"]["split_seed"] == 4


@pytest.mark.parametrize("pooling", ["mean", "scdv"])
def test_svm_on_document_vectors(tmp_path, pooling):
    docs, corpus, kv = _synthetic(tmp_path, n_train=300, n_test=200)
    lc = C.load_corpus(docs, corpus)
    a = C.score(lc, kv, "svm", pooling, seed=3, n_clusters=4)
    assert a["accuracy"] > 0.9 and a["method"] == "svm" and a["pooling"] == pooling
    sel = a["settings"]["C_selection"]
    assert sel["grid"] == list(C.C_GRIDS["svm"]) and a["settings"]["C"] in sel["grid"] and sel["n_validation"] == 30
    assert a["settings"]["scale"] == ("none" if pooling == "scdv" else "standard")
    test = ~lc.is_train
    lc.labels[test] = np.where(lc.labels[test] == "pos", "neg", "pos")  # every test label wrong
    b = C.score(lc, kv, "svm", pooling, seed=3, n_clusters=4)
    assert b["accuracy"] == pytest.approx(1 - a["accuracy"]) and b["settings"]["C_selection"] == sel
    with pytest.raises(W2VError, match="apply to tfidf_logreg and tfidf_svm only"):
        C.score(lc, kv, "svm", pooling, C=1.0)


def test_result_records_peak_memory(tmp_path):
    import resource

    docs, corpus, _ = _synthetic(tmp_path, n_train=60, n_test=40)
    r = C.classify(docs, corpus, None, "tfidf_logreg")
    now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    assert 10 < r["peak_rss_mb"] <= now + 0.1  # this process's peak so far, in MB


def test_cli_tfidf_options_recorded_and_checked(tmp_path, capsys):
    docs, corpus = _negation(tmp_path, n_train=60, n_test=40)
    out = tmp_path / "r.json"
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--method", "tfidf_logreg"]) == 0
    r = json.loads(out.read_text())
    assert (r["method"], r["settings"]["ngrams"], r["settings"]["C"], r["settings"]["C_selection"]) == \
        ("tfidf_logreg", 1, 10.0, None)  # the unchanged default
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--method", "tfidf_svm",
                 "--ngrams", "2", "--seed", "1"]) == 0
    r = json.loads(out.read_text())
    assert (r["method"], r["pooling"], r["settings"]["ngrams"], r["settings"]["bigram_min_df"]) == \
        ("tfidf_svm", None, 2, C.NGRAM_MIN_DF)
    assert r["settings"]["C"] in C.C_GRIDS["tfidf_svm"] and r["settings"]["C_selection"]["split_seed"] == 1
    assert "ngrams 2 C " in capsys.readouterr().err
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--method", "tfidf_svm", "--C", "0.5"]) == 0
    r = json.loads(out.read_text())
    assert r["settings"]["C"] == 0.5 and r["settings"]["C_selection"] is None
    for bad in (["--method", "tfidf_svm", "--C", "-1"], ["--method", "random", "--ngrams", "2"],
                ["--method", "tfidf_svm", "--vectors", str(tmp_path / "v.bin")]):
        capsys.readouterr()
        assert main(["classify", str(docs), str(corpus), "--out", str(tmp_path / "bad.json"), *bad]) == 2
        assert "w2v: error:" in capsys.readouterr().err
    assert not (tmp_path / "bad.json").exists()
