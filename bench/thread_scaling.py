#!/usr/bin/env python
"""Training-loop seconds with 1 and 2 (or more) threads on an encoded corpus, repeated.

Trains from a vocab stage folder (``vocab.tsv``, ``ids.npy``, ``offsets.npy``: what
``w2v vocab`` writes) in this process and times the training loop only (the
model's ``train_seconds``: no loading, table building or compiling), printing one
line per run (with the final loss) plus the median speed-up over the repeats.
Repeats matter on a shared VM. ``--hot-rows`` compares settings of
``TrainConfig.hot_rows`` (thread-private copies of the most-written rows).

``--pair`` also measures what the machine allows: two independent one-thread
trainings in two processes at the same time (nothing shared but the hardware).
``2 x t(1 thread) / t(pair)`` is the speed-up two threads would reach if sharing
the model cost nothing; when it is well below 2, the cores themselves slow each
other down (SMT siblings, shared execution units or caches of a VM's vCPUs), and
``speed-up / ceiling`` shows how much of the rest the threads lose to sharing.
``--private-output`` says where that goes: two threads on one shared model against two threads
that each train their own copy of the output matrix, and of both matrices (the same loop, no
merging: a measure, not a way to train).

    python bench/thread_scaling.py results/20newsgroups/vocab/raw/vocab-mc5 --models cbow-hs,sg-ns --repeats 3
    python bench/thread_scaling.py results/imdb/vocab/raw/vocab-mc5 --models sg-hs --hot-rows 0,256 --repeats 2
    python bench/thread_scaling.py results/imdb/vocab/raw/vocab-mc5 --epochs 1 --repeats 2 --pair
    python bench/thread_scaling.py results/imdb/vocab/raw/vocab-mc5 --epochs 1 --repeats 3 --threads 1 --private-output
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys


def _train_seconds(vocab_dir, spec, workers, epochs, hot_rows, mmap):
    """Train ``spec`` (e.g. ``sg-ns``) in this process; return (training-loop seconds, final loss)."""
    from w2v import vocab as vocab_mod
    from w2v.train import TrainConfig, train

    model, loss = spec.split("-")
    vocab, ids, offsets = vocab_mod.load_encoded(vocab_dir, mmap=mmap)
    cfg = TrainConfig(model=model, loss=loss, workers=workers, seed=1, epochs=epochs, hot_rows=hot_rows)
    info = train(vocab, ids, offsets, cfg, progress=False).info
    return info["train_seconds"], info["final_loss"]


def _split_seconds(vocab_dir, spec, epochs, private):
    """Two threads of the trainer's own epoch loop on one shared model (``private`` empty), or
    each thread on its own copy of the matrices named in ``private`` (``("wo",)`` or
    ``("wi", "wo")``): the training-loop seconds and the final loss. The copies are never
    merged; the ratios of the settings are what sharing those rows costs."""
    import threading

    from w2v import train as T
    from w2v import vocab as vocab_mod

    local = threading.local()

    class OwnCopies(T._Epochs):
        """``_Epochs`` whose worker threads read ``self.inputs`` from their own copies."""

        def __init__(self, *args):
            super().__init__(*args)
            self.copies = [self.shared._replace(**{n: getattr(self.shared, n).copy() for n in private})
                           for _ in range(2)]

        @property
        def inputs(self):
            return getattr(local, "inputs", self.shared)

        @inputs.setter
        def inputs(self, value):
            self.shared = value

        def _worker(self, epoch, state):
            with self.lock:
                k = state["started"] = state.get("started", 0) + 1
            local.inputs = self.copies[k % 2]
            super()._worker(epoch, state)

    model, loss = spec.split("-")
    vocab, ids, offsets = vocab_mod.load_encoded(vocab_dir)
    cfg = T.TrainConfig(model=model, loss=loss, workers=2, seed=1, epochs=epochs)
    epochs_class, T._Epochs = T._Epochs, OwnCopies
    try:
        info = T.train(vocab, ids, offsets, cfg, progress=False).info
    finally:
        T._Epochs = epochs_class
    return info["train_seconds"], info["final_loss"]


SPLITS = {(): "one shared model", ("wo",): "own output matrices", ("wi", "wo"): "own input and output matrices"}


def _pair_seconds(vocab_dir, spec, epochs, mmap):
    """Two one-thread trainings of ``spec`` in two processes started together: their loop seconds."""
    cmd = [sys.executable, __file__, vocab_dir, "--one", spec, "--epochs", str(epochs)] + (["--mmap"] if mmap else [])
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    out = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit(f"a --one child failed: {out}")
    return [json.loads(o.strip().splitlines()[-1])["seconds"] for o in out]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("vocab_dir", help="a `w2v vocab` output folder")
    p.add_argument("--models", default="sg-ns,cbow-ns,sg-hs,cbow-hs")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--mmap", action="store_true", help="memory-map ids.npy (as the pipeline does)")
    p.add_argument("--hot-rows", default=None, help="comma list of TrainConfig.hot_rows values (default: its default)")
    p.add_argument("--pair", action="store_true",
                   help="also time two independent one-thread trainings running at the same time (the ceiling)")
    p.add_argument("--private-output", action="store_true",
                   help="also time two threads that each train their own copy of the output matrix (and of "
                        "both matrices), against the same loop on one shared model: what sharing costs")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child of --pair: one 1-thread run, JSON out
    a = p.parse_args(argv)

    from w2v.train import TrainConfig

    if a.one:
        secs, loss = _train_seconds(a.vocab_dir, a.one, 1, a.epochs, 0, a.mmap)
        print(json.dumps({"seconds": secs, "loss": loss}))
        return 0

    threads = [int(t) for t in a.threads.split(",")]
    hots = [int(h) for h in a.hot_rows.split(",")] if a.hot_rows else [TrainConfig.hot_rows]
    runs = [(t, h) for h in hots for t in threads if t > 1 or h == hots[0]]  # 1 thread: no hot rows
    for spec in a.models.split(","):
        model, loss = spec.split("-")
        times: dict[tuple[int, int], list[float]] = {r: [] for r in runs}
        pairs: list[float] = []
        split: dict[tuple, list[float]] = {k: [] for k in SPLITS}
        for rep in range(a.repeats):
            for t, h in runs:  # interleaved, so that slow phases of the machine hit every setting
                secs, loss = _train_seconds(a.vocab_dir, spec, t, a.epochs, h, a.mmap)
                times[(t, h)].append(secs)
                print(f"{spec:8s} threads={t} hot_rows={h} repeat={rep + 1}: {secs:6.2f} s, loss {loss:.4f}",
                      flush=True)
            if a.pair:
                both = _pair_seconds(a.vocab_dir, spec, a.epochs, a.mmap)
                pairs.append(max(both))
                print(f"{spec:8s} pair of 1-thread processes repeat={rep + 1}: {both[0]:6.2f} s and {both[1]:6.2f} s",
                      flush=True)
            if a.private_output:
                for private in SPLITS:
                    secs, loss = _split_seconds(a.vocab_dir, spec, a.epochs, private)
                    split[private].append(secs)
                    print(f"{spec:8s} 2 threads, {SPLITS[private]} repeat={rep + 1}: {secs:6.2f} s, loss {loss:.4f}",
                          flush=True)
        if split[()]:
            med = {k: statistics.median(v) for k, v in split.items()}
            print(f"{spec:8s} 2 threads (medians): one shared model {med[()]:.2f} s, own output matrices "
                  f"{med[('wo',)]:.2f} s ({med[()] / med[('wo',)]:.2f}x), own input and output matrices "
                  f"{med[('wi', 'wo')]:.2f} s ({med[()] / med[('wi', 'wo')]:.2f}x)", flush=True)
        base = statistics.median(times[runs[0]])
        ceiling = 2 * base / statistics.median(pairs) if pairs else None
        if ceiling is not None:
            print(f"{spec:8s} ceiling (2 x 1 thread / pair, medians): {2 * base:.2f} s / "
                  f"{statistics.median(pairs):.2f} s = {ceiling:.2f}x", flush=True)
        for t, h in runs[1:]:
            ts = times[(t, h)]
            med = statistics.median(ts)
            of = f", {base / med / ceiling:.0%} of the ceiling" if ceiling and t == 2 else ""
            print(f"{spec:8s} median {threads[0]} -> {t} threads (hot_rows={h}): {base:.2f} s -> {med:.2f} s = "
                  f"{base / med:.2f}x (min..max {min(ts):.2f}..{max(ts):.2f} s){of}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
