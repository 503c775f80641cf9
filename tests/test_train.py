"""The training engine: sampling tables, output-layer gradients, the window walk, the trainer."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from w2v import kernels
from w2v.errors import W2VError
from w2v.sampling import alias_table, hot_nodes, huffman_tree, keep_probabilities, noise_distribution
from w2v.train import TrainConfig, chunks, load_model, segments, train, train_file
from w2v.vocab import Vocabulary

# --------------------------------------------------------------------------- subsampling


def test_keep_probability_worked_numbers():
    # f = count / total; counts chosen so that f = 0.05 and f = 1e-4 exactly
    counts = np.array([500, 1, 9499], dtype=np.int64)  # total 10_000: f = 0.05 and f = 1e-4
    keep = keep_probabilities(counts, 1e-5)
    assert keep[0] == pytest.approx(0.01434, abs=5e-6)   # (sqrt(0.05/1e-5) + 1) * 1e-5 / 0.05
    assert keep[1] == pytest.approx(0.4162, abs=5e-5)    # (sqrt(10) + 1) * 0.1
    # the often-quoted (sqrt(t/f) + 1) * t/f would give 0.000203 for f = 0.05: not what we do
    assert keep[0] > 0.01


def test_keep_probability_paper_formula_and_off():
    counts = np.array([500, 9500], dtype=np.int64)        # f = 0.05
    assert keep_probabilities(counts, 1e-5, "paper")[0] == pytest.approx(np.sqrt(1e-5 / 0.05), rel=1e-6)
    assert np.all(keep_probabilities(counts, 0.0) == 1.0)
    assert keep_probabilities(np.array([1, 99_999]), 1e-3)[0] == 1.0  # f = 1e-5 < t: always kept
    with pytest.raises(ValueError):
        keep_probabilities(counts, 1e-5, "quoted")


# --------------------------------------------------------------------------- noise sampler


def test_noise_distribution_is_unigram_to_the_three_quarters():
    q = noise_distribution(np.array([16, 1]), 0.75)
    assert q[0] / q[1] == pytest.approx(8.0)               # 16 ** 0.75 = 8
    assert q.sum() == pytest.approx(1.0)


def test_alias_sampler_matches_its_distribution():
    counts = np.array([1000, 400, 100, 50, 20, 5, 1, 1], dtype=np.int64)
    q = noise_distribution(counts, 0.75)
    prob, alias = alias_table(q)
    n = 400_000
    draws = kernels.sample_noise(prob, alias, n, 7)
    freq = np.bincount(draws, minlength=q.size) / n
    # chi-square goodness of fit, 7 degrees of freedom: 99.9% quantile is 24.3
    chi2 = float(np.sum((freq * n - q * n) ** 2 / (q * n)))
    assert chi2 < 24.3, (freq, q)
    # and a wrong target is rejected by the same statistic
    flat = np.full(q.size, 1 / q.size)
    assert float(np.sum((freq * n - flat * n) ** 2 / (flat * n))) > 1000


# --------------------------------------------------------------------------- Huffman tree


def test_huffman_tree_worked_example():
    counts = np.array([5, 3, 2, 1], dtype=np.int64)
    points, codes, lengths = huffman_tree(counts)
    # merges: (1,2)->3, (3,3)->6, (5,6)->11: depths 1, 2, 3, 3
    assert lengths.tolist() == [1, 2, 3, 3]
    # all paths start at the root (inner node V-2 = 2), and codes are prefix-free
    assert all(points[w, 0] == 2 for w in range(4))
    words = ["".join(str(c) for c in codes[w, :lengths[w]]) for w in range(4)]
    assert len(set(words)) == 4
    for a in words:
        for b in words:
            assert a == b or not b.startswith(a)
    # Kraft equality for a full binary tree
    assert sum(2.0 ** -l for l in lengths) == pytest.approx(1.0)


def test_hot_nodes_rank_inner_nodes_by_the_share_of_examples_through_them():
    counts = np.array([5, 3, 2, 1], dtype=np.int64)
    tree = huffman_tree(counts)
    points, _, lengths = tree
    # root 2 is on every path (rate 1); node points[1, 1] carries words 1-3 (6/11); the last
    # node carries words 2 and 3 (3/11)
    mid, low = points[1, 1], points[3, 2]
    assert hot_nodes(1, counts, tree).tolist() == [2]
    assert hot_nodes(2, counts, tree).tolist() == sorted([2, mid])
    assert hot_nodes(9, counts, tree).tolist() == sorted([2, mid, low])  # at most V - 1 nodes
    assert hot_nodes(0, counts, tree).size == 0
    # against the rates summed path by path, on a larger tree with subsampled (kept) counts
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 1000, 200)
    kept = counts * rng.uniform(0.1, 1.0, 200)
    tree = huffman_tree(counts)
    rate = np.zeros(199)
    for w in range(200):
        for node in tree[0][w, :tree[2][w]]:
            rate[node] += kept[w]
    assert hot_nodes(20, kept, tree).tolist() == sorted(np.argsort(-rate)[:20].tolist())


# --------------------------------------------------------------------------- gradients


def _tiny(loss_kind, V=7, d=4, seed=0):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, 0.5, d).astype(np.float32)
    wo = rng.normal(0, 0.5, (V, d)).astype(np.float32)
    counts = np.array([30, 20, 12, 9, 6, 3, 1][:V], dtype=np.int64)
    q = noise_distribution(counts)
    prob, alias = alias_table(q)
    points, codes, lengths = huffman_tree(counts)
    return h, wo, prob, alias, np.log(q).astype(np.float32), points, codes, lengths


def _loss(loss_kind, h, wo, target, K, tables, seed=3):
    prob, alias, logq, points, codes, lengths = tables
    loss, neu1e = kernels.example_step(loss_kind, h, target, wo.copy(), K, seed, prob, alias, logq,
                                       points, codes, lengths, 0.0)
    return loss, neu1e


@pytest.mark.parametrize("loss_name", ["softmax", "hs", "ns", "nce", "sampled"])
@pytest.mark.parametrize("target", [0, 5])
def test_output_layer_gradients_match_finite_differences(loss_name, target):
    kind = kernels.LOSSES[loss_name]
    h, wo, *tables = _tiny(kind)
    K = 6  # with fewer draws all noise words can be accidental hits of the frequent target
    loss, neu1e = _loss(kind, h, wo, target, K, tables)
    assert np.isfinite(loss) and loss > 0
    eps = 1e-2
    # dL/dh: the kernel accumulates -dL/dh into neu1e
    num = np.zeros_like(h)
    for k in range(h.size):
        hp, hm = h.copy(), h.copy()
        hp[k] += eps
        hm[k] -= eps
        num[k] = (_loss(kind, hp, wo, target, K, tables)[0] - _loss(kind, hm, wo, target, K, tables)[0]) / (2 * eps)
    np.testing.assert_allclose(-neu1e, num, rtol=2e-3, atol=2e-4)
    # dL/dwo: one SGD step with a small learning rate moves wo by -lr * dL/dwo
    lr = 1e-3
    prob, alias, logq, points, codes, lengths = tables
    wo_after = wo.copy()
    kernels.example_step(kind, h, target, wo_after, K, 3, prob, alias, logq, points, codes, lengths, lr)
    step = (wo - wo_after) / lr
    num_w = np.zeros_like(wo)
    for r in range(wo.shape[0]):
        for k in range(wo.shape[1]):
            wp, wm = wo.copy(), wo.copy()
            wp[r, k] += eps
            wm[r, k] -= eps
            num_w[r, k] = (_loss(kind, h, wp, target, K, tables)[0] - _loss(kind, h, wm, target, K, tables)[0]) / (2 * eps)
    np.testing.assert_allclose(step, num_w, rtol=2e-2, atol=2e-4)


def test_full_softmax_loss_is_cross_entropy_worked_example():
    h = np.array([1.0, 0.0], dtype=np.float32)
    wo = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    counts = np.array([3, 2, 1])
    q = noise_distribution(counts)
    prob, alias = alias_table(q)
    points, codes, lengths = huffman_tree(counts)
    loss, _ = kernels.example_step(kernels.SOFTMAX, h, 0, wo, 1, 0, prob, alias, np.log(q).astype(np.float32),
                                   points, codes, lengths, 0.0)
    # logits (1, 0, -1): -log(e / (e + 1 + 1/e))
    assert loss == pytest.approx(-np.log(np.e / (np.e + 1 + 1 / np.e)), rel=1e-5)


# --------------------------------------------------------------------------- windows and chunks


def test_segments_cut_long_documents_and_skip_empty_ones():
    offsets = np.array([0, 3, 3, 28], dtype=np.int64)  # docs of 3, 0 and 25 tokens
    assert segments(offsets, max_len=10).tolist() == [0, 3, 13, 23, 28]
    bounds = segments(offsets, max_len=10)
    rows = chunks(bounds, chunk_words=12)
    assert rows[0, 0] == 0 and rows[-1, 1] == bounds.size - 1
    assert np.all(rows[1:, 0] == rows[:-1, 1])  # contiguous, every segment exactly once


def _segments_whole(offsets, max_len):
    """The segment boundaries computed over all documents at once (the definition)."""
    starts, ends = offsets[:-1], offsets[1:]
    lens = ends - starts
    pieces = np.maximum((lens + max_len - 1) // max_len, 0)
    doc = np.repeat(np.arange(lens.size), pieces)
    k = np.arange(doc.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    return np.unique(np.concatenate((starts[doc] + k * max_len, ends[-1:] if ends.size else offsets[:1])))


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 18])
def test_segments_in_blocks_are_the_whole_corpus_segments(block):
    rng = np.random.default_rng(block)
    for n_docs in (0, 1, 2, 50):
        lens = rng.integers(0, 40, n_docs) * rng.integers(0, 2, n_docs)  # about half the documents empty
        offsets = np.concatenate(([0], np.cumsum(lens))).astype(np.int64)
        got = segments(offsets, max_len=10, block=block)
        assert got.dtype == np.int64 and got.tolist() == _segments_whole(offsets, 10).tolist()
    assert segments(np.zeros(0, np.int64)).tolist() == []


def test_segments_of_many_documents_allocate_little_beyond_the_result():
    import tracemalloc

    offsets = np.arange(0, 230 * 2_000_001, 230, dtype=np.int64)  # 2M documents of 230 tokens
    tracemalloc.start()
    bounds = segments(offsets)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert bounds.tolist()[:3] == [0, 230, 460] and bounds.size == offsets.size
    assert peak < 2.6 * offsets.nbytes  # the result, the concatenation and one block's temporaries


def _vocab(words, counts):
    return Vocabulary(list(words), np.asarray(counts, dtype=np.int64))


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_windows_never_cross_documents(model):
    # 50 documents of two words each: whatever the window, each word has exactly one neighbour
    V = 20
    rng = np.random.default_rng(1)
    ids = rng.integers(0, V, 100).astype(np.int32)
    offsets = np.arange(0, 101, 2, dtype=np.int64)
    vocab = _vocab([f"w{i}" for i in range(V)], np.full(V, 10))
    m = train(vocab, ids, offsets, TrainConfig(model=model, window=10, sample=0, epochs=1, min_count=1,
                                               workers=1, dim=8), progress=False)
    assert m.info["epochs_log"][0]["examples"] == 100  # 2 per document (sg pairs / cbow centres)


def test_subsampling_keeps_the_expected_share():
    V = 50
    counts = (1000 / np.arange(1, V + 1)).astype(np.int64) + 1
    ids = np.repeat(np.arange(V, dtype=np.int32), counts)
    np.random.default_rng(0).shuffle(ids)
    offsets = np.arange(0, ids.size + 1, 50, dtype=np.int64)
    if offsets[-1] != ids.size:
        offsets = np.append(offsets, ids.size)
    vocab = _vocab([f"w{i}" for i in range(V)], counts)
    m = train(vocab, ids, offsets, TrainConfig(model="cbow", sample=1e-2, epochs=3, min_count=1, workers=1,
                                               dim=8), progress=False)
    expected = float(np.sum(counts * keep_probabilities(counts, 1e-2))) / counts.sum()
    kept = sum(e["kept_words"] for e in m.info["epochs_log"]) / (3 * counts.sum())
    assert kept == pytest.approx(expected, abs=0.01)
    assert expected < 0.8  # the test exercises real subsampling


# --------------------------------------------------------------------------- learning


def _topic_corpus(n_docs=400, seed=0):
    """Two topics with disjoint words: a good model puts each word nearest to its own topic."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(10)], [f"b{i}" for i in range(10)]]
    docs = []
    for d in range(n_docs):
        words = topics[d % 2]
        docs.append(" ".join(rng.choice(words, 30)))
    return docs


def _encode(docs):
    from collections import Counter

    counts = Counter(w for d in docs for w in d.split())
    vocab = Vocabulary.from_counts(counts, min_count=1)
    ids = np.array([vocab.index[w] for d in docs for w in d.split()], dtype=np.int32)
    offsets = np.concatenate(([0], np.cumsum([len(d.split()) for d in docs]))).astype(np.int64)
    return vocab, ids, offsets


@pytest.mark.parametrize("model,loss,optimizer", [
    ("sg", "ns", "sgd"), ("cbow", "ns", "sgd"), ("sg", "hs", "sgd"), ("cbow", "hs", "sgd"),
    ("sg", "softmax", "sgd"), ("cbow", "nce", "sgd"), ("sg", "sampled", "sgd"),
    ("sg", "ns", "adam"), ("cbow", "ns", "adagrad"),
])
def test_every_family_learns_the_topics(model, loss, optimizer):
    vocab, ids, offsets = _encode(_topic_corpus())
    cfg = TrainConfig(model=model, loss=loss, optimizer=optimizer, dim=16, window=3, sample=0, epochs=4,
                      min_count=1, workers=1, negative=5, seed=3)
    m = train(vocab, ids, offsets, cfg, progress=False)
    losses = m.info["loss_per_epoch"]
    assert losses[-1] < losses[0], losses
    kv = m.keyed_vectors()
    for word in ("a3", "b7"):
        neighbours = [w for w, _ in kv.most_similar(word, topn=5)]
        assert all(n[0] == word[0] for n in neighbours), (word, neighbours)


def test_same_seed_one_worker_is_bit_identical_and_seed_matters():
    vocab, ids, offsets = _encode(_topic_corpus(200))
    cfg = dict(model="sg", loss="ns", dim=8, epochs=2, min_count=1, workers=1, sample=1e-2)
    a = train(vocab, ids, offsets, TrainConfig(seed=5, **cfg), progress=False).wi
    b = train(vocab, ids, offsets, TrainConfig(seed=5, **cfg), progress=False).wi
    c = train(vocab, ids, offsets, TrainConfig(seed=6, **cfg), progress=False).wi
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


def test_two_workers_train_as_well_as_one():
    vocab, ids, offsets = _encode(_topic_corpus(400))
    cfg = dict(model="cbow", loss="ns", dim=16, epochs=3, min_count=1, sample=0, chunk_words=500)
    m = train(vocab, ids, offsets, TrainConfig(workers=2, **cfg), progress=False)
    assert m.info["epochs_log"][0]["words"] == ids.size  # every chunk walked exactly once per epoch
    kv = m.keyed_vectors()
    assert all(w.startswith("a") for w, _ in kv.most_similar("a1", topn=5))


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_two_workers_with_private_hot_nodes_train_as_well_as_shared_ones(model):
    # hierarchical softmax with 2 workers trains its top Huffman nodes in per-thread copies
    vocab, ids, offsets = _encode(_topic_corpus(400))
    cfg = dict(model=model, loss="hs", dim=16, epochs=3, min_count=1, sample=0, chunk_words=500, workers=2)
    hot = train(vocab, ids, offsets, TrainConfig(hot_rows=8, hot_sync=50, **cfg), progress=False)
    plain = train(vocab, ids, offsets, TrainConfig(hot_rows=0, **cfg), progress=False)
    assert hot.info["final_loss"] == pytest.approx(plain.info["final_loss"], rel=0.05)
    assert hot.info["epochs_log"][0]["words"] == ids.size
    root = len(vocab) - 2  # wo starts at zero: a root row that was never merged back would stay zero
    assert np.linalg.norm(hot.wo[root]) > 0.1
    kv = hot.keyed_vectors()
    assert all(w.startswith("a") for w, _ in kv.most_similar("a1", topn=5))


def test_divergence_stops_with_a_clear_error():
    vocab, ids, offsets = _encode(_topic_corpus(100))
    cfg = TrainConfig(model="cbow", loss="ns", optimizer="sgd", lr=1e30, dim=8, epochs=2, min_count=1,
                      workers=1, sample=0, cbow_mean=False)
    with pytest.raises(W2VError, match="diverged.*learning rate 1e\\+30"):
        train(vocab, ids, offsets, cfg, progress=False)


def test_loss_per_epoch_is_the_mean_over_examples():
    vocab, ids, offsets = _encode(_topic_corpus(100))
    m = train(vocab, ids, offsets, TrainConfig(model="sg", loss="ns", dim=8, epochs=2, min_count=1, workers=1,
                                               sample=0, negative=5), progress=False)
    first = m.info["epochs_log"][0]
    # an untrained model (zero output vectors) has loss (K + 1) * log 2 per example
    assert first["loss"] < 6 * np.log(2) + 1e-6
    assert first["loss"] > 1.0  # a mean, not a cumulative sum or a per-word tally
    assert m.info["loss_per_epoch"] == [e["loss"] for e in m.info["epochs_log"]]


def test_bad_settings_name_the_key_and_the_allowed_values():
    with pytest.raises(W2VError, match="hot_sync = -1 .*integer >= 0"):
        TrainConfig(hot_sync=-1)
    with pytest.raises(W2VError, match="loss = 'foo'.*allowed"):
        TrainConfig(loss="foo")
    with pytest.raises(W2VError, match="window"):
        TrainConfig(window=0)


def test_max_vocab_and_min_count_restrict_the_vocabulary():
    vocab, ids, offsets = _encode(_topic_corpus(100))
    m = train(vocab, ids, offsets, TrainConfig(dim=8, epochs=1, min_count=1, max_vocab=5, workers=1),
              progress=False)
    assert len(m.vocab) == 5 and m.wi.shape == (5, 8)
    assert m.vocab.words == vocab.words[:5]


# --------------------------------------------------------------------------- files and the command line


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(_topic_corpus(300)) + "\n", encoding="utf-8")
    return path


def test_cli_train_writes_a_model_that_gensim_reads(corpus_file, tmp_path):
    out = tmp_path / "model"
    res = subprocess.run([sys.executable, "-m", "w2v", "train", str(corpus_file), "--out", str(out),
                          "--dim", "12", "--epochs", "2", "--min-count", "1", "--workers", "1", "--quiet",
                          "--tag", "study=unit", "--model", "cbow", "--loss", "hs"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    info = json.loads((out / "train.json").read_text())
    assert info["tags"] == {"study": "unit"}
    assert info["config"]["model"] == "cbow" and info["config"]["loss"] == "hs"
    assert len(info["loss_per_epoch"]) == 2
    model = load_model(out)
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors.load_word2vec_format(str(out / "vectors.bin"), binary=True)
    assert kv.index_to_key == model.vocab.words
    np.testing.assert_array_equal(kv.vectors, model.wi)


def test_train_from_the_vocab_stage_equals_training_from_text(corpus_file, tmp_path):
    from w2v.vocab import build

    build(corpus_file, tmp_path / "vocab", min_count=1)
    cfg = TrainConfig(dim=8, epochs=1, min_count=1, workers=1)
    a = train_file(corpus_file, tmp_path / "a", cfg, progress=False)
    b = train_file(None, tmp_path / "b", cfg, vocab_dir=tmp_path / "vocab", progress=False)
    assert a.wi.tobytes() == b.wi.tobytes()


def test_text_corpus_scanned_by_several_processes_gives_the_same_corpus(corpus_file, monkeypatch):
    import w2v.vocab as V
    from w2v.train import load_corpus

    v1, ids1, off1, _ = load_corpus(corpus_file, None, 2, None, None, workers=1)
    monkeypatch.setattr(V, "PARALLEL_SCAN_BYTES", 0)
    assert len(V._line_ranges(corpus_file, 3)) == 3
    v3, ids3, off3, _ = load_corpus(corpus_file, None, 2, None, None, workers=3)
    assert v3.words == v1.words and v3.counts.tolist() == v1.counts.tolist()
    assert np.array_equal(ids3, ids1) and np.array_equal(off3, off1)


def test_cli_errors_are_one_line(tmp_path):
    res = subprocess.run([sys.executable, "-m", "w2v", "train", str(tmp_path / "missing.txt"), "--out",
                          str(tmp_path / "m")], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "missing.txt" in res.stderr
    assert not (tmp_path / "m").exists()


def test_sigterm_during_training_leaves_no_partial_files(corpus_file, tmp_path):
    import signal
    import time

    big = tmp_path / "big.txt"
    big.write_text(corpus_file.read_text() * 40)
    out = tmp_path / "m"
    proc = subprocess.Popen([sys.executable, "-m", "w2v", "train", str(big), "--out", str(out), "--dim", "50",
                             "--epochs", "50", "--min-count", "1", "--workers", "1", "--loss", "hs", "--quiet"],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not out.exists() and time.time() < deadline:  # the output folder appears when training starts
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not (out / "train.json").exists()
    assert not list(out.glob(".*.tmp")) if out.exists() else True


def test_training_from_a_memory_mapped_corpus_equals_training_from_an_array(tmp_path, monkeypatch):
    import w2v.train as train_mod
    from w2v.vocab import open_ids

    vocab, ids, offsets = _encode(_topic_corpus(300))
    np.save(tmp_path / "ids.npy", ids)
    monkeypatch.setattr(train_mod, "RELEASE_WORDS", 64)  # release pages many times per epoch
    for model in ("sg", "cbow"):
        cfg = TrainConfig(model=model, dim=8, epochs=2, min_count=1, workers=1, chunk_words=50)
        a = train(vocab, ids, offsets, cfg, progress=False)
        b = train(vocab, open_ids(tmp_path / "ids.npy"), offsets, cfg, progress=False)
        assert a.wi.tobytes() == b.wi.tobytes() and a.wo.tobytes() == b.wo.tobytes()
        assert a.info["loss_per_epoch"] == b.info["loss_per_epoch"]


def test_init_is_unchanged_by_the_in_place_arithmetic():
    vocab, ids, offsets = _encode(_topic_corpus(20))
    cfg = TrainConfig(dim=8, epochs=1, min_count=1, workers=1, lr=1e-30, min_lr_ratio=1.0)
    m = train(vocab, ids, offsets, cfg, progress=False)
    rng = np.random.default_rng(cfg.seed)
    expected = ((rng.random((len(vocab), 8), dtype=np.float32) - 0.5) / 8).astype(np.float32)
    np.testing.assert_allclose(m.wi, expected, rtol=0, atol=1e-12)


def test_save_npz_reads_back_like_np_savez(tmp_path):
    from w2v.train import _save_npz

    rng = np.random.default_rng(0)
    arrays = {"wi": rng.random((37, 5), dtype=np.float32), "counts": np.arange(37, dtype=np.int64),
              "empty": np.zeros((0, 3), np.float32)}
    _save_npz(tmp_path / "a.npz", block_bytes=64, **arrays)  # many blocks per array
    np.savez(tmp_path / "b.npz", **arrays)
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert sorted(a.files) == sorted(b.files) == sorted(arrays)
    for k, v in arrays.items():
        assert a[k].dtype == v.dtype and a[k].shape == v.shape and np.array_equal(a[k], v)
        assert a[k].tobytes() == b[k].tobytes()


def test_default_learning_rates():
    """word2vec.c's defaults, except CBOW + HS, which learns better at gensim's 0.025 (measured)."""
    assert TrainConfig(model="sg", loss="ns").learning_rate == 0.025
    assert TrainConfig(model="cbow", loss="ns").learning_rate == 0.05
    assert TrainConfig(model="cbow", loss="hs").learning_rate == 0.025
    assert TrainConfig(model="cbow", loss="hs", lr=0.07).learning_rate == 0.07
    assert TrainConfig(model="cbow", loss="hs", optimizer="adam").learning_rate == 0.002


def test_model_npz_bytes_do_not_depend_on_the_time_of_the_save(tmp_path, monkeypatch):
    import time as time_mod

    from w2v.train import _save_npz

    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    _save_npz(tmp_path / "a.npz", wi=arr, wo=arr)
    real = time_mod.time
    monkeypatch.setattr(time_mod, "time", lambda: real() + 86_400 * 400)  # a save a year later
    _save_npz(tmp_path / "b.npz", wi=arr, wo=arr)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as z:
        assert np.array_equal(z["wi"], arr)


@pytest.mark.parametrize("beta2", [0.999, 0.9999, 0.5])
def test_adam_bias_table_is_the_correction_and_one_past_its_end(beta2):
    from w2v.train import adam_bias_table, adam_flat_step

    fp = np.zeros(kernels.N_FPARAMS, np.float32)
    fp[[kernels.F_LR, kernels.F_BETA1, kernels.F_BETA2, kernels.F_EPS]] = 0.01, 0.9, beta2, 1e-8
    b1, b2 = float(fp[kernels.F_BETA1]), float(fp[kernels.F_BETA2])
    table = adam_bias_table(b1, b2)
    flat = adam_flat_step(b1, b2)
    assert table.size == flat and max(b1, b2) ** flat < 2.0 ** -64 <= max(b1, b2) ** (flat - 2)
    for t in (1, 2, 10, flat - 1):
        assert table[t] == pytest.approx(math.sqrt(1 - b2 ** t) / (1 - b1 ** t), rel=1e-15)
    assert math.sqrt(1 - b2 ** flat) / (1 - b1 ** flat) == 1.0  # where the table stops, the correction is 1
    init = np.zeros((1, 8), np.float32)  # the row after one step is minus the step
    x = np.linspace(-1, 1, 8).astype(np.float32)
    for start, factor in ((0, table[1]), (flat - 2, table[flat - 1]), (flat - 1, 1.0), (flat + 1000, 1.0)):
        w, m, v = init.copy(), np.full_like(init, 0.01), np.full_like(init, 1e-4)
        t = np.array([start], np.int64)
        kernels.update_row(w, 0, 0.5, x, 1.0, kernels.ADAM, fp[kernels.F_LR], m, v, t, fp, table)
        assert t[0] == start + 1
        step = np.float32(0.01 * factor) * m / (np.sqrt(v) + np.float32(1e-8))  # with the new moments
        np.testing.assert_allclose(init - w, step, rtol=2e-6)
