"""Tables the training kernels sample from: subsampling, noise, Huffman tree.

Everything here is computed once per training run from the vocabulary counts
(numpy / Numba, never per token in Python).
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = [
    "keep_probabilities",
    "noise_distribution",
    "alias_table",
    "huffman_tree",
    "hot_nodes",
    "SUBSAMPLE_FORMULAS",
]

SUBSAMPLE_FORMULAS = ("word2vec", "paper")


def keep_probabilities(counts: np.ndarray, sample: float, formula: str = "word2vec") -> np.ndarray:
    """Probability of keeping each occurrence of a word when subsampling frequent words.

    With ``f = count / total`` (the relative frequency among in-vocabulary tokens)
    and threshold ``t = sample``:

    - ``"word2vec"`` (word2vec.c, gensim): ``keep = (sqrt(f / t) + 1) * t / f``
    - ``"paper"`` (Mikolov et al. 2013b): ``keep = sqrt(t / f)``

    both clipped to at most 1. ``sample = 0`` turns subsampling off (all ones).
    Worked numbers (t = 1e-5): f = 0.05 -> 0.01434, f = 1e-4 -> 0.4162.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError("sample must be >= 0")
    if formula not in SUBSAMPLE_FORMULAS:
        raise ValueError(f"subsample formula must be one of {SUBSAMPLE_FORMULAS}, not {formula!r}")
    if sample == 0 or counts.size == 0:
        return np.ones(counts.shape, dtype=np.float32)
    f = counts / counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        if formula == "word2vec":
            keep = (np.sqrt(f / sample) + 1.0) * sample / f
        else:
            keep = np.sqrt(sample / f)
    keep = np.where(f > 0, keep, 1.0)
    return np.minimum(keep, 1.0).astype(np.float32)


def noise_distribution(counts: np.ndarray, exponent: float = 0.75) -> np.ndarray:
    """The negative-sampling noise distribution: ``q(w) ∝ count(w) ** exponent`` (float64, sums to 1)."""
    weights = np.asarray(counts, dtype=np.float64) ** exponent
    total = weights.sum()
    if not total > 0:
        raise ValueError("noise distribution needs at least one word with a positive count")
    return weights / total


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table for O(1) sampling from the discrete distribution ``p``.

    Draw: ``i = uniform int in [0, n)``; return ``i`` if ``u < prob[i]`` else ``alias[i]``.
    """
    p = np.asarray(p, dtype=np.float64)
    from w2v import engine

    return engine.kernels().vose(np.ascontiguousarray(p / p.sum()))


def huffman_tree(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Huffman tree over the vocabulary for hierarchical softmax (as word2vec.c builds it).

    Returns ``(points, codes, lengths)``: for word ``w`` the path from the root
    has ``lengths[w]`` inner nodes ``points[w, :lengths[w]]`` (indices in
    ``0 .. V-2``, rows of the output matrix) and binary ``codes[w, :lengths[w]]``
    (the branch taken at each node). Frequent words get short codes. Ties are
    broken by word index, so the tree is deterministic.
    """
    counts = np.asarray(counts, dtype=np.int64)
    v = counts.shape[0]
    if v < 2:
        raise ValueError("hierarchical softmax needs a vocabulary of at least 2 words")
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent = np.zeros(2 * v - 1, dtype=np.int64)
    binary = np.zeros(2 * v - 1, dtype=np.int8)
    next_id = v
    while len(heap) > 1:
        c1, n1 = heapq.heappop(heap)
        c2, n2 = heapq.heappop(heap)
        parent[n1] = next_id
        parent[n2] = next_id
        binary[n2] = 1
        heapq.heappush(heap, (c1 + c2, next_id))
        next_id += 1
    root = 2 * v - 2
    # depth of every node: a parent is always created after its children (higher id), so one
    # sweep from the root down suffices
    par = parent.tolist()
    depth = [0] * (2 * v - 1)
    for n in range(root - 1, -1, -1):
        depth[n] = depth[par[n]] + 1
    lengths = np.array(depth[:v], dtype=np.int32)
    # walk all words up at once, one level per step, filling their paths from the end
    # (arrays only: no per-word Python lists, which dominated the peak memory for large V)
    points = np.zeros((v, int(lengths.max())), dtype=np.int32)
    codes = np.zeros_like(points, dtype=np.int8)
    words = np.arange(v)
    node = words.copy()
    pos = lengths.astype(np.int64) - 1
    active = node != root
    while active.any():
        w, n = words[active], node[active]
        codes[w, pos[active]] = binary[n]
        up = parent[n]
        points[w, pos[active]] = up - v  # inner node index in 0 .. v-2
        node[active] = up
        pos[active] -= 1
        active = node != root
    return points, codes, lengths


def hot_nodes(n: int, kept: np.ndarray, tree: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """The ``n`` Huffman inner nodes that hierarchical softmax updates most often (sorted node ids).

    An example updates every inner node on its target's path, so a node's rate
    is the share of kept (after subsampling) occurrences, ``kept``, of the words
    below it: 1 for the root, then falling with depth. The trainer gives each
    thread private copies of these output rows (``kernels._row``): they are the
    rows two threads would otherwise both write at nearly every example.
    """
    points, _, lengths = tree
    kept = np.asarray(kept, dtype=np.float64)
    share = kept / max(kept.sum(), 1e-300)
    rate = np.zeros(max(points.shape[0] - 1, 1))
    lengths = np.asarray(lengths)
    for level in range(points.shape[1]):  # one depth at a time: temporaries of V entries only
        below = lengths > level
        np.add.at(rate, points[below, level], share[below])
    n = int(max(0, min(n, rate.size)))
    return np.sort(np.argsort(-rate, kind="stable")[:n]).astype(np.int64)
