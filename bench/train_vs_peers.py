#!/usr/bin/env python
"""Train the same word2vec models with w2v and its peers; print speed, memory and analogy accuracy.

Peers: gensim (``corpus_file``), word2vec.c (the ``word2vec`` binary that the PyPI
package ``word2vec`` compiles), fastText (``fasttext`` package, character n-grams
off: ``maxn=0``). Every trainer runs in its own process on the same corpus file
with the same settings and thread count; wall time and peak RSS are those of
that whole process (vocabulary pass, compilation/loading and saving included),
and words/s = corpus words × epochs / wall time (the issue's definition).
Analogy accuracy: questions-words.txt, 3CosAdd, over the 30,000 most frequent
words of the corpus, ranked by count and then by word, so that every trainer is
asked the same questions. (Each trainer writes its words by count but breaks
ties its own way: word2vec.c in hash order, gensim by first occurrence, w2v by
word. Taking each file's first 30,000 rows moved ~1 % of the questions in or
out of a trainer's set: 10,194 to 10,463 of 19,544 were covered.)

Corpus: the 100k IMDb reviews (train + test + unsup) of aclImdb, lower-cased and
tokenised by ``w2v``'s ``raw`` variant; built once into ``--workdir`` from the
archive found through ``--mirror`` (default: ``$W2V_DATA_MIRROR``).

Examples::

    W2V_DATA_MIRROR=../shared/data python bench/train_vs_peers.py --peers gensim
    python bench/train_vs_peers.py --models sg-ns,cbow-ns,sg-hs,cbow-hs --threads 1,2 \
        --peers gensim,word2vec.c,fasttext
    python bench/train_vs_peers.py --limit-docs 20000 --epochs 1      # a quick look

Seeds: ``--seeds 1,2,3,4`` trains every row once per seed and adds a table of
mean ± sd (gensim, fastText and w2v take the seed; with 2 threads their runs
differ even for one seed). The word2vec.c binary has no seed: build one that has
(``python bench/word2vec_c_seeded.py --out word2vec-seeded``) and pass it with
``--word2vec-c word2vec-seeded``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def build_corpus(workdir: Path, mirror: str | None, limit_docs: int | None) -> Path:
    """The IMDb corpus as one lower-cased review per line (cached)."""
    name = f"imdb-raw{'' if not limit_docs else f'-{limit_docs}'}.txt"
    out = workdir / name
    if out.exists():
        return out
    from w2v.data import download, read_imdb
    from w2v.io import atomic_open
    from w2v.preprocess import Variant, preprocess_text

    archive = download("imdb", workdir / "downloads", mirror=mirror, progress=False)
    variant = Variant.parse("raw")
    with atomic_open(out, "w") as fh:
        for i, doc in enumerate(read_imdb(archive)):
            if limit_docs and i >= limit_docs:
                break
            fh.write(" ".join(preprocess_text(doc["text"], variant)))
            fh.write("\n")
    return out


# --------------------------------------------------------------------------- one training run (child process)
def run_one(trainer: str, model: str, loss: str, threads: int, corpus: str, out: str, a: argparse.Namespace):
    sg = model == "sg"
    os.makedirs(out, exist_ok=True)
    vectors = os.path.join(out, "vectors.bin")
    if trainer == "w2v":
        from w2v.train import TrainConfig, train_file

        cfg = TrainConfig(model=model, loss=loss, negative=a.negative, dim=a.dim, window=a.window,
                          sample=a.sample, epochs=a.epochs, min_count=a.min_count, workers=threads,
                          seed=a.seed, shared_negatives=a.shared_negatives and loss == "ns",
                          ns_exponent=a.ns_exponent, **({} if a.hot_rows is None else {"hot_rows": a.hot_rows}))
        train_file(corpus, out, cfg, progress=False)
    elif trainer == "gensim":
        from gensim.models import Word2Vec

        m = Word2Vec(corpus_file=corpus, vector_size=a.dim, window=a.window, min_count=a.min_count,
                     sample=a.sample, sg=int(sg), hs=int(loss == "hs"), negative=a.negative if loss == "ns" else 0,
                     epochs=a.epochs, workers=threads, seed=a.seed)
        m.wv.save_word2vec_format(vectors, binary=True)
    elif trainer == "word2vec.c":
        exe = word2vec_c(a)
        cmd = [exe, "-train", corpus, "-output", vectors, "-cbow", str(int(not sg)), "-size", str(a.dim),
               "-window", str(a.window), "-negative", str(a.negative if loss == "ns" else 0),
               "-hs", str(int(loss == "hs")), "-sample", str(a.sample), "-threads", str(threads),
               "-iter", str(a.epochs), "-min-count", str(a.min_count), "-binary", "1",
               "-alpha", str(0.025 if sg else 0.05)] + (["-seed", str(a.seed)] if takes_seed(exe) else [])
        sys.stdout.flush()
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execv(exe, cmd)  # same process: the parent measures the binary itself
    elif trainer == "fasttext":
        import fasttext
        import fasttext.FastText
        import numpy as np

        from w2v.vectors import KeyedVectors

        # the binding (0.9.3) refuses seed= but hands every default on to fastText's own arguments
        fasttext.FastText.unsupervised_default["seed"] = a.seed
        m = fasttext.train_unsupervised(corpus, model="skipgram" if sg else "cbow", dim=a.dim, ws=a.window,
                                        epoch=a.epochs, minCount=a.min_count, neg=a.negative,
                                        loss="hs" if loss == "hs" else "ns", t=a.sample, thread=threads,
                                        minn=0, maxn=0, verbose=0, lr=0.05 if sg else 0.05)
        words = m.get_words()
        KeyedVectors(words, np.stack([m.get_word_vector(w) for w in words]).astype(np.float32)) \
            .save_word2vec_format(vectors, binary=True)
    else:
        raise SystemExit(f"unknown trainer {trainer}")


def word2vec_c(a: argparse.Namespace) -> str:
    """The word2vec.c binary to run: ``--word2vec-c`` or the PyPI package's ``word2vec``."""
    exe = a.word2vec_c or shutil.which("word2vec")
    if exe is None or not os.access(exe, os.X_OK):
        raise SystemExit(f"word2vec binary not found{f' at {exe}' if exe else ''}: pip install word2vec")
    return exe


def takes_seed(exe: str) -> bool:
    """Whether this word2vec.c build has ``-seed`` (bench/word2vec_c_seeded.py); the package's has not."""
    usage = subprocess.run([exe], capture_output=True, text=True).stdout
    return "-seed <int>" in usage


def _proc_kb(path: str, key: str) -> int | None:
    """The kB value of line ``key:`` in a /proc file (None if the process is gone or has none)."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _hwm_kb(pid: int) -> int | None:
    """Peak resident set (VmHWM) of ``pid``."""
    return _proc_kb(f"/proc/{pid}/status", "VmHWM")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/PID/task/*/children)."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    todo += [int(x) for x in fh.read().split()]
        except OSError:
            pass
    return seen


def _pss_kb(pid: int) -> int:
    """Proportional set size: the process's share of the physical memory (shared pages split)."""
    return _proc_kb(f"/proc/{pid}/smaps_rollup", "Pss") or 0


def measure(trainer, model, loss, threads, corpus, out, a) -> dict:
    """Run one trainer in a child process; wall time, peak RSS (VmHWM, polled) of that process and
    the peak of the summed PSS of its process tree.

    ``ru_maxrss`` from wait4 is useless here: a forked child inherits the
    parent's high-water mark, so the peak is read from /proc while it runs. The
    tree's PSS covers trainers that do part of the work in child processes
    (w2v scans a text corpus in forked processes); polled every 50 ms, it can
    miss a short spike.
    """
    cmd = [sys.executable, __file__, "--child", trainer, model, loss, str(threads), str(corpus), str(out),
           "--dim", str(a.dim), "--window", str(a.window), "--negative", str(a.negative),
           "--sample", str(a.sample), "--epochs", str(a.epochs), "--min-count", str(a.min_count),
           "--seed", str(a.seed)] + (["--word2vec-c", a.word2vec_c] if a.word2vec_c else []) \
        + (["--shared-negatives"] if a.shared_negatives else []) \
        + ([] if a.hot_rows is None else ["--hot-rows", str(a.hot_rows)]) + ["--ns-exponent", str(a.ns_exponent)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = tree_peak = 0
    while proc.poll() is None:
        peak = max(peak, _hwm_kb(proc.pid) or 0)
        tree_peak = max(tree_peak, sum(_pss_kb(p) for p in _tree(proc.pid)))
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{trainer} {model}-{loss} failed (status {proc.returncode})")
    return {"wall_s": wall, "peak_rss_mb": peak / 1024, "peak_tree_pss_mb": tree_peak / 1024}


def corpus_ranking(corpus: Path, min_count: int) -> list[str]:
    """The corpus's words with at least ``min_count`` occurrences, by count (descending), then by word."""
    from w2v.train import load_corpus

    vocab = load_corpus(corpus, None, min_count, None, None)[0]
    return list(vocab.words)


def analogy(vectors: Path, questions: Path, ranking: list[str], restrict: int = 30000) -> float:
    """3CosAdd accuracy (%) over the first ``restrict`` words of ``ranking`` (:func:`corpus_ranking`)."""
    from w2v.evaluate import evaluate_analogies
    from w2v.vectors import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(vectors, binary=True, unicode_errors="replace")
    top = ranking[:restrict]
    missing = [w for w in top if w not in kv.key_to_index]
    if missing:
        raise SystemExit(f"{vectors}: {len(missing)} of the corpus's {len(top)} most frequent words have "
                         f"no vector, e.g. {missing[:3]}")
    kv = KeyedVectors(top, kv.vectors[[kv.key_to_index[w] for w in top]])
    res = evaluate_analogies(kv, questions, restrict_vocab=restrict, methods=("add",))
    return 100.0 * res["methods"]["add"]["total"]["accuracy"]


def print_seed_summary(rows: list[dict], specs: list[str], trainers: list[str]) -> None:
    """Mean ± standard deviation over the seeds of each (model, threads, trainer); w2v's mean against
    the best peer's mean."""
    from statistics import mean, stdev

    print()
    print("| model | threads | trainer | seeds | wall s | analogy % (mean ± sd) | runs | Δ mean vs best peer |")
    print("|---|---|---|---|---|---|---|---|")
    for spec in specs:
        for threads in sorted({r["threads"] for r in rows}):
            means = {}
            for trainer in trainers:
                rs = [r for r in rows if r["model"] == spec and r["threads"] == threads and r["trainer"] == trainer]
                acc = [r["analogy"] for r in rs]
                means[trainer] = (mean(acc), stdev(acc) if len(acc) > 1 else 0.0, rs)
            best_peer = max((m for t, (m, _, _) in means.items() if t != "w2v"), default=None)
            for trainer, (m, sd, rs) in means.items():
                delta = f"{m - best_peer:+.2f}" if trainer == "w2v" and best_peer is not None else ""
                runs = " / ".join(f"{r['analogy']:.2f}" for r in rs)
                print(f"| {spec} | {threads} | {trainer} | {len(rs)} | {mean(r['wall_s'] for r in rs):.1f} "
                      f"| {m:.2f} ± {sd:.2f} | {runs} | {delta} |")


def timing_breakdown(corpus: Path, a) -> dict:
    """What users pay besides the epochs: building/loading the kernels and the vocabulary pass.

    ``kernels_build_cold_s``: the ahead-of-time module built from nothing (empty Numba and w2v
    caches; once per machine and kernel version); ``kernels_load_s``: loading it (every run);
    ``jit_compile_cold_s`` / ``jit_compile_cached_s``: the same kernels through Numba's JIT
    (``W2V_KERNELS=jit``), compiled from nothing / loaded from Numba's cache.
    """
    # the trainer's own warm-up on a two-word corpus: obtain the kernels and call each export once
    code = ("import time,json;t=time.perf_counter();import numpy as np;from w2v import engine;"
            "from w2v import train as T;cfg=T.TrainConfig(dim=%d);c=np.array([5,5]);"
            "ids=np.repeat(np.arange(2,dtype=np.int32),5);wi,wo=T._initial_vectors(2,cfg.dim,1);"
            "inp,fp=T.kernel_inputs(cfg,c,c,ids,T.segments(np.array([0,10])),wi,wo);"
            "T._warm_up(engine.kernels(%r),inp,fp);print(json.dumps(time.perf_counter()-t))")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(a.workdir) / "numba-cold"),
               W2V_CACHE_DIR=str(Path(a.workdir) / "kernels-cold"))

    def timed(kind):
        return json.loads(subprocess.run([sys.executable, "-c", code % (a.dim, kind)], env=env,
                                         capture_output=True, text=True, check=True).stdout)

    out = {}
    for kind, cold, warm in (("aot", "kernels_build_cold_s", "kernels_load_s"),
                             ("jit", "jit_compile_cold_s", "jit_compile_cached_s")):
        shutil.rmtree(env["NUMBA_CACHE_DIR"], ignore_errors=True)
        shutil.rmtree(env["W2V_CACHE_DIR"], ignore_errors=True)
        out[cold] = timed(kind)
        out[warm] = timed(kind)
    from w2v.train import load_corpus

    for workers in sorted({1, *(int(t) for t in a.threads.split(","))}):
        t = time.perf_counter()
        load_corpus(corpus, None, a.min_count, None, None, workers)
        out[f"vocab_pass_{workers}proc_s"] = time.perf_counter() - t
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peers", default="gensim", help="comma list of gensim, word2vec.c, fasttext")
    p.add_argument("--models", default="sg-ns,cbow-ns,sg-hs,cbow-hs")
    p.add_argument("--threads", default="2", help="comma list of thread counts")
    p.add_argument("--workdir", default=str(REPO / "results" / "bench"))
    p.add_argument("--mirror", default=os.environ.get("W2V_DATA_MIRROR"))
    p.add_argument("--corpus", default=None, help="use this corpus file instead of building IMDb")
    p.add_argument("--limit-docs", type=int, default=None)
    p.add_argument("--questions", default=str(REPO / "data" / "sample" / "questions-words.txt"))
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-4)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeds", default=None, help="comma list: train every row once per seed, print mean ± sd "
                   "(word2vec.c needs a build with -seed: bench/word2vec_c_seeded.py)")
    p.add_argument("--word2vec-c", default=None, help="word2vec.c binary (default: the package's `word2vec`)")
    p.add_argument("--shared-negatives", action="store_true", help="w2v: sg+ns shares noise words per window")
    p.add_argument("--ns-exponent", type=float, default=0.75, help="w2v: noise ∝ count^this (fastText: 0.5)")
    p.add_argument("--hot-rows", type=int, default=None, help="w2v: TrainConfig.hot_rows (default: its default)")
    p.add_argument("--no-breakdown", action="store_true", help="skip the compile / vocabulary timings")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    p.add_argument("--child", nargs=6, metavar=("TRAINER", "MODEL", "LOSS", "THREADS", "CORPUS", "OUT"),
                   help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    os.environ.setdefault("TQDM_DISABLE", "1")
    if a.child:
        trainer, model, loss, threads, corpus, out = a.child
        run_one(trainer, model, loss, int(threads), corpus, out, a)
        return 0

    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    corpus = Path(a.corpus) if a.corpus else build_corpus(work, a.mirror, a.limit_docs)
    with open(corpus, "rb") as fh:
        words = sum(len(line.split()) for line in fh)
    ranking = corpus_ranking(corpus, a.min_count)
    print(f"corpus {corpus}: {words:,} words, {len(ranking):,} with count >= {a.min_count}; "
          f"dim {a.dim} window {a.window} K {a.negative} "
          f"sample {a.sample:g} epochs {a.epochs} min_count {a.min_count}", flush=True)
    trainers = ["w2v"] + [t for t in a.peers.split(",") if t]
    seeds = [int(x) for x in a.seeds.split(",")] if a.seeds else [a.seed]
    c_seeded = "word2vec.c" in trainers and takes_seed(word2vec_c(a))
    if "word2vec.c" in trainers and len(seeds) > 1 and not c_seeded:
        raise SystemExit(f"{word2vec_c(a)}: this word2vec.c has no -seed, so its runs would all be one "
                         "draw; build one with bench/word2vec_c_seeded.py and pass it as --word2vec-c")
    # w2v's kernels are built once per machine (w2v.engine), like a compiled peer's binary: build
    # them before the timed runs, which then pay only the loading (timing_breakdown prints both)
    kind = subprocess.run([sys.executable, "-c", "from w2v import engine; print(engine.kernels().kind)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    print(f"w2v kernels: {kind} (W2V_KERNELS={os.environ.get('W2V_KERNELS', 'auto')})", flush=True)
    rows = []
    for threads in [int(t) for t in a.threads.split(",")]:
        for spec in a.models.split(","):
            model, loss = spec.split("-")
            for seed in seeds:
                a.seed = seed
                for trainer in trainers:
                    out = work / "runs" / f"{trainer}-{spec}-t{threads}{f'-s{seed}' if len(seeds) > 1 else ''}"
                    r = measure(trainer, model, loss, threads, corpus, out, a)
                    r.update(trainer=trainer, model=spec, threads=threads, run=seeds.index(seed),
                             seed=seed if trainer != "word2vec.c" or c_seeded else None,
                             words_per_sec=words * a.epochs / r["wall_s"],
                             analogy=analogy(out / "vectors.bin", Path(a.questions), ranking))
                    rows.append(r)
                    shown = r["seed"] if r["seed"] is not None else "-"
                    print(f"  {spec:8s} t={threads} {trainer:10s} seed {shown}  {r['wall_s']:7.1f} s  "
                          f"{r['words_per_sec'] / 1e3:8.0f}k words/s  {r['peak_rss_mb']:7.0f} MB  "
                          f"(tree {r['peak_tree_pss_mb']:.0f} MB)  analogy {r['analogy']:5.1f}%", flush=True)
    print()
    print("| model | threads | trainer | seed | wall s | words/s | × gensim | peak MB | tree PSS MB | analogy % "
          "| Δ vs best peer |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        same = [x for x in rows if x["model"] == r["model"] and x["threads"] == r["threads"]
                and x["run"] == r["run"]]
        g = [x for x in same if x["trainer"] == "gensim"]
        ratio = f"{r['words_per_sec'] / g[0]['words_per_sec']:.2f}" if g else "-"
        peers = [x["analogy"] for x in same if x["trainer"] != "w2v"]
        delta = f"{r['analogy'] - max(peers):+.1f}" if peers and r["trainer"] == "w2v" else ""
        seed_txt = r["seed"] if r["seed"] is not None else "-"
        print(f"| {r['model']} | {r['threads']} | {r['trainer']} | {seed_txt} | {r['wall_s']:.1f} | "
              f"{r['words_per_sec'] / 1e3:.0f}k | {ratio} | {r['peak_rss_mb']:.0f} | {r['peak_tree_pss_mb']:.0f} "
              f"| {r['analogy']:.1f} | {delta} |")
    if len(seeds) > 1:
        print_seed_summary(rows, a.models.split(","), trainers)
    thread_counts = sorted({r["threads"] for r in rows})
    if len(thread_counts) > 1:
        print()
        for spec in a.models.split(","):
            for trainer in trainers:
                w = {t: sum(r["wall_s"] for r in rs) / len(rs) for t in thread_counts
                     if (rs := [r for r in rows if r["model"] == spec and r["trainer"] == trainer
                                and r["threads"] == t])}
                lo, hi = thread_counts[0], thread_counts[-1]
                print(f"speed-up {spec} {trainer} {lo}->{hi} threads: {w[lo] / w[hi]:.2f}x")
    if not a.no_breakdown:
        print()
        print("w2v fixed costs:", json.dumps({k: round(v, 2) for k, v in timing_breakdown(corpus, a).items()}))
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
