"""Held-out log-likelihood of a trained model: one quantity every output layer defines.

The training losses of the five output layers are not comparable (docs/theory.md §2.7).
What every model does define is a conditional distribution over the vocabulary: the
full softmax of its own vectors, ``p(w | h) = exp(u_w·h) / Σ_w' exp(u_w'·h)``, or, for
hierarchical softmax, whose output rows are Huffman inner nodes and not words, the
tree's product of binary decisions. :func:`heldout_loglik` draws training-like
examples from held-out documents and reports their mean negative log-likelihood (nats)
and perplexity under that distribution (docs/theory.md §2.8).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from w2v.errors import W2VError
from w2v.sampling import huffman_tree

__all__ = ["heldout_loglik", "encode_documents", "draw_pairs", "draw_windows", "hidden_vectors",
           "log_normaliser", "softmax_nll", "tree_nll"]

_ROUND = 1 << 16      # draws per round of the sampler: the first n examples of a seed never depend on n
_BLOCK_BYTES = 1 << 26  # float32 logits held at once by the blocked softmax (64 MiB)
_TREE_NOTE = ("hs: the rows of wo are Huffman inner nodes, not words, so a softmax over wo rows "
              "is not defined; the probability is the tree's product of binary decisions")


def encode_documents(vocab, corpus) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` of held-out documents in the model's vocabulary, out-of-vocabulary tokens dropped.

    ``corpus`` is a text file (one document per line, tokens separated by whitespace,
    optionally gzipped) or a sequence of documents, each a sequence of vocabulary rows.
    As in training, tokens are dropped before windows are formed.
    """
    from w2v.vocab import corpus_lines

    if isinstance(corpus, (str, os.PathLike)):
        path = Path(corpus)
        if not path.is_file():
            raise W2VError(f"{path}: no such held-out corpus; give a text file with one document per line")
        index = vocab.index
        docs = ([i for i in map(index.get, line.split()) if i is not None] for line in corpus_lines(path))
    else:
        docs = corpus
    parts, lens = [], []
    for doc in docs:
        arr = np.asarray(doc, dtype=np.int64).reshape(-1)
        parts.append(arr)
        lens.append(arr.size)
    ids = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= len(vocab)):
        raise ValueError(f"document ids must lie in 0..{len(vocab) - 1}")
    offsets = np.concatenate(([0], np.cumsum(lens, dtype=np.int64)))
    return ids.astype(np.int32), offsets


def _eligible(offsets: np.ndarray):
    """Segments with at least two tokens (the only ones that give examples): starts, ends, cumulative sizes."""
    from w2v.train import segments

    bounds = segments(np.asarray(offsets, dtype=np.int64))
    starts, ends = bounds[:-1], bounds[1:]
    keep = ends - starts >= 2
    starts, ends = starts[keep], ends[keep]
    cum = np.concatenate(([0], np.cumsum(ends - starts)))
    return starts, ends, cum


def _centres(rng, starts, ends, cum, size):
    """``size`` uniform positions among the tokens of ``starts``/``ends``, with their segment's bounds."""
    k = rng.integers(0, cum[-1], size=size)
    s = np.searchsorted(cum, k, side="right") - 1
    return starts[s] + (k - cum[s]), starts[s], ends[s]


def _need_examples(cum, corpus_name="the held-out corpus"):
    if cum[-1] == 0:
        raise W2VError(f"{corpus_name}: no document has two in-vocabulary tokens, so it gives no "
                       "(centre, context) example; give a larger held-out corpus")


def draw_pairs(offsets: np.ndarray, n_pairs: int, window: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_pairs`` (centre, context) *positions* drawn from the pairs one training pass forms.

    A pass draws ``b`` uniform in ``1..window`` for every centre and pairs it with every
    position within ``b`` in its segment, so a pair at distance ``δ`` occurs with
    probability ``(window - δ + 1) / window``. Drawing a centre uniformly, ``b`` as in
    training and an offset uniformly in ``±1..±window``, and keeping the draw when the
    offset lies within ``b`` and inside the segment, gives each pair exactly that
    weight (up to a constant): the kept draws are independent draws from the pass's pairs.
    No subsampling, no window crosses a segment.
    """
    starts, ends, cum = _eligible(offsets)
    _need_examples(cum)
    rng = np.random.default_rng(seed)
    got_c, got_o, have = [], [], 0
    while have < n_pairs:
        c, lo, hi = _centres(rng, starts, ends, cum, _ROUND)
        b = rng.integers(1, window + 1, size=_ROUND)
        o = rng.integers(1, window + 1, size=_ROUND) * np.where(rng.random(_ROUND) < 0.5, -1, 1)
        j = c + o
        ok = (np.abs(o) <= b) & (j >= lo) & (j < hi)
        got_c.append(c[ok])
        got_o.append(j[ok])
        have += int(ok.sum())
    return np.concatenate(got_c)[:n_pairs], np.concatenate(got_o)[:n_pairs]


def draw_windows(offsets: np.ndarray, n_pairs: int, window: int, seed: int):
    """``n_pairs`` CBOW examples: centre positions uniform over the tokens with a context, and
    the window ``[lo, hi)`` around each (``b`` uniform in ``1..window``, clipped to the segment)."""
    starts, ends, cum = _eligible(offsets)
    _need_examples(cum)
    rng = np.random.default_rng(seed)
    rounds = []
    for _ in range(-(-n_pairs // _ROUND)):
        c, lo, hi = _centres(rng, starts, ends, cum, _ROUND)
        b = rng.integers(1, window + 1, size=_ROUND)
        rounds.append((c, np.maximum(lo, c - b), np.minimum(hi, c + b + 1)))
    return tuple(np.concatenate(parts)[:n_pairs] for parts in zip(*rounds))


def hidden_vectors(wi: np.ndarray, ids: np.ndarray, centre, lo, hi, mean: bool = True) -> np.ndarray:
    """CBOW's input ``h`` (float64): the mean (or sum) of the input rows of ``ids[lo:hi]`` without the centre."""
    h = np.zeros((centre.size, wi.shape[1]), np.float64)
    n = np.zeros(centre.size, np.float64)
    width = int(np.max(hi - lo)) if centre.size else 0
    for off in range(width):
        pos = lo + off
        use = (pos < hi) & (pos != centre)
        if use.any():
            h[use] += wi[ids[pos[use]]]
            n += use
    return h / n[:, None] if mean else h


def log_normaliser(wo: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """``log Σ_w exp(u_w·h)`` for every row ``h`` of ``hidden`` (float64).

    Computed in blocks of rows: ``block @ wo.T`` through BLAS in float32, shifted by each
    row's maximum, exponentiated, and summed in float64.
    """
    wo32 = np.ascontiguousarray(wo, dtype=np.float32)
    block = max(1, _BLOCK_BYTES // (4 * max(1, wo32.shape[0])))
    lse = np.empty(hidden.shape[0], np.float64)
    for s in range(0, hidden.shape[0], block):
        logits = np.ascontiguousarray(hidden[s:s + block], dtype=np.float32) @ wo32.T
        m = logits.max(axis=1, keepdims=True)
        np.subtract(logits, m, out=logits)
        np.exp(logits, out=logits)
        lse[s:s + block] = m[:, 0].astype(np.float64) + np.log(logits.sum(axis=1, dtype=np.float64))
    return lse


def _scores(wo: np.ndarray, hidden: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", np.asarray(hidden, np.float64), np.asarray(wo[targets], np.float64))


def softmax_nll(wo: np.ndarray, hidden: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``-log p(target | h) = log Σ_w exp(u_w·h) - u_target·h`` (float64, one per row of ``hidden``)."""
    hidden = np.asarray(hidden)
    return log_normaliser(wo, hidden) - _scores(wo, hidden, targets)


def tree_nll(wo: np.ndarray, tree, hidden: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``-log P(target | h)`` of hierarchical softmax: ``-Σ_j log σ(ς_j u_{n_j}·h)``, ``ς_j = 1 - 2 c_j``.

    ``tree`` is :func:`w2v.sampling.huffman_tree`'s ``(points, codes, lengths)``; float64 throughout.
    """
    points, codes, lengths = tree
    hidden = np.asarray(hidden, np.float64)
    depth = points.shape[1]
    block = max(1, _BLOCK_BYTES // (8 * depth * max(1, wo.shape[1])))
    out = np.empty(hidden.shape[0], np.float64)
    for s in range(0, hidden.shape[0], block):
        t = targets[s:s + block]
        nodes = np.asarray(wo[points[t]], np.float64)                       # (n, depth, d)
        scores = np.einsum("nkd,nd->nk", nodes, hidden[s:s + block])
        signed = (1.0 - 2.0 * codes[t]) * scores
        on_path = np.arange(depth)[None, :] < lengths[t][:, None]
        out[s:s + block] = np.where(on_path, np.logaddexp(0.0, -signed), 0.0).sum(axis=1)  # -log σ(x)
    return out


def heldout_loglik(model, corpus, n_pairs: int = 100_000, window: int = 5, seed: int = 0) -> dict:
    """Mean negative log-likelihood (nats) and perplexity of held-out examples under ``model``.

    ``corpus``: a text file or documents of vocabulary rows (:func:`encode_documents`).
    Examples are drawn as training forms them (docs/theory.md §1; no subsampling):
    skip-gram pairs with input ``wi[context]`` and target the centre (:func:`draw_pairs`),
    CBOW centres with input the mean (``--cbow-sum``: sum) of their window's input rows
    (:func:`draw_windows`). The probability is the full softmax of ``wo`` (``kind``
    ``"softmax"``) or, for hs models, the Huffman tree's (``kind`` ``"tree"``).
    """
    if n_pairs < 1:
        raise W2VError(f"heldout pairs = {n_pairs}: must be at least 1")
    if window < 1:
        raise W2VError(f"heldout window = {window}: must be at least 1")
    t0 = time.perf_counter()
    cfg = model.config
    ids, offsets = encode_documents(model.vocab, corpus)
    name = str(corpus) if isinstance(corpus, (str, os.PathLike)) else "the held-out documents"
    _need_examples(_eligible(offsets)[2], name)
    wi, wo = model.wi, model.wo
    hs = cfg.loss == "hs"
    tree = huffman_tree(np.asarray(model.vocab.counts, np.int64)) if hs else None
    if cfg.model == "sg":
        centre, context = draw_pairs(offsets, n_pairs, window, seed)
        targets, inputs = ids[centre], ids[context]
        # the normaliser depends on the input word only: compute it once per distinct word
        words, inverse = np.unique(inputs, return_inverse=True)
        if hs:
            nll = tree_nll(wo, tree, wi[inputs], targets)
        else:
            nll = log_normaliser(wo, wi[words])[inverse] - _scores(wo, wi[inputs], targets)
    else:
        centre, lo, hi = draw_windows(offsets, n_pairs, window, seed)
        targets = ids[centre]
        h = hidden_vectors(wi, ids, centre, lo, hi, mean=cfg.cbow_mean)
        nll = tree_nll(wo, tree, h, targets) if hs else softmax_nll(wo, h, targets)
    mean_nll = float(np.sum(nll, dtype=np.float64) / nll.size)
    out = {"pairs": int(nll.size), "mean_nll": mean_nll,
           "perplexity": math.exp(mean_nll) if mean_nll < 700 else float("inf"),
           "kind": "tree" if hs else "softmax", "seconds": time.perf_counter() - t0,
           "model": cfg.model, "loss": cfg.loss, "window": int(window), "seed": int(seed),
           "tokens": int(ids.size)}
    if hs:
        out["note"] = _TREE_NOTE
    return out
