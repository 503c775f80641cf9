#!/usr/bin/env python
"""Training-loop seconds with 1 and 2 (or more) threads on an encoded corpus, repeated.

Trains from a vocab stage folder (``vocab.tsv``, ``ids.npy``, ``offsets.npy``: what
``w2v vocab`` writes) in this process, so that only the training loop is timed,
and prints one line per run plus the median speed-up over the repeats. Repeats
matter: on a shared VM, 2-thread runs can be bimodal (see README, Speed).

    python bench/thread_scaling.py results/20newsgroups/vocab/raw/vocab-mc5 --models cbow-hs,sg-ns --repeats 3
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
    a = p.parse_args(argv)

    from w2v import vocab as vocab_mod
    from w2v.train import TrainConfig, train

    threads = [int(t) for t in a.threads.split(",")]
    for spec in a.models.split(","):
        model, loss = spec.split("-")
        times: dict[int, list[float]] = {t: [] for t in threads}
        for rep in range(a.repeats):
            for t in threads:  # interleaved, so that slow phases of the machine hit every count
                vocab, ids, offsets = vocab_mod.load_encoded(a.vocab_dir, mmap=a.mmap)
                cfg = TrainConfig(model=model, loss=loss, workers=t, seed=1, epochs=a.epochs)
                t0 = time.perf_counter()
                train(vocab, ids, offsets, cfg, progress=False)
                times[t].append(time.perf_counter() - t0)
                print(f"{spec:8s} threads={t} repeat={rep + 1}: {times[t][-1]:6.2f} s", flush=True)
        base = statistics.median(times[threads[0]])
        for t in threads[1:]:
            med = statistics.median(times[t])
            print(f"{spec:8s} median {threads[0]} -> {t} threads: {base:.2f} s -> {med:.2f} s = {base / med:.2f}x "
                  f"(min..max {min(times[t]):.2f}..{max(times[t]):.2f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
