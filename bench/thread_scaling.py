#!/usr/bin/env python
"""Training-loop seconds with 1 and 2 (or more) threads on an encoded corpus, repeated.

Trains from a vocab stage folder (``vocab.tsv``, ``ids.npy``, ``offsets.npy``: what
``w2v vocab`` writes) in this process and times the training loop only (the
model's ``train_seconds``: no loading, table building or compiling), printing one
line per run (with the final loss) plus the median speed-up over the repeats.
Repeats matter on a shared VM. ``--hot-rows`` compares settings of
``TrainConfig.hot_rows`` (thread-private copies of the most-written rows).

    python bench/thread_scaling.py results/20newsgroups/vocab/raw/vocab-mc5 --models cbow-hs,sg-ns --repeats 3
    python bench/thread_scaling.py results/imdb/vocab/raw/vocab-mc5 --models sg-hs --hot-rows 0,256 --repeats 2
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("vocab_dir", help="a `w2v vocab` output folder")
    p.add_argument("--models", default="sg-ns,cbow-ns,sg-hs,cbow-hs")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--mmap", action="store_true", help="memory-map ids.npy (as the pipeline does)")
    p.add_argument("--hot-rows", default=None, help="comma list of TrainConfig.hot_rows values (default: its default)")
    a = p.parse_args(argv)

    from w2v import vocab as vocab_mod
    from w2v.train import TrainConfig, train

    threads = [int(t) for t in a.threads.split(",")]
    hots = [int(h) for h in a.hot_rows.split(",")] if a.hot_rows else [TrainConfig.hot_rows]
    runs = [(t, h) for h in hots for t in threads if t > 1 or h == hots[0]]  # 1 thread: no hot rows
    for spec in a.models.split(","):
        model, loss = spec.split("-")
        times: dict[tuple[int, int], list[float]] = {r: [] for r in runs}
        for rep in range(a.repeats):
            for t, h in runs:  # interleaved, so that slow phases of the machine hit every setting
                vocab, ids, offsets = vocab_mod.load_encoded(a.vocab_dir, mmap=a.mmap)
                cfg = TrainConfig(model=model, loss=loss, workers=t, seed=1, epochs=a.epochs, hot_rows=h)
                info = train(vocab, ids, offsets, cfg, progress=False).info
                times[(t, h)].append(info["train_seconds"])
                print(f"{spec:8s} threads={t} hot_rows={h} repeat={rep + 1}: {times[(t, h)][-1]:6.2f} s, "
                      f"loss {info['final_loss']:.4f}", flush=True)
        base = statistics.median(times[runs[0]])
        for t, h in runs[1:]:
            ts = times[(t, h)]
            med = statistics.median(ts)
            print(f"{spec:8s} median {threads[0]} -> {t} threads (hot_rows={h}): {base:.2f} s -> {med:.2f} s = "
                  f"{base / med:.2f}x (min..max {min(ts):.2f}..{max(ts):.2f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
