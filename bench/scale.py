#!/usr/bin/env python
"""How time, memory and disk grow with the corpus: 10M, 100M and 1B words of IMDb text.

For each size the corpus is built from a prepared corpus (one document per line) by
concatenating copies of it, each copy's documents in a new seeded order, cut at the
size; then, each as a separate process timed from outside:

- ``w2v vocab CORPUS --out VOCAB`` (the counting and encoding pass: ids.npy on disk);
- ``w2v train VOCAB/ids.npy --vocab VOCAB`` for SG-NS and CBOW-NS, one epoch, 2 threads
  (the ids are memory-mapped: the corpus is never loaded into RAM).

It prints one Markdown row per size and step: seconds, words/s, peak memory of the
process tree (the sum of the RSS of the process and all its children, sampled every
0.1 s, and ``ru_maxrss`` of the largest single process), the disk the step's
files take and the vocabulary's size (the rows of the matrices: copies of IMDb bring more
words above the min count). Targets (docs/benchmarks.md): training words/s at 1B within 15 % of 10M,
peak memory flat in the corpus size beyond the matrices and the vocabulary, the
vocabulary pass at least as fast as CBOW-NS training.

    python bench/scale.py results/imdb/corpus/raw.txt.gz --work /var/tmp/w2v-scale --sizes 10M,100M,1B
    python bench/scale.py results/imdb/corpus/raw.txt.gz --work /tmp/scale --sizes 1M --models cbow-ns

The corpora stay in ``--work`` (1B words of IMDb text: ~5.5 GB, its ids 4 GB) and are
reused when they exist with the right size; ``--clean`` removes each size's files once
measured.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

_UNITS = {"k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9, "b": 10 ** 9}


def words(text: str) -> int:
    """``10M`` -> 10,000,000 (K, M, G or B: powers of 1000)."""
    t = text.strip().lower()
    if t and t[-1] in _UNITS:
        return int(float(t[:-1]) * _UNITS[t[-1]])
    return int(t)


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def build_corpus(source: Path, n_words: int, out: Path, seed: int = 1) -> int:
    """Write the first ``n_words`` words of shuffled copies of ``source`` to ``out``; return the words."""
    with _open(source) as fh:
        docs = [line.rstrip("\n") for line in fh]
    lengths = np.array([len(d.split()) for d in docs], dtype=np.int64)
    if lengths.sum() == 0:
        raise SystemExit(f"{source}: no words")
    rng = np.random.default_rng(seed)
    done = 0
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", buffering=1 << 22) as fh:
        while done < n_words:
            for i in rng.permutation(len(docs)):
                if done + lengths[i] > n_words:
                    toks = docs[i].split()[: n_words - done]
                    fh.write(" ".join(toks) + "\n")
                    done += len(toks)
                    break
                fh.write(docs[i] + "\n")
                done += int(lengths[i])
    os.replace(tmp, out)
    (out.with_name(out.name + ".words")).write_text(str(done))
    return done


class TreeMemory:
    """Peak of the summed RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.1):
        self.proc, self.every, self.peak = psutil.Process(pid), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run(cmd: list[str]) -> dict:
    """Run ``cmd``; its wall seconds, peak tree RSS and ``ru_maxrss`` of its largest process (bytes)."""
    import tempfile

    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        mem = TreeMemory(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own resource usage, and its children's
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = mem.stop()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{text[-2000:]}")
    return {"seconds": seconds, "tree_rss": peak, "max_rss": usage.ru_maxrss * 1024}


def du(*paths: Path) -> int:
    total = 0
    for p in paths:
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return total


def _mb(n: float) -> str:
    return f"{n / 2 ** 20:,.0f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=Path, help="a prepared corpus (one document per line, .gz or plain)")
    p.add_argument("--work", type=Path, required=True, help="folder for the corpora, vocabularies and models")
    p.add_argument("--sizes", default="10M,100M,1B", help="corpus sizes in words (K, M, B)")
    p.add_argument("--models", default="sg-ns,cbow-ns")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--clean", action="store_true", help="remove each size's files once it is measured")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    w2v = [sys.executable, "-m", "w2v"]
    print("| words | step | seconds | words/s | peak RSS, tree (MB) | largest process (MB) | disk (MB) | vocabulary |")
    print("|---|---|---|---|---|---|---|---|")
    results = []
    for size in args.sizes.split(","):
        n = words(size)
        corpus = args.work / f"corpus-{size}.txt"
        marker = corpus.with_name(corpus.name + ".words")
        t0 = time.perf_counter()
        if not (corpus.is_file() and marker.is_file() and int(marker.read_text()) == n):
            build_corpus(args.source, n, corpus)
        built = time.perf_counter() - t0
        print(f"| {n:,} | build corpus | {built:.1f} | | | | {_mb(du(corpus))} | |", flush=True)
        vocab = args.work / f"vocab-{size}"
        r = run(w2v + ["vocab", str(corpus), "--out", str(vocab), "--min-count", str(args.min_count),
                       "--workers", str(args.workers), "--quiet"])
        kept = json.loads((vocab / "stats.json").read_text())["kept_types"]  # the matrices' rows
        row = {"words": n, "step": "vocab", **r,
               "words_per_sec": n / r["seconds"], "disk": du(vocab), "vocabulary": kept}
        results.append(row)
        print(f"| {n:,} | vocab | {r['seconds']:.1f} | {row['words_per_sec']:,.0f} | {_mb(r['tree_rss'])} | "
              f"{_mb(r['max_rss'])} | {_mb(row['disk'])} | {kept:,} |", flush=True)
        for spec in args.models.split(","):
            model, loss = spec.split("-")
            out = args.work / f"model-{size}-{spec}"
            r = run(w2v + ["train", str(vocab / "ids.npy"), "--vocab", str(vocab), "--out", str(out),
                           "--model", model, "--loss", loss, "--epochs", "1", "--workers", str(args.workers),
                           "--seed", "1", "--quiet"])
            info = json.loads((out / "train.json").read_text())
            row = {"words": n, "step": f"train {spec}", **r,
                   "words_per_sec": info["words_per_sec"], "train_seconds": info["train_seconds"],
                   "disk": du(out)}
            results.append(row)
            print(f"| {n:,} | train {spec} (1 epoch) | {r['seconds']:.1f} (loop {info['train_seconds']:.1f}) | "
                  f"{info['words_per_sec']:,.0f} | {_mb(r['tree_rss'])} | {_mb(r['max_rss'])} | "
                  f"{_mb(row['disk'])} | |", flush=True)
            if args.clean:
                shutil.rmtree(out, ignore_errors=True)
        if args.clean:
            shutil.rmtree(vocab, ignore_errors=True)
            corpus.unlink(missing_ok=True)
            marker.unlink(missing_ok=True)
    (args.work / "scale.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
