"""Plain-NumPy (float64) reference of the objectives and update rules stated in docs/theory.md.

Written from the formulas of the document, not from the kernels: exact σ and log σ (no tables),
explicit candidate lists, one loop over the touched rows. Every output layer returns
``(loss, e, wo_new)`` with ``e = -dL/dh`` and ``wo_new`` the output matrix after one SGD step
of rate ``lr``, applied as theory.md §2 states: each touched row ``r`` with ascent coefficient
``g_r`` adds ``g_r u_r`` (the row before this touch's update) to ``e``, then moves by
``lr g_r h``; a noise word drawn twice is touched twice, the second touch seeing the row after
the first. With ``lr = 0`` this is the exact loss and gradient.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def neg_log_sigmoid(x):
    """-log σ(x) = log(1 + e^{-x}), overflow-safe."""
    return np.logaddexp(0.0, -x)


def noise_q(counts, beta=0.75):
    """q(w) = n_w^β / Σ n^β (§2.3)."""
    w = np.asarray(counts, dtype=np.float64) ** beta
    return w / w.sum()


def _touch(wo, e, r, g, h, lr):
    e += g * wo[r]
    wo[r] += lr * g * h


def softmax(h, wo, target, lr=0.0):
    """§2.1: L = -log p_target over the whole vocabulary, g_w = [w = target] - p_w."""
    h = np.asarray(h, np.float64)
    wo = np.array(wo, np.float64)
    s = wo @ h
    log_z = np.log(np.sum(np.exp(s - s.max()))) + s.max()
    p = np.exp(s - log_z)
    loss = log_z - s[target]
    e = np.zeros_like(h)
    for w in range(wo.shape[0]):
        _touch(wo, e, w, float(w == target) - p[w], h, lr)
    return loss, e, wo


def hs(h, wo, target, points, codes, lengths, lr=0.0):
    """§2.2: P(code 0 at node n) = σ(u_n·h); L = Σ_j -log σ(ς_j s_j), ς = 1 - 2c.

    The ascent coefficient is taken in word2vec.c's form g = 1 - c - σ(s), which §2.2 states is
    equal to ς(1 - σ(ς s)).
    """
    h = np.asarray(h, np.float64)
    wo = np.array(wo, np.float64)
    loss = 0.0
    e = np.zeros_like(h)
    for j in range(lengths[target]):
        n, c = int(points[target, j]), int(codes[target, j])
        s = wo[n] @ h
        loss += neg_log_sigmoid((1 - 2 * c) * s)
        _touch(wo, e, n, 1.0 - c - sigmoid(s), h, lr)
    return loss, e, wo


def _binary_logistic(h, wo, target, noise, shift, lr):
    """§2.3/§2.4: label 1 for the target, label 0 for each noise draw not equal to it (in draw order).

    All logits are computed before any row is updated (§2).
    """
    h = np.asarray(h, np.float64)
    wo = np.array(wo, np.float64)
    cands = [(int(target), 1.0)] + [(int(w), 0.0) for w in noise if w != target]
    s = [wo[w] @ h - shift(w) for w, _ in cands]
    loss = sum(neg_log_sigmoid(sj) if label else neg_log_sigmoid(-sj) for sj, (_, label) in zip(s, cands))
    e = np.zeros_like(h)
    for sj, (w, label) in zip(s, cands):
        _touch(wo, e, w, label - sigmoid(sj), h, lr)
    return loss, e, wo


def ns(h, wo, target, noise, lr=0.0):
    """§2.3: L = -log σ(s_O) - Σ_{w∈N} log σ(-s_w), accidental hits skipped."""
    return _binary_logistic(h, wo, target, noise, lambda w: 0.0, lr)


def nce(h, wo, target, noise, q, lr=0.0):
    """§2.4: as NS with every logit shifted by -log(K q(w)), K = number of draws (hits included)."""
    K = len(noise)
    return _binary_logistic(h, wo, target, noise, lambda w: np.log(K * q[w]), lr)


def sampled(h, wo, target, noise, q, lr=0.0):
    """§2.5: softmax over S = (target) ∪ N (hits removed, duplicates kept), logits s_w - log q(w).

    All logits are computed before any row is updated.
    """
    h = np.asarray(h, np.float64)
    wo = np.array(wo, np.float64)
    cands = [int(target)] + [int(w) for w in noise if w != target]
    s_hat = np.array([wo[w] @ h - np.log(q[w]) for w in cands])
    p = np.exp(s_hat - s_hat.max())
    p /= p.sum()
    loss = -np.log(p[0])
    e = np.zeros_like(h)
    for j, w in enumerate(cands):
        _touch(wo, e, w, float(j == 0) - p[j], h, lr)
    return loss, e, wo


def adam_row(w, m, v, t, grad, lr, b1=0.9, b2=0.999, eps=1e-8):
    """§5, Kingma & Ba (2015) with the bias correction folded into the step size; returns (w, m, v, t)."""
    t = t + 1
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad ** 2
    w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    return w, m, v, t


def adagrad_row(w, v, grad, lr, eps=1e-8):
    """§5, Duchi et al. (2011), diagonal: v += G², w -= lr G / (√v + ε); returns (w, v)."""
    v = v + grad ** 2
    return w - lr * grad / (np.sqrt(v) + eps), v


def walk_window1(sent, wi, wo, model, lr, cbow_mean=True):
    """§1/§3 on one segment with window 1 (b_i = 1 always), no subsampling, full-softmax output.

    Skip-gram: one example per (centre, context) pair, h = v_c, then v_c += lr e.
    CBOW: h = mean or sum of the context rows, then every context position's row += lr e
    (the same e for the mean and the sum, §3). Returns (loss_sum, n_examples, wi, wo).
    """
    wi = np.array(wi, np.float64)
    wo = np.array(wo, np.float64)
    loss_sum, n_ex = 0.0, 0
    n = len(sent)
    for i in range(n):
        ctx = [sent[j] for j in (i - 1, i + 1) if 0 <= j < n]
        if model == "sg":
            for c in ctx:
                loss, e, wo = softmax(wi[c], wo, sent[i], lr)
                wi[c] += lr * e
                loss_sum += loss
                n_ex += 1
        else:
            if not ctx:
                continue
            h = wi[ctx].sum(axis=0)
            if cbow_mean:
                h /= len(ctx)
            loss, e, wo = softmax(h, wo, sent[i], lr)
            for c in ctx:
                wi[c] += lr * e
            loss_sum += loss
            n_ex += 1
    return loss_sum, n_ex, wi, wo
