"""Tables the training kernels sample from: subsampling, noise, Huffman tree.

Everything here is computed once per training run from the vocabulary counts
(NumPy, never per token in Python). Nothing here needs the compiled kernels.
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
    """Walker/Vose alias table ``(prob, alias)`` (float32, int32) for O(1) sampling from ``p``.

    Draw: ``i = uniform int in [0, n)``; return ``i`` if ``u < prob[i]`` else ``alias[i]``.
    The table is bit for bit that of ``kernels.vose``.
    """
    p = np.asarray(p, dtype=np.float64)
    return _vose(np.ascontiguousarray(p / p.sum()))


def _vose(p: np.ndarray, window: int = 1 << 12) -> tuple[np.ndarray, np.ndarray]:
    """Vose's method as ``kernels.vose`` runs it, vectorised; ``p`` float64, summing to 1.

    The sequential method keeps a stack of small (``p * n < 1``) and of large
    indices, each in increasing order, and repeatedly pairs the top small ``s``
    with the top large ``g``: ``prob[s]``, ``alias[s] = g``, and ``g`` keeps the
    residual ``(r + scaled[s]) - 1``; once that falls below 1, ``g`` is the next
    small, paired with the next large. So the smalls are taken in decreasing
    index order, one large at a time, the residual following one running sum.
    Here the order of a window of events is predicted from cumulative sums, the
    residuals are then computed exactly as the loop computes them (``np.cumsum``
    adds one term after another), and the events up to the first wrongly
    predicted one (a residual within rounding of 1) are kept: the same table in
    about 0.1 s for a million words.
    """
    n = p.shape[0]
    prob = np.zeros(n, dtype=np.float32)
    alias = np.arange(n, dtype=np.int32)
    scaled = p * n
    is_small = scaled < 1.0
    small = np.flatnonzero(is_small)[::-1]  # stack order: the last index pushed is taken first
    large = np.flatnonzero(~is_small)[::-1]
    ys, yl = scaled[small], scaled[large]
    i = j = 0  # smalls taken; large[j] is the current large
    r = yl[0] if large.size else 0.0  # its residual
    while large.size and (i < small.size if r >= 1.0 else j + 1 < large.size):
        # predicted order: large j+b+1 comes after cut[b] smalls, where their summed deficit
        # (1 - scaled) first exceeds the summed excess (scaled - 1) of the larges so far
        s_y, l_y = ys[i:i + window], yl[j + 1:j + 1 + window]
        deficit = np.concatenate(([0.0], np.cumsum(1.0 - s_y)))
        excess = (r - 1.0) + np.concatenate(([0.0], np.cumsum(l_y - 1.0)))
        cut = np.searchsorted(deficit, excess, side="right")
        k_l = int(np.searchsorted(cut[:-1], s_y.size, side="right"))  # larges taken in the window
        k_s = min(s_y.size, int(cut[k_l]))  # smalls taken in the window
        t = k_s + k_l
        pos_l = cut[:k_l] + np.arange(k_l)
        is_l = np.zeros(t, dtype=bool)
        is_l[pos_l] = True
        y = np.empty(t)
        y[pos_l] = l_y[:k_l]
        y[~is_l] = s_y[:k_s]
        # the residual before each event and after the last: r, (r + y0) - 1, ((r + y0) - 1 + y1) - 1, ...
        x = np.empty(2 * t + 1)
        x[0] = r
        x[1::2] = y
        x[2::2] = -1.0
        res = np.cumsum(x)[0::2]
        ok = is_l == (res[:t] < 1.0)  # a large is next exactly when the residual is below 1
        m = t if ok.all() else int(np.argmin(ok))  # at least 1: the first guess compares r itself
        is_l = is_l[:m]
        took_l = np.cumsum(is_l)
        cur = large[j + took_l - is_l]  # the current large at each event
        n_s = m - int(took_l[-1])
        taken = small[i:i + n_s]
        prob[taken] = ys[i:i + n_s]
        alias[taken] = cur[~is_l]
        prob[cur[is_l]] = res[:m][is_l]  # a large whose residual fell below 1 becomes a small
        alias[cur[is_l]] = large[j + took_l[is_l]]
        i += n_s
        j += int(took_l[-1])
        r = res[m]
        window = min(2 * window, 1 << 20) if m == t else max(64, 2 * m)
    prob[small[i:]] = 1.0  # left over: residuals of exactly 1 but for rounding
    prob[large[j:]] = 1.0
    return prob, alias


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
