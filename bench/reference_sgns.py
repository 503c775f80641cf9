#!/usr/bin/env python
"""word2vec.c's skip-gram + negative sampling loop, transcribed line by line, against w2v over several seeds.

The question this answers: does w2v's SG-NS learn as well as word2vec.c's
algorithm? One run of each says little: analogy accuracy moves by about half a
point from seed to seed, and the word2vec.c binary cannot be given a seed (with
one thread its generator always starts at 0). So this script carries a
transcription of ``TrainModelThread`` (SG-NS branch of word2vec.c, as the PyPI
package ``word2vec`` 0.11.1 ships it) into Numba, seedable, and trains it and
w2v on the same vocabulary and encoded corpus, seed by seed, one thread each.

Kept from word2vec.c: its LCG (``next_random * 25214903917 + 11``), the 1e8-entry
unigram table (count^0.75), the 1000-entry sigmoid table clipped at ±6,
subsampling with 16-bit uniforms, the dynamic window ``b = rand % window``,
sentences of at most 1000 kept words, the learning rate recomputed every
10,000 words, in-place updates of ``syn0`` / ``syn1neg``. Not kept: the ``</s>``
token (w2v's vocabulary has none; documents are the sentences). Compiled with
``fastmath`` as word2vec.c is with ``-Ofast``.

    python bench/reference_sgns.py --corpus imdb-raw.txt --seeds 1,2,3
    python bench/reference_sgns.py --corpus imdb-raw.txt --seeds 1 --limit-docs 20000 --epochs 1

Prints one row per (trainer, seed) — training seconds, words/s, analogy %
(questions-words.txt, 30,000 most frequent words, 3CosAdd) — and the mean ±
standard deviation per trainer.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

EXP_TABLE_SIZE = 1000
MAX_EXP = 6
MAX_SENTENCE_LENGTH = 1000
TABLE_SIZE = 100_000_000


@njit(cache=True)
def unigram_table(counts, power, table_size):
    """word2vec.c's InitUnigramTable: word i fills a share ∝ count_i^power of the table."""
    table = np.empty(table_size, np.int32)
    v = counts.shape[0]
    total = 0.0
    for a in range(v):
        total += counts[a] ** power
    i = 0
    d1 = counts[0] ** power / total
    for a in range(table_size):
        table[a] = i
        if a / table_size > d1:
            i += 1
            d1 += counts[i] ** power / total
        if i >= v:
            i = v - 1
    return table


@njit(cache=True, fastmath=True)
def train_sgns(ids, offsets, counts, syn0, syn1neg, table, iters, starting_alpha, sample, window, negative, seed):
    """Train ``syn0`` / ``syn1neg`` in place exactly as word2vec.c's SG-NS branch (one thread)."""
    d = syn0.shape[1]
    exp_table = np.empty(EXP_TABLE_SIZE, np.float32)
    for i in range(EXP_TABLE_SIZE):
        e = math.exp((i / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP)
        exp_table[i] = e / (e + 1)
    train_words = ids.shape[0]
    next_random = np.uint64(seed)
    alpha = starting_alpha
    word_count_actual = 0
    neu1e = np.zeros(d, np.float32)
    sen = np.empty(MAX_SENTENCE_LENGTH, np.int64)
    table_size = np.uint64(table.shape[0])
    threshold = sample * train_words
    for _ in range(iters):
        word_count = 0
        last_word_count = 0
        for doc in range(offsets.shape[0] - 1):
            p = offsets[doc]
            end = offsets[doc + 1]
            while p < end:
                n = 0  # read a sentence: up to MAX_SENTENCE_LENGTH kept words of this line
                while p < end and n < MAX_SENTENCE_LENGTH:
                    word = ids[p]
                    p += 1
                    word_count += 1
                    if sample > 0:
                        cn = counts[word]
                        ran = (math.sqrt(cn / threshold) + 1) * threshold / cn
                        next_random = next_random * np.uint64(25214903917) + np.uint64(11)
                        if ran < (next_random & np.uint64(0xFFFF)) / 65536.0:
                            continue
                    sen[n] = word
                    n += 1
                if word_count - last_word_count > 10000:
                    word_count_actual += word_count - last_word_count
                    last_word_count = word_count
                    alpha = starting_alpha * (1 - word_count_actual / (iters * train_words + 1.0))
                    if alpha < starting_alpha * 0.0001:
                        alpha = starting_alpha * 0.0001
                for pos in range(n):
                    word = sen[pos]
                    next_random = next_random * np.uint64(25214903917) + np.uint64(11)
                    b = np.int64(next_random % np.uint64(window))
                    for a in range(b, window * 2 + 1 - b):
                        if a == window:
                            continue
                        c = pos - window + a
                        if c < 0 or c >= n:
                            continue
                        l1 = sen[c]
                        for k in range(d):
                            neu1e[k] = 0.0
                        for j in range(negative + 1):
                            if j == 0:
                                target = word
                                label = 1.0
                            else:
                                next_random = next_random * np.uint64(25214903917) + np.uint64(11)
                                target = table[np.int64((next_random >> np.uint64(16)) % table_size)]
                                if target == word:
                                    continue
                                label = 0.0
                            f = np.float32(0.0)
                            for k in range(d):
                                f += syn0[l1, k] * syn1neg[target, k]
                            if f > MAX_EXP:
                                g = (label - 1) * alpha
                            elif f < -MAX_EXP:
                                g = (label - 0) * alpha
                            else:
                                g = (label - exp_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]) * alpha
                            g = np.float32(g)
                            for k in range(d):
                                neu1e[k] += g * syn1neg[target, k]
                            for k in range(d):
                                syn1neg[target, k] += g * syn0[l1, k]
                        for k in range(d):
                            syn0[l1, k] += neu1e[k]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, help="one document per line, tokens separated by spaces")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--trainers", default="reference,w2v", help="comma list of reference, w2v")
    p.add_argument("--limit-docs", type=int, default=None)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-4)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--questions", default=None, help="default: gensim's questions-words.txt")
    a = p.parse_args(argv)

    from train_vs_peers import analogy

    from w2v.train import TrainConfig, load_corpus, train
    from w2v.vectors import KeyedVectors

    questions = Path(a.questions) if a.questions else None
    if questions is None:
        from gensim.test.utils import datapath

        questions = Path(datapath("questions-words.txt"))
    vocab, ids, offsets, _ = load_corpus(a.corpus, None, a.min_count, None, a.limit_docs)
    counts = vocab.counts.astype(np.float64)
    ids64 = np.ascontiguousarray(ids, dtype=np.int64)
    offsets = np.asarray(offsets, np.int64)
    table = unigram_table(counts, 0.75, TABLE_SIZE)
    words = ids.size * a.epochs
    scores: dict[str, list[float]] = {}
    print(f"# {a.corpus}: {len(vocab)} words, {ids.size} tokens, {offsets.size - 1} documents", flush=True)
    with tempfile.TemporaryDirectory(prefix="w2v-ref-") as tmp:
        for seed in [int(s) for s in a.seeds.split(",")]:
            for trainer in a.trainers.split(","):
                out = Path(tmp) / f"{trainer}-{seed}.bin"
                t0 = time.perf_counter()
                if trainer == "reference":
                    rng = np.random.default_rng(seed)
                    syn0 = ((rng.random((len(vocab), a.dim)) - 0.5) / a.dim).astype(np.float32)
                    syn1neg = np.zeros_like(syn0)
                    train_sgns(ids64, offsets, counts, syn0, syn1neg, table, a.epochs, 0.025, a.sample,
                               a.window, a.negative, seed)
                    kv = KeyedVectors(list(vocab.words), syn0)
                elif trainer == "w2v":
                    cfg = TrainConfig(model="sg", loss="ns", negative=a.negative, dim=a.dim, window=a.window,
                                      sample=a.sample, epochs=a.epochs, min_count=a.min_count, workers=1,
                                      seed=seed)
                    kv = train(vocab, ids, offsets, cfg, progress=False).keyed_vectors()
                else:
                    raise SystemExit(f"unknown trainer {trainer!r}: use reference or w2v")
                seconds = time.perf_counter() - t0  # the reference's first seed includes its compilation
                kv.save_word2vec_format(out, binary=True)
                acc = analogy(out, questions, list(vocab.words))
                scores.setdefault(trainer, []).append(acc)
                print(f"{trainer:<10} seed {seed:<3} {seconds:7.1f} s {words / seconds / 1e3:7.0f}k words/s "
                      f"analogy {acc:5.2f}%", flush=True)
    for trainer, acc in scores.items():
        sd = statistics.stdev(acc) if len(acc) > 1 else float("nan")
        print(f"{trainer:<10} mean {statistics.mean(acc):5.2f}% ± {sd:.2f} (sd, n = {len(acc)}): "
              + ", ".join(f"{x:.2f}" for x in acc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
