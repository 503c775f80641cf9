"""Tests for w2v.supervised: the exact gradient, learning, determinism, bigram hashing, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from negation import negation_documents

from w2v import classify as C
from w2v import supervised as S
from w2v.cli import main
from w2v.errors import W2VError

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
SMALL = {"epochs": (5, 20), "lr": (0.3, 1.0)}  # a quick grid for the small data sets


def _corpus(docs, labels, is_train):
    """A :class:`LabelledCorpus` with token sequences, from token lists."""
    tc = C.count_tokens(docs)
    index = {t: i for i, t in enumerate(tc.types)}
    return C.LabelledCorpus(tc.counts, tc.types, np.asarray(labels, dtype=object), np.asarray(is_train, dtype=bool),
                            tokens=np.array([index[t] for d in docs for t in d], dtype=np.int32),
                            token_indptr=np.cumsum([0] + [len(d) for d in docs]).astype(np.int64))


def _topics(n_train=200, n_test=100, seed=0, n_classes=3):
    """Each class uses its own 4 words among 20 shared noise words."""
    rng = np.random.default_rng(seed)
    own = [[f"c{k}w{j}" for j in range(4)] for k in range(n_classes)]
    noise = [f"n{j}" for j in range(20)]
    docs, labels, is_train = [], [], []
    for split, n in ((True, n_train), (False, n_test)):
        for i in range(n):
            k = i % n_classes
            words = list(rng.choice(noise, 6)) + list(rng.choice(own[k], 2))
            rng.shuffle(words)
            docs.append(words)
            labels.append(f"class{k}")
            is_train.append(split)
    return docs, labels, is_train


def _negation(n_train=300, n_test=200, seed=0):
    """Both classes hold "not", "good" and "bad": only the pair "not good" / "not bad" tells them apart."""
    rows = negation_documents([f"n{j}" for j in range(20)], n_train, n_test, seed)
    return [r[3] for r in rows], [r[2] for r in rows], [r[0] for r in rows]


# ----------------------------------------------------------------- the step
@pytest.mark.parametrize("weighted", [False, True])
def test_step_is_minus_lr_times_the_gradient(weighted):
    rng = np.random.default_rng(0)
    n_rows, d, n_labels = 7, 5, 4
    inp = rng.normal(0, 0.5, (n_rows, d))
    wo = rng.normal(0, 0.5, (n_labels, d))
    weight = rng.uniform(0.5, 2.0, n_rows) if weighted else np.ones(n_rows)
    rows = np.array([9, 1, 3, 1, 6, 9], dtype=np.int32)[1:5]  # row 1 twice: its gradient counts both
    lo, hi, label, lr = 0, len(rows), 2, 0.7

    def loss(a, b):
        return S.example_loss(a, weight, b, rows, lo, hi, label)

    num_inp = np.zeros_like(inp)
    num_wo = np.zeros_like(wo)
    eps = 1e-6
    for m, num in ((inp, num_inp), (wo, num_wo)):
        for idx in np.ndindex(m.shape):
            keep = m[idx]
            m[idx] = keep + eps
            up = loss(inp, wo)
            m[idx] = keep - eps
            down = loss(inp, wo)
            m[idx] = keep
            num[idx] = (up - down) / (2 * eps)
    before = loss(inp, wo)
    new_inp, new_wo = inp.copy(), wo.copy()
    h, grad, probs = np.empty(d), np.empty(d), np.empty(n_labels)
    got = S.example_step(new_inp, weight, new_wo, rows, lo, hi, label, lr, h, grad, probs)
    assert got == pytest.approx(before, rel=1e-12)
    np.testing.assert_allclose((inp - new_inp) / lr, num_inp, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose((wo - new_wo) / lr, num_wo, rtol=1e-6, atol=1e-9)
    untouched = [r for r in range(n_rows) if r not in rows]
    np.testing.assert_array_equal(new_inp[untouched], inp[untouched])
    np.testing.assert_allclose(num_inp[1], 2 * weight[1] / weight[3] * num_inp[3], rtol=1e-5)  # row 1 twice
    # the loss by hand: the weighted mean of the rows, softmax, -log p(label)
    hid = (weight[rows, None] * inp[rows]).sum(axis=0) / weight[rows].sum()
    logits = wo @ hid
    assert before == pytest.approx(np.log(np.exp(logits).sum()) - logits[label], rel=1e-12)


def test_a_document_without_rows_changes_nothing():
    inp, wo = np.ones((3, 2)), np.ones((2, 2))
    rows = np.zeros(0, dtype=np.int32)
    h, g, p = np.empty(2), np.empty(2), np.empty(2)
    assert S.example_step(inp, np.ones(3), wo, rows, 0, 0, 1, 0.5, h, g, p) == 0.0
    assert (inp == 1).all() and (wo == 1).all()


def test_a_diverged_model_gives_no_preference_and_the_grid_passes_it_by():
    # a score of +inf (a learning rate too large for the data diverges) makes every other label's
    # exp(s - top) 0; the probabilities are then uniform, with no error
    wo = np.array([[np.inf, 0.0], [1.0, 0.0], [0.0, 1.0]])
    probs = np.empty(3)
    S._softmax(wo, np.array([1.0, 1.0]), probs)
    np.testing.assert_allclose(probs, 1 / 3)
    inp, rows = np.ones((2, 2)), np.array([0, 1], dtype=np.int32)
    assert np.isfinite(S.example_step(inp, np.ones(2), wo, rows, 0, 2, 1, 0.5, np.empty(2), np.empty(2), probs))
    # a grid with a rate that diverges still ends with a working model
    corpus = _corpus(*_topics())
    r = S.score(corpus, None, seed=0, grid={"bigrams": (False,), "epochs": (5,), "lr": (1.0, 1e6)}, buckets=1000,
                workers=1)
    recs = r["settings"]["selection"]["records"]
    assert r["settings"]["lr"] == 1.0 and r["accuracy"] == 1.0
    assert max(x["validation_accuracy"] for x in recs if x["lr"] == 1e6) < 1.0


# ----------------------------------------------------------------- bigram hashing and encoding
def test_bigram_bucket_is_a_function_of_the_ordered_pair_and_in_range():
    for buckets in (1, 7, 1000, S.BUCKETS):
        for a, b in ((0, 0), (3, 5), (5, 3), (2**31 - 1, 12345)):
            x = S.bigram_bucket(a, b, buckets)
            assert 0 <= x < buckets and x == S.bigram_bucket(a, b, buckets)
    pairs = [(a, b) for a in range(60) for b in range(60)]
    hits = np.bincount([S.bigram_bucket(a, b, 10) for a, b in pairs], minlength=10)
    assert hits.min() > 300 and hits.max() < 420  # 360 expected per bucket: no structure from small ids
    swapped = sum(S.bigram_bucket(a, b, 10**6) != S.bigram_bucket(b, a, 10**6) for a, b in pairs if a != b)
    assert swapped == 60 * 59  # the order of the pair matters


def test_encoding_by_hand():
    tokens = np.array([0, 1, 0, 1, 2, 3, 3], dtype=np.int32)  # doc 0: a b a b; doc 1: c d d
    indptr = np.array([0, 4, 7])
    keep = np.array([True, True, False, True])  # type c has no row; bigram rows follow the 3 word rows
    b = S.bigram_bucket
    for unique, doc0, doc1 in (
            (True, [0, 1, 3 + b(0, 1, 5), 3 + b(1, 0, 5)], [2, 3 + b(2, 3, 5), 3 + b(3, 3, 5)]),
            (False, [0, 1, 0, 1] + [3 + b(0, 1, 5), 3 + b(1, 0, 5), 3 + b(0, 1, 5)],
             [2, 2, 3 + b(2, 3, 5), 3 + b(3, 3, 5)])):
        if unique:
            doc0 = doc0[:2] + list(dict.fromkeys(doc0[2:]))
            doc1 = doc1[:1] + list(dict.fromkeys(doc1[1:]))
        inputs, types = S.build_inputs(tokens, indptr, np.array([0, 1]), keep, buckets=5, unique=unique)
        np.testing.assert_array_equal(types, [0, 1, 3])
        assert inputs.n_words == 3
        got = [inputs.rows[inputs.starts[i]:inputs.ends[i]].tolist() for i in range(2)]
        assert got == [doc0, doc1]
        words = [inputs.rows[inputs.starts[i]:inputs.word_ends[i]].tolist() for i in range(2)]
        assert words == [doc0[:2 if unique else 4], doc1[:1 if unique else 2]]
    only_second, _ = S.build_inputs(tokens, indptr, np.array([1]), keep, buckets=0)
    assert only_second.rows.tolist() == [2]


def test_word_rows_start_from_the_vectors():
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    type_rows = np.array([2, -1, 0])
    inp, wo = S.init_matrices(np.array([0, 1, 2]), 5, 4, vectors, type_rows, 99, seed=1)
    assert inp.shape == (3 + 5, 3) and wo.shape == (4, 3) and inp.dtype == np.float32
    np.testing.assert_array_equal(inp[[0, 2]], vectors[[2, 0]])
    assert 0 < np.abs(inp[1]).max() <= 1 / 3  # no vector: fastText's uniform [-1/d, 1/d]
    assert (inp[3:] == 0).all() and (wo == 0).all()
    rand, _ = S.init_matrices(np.array([0, 1]), 0, 2, None, None, 8, seed=1)
    assert rand.shape == (2, 8) and np.abs(rand).max() <= 1 / 8
    np.testing.assert_array_equal(rand, S.init_matrices(np.array([0, 1]), 0, 2, None, None, 8, seed=1)[0])


def test_idf_weights_by_hand():
    tokens = np.array([0, 1, 0, 1, 2], dtype=np.int32)
    inputs, _ = S.build_inputs(tokens, np.array([0, 2, 4, 5]), np.arange(3), np.ones(3, dtype=bool), buckets=0)
    w = S.idf_weights(inputs, 4, bigrams=False)
    idf = lambda df: np.log(4 / (1 + df)) + 1  # noqa: E731  (N = 3 documents)
    np.testing.assert_allclose(w, [idf(2), idf(2), idf(1), idf(0)], rtol=1e-6)


# ----------------------------------------------------------------- learning
@pytest.mark.parametrize("weighting", S.WEIGHTINGS)
def test_separable_topics_are_learned_to_100_percent(weighting):
    corpus = _corpus(*_topics())
    r = S.score(corpus, None, seed=0, grid={"weighting": (weighting,), "bigrams": (False,), **SMALL}, buckets=1000,
                workers=1)
    assert r["accuracy"] == 1.0 and r["macro_f1"] == 1.0
    assert (r["n_train"], r["n_test"], r["n_classes"], r["method"], r["pooling"]) == (200, 100, 3, "supervised", None)
    assert r["settings"]["init"] == "random" and r["dim"] == S.RANDOM_DIM and r["settings"]["weighting"] == weighting
    losses = r["settings"]["train_loss"]
    assert losses[-1] < losses[0] / 5


def test_bigrams_separate_what_words_cannot_and_are_chosen_on_validation():
    corpus = _corpus(*_negation())
    words = S.score(corpus, None, seed=0, grid={"bigrams": (False,), **SMALL}, buckets=10_000, workers=1)
    both = S.score(corpus, None, seed=0, grid=SMALL, buckets=10_000, workers=1)
    assert words["accuracy"] < 0.65 and both["accuracy"] > 0.95
    assert both["settings"]["bigrams"] is True and both["settings"]["buckets"] == 10_000
    recs = both["settings"]["selection"]["records"]
    assert len(recs) == 8 and {r["bigrams"] for r in recs} == {False, True}
    best = max(r["validation_accuracy"] for r in recs)
    assert both["settings"]["selection"]["n_validation"] == 30
    assert [r["validation_accuracy"] for r in recs if r["bigrams"]] and best > 0.9


def test_choice_does_not_see_the_test_labels():
    docs, labels, is_train = _topics(n_classes=2)
    a = S.score(_corpus(docs, labels, is_train), None, seed=3, grid=SMALL, buckets=1000, workers=1)
    flipped = [("class1" if lab == "class0" else "class0") if not tr else lab for lab, tr in zip(labels, is_train)]
    b = S.score(_corpus(docs, flipped, is_train), None, seed=3, grid=SMALL, buckets=1000, workers=1)
    assert b["accuracy"] == pytest.approx(1 - a["accuracy"])
    strip = lambda recs: [{k: v for k, v in r.items() if k != "seconds"} for r in recs]  # noqa: E731
    assert strip(a["settings"]["selection"]["records"]) == strip(b["settings"]["selection"]["records"])


def test_one_thread_and_a_seed_are_reproducible():
    corpus = _corpus(*_negation(n_train=100, n_test=20))
    inputs, types = S.build_inputs(corpus.tokens, corpus.token_indptr, np.arange(100), np.ones(len(corpus.types), bool),
                                   buckets=500)
    labels = (corpus.labels[:100] == "pos").astype(np.int64)

    def run(seed, workers=1):
        inp, wo = S.init_matrices(types, 500, 2, None, None, 16, seed)
        S.fit(inp, wo, inputs, labels, epochs=3, lr=0.5, bigrams=True, seed=seed, workers=workers)
        return inp, wo

    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    two = run(1, workers=2)  # Hogwild: learns as well, not bit-identical
    assert np.isfinite(two[0]).all() and np.abs(two[1]).max() > 0
    r1 = S.score(corpus, None, seed=4, grid=SMALL, buckets=500, workers=1)
    r2 = S.score(corpus, None, seed=4, grid=SMALL, buckets=500, workers=1)
    assert r1["accuracy"] == r2["accuracy"] and r1["settings"]["train_loss"] == r2["settings"]["train_loss"]


def test_user_errors():
    corpus = _corpus(*_topics(n_train=20, n_test=10))
    with pytest.raises(W2VError, match="--ngrams and --C"):
        S.score(corpus, None, ngrams=2)
    with pytest.raises(W2VError, match="grid entries"):
        S.score(corpus, None, grid={"momentum": (0.9,)})
    with pytest.raises(W2VError, match="weighting \\('tf',\\)"):
        S.score(corpus, None, grid={"weighting": ("tf",)})
    corpus.tokens = None
    with pytest.raises(W2VError, match="keep_tokens=True"):
        S.score(corpus, None)


# ----------------------------------------------------------------- end to end on data/sample
@pytest.fixture(scope="module")
def sample_20ng(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample20ng")
    docs, corpus = tmp / "documents.jsonl.gz", tmp / "corpus.txt.gz"
    assert main(["extract", "20newsgroups", str(SAMPLE / "20news-bydate.sample.tar.gz"), "--out", str(docs),
                 "--quiet"]) == 0
    assert main(["prepare", str(docs), "--variant", "raw", "--out", str(corpus), "--quiet"]) == 0
    return docs, corpus


def test_cli_end_to_end_on_the_sample(sample_20ng, tmp_path, capsys):
    from w2v.vectors import KeyedVectors

    docs, corpus = sample_20ng
    out = tmp_path / "r.json"
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--method", "supervised", "--seed", "1",
                 "--dim", "20"]) == 0
    r = json.loads(out.read_text())
    assert r["status"] == "ok" and r["method"] == "supervised" and r["pooling"] is None
    assert (r["n_train"], r["n_test"], r["n_classes"]) == (240, 120, 20)
    assert r["accuracy"] > 0.2  # chance is 0.05 (12 training documents per group)
    s = r["settings"]
    assert s["init"] == "random" and r["dim"] == 20 and s["seed"] == 1
    assert s["epochs"] in S.GRID["epochs"] and s["lr"] in S.GRID["lr"] and s["bigrams"] in S.GRID["bigrams"]
    assert len(s["selection"]["records"]) == int(np.prod([len(v) for v in S.GRID.values()]))
    assert s["weighting"] in S.GRID["weighting"]
    assert s["selection"]["n_validation"] == 24 and s["selection"]["split_seed"] == 1
    assert "supervised" in capsys.readouterr().err
    # started from word vectors: their dimension, their vocabulary
    lc = C.load_corpus(docs, corpus)
    words = lc.types[:500]
    path = tmp_path / "vectors.txt"
    KeyedVectors(words, np.random.default_rng(0).normal(0, 0.3, (500, 12)).astype(np.float32)) \
        .save_word2vec_format(path, binary=False)
    assert main(["classify", str(docs), str(corpus), "--out", str(out), "--method", "supervised",
                 "--vectors", str(path)]) == 0
    r = json.loads(out.read_text())
    assert r["settings"]["init"] == "vectors" and r["dim"] == 12 and r["vectors"] == str(path)
    assert 0 < r["oov_rate"] < 1
    for bad in (["--ngrams", "2"], ["--C", "1"]):
        capsys.readouterr()
        assert main(["classify", str(docs), str(corpus), "--out", str(tmp_path / "bad.json"),
                     "--method", "supervised", *bad]) == 2
        assert "w2v: error:" in capsys.readouterr().err
    assert not (tmp_path / "bad.json").exists()
