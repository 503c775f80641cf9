#!/usr/bin/env python
"""Predictions per second of the full softmax: per example against blocked through BLAS.

Trains ``loss=softmax`` with SGD on the same corpus in this process, through the
per-example kernel (``train_chunk``'s ``_full_softmax``: every output row read and
written per example) and through :mod:`w2v.blocked` (64 centre words a block, three
matrix products), for skip-gram and CBOW, with 1 and 2 threads (BLAS threads for the
blocked path). A prediction is a training example: a (centre, context) pair for
skip-gram, a centre word for CBOW. Reports the training loop's seconds
(``train_seconds``), predictions/s, words/s and the final loss of each run.

The corpus: the first ``--max-docs`` documents of an encoded corpus (a ``w2v vocab``
folder) with its ``--max-vocab`` most frequent words, or a Zipf corpus of
``--vocab`` words. The per-example path is timed on ``--example-tokens`` tokens only.

    python bench/softmax_speed.py --vocab-dir results/imdb/vocab/raw/vocab-mc5 --max-docs 2000
    python bench/softmax_speed.py --vocab 10000 --tokens 400000
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from w2v import train as T
from w2v.vocab import Vocabulary, load_encoded


def zipf(V: int, tokens: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, V + 1)
    ids = rng.choice(V, size=tokens, p=p / p.sum()).astype(np.int32)
    counts = np.maximum(np.bincount(ids, minlength=V), 1)
    return Vocabulary([f"w{i}" for i in range(V)], counts), ids, np.arange(0, tokens + 1, 230).tolist() + [tokens]


def run(vocab, ids, offsets, model: str, workers: int, blocked: bool, dim: int, max_vocab: int | None) -> dict:
    saved = T.blocked_softmax
    if not blocked:
        T.blocked_softmax = lambda cfg: False
    try:
        cfg = T.TrainConfig(model=model, loss="softmax", dim=dim, epochs=1, workers=workers, seed=1,
                            max_vocab=max_vocab, min_count=1)
        info = T.train(vocab, ids, np.asarray(offsets, np.int64), cfg, progress=False).info
    finally:
        T.blocked_softmax = saved
    log = info["epochs_log"][0]
    return {"seconds": info["train_seconds"], "examples": log["examples"], "words": log["words"],
            "loss": info["final_loss"], "V": info["vocab_size"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vocab-dir", help="a w2v vocab folder (vocab.tsv, ids.npy, offsets.npy)")
    p.add_argument("--max-docs", type=int, default=2000)
    p.add_argument("--max-vocab", type=int, default=10000)
    p.add_argument("--vocab", type=int, default=10000, help="Zipf corpus: words")
    p.add_argument("--tokens", type=int, default=400_000, help="Zipf corpus: tokens")
    p.add_argument("--example-tokens", type=int, default=60_000, help="tokens for the per-example path")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--models", default="sg,cbow")
    args = p.parse_args(argv)
    if args.vocab_dir:
        vocab, ids, offsets = load_encoded(args.vocab_dir)
        offsets = np.asarray(offsets)[: args.max_docs + 1]
        ids = np.ascontiguousarray(ids[: offsets[-1]])
        max_vocab = args.max_vocab
    else:
        vocab, ids, offsets = zipf(args.vocab, args.tokens)
        max_vocab = None
    offsets = np.asarray(offsets, np.int64)
    cut = np.searchsorted(offsets, args.example_tokens)
    small = (ids[: offsets[cut]], offsets[: cut + 1])
    print("| model | path | threads | V | words | predictions | seconds | predictions/s | words/s | loss |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model in args.models.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            for blocked in (False, True):
                data = (ids, offsets) if blocked else small
                r = run(vocab, *data, model, threads, blocked, args.dim, max_vocab)
                print(f"| {model} | {'blocked (BLAS)' if blocked else 'per example'} | {threads} | {r['V']:,} | "
                      f"{r['words']:,} | {r['examples']:,} | {r['seconds']:.1f} | "
                      f"{r['examples'] / r['seconds']:,.0f} | {r['words'] / r['seconds']:,.0f} | "
                      f"{r['loss']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
