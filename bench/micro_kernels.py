#!/usr/bin/env python
"""Single-thread CPU speed of the training kernel, per model (repeatable A/B measurements).

Calls :func:`w2v.kernels.train_chunk` directly on a fixed encoded corpus in this
process and reports words/s of CPU time (``time.process_time()``), which is far
less sensitive to other jobs on a shared machine than wall time. Every variant
starts from the same initial weights and seed; runs of the variants are
interleaved, and the median over ``--repeats`` is printed.

Corpora: a synthetic Zipf corpus (``--vocab`` words, ``--tokens`` tokens, documents
of ~230 tokens like IMDb reviews), or a real one-document-per-line text file
(``--corpus``, counted with ``--min-count``, optionally ``--max-docs``).

A/B comparisons of two kernel versions: ``--kernels OLD.py`` loads a copy of
``kernels.py`` (e.g. ``git show HEAD~1:src/w2v/kernels.py > /tmp/k_old.py``)
next to the installed one and runs both, interleaved.

Examples::

    python bench/micro_kernels.py                                  # Zipf, V=100k, 2M tokens
    python bench/micro_kernels.py --corpus /tmp/benchq/imdb-raw-20000.txt --models sg-ns,cbow-hs
    python bench/micro_kernels.py --kernels /tmp/k_old.py --repeats 5
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from w2v import kernels as current_kernels
from w2v.kernel_abi import KernelInputs
from w2v.sampling import (
    alias_table,
    huffman_tree,
    keep_probabilities,
    noise_distribution,
)
from w2v.train import DEFAULT_LR, optimiser_state, segments


def zipf_corpus(vocab: int, tokens: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``tokens`` word ids drawn from a Zipf(1) law over ``vocab`` words; documents of 50..400 tokens."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    ids = rng.choice(vocab, size=tokens, p=p).astype(np.int32)
    lens = rng.integers(50, 400, size=tokens // 50 + 1)
    offsets = np.concatenate(([0], np.cumsum(lens)))
    offsets = offsets[offsets < tokens]
    offsets = np.concatenate((offsets, [tokens])).astype(np.int64)
    return ids, offsets


def real_corpus(path: str, min_count: int, max_docs: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Encode a one-document-per-line text file with the vocabulary of its words >= ``min_count``.

    The vocabulary is that of the whole file (a realistic matrix size); ``max_docs``
    keeps only the first documents for the timing.
    """
    from w2v.train import load_corpus

    _, ids, offsets, _ = load_corpus(path, None, min_count, None, None)
    offsets = np.asarray(offsets, dtype=np.int64)
    if max_docs is not None and max_docs < offsets.size - 1:
        offsets = offsets[: max_docs + 1]
        ids = ids[: offsets[-1]]
    return np.ascontiguousarray(ids, dtype=np.int32), offsets


def load_kernels(path: str):
    """Import a copy of ``kernels.py`` from ``path`` as its own module."""
    name = "kernels_alt_" + hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # Numba's on-disk cache re-imports the module by name
    spec.loader.exec_module(mod)
    return mod


class Setup:
    """The arrays of one corpus, shared by every variant."""

    def __init__(self, ids, offsets, dim, sample, seed):
        self.ids = ids
        V = int(ids.max()) + 1
        self.V = V
        counts = np.maximum(np.bincount(ids, minlength=V), 1).astype(np.int64)
        self.seg = segments(offsets)
        self.keep = keep_probabilities(counts, sample)
        q = noise_distribution(counts, 0.75)
        self.alias_prob, self.alias_idx = alias_table(q)
        self.log_q = np.log(q).astype(np.float32)
        self.hs_tree = huffman_tree(counts)
        rng = np.random.default_rng(seed)
        self.wi0 = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
        self.dim = dim
        self.seed = seed

    def run(self, kmod, model: str, loss: str, shared: bool, window: int, negative: int, lr: float,
            n_segments: int | None = None, optimizer: str = "sgd"):
        """One pass over the corpus (its first ``n_segments``) in one ``train_chunk`` call; returns
        (CPU seconds, words, mean loss)."""
        if loss == "hs":
            points, codes, lengths = self.hs_tree
        else:
            points, codes, lengths = np.zeros((1, 1), np.int32), np.zeros((1, 1), np.int8), np.zeros(1, np.int32)
        wi = self.wi0.copy()
        wo = np.zeros_like(wi)
        ip = np.zeros(kmod.N_IPARAMS, np.int64)
        ip[kmod.I_MODEL] = kmod.MODELS[model]
        ip[kmod.I_LOSS] = kmod.LOSSES[loss]
        ip[kmod.I_NEG] = negative
        ip[kmod.I_WINDOW] = window
        opt = kmod.OPTIMIZERS[optimizer]
        ip[kmod.I_OPT] = opt
        ip[kmod.I_CBOW_MEAN] = 1
        ip[kmod.I_SHARED_NEG] = int(shared)
        fp = np.zeros(kmod.N_FPARAMS, np.float32)
        fp[kmod.F_LR] = lr
        fp[kmod.F_BETA1], fp[kmod.F_BETA2], fp[kmod.F_EPS] = 0.9, 0.999, 1e-8
        inputs = KernelInputs(self.ids, self.seg, wi, wo, self.keep, self.alias_prob, self.alias_idx, self.log_q,
                              points, codes, lengths, *optimiser_state(opt, wi, wo, fp), ip, np.zeros(0, np.int64),
                              np.zeros(0, np.int32))
        last = self.seg.size - 1 if n_segments is None else n_segments
        args = inputs.chunk_args(0, last, fp, kmod.seed_state(self.seed, 0, 0),
                                 np.zeros((0, self.dim), np.float32))
        t0 = time.process_time()
        loss_sum, n_ex, n_words, _ = kmod.train_chunk(*args)
        return time.process_time() - t0, n_words, loss_sum / max(n_ex, 1)


VARIANTS = {"sg-ns": ("sg", "ns", False), "cbow-ns": ("cbow", "ns", False), "sg-hs": ("sg", "hs", False),
            "cbow-hs": ("cbow", "hs", False), "sg-ns-shared": ("sg", "ns", True)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="sg-ns,cbow-ns,sg-hs,cbow-hs",
                   help=f"comma list of {', '.join(VARIANTS)}, each optionally +adam or +adagrad (default: SGD)")
    p.add_argument("--vocab", type=int, default=100_000, help="Zipf corpus: vocabulary size")
    p.add_argument("--tokens", type=int, default=2_000_000, help="Zipf corpus: tokens")
    p.add_argument("--corpus", default=None, help="a real corpus file instead (one document per line)")
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--max-docs", type=int, default=None)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--kernels", action="append", default=[],
                   help="path of another kernels.py to compare with (repeatable)")
    a = p.parse_args(argv)

    if a.corpus:
        ids, offsets = real_corpus(a.corpus, a.min_count, a.max_docs)
        what = f"{a.corpus} (min_count {a.min_count})"
    else:
        ids, offsets = zipf_corpus(a.vocab, a.tokens, a.seed)
        what = "Zipf corpus"
    setup = Setup(ids, offsets, a.dim, a.sample, a.seed)
    print(f"{what}: {ids.size:,} tokens, V={setup.V:,}, {offsets.size - 1:,} documents; "
          f"dim {a.dim}, window {a.window}, K {a.negative}, sample {a.sample:g}", file=sys.stderr)
    mods = [("current", current_kernels)] + [(path, load_kernels(path)) for path in a.kernels]
    models = [m.strip() for m in a.models.split(",") if m.strip()]
    for m in models:
        if m.split("+")[0] not in VARIANTS or m.split("+", 1)[1:] not in ([], ["adam"], ["adagrad"]):
            p.error(f"unknown model {m!r}; choose from {', '.join(VARIANTS)}")
    # compile every variant once (outside the timings)
    for _, kmod in mods:
        setup.run(kmod, "sg", "hs", False, a.window, a.negative, 0.025, n_segments=0)
    times: dict[tuple[str, str], list[float]] = {}
    result: dict[tuple[str, str], tuple[int, float]] = {}
    for _ in range(a.repeats):
        for m in models:
            model, loss, shared = VARIANTS[m.split("+")[0]]
            optimizer = m.split("+")[1] if "+" in m else "sgd"
            lr = DEFAULT_LR[(optimizer, model)]
            for name, kmod in mods:
                sec, words, mean_loss = setup.run(kmod, model, loss, shared, a.window, a.negative, lr,
                                                  optimizer=optimizer)
                times.setdefault((name, m), []).append(sec)
                result[(name, m)] = (words, mean_loss)
    print(f"{'kernels':<28} {'model':<14} {'CPU words/s':>12} {'min..max':>17} {'mean loss':>10}")
    for m in models:
        for name, _ in mods:
            ts = times[(name, m)]
            words, mean_loss = result[(name, m)]
            med = statistics.median(ts)
            print(f"{name[-28:]:<28} {m:<14} {words / med:>12,.0f} "
                  f"{words / max(ts):>8,.0f}..{words / min(ts):<8,.0f} {mean_loss:>10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
