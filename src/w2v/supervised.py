"""fastText's supervised document classifier (Joulin et al. 2017, "Bag of Tricks"), in Numba.

A document is the set of its word rows and, with bigrams, the rows of its hashed
adjacent word pairs: the pair of token types ``(a, b)`` goes to bucket
``bigram_bucket(a, b, B)`` of an extra table of ``B`` rows (``BUCKETS`` = 2M, as
fastText); each row counts once per document (``unique``; fastText counts repeats,
``unique=False``). The hidden vector is the weighted mean of the document's rows,
``h = sum_r w_r x_r / sum_r w_r``, the output a softmax over the labels, the loss
``-log p(label | document)``. Weighting ``mean`` (``w_r = 1``) is fastText's model;
``idf`` (the default) weights each row by ``ln((1 + N) / (1 + df_r)) + 1``, with
``df_r`` the number of the ``N`` training documents that hold the row (for a
bigram row: its bucket), so that the rare, telling words weigh more in the mean
(20 Newsgroups, word2vec rows, seed 1: 83.9% test accuracy against 81.0% for the
plain mean). Training is plain SGD over the training documents in a seeded random
order per epoch, with the learning rate decaying linearly from ``lr`` to 0 over
all epochs (fastText's schedule); one example's step (:func:`example_step`) is fastText's
``Model::update`` for the softmax loss:

- ``alpha_k = lr (1[k = label] - p_k)`` for every label ``k``;
- ``grad += alpha_k wo_k`` (with the output row before its update), then
  ``wo_k += alpha_k h``;
- every input row ``r`` of the document gets ``w_r grad / sum_r w_r`` (``grad / n`` for
  the plain mean of ``n`` rows, repeats counted),

which is exactly ``-lr`` times the gradient of the loss. With several workers,
Python threads run the ``nogil`` kernel on disjoint slices of each epoch's order
and share the matrices without locks (Hogwild); with one worker a run is
bit-for-bit reproducible for a seed.

Initialisation: word rows come from the word vectors when given (dimension of
the vectors; the lookup is :func:`w2v.classify.lookup_rows`), the remaining word
rows (and every word row without vectors) are uniform in ``[-1/d, 1/d]`` as in
fastText, bigram rows and the output matrix start at zero. The word table holds
the token types of the documents the model is fitted on plus, with vectors,
every type that has a vector (a test word with a vector keeps it); other tokens
are skipped. Bigrams are hashed from all adjacent tokens of a document.

Hyper-parameters (``GRID``: weighting, bigrams on or off, epochs, learning rate)
are chosen by accuracy on a seeded, stratified validation split of
``VALIDATION_FRACTION`` of the training documents (the model is fitted on the
rest; ties go to the first in grid order); the chosen values are then refitted on
all training documents and scored on the test documents, which never take part in
the choice.
"""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
from numba import njit

from w2v.errors import W2VError

__all__ = ["SUPERVISED", "BUCKETS", "GRID", "WEIGHTINGS", "Inputs", "bigram_bucket", "build_inputs", "example_step",
           "example_loss", "idf_weights", "init_matrices", "fit", "predict", "score"]

SUPERVISED = "supervised"
BUCKETS = 2_000_000
GRID = {"weighting": ("idf",), "bigrams": (False, True), "epochs": (5, 10, 20), "lr": (0.1, 0.3, 1.0, 3.0)}
WEIGHTINGS = ("mean", "idf")
RANDOM_DIM = 100  # dimension of the randomly initialised word rows when no vectors are given

# numpy's error model: a division is a plain division (no zero test to raise on), as in w2v.kernels
_fast = dict(nogil=True, fastmath=True, error_model="numpy", cache=True)


# --------------------------------------------------------------------------- kernels
@njit(nogil=True, cache=True)
def bigram_bucket(a, b, buckets):
    """Bucket in ``[0, buckets)`` of the ordered pair of token types ``(a, b)`` (splitmix64 of ``a * 2^32 + b``)."""
    x = (np.uint64(a) << np.uint64(32)) + np.uint64(b)
    x += np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return np.int64(x % np.uint64(buckets))


@njit(nogil=True, cache=True)
def _encode(tokens, indptr, docs, word_row, n_words, buckets, unique):
    """The input rows of documents ``docs``: per document its word rows (tokens with
    ``word_row >= 0``) then, when ``buckets > 0``, ``n_words + bucket`` of each adjacent
    token pair; with ``unique`` each row at most once per document (first occurrence order).
    Returns (rows, starts, word_ends, ends)."""
    n = len(docs)
    starts = np.empty(n, dtype=np.int64)
    word_ends = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    total = 0
    for i in range(n):
        d = docs[i]
        total += 2 * (indptr[d + 1] - indptr[d])
    rows = np.empty(total, dtype=np.int32)
    last = np.full(n_words + buckets, -1, dtype=np.int64)  # the last document that used a row
    k = 0
    for i in range(n):
        d = docs[i]
        lo, hi = indptr[d], indptr[d + 1]
        starts[i] = k
        for t in range(lo, hi):
            r = word_row[tokens[t]]
            if r >= 0 and not (unique and last[r] == i):
                last[r] = i
                rows[k] = r
                k += 1
        word_ends[i] = k
        if buckets > 0:
            for t in range(lo, hi - 1):
                r = n_words + bigram_bucket(tokens[t], tokens[t + 1], buckets)
                if not (unique and last[r] == i):
                    last[r] = i
                    rows[k] = r
                    k += 1
        ends[i] = k
    return rows[:k].copy(), starts, word_ends, ends


@njit(**_fast)
def _hidden(inp, weight, rows, lo, hi, h):
    """``h`` = the ``weight``-weighted mean of rows ``rows[lo:hi]`` of ``inp``; returns the weights' sum."""
    for j in range(h.shape[0]):
        h[j] = 0.0
    z = 0.0
    for t in range(lo, hi):
        r = rows[t]
        w = weight[r]
        z += w
        for j in range(h.shape[0]):
            h[j] += w * inp[r, j]
    if z > 0:
        inv = 1.0 / z
        for j in range(h.shape[0]):
            h[j] *= inv
    return z


@njit(**_fast)
def _softmax(wo, h, probs):
    """Label probabilities for hidden vector ``h`` into ``probs``."""
    top = -np.inf
    for k in range(wo.shape[0]):
        s = 0.0
        for j in range(h.shape[0]):
            s += wo[k, j] * h[j]
        probs[k] = s
        if s > top:
            top = s
    z = 0.0
    for k in range(wo.shape[0]):
        probs[k] = np.exp(probs[k] - top)
        z += probs[k]
    if not (z > 0.0 and z < np.inf):  # a diverged model (a score of +-inf or NaN): no preference
        for k in range(wo.shape[0]):
            probs[k] = 1.0 / wo.shape[0]
        return
    for k in range(wo.shape[0]):
        probs[k] /= z


@njit(**_fast)
def example_step(inp, weight, wo, rows, lo, hi, label, lr, h, grad, probs):
    """One SGD step on one document (input rows ``rows[lo:hi]`` of ``inp``, each weighted by
    ``weight[row]``, label ``label``); returns its loss ``-log p(label)`` before the step.
    ``h``, ``grad`` (``d``) and ``probs`` (number of labels) are work buffers. A document
    without rows is skipped."""
    if hi <= lo:
        return 0.0
    z = _hidden(inp, weight, rows, lo, hi, h)
    if z <= 0:
        return 0.0
    _softmax(wo, h, probs)
    loss = -np.log(max(probs[label], 1e-30))
    for j in range(grad.shape[0]):
        grad[j] = 0.0
    for k in range(wo.shape[0]):
        alpha = lr * ((1.0 if k == label else 0.0) - probs[k])
        for j in range(h.shape[0]):
            grad[j] += alpha * wo[k, j]
            wo[k, j] += alpha * h[j]
    inv = 1.0 / z
    for j in range(grad.shape[0]):
        grad[j] *= inv
    for t in range(lo, hi):
        r = rows[t]
        w = weight[r]
        for j in range(grad.shape[0]):
            inp[r, j] += w * grad[j]
    return loss


@njit(**_fast)
def example_loss(inp, weight, wo, rows, lo, hi, label):
    """The loss ``-log p(label)`` of one document without a step."""
    h = np.empty(inp.shape[1], dtype=inp.dtype)
    probs = np.empty(wo.shape[0], dtype=wo.dtype)
    _hidden(inp, weight, rows, lo, hi, h)
    _softmax(wo, h, probs)
    return -np.log(max(probs[label], 1e-30))


@njit(**_fast)
def _train_slice(inp, weight, wo, rows, starts, ends, labels, order, lo, hi, epoch, n_epochs, lr0):
    """SGD over ``order[lo:hi]`` (one thread's share of one epoch); returns the summed loss."""
    h = np.empty(inp.shape[1], dtype=inp.dtype)
    grad = np.empty(inp.shape[1], dtype=inp.dtype)
    probs = np.empty(wo.shape[0], dtype=wo.dtype)
    total = 0.0
    span = max(1, hi - lo)
    for p in range(lo, hi):
        progress = (epoch + (p - lo) / span) / n_epochs
        lr = lr0 * (1.0 - progress)
        i = order[p]
        total += example_step(inp, weight, wo, rows, starts[i], ends[i], labels[i], lr, h, grad, probs)
    return total


@njit(**_fast)
def _predict(inp, weight, wo, rows, starts, ends):
    n = len(starts)
    out = np.empty(n, dtype=np.int64)
    h = np.empty(inp.shape[1], dtype=inp.dtype)
    probs = np.empty(wo.shape[0], dtype=wo.dtype)
    for i in range(n):
        _hidden(inp, weight, rows, starts[i], ends[i], h)
        _softmax(wo, h, probs)
        out[i] = np.argmax(probs)
    return out


# --------------------------------------------------------------------------- Python side
class Inputs:
    """Encoded documents: ``rows[starts[i]:word_ends[i]]`` are the word rows of document ``i``,
    ``rows[word_ends[i]:ends[i]]`` its bigram rows (offset by ``n_words``)."""

    def __init__(self, rows, starts, word_ends, ends, n_words, buckets):
        self.rows, self.starts, self.word_ends, self.ends = rows, starts, word_ends, ends
        self.n_words, self.buckets = n_words, buckets

    def stops(self, bigrams: bool) -> np.ndarray:
        return self.ends if bigrams else self.word_ends


def build_inputs(tokens: np.ndarray, indptr: np.ndarray, docs: np.ndarray, keep: np.ndarray,
                 buckets: int = BUCKETS, unique: bool = True) -> tuple[Inputs, np.ndarray]:
    """Encode documents ``docs`` (indices into ``indptr``) with the token types ``keep`` (boolean
    per type) as word rows; returns (inputs, the type of each word row)."""
    types = np.flatnonzero(keep)
    word_row = np.full(len(keep), -1, dtype=np.int64)
    word_row[types] = np.arange(len(types))
    rows, starts, word_ends, ends = _encode(np.asarray(tokens, dtype=np.int32), np.asarray(indptr, dtype=np.int64),
                                            np.asarray(docs, dtype=np.int64), word_row, len(types), buckets, unique)
    return Inputs(rows, starts, word_ends, ends, len(types), buckets), types


def init_matrices(word_types: np.ndarray, n_buckets: int, n_labels: int, vectors: np.ndarray | None,
                  type_rows: np.ndarray | None, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(input, output) matrices: word rows uniform in [-1/d, 1/d] (seeded), overwritten by
    ``vectors[type_rows[type]]`` where that row exists; bigram rows and output zero."""
    d = dim if vectors is None else vectors.shape[1]
    inp = np.zeros((len(word_types) + n_buckets, d), dtype=np.float32)
    rng = np.random.default_rng(seed)
    inp[:len(word_types)] = rng.uniform(-1.0 / d, 1.0 / d, (len(word_types), d)).astype(np.float32)
    if vectors is not None:
        src = type_rows[word_types]
        has = src >= 0
        inp[np.flatnonzero(has)] = np.asarray(vectors, dtype=np.float32)[src[has]]
    return inp, np.zeros((n_labels, d), dtype=np.float32)


def fit(inp: np.ndarray, wo: np.ndarray, inputs: Inputs, labels: np.ndarray, *, epochs: int, lr: float,
        bigrams: bool, seed: int, workers: int = 1, weight: np.ndarray | None = None) -> list[float]:
    """Train ``inp`` and ``wo`` in place; returns the mean loss of each epoch.

    Each epoch visits the documents in an order drawn from ``seed``; with ``workers`` > 1
    the order is cut into that many slices trained by as many threads at once. ``weight``
    (one per row of ``inp``, default 1) weights the rows in the document's mean."""
    stops = inputs.stops(bigrams)
    weight = np.ones(len(inp), dtype=inp.dtype) if weight is None else weight
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    rng = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        order = rng.permutation(n).astype(np.int64)
        if workers <= 1:
            total = _train_slice(inp, weight, wo, inputs.rows, inputs.starts, stops, labels, order, 0, n, epoch,
                                 epochs, lr)
        else:
            bounds = np.linspace(0, n, workers + 1).astype(np.int64)
            sums = [0.0] * workers

            def work(t):
                sums[t] = _train_slice(inp, weight, wo, inputs.rows, inputs.starts, stops, labels, order,
                                       bounds[t], bounds[t + 1], epoch, epochs, lr)

            threads = [threading.Thread(target=work, args=(t,)) for t in range(workers)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            total = sum(sums)
        losses.append(float(total / max(1, n)))
    return losses


def predict(inp: np.ndarray, wo: np.ndarray, inputs: Inputs, bigrams: bool,
            weight: np.ndarray | None = None) -> np.ndarray:
    """The most probable label of every encoded document (documents without rows: label 0)."""
    weight = np.ones(len(inp), dtype=inp.dtype) if weight is None else weight
    return _predict(inp, weight, wo, inputs.rows, inputs.starts, inputs.stops(bigrams))


def idf_weights(inputs: Inputs, n_rows: int, bigrams: bool) -> np.ndarray:
    """``ln((1 + N) / (1 + df)) + 1`` per row, ``df`` the number of the ``N`` encoded documents
    that hold the row (float32)."""
    stops = inputs.stops(bigrams)
    lengths = stops - inputs.starts
    doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    pos = np.concatenate([np.arange(a, b) for a, b in zip(inputs.starts, stops)]) if len(lengths) else \
        np.zeros(0, dtype=np.int64)
    keys = np.unique(doc * n_rows + inputs.rows[pos])
    df = np.bincount(keys % n_rows, minlength=n_rows)
    n = len(lengths)
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def _validation_split(y: np.ndarray, train_idx: np.ndarray, seed: int):
    from sklearn.model_selection import train_test_split

    from w2v.classify import VALIDATION_FRACTION

    _, per_class = np.unique(y[train_idx], return_counts=True)
    stratify = y[train_idx] if per_class.min() >= 2 else None
    return train_test_split(train_idx, test_size=VALIDATION_FRACTION, random_state=seed, stratify=stratify)


class _Model:
    """The word table of one fit set (its documents' token types, plus the types with a vector)
    and the encoder of documents with it."""

    def __init__(self, corpus, fit_docs, vectors, type_rows, dim, buckets, unique):
        self.corpus, self.vectors, self.type_rows, self.dim, self.buckets = corpus, vectors, type_rows, dim, buckets
        self.unique = unique
        seen = np.zeros(len(corpus.types), dtype=bool)
        for d in fit_docs:  # one slice per document: no per-token Python
            seen[corpus.tokens[corpus.token_indptr[d]:corpus.token_indptr[d + 1]]] = True
        self.keep = seen | (type_rows >= 0) if type_rows is not None else seen

    def encode(self, docs):
        return build_inputs(self.corpus.tokens, self.corpus.token_indptr, docs, self.keep, self.buckets, self.unique)


def score(corpus, kv=None, *, seed: int = 0, dim: int = RANDOM_DIM, case_fallback: bool | None = None,
          grid: dict | None = None, buckets: int = BUCKETS, workers: int | None = None,
          unique: bool = True, ngrams: int = 1, C=None) -> dict:
    """Choose the hyper-parameters on a validation split of the training documents, refit on all
    of them and score on the test documents of ``corpus`` (a :class:`w2v.classify.LabelledCorpus`
    loaded with ``keep_tokens=True``). ``kv``: word vectors to start the word rows from, or None
    (random rows of ``dim`` dimensions). ``grid`` overrides entries of :data:`GRID`; ``workers``
    (default: ``numba.config.NUMBA_NUM_THREADS``) threads train at once, one is reproducible;
    ``unique`` counts each row once per document. ``ngrams`` and ``C`` (options of the TF-IDF
    methods) must keep their defaults.

    Returns the fields of :func:`w2v.classify.score` (``dim``: the rows' dimension, ``oov_rate``:
    the share of tokens without a vector, or without a word row when no vectors are given);
    ``settings`` holds the chosen ``weighting``, ``bigrams``, ``epochs`` and ``lr``, ``init``
    (``vectors`` or ``random``), the mean loss of each refit epoch and ``selection`` (every grid
    point's validation accuracy)."""
    from numba import config as numba_config
    from sklearn.metrics import accuracy_score, f1_score

    from w2v.classify import lookup_rows

    start = time.perf_counter()
    if ngrams != 1 or C is not None:
        raise W2VError("--ngrams and --C apply to tfidf_logreg and tfidf_svm only; method supervised chooses "
                       "bigrams on a validation split: leave them out")
    if corpus.tokens is None or corpus.token_indptr is None:
        raise W2VError("method supervised needs the token sequences; load the corpus with keep_tokens=True")
    grid = {**GRID, **(grid or {})}
    unknown = set(grid) - set(GRID)
    if unknown:
        raise W2VError(f"grid entries {sorted(unknown)} are unknown; use {', '.join(GRID)}")
    if not set(grid["weighting"]) <= set(WEIGHTINGS):
        raise W2VError(f"weighting {grid['weighting']!r} is unknown; choose among {', '.join(WEIGHTINGS)}")
    if workers is None:
        workers = int(numba_config.NUMBA_NUM_THREADS)
    if workers < 1:
        raise W2VError(f"workers {workers} is not valid; give 1 or more threads")
    train = np.asarray(corpus.is_train, dtype=bool)
    test = ~train
    if not train.any() or not test.any():
        raise W2VError(f"the document table has {int(train.sum())} labelled train and {int(test.sum())} "
                       f"test documents; classification needs both")
    y_text = corpus.labels.astype(str)
    classes = np.unique(y_text[train])
    if len(classes) < 2:
        raise W2VError(f"the training documents have {len(classes)} label(s); classification needs at least 2")
    pos = np.searchsorted(classes, y_text)
    y = np.where((pos < len(classes)) & (classes[np.minimum(pos, len(classes) - 1)] == y_text), pos, -1)

    vectors = type_rows = None
    if kv is not None:
        type_rows = lookup_rows(corpus.types, kv, case_fallback)
        vectors = np.asarray(kv.vectors, dtype=np.float32)
        dim = vectors.shape[1]
    any_bigrams = any(grid["bigrams"])
    n_buckets = buckets if any_bigrams else 0
    train_idx = np.flatnonzero(train)
    test_idx = np.flatnonzero(test)

    # selection on the validation split
    fit_idx, val_idx = _validation_split(y, train_idx, seed)
    model = _Model(corpus, fit_idx, vectors, type_rows, dim, n_buckets, unique)
    fit_in, word_types = model.encode(fit_idx)
    val_in, _ = model.encode(val_idx)
    records = []
    idf = {}
    for weighting, bigrams, epochs, lr in itertools.product(*(grid[k] for k in GRID)):
        inp, wo = init_matrices(word_types, n_buckets if bigrams else 0, len(classes), vectors, type_rows, dim, seed)
        t0 = time.perf_counter()
        weight = None
        if weighting == "idf":
            if bigrams not in idf:
                idf[bigrams] = idf_weights(fit_in, len(inp), bigrams)
            weight = idf[bigrams]
        losses = fit(inp, wo, fit_in, y[fit_idx], epochs=epochs, lr=lr, bigrams=bigrams, seed=seed, workers=workers,
                     weight=weight)
        acc = float(np.mean(predict(inp, wo, val_in, bigrams, weight) == y[val_idx]))
        records.append({"weighting": weighting, "bigrams": bool(bigrams), "epochs": int(epochs), "lr": float(lr),
                        "validation_accuracy": acc, "final_loss": losses[-1] if losses else None,
                        "seconds": time.perf_counter() - t0})
        del inp, wo
    best = records[int(np.argmax([r["validation_accuracy"] for r in records]))]  # ties: the first in grid order
    del fit_in, val_in, model, idf

    # refit on all training documents with the chosen values
    bigrams, weighting = best["bigrams"], best["weighting"]
    model = _Model(corpus, train_idx, vectors, type_rows, dim, n_buckets if bigrams else 0, unique)
    train_in, word_types = model.encode(train_idx)
    test_in, _ = model.encode(test_idx)
    inp, wo = init_matrices(word_types, n_buckets if bigrams else 0, len(classes), vectors, type_rows, dim, seed)
    t0 = time.perf_counter()
    weight = idf_weights(train_in, len(inp), bigrams) if weighting == "idf" else None
    losses = fit(inp, wo, train_in, y[train_idx], epochs=best["epochs"], lr=best["lr"], bigrams=bigrams,
                 seed=seed, workers=workers, weight=weight)
    fit_seconds = time.perf_counter() - t0
    pred = predict(inp, wo, test_in, bigrams, weight)

    covered = model.keep if vectors is None else (type_rows >= 0)
    per_type = np.bincount(corpus.tokens, minlength=len(corpus.types))
    total = per_type.sum()
    oov = float(per_type[~covered].sum() / total) if total else 0.0
    pred_text = classes[pred]
    settings = {
        "seed": seed, "init": "vectors" if vectors is not None else "random", "epochs": best["epochs"],
        "lr": best["lr"], "bigrams": bigrams, "weighting": weighting, "unique": unique,
        "buckets": n_buckets if bigrams else 0, "workers": workers, "n_words": int(model.keep.sum()),
        "selection": {"grid": {k: [bool(v) if k == "bigrams" else v for v in grid[k]] for k in GRID},
                      "records": records, "n_validation": int(len(val_idx)), "split_seed": seed,
                      "validation_fraction": float(len(val_idx) / len(train_idx))},
        "train_loss": losses, "fit_seconds": fit_seconds,
    }
    return {
        "status": "ok",
        "method": SUPERVISED,
        "pooling": None,
        "accuracy": float(accuracy_score(y_text[test_idx], pred_text)),
        "macro_f1": float(f1_score(y_text[test_idx], pred_text, average="macro")),
        "n_train": int(train.sum()),
        "n_test": int(test.sum()),
        "n_classes": int(len(np.unique(y_text))),
        "oov_rate": oov,
        "dim": int(inp.shape[1]),
        "seconds": time.perf_counter() - start,
        "settings": settings,
    }
