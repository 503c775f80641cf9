"""A two-class corpus that only word pairs separate (shared by the classifier tests)."""

from __future__ import annotations

import numpy as np


def negation_documents(noise, n_train: int = 300, n_test: int = 200, seed: int = 0):
    """``(is_train, i, label, words)`` per document. Both classes hold "not", "good" and "bad" once
    each, among 6 ``noise`` words: only the pair "not good" or "not bad" tells them apart."""
    rng = np.random.default_rng(seed)
    out = []
    for is_train, n in ((True, n_train), (False, n_test)):
        for i in range(n):
            label = ["neg", "pos"][i % 2]
            pair, other = (["not", "bad"], "good") if label == "pos" else (["not", "good"], "bad")
            words = list(rng.choice(noise, 6))
            words.insert(int(rng.integers(0, 7)), other)
            at = int(rng.integers(0, 8))
            words[at:at] = pair
            out.append((is_train, i, label, words))
    return out
