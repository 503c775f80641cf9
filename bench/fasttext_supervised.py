#!/usr/bin/env python
"""fastText's own supervised classifier (the PyPI ``fasttext`` binding) on the split ``w2v classify`` uses.

A peer reference for ``w2v classify --method supervised`` (``w2v.supervised``):
the same labelled documents (official train / test split, ``unsup`` left out),
the same tokens (the prepared corpus, one document per line), the same seeded,
stratified validation split of the training documents for choosing epochs,
learning rate and word n-grams (1 or 2), then a refit on all training documents
and the accuracy on the test documents. fastText runs with ``loss=softmax``,
``minCount=1``, ``bucket=2000000``, character n-grams off (``maxn=0``) and one
thread by default; ``--vectors`` starts its word rows from the same word2vec
vectors (``pretrainedVectors``, written as a ``.vec`` text file; ``dim`` is theirs).

Prints one line per fit (validation accuracy, seconds) and a JSON summary;
peak memory is that of the whole process (``/usr/bin/time -v``).

Example::

    /usr/bin/time -v python bench/fasttext_supervised.py /tmp/sup/ng/documents.jsonl.gz \\
        /tmp/sup/ng/corpus.txt.gz --vectors /tmp/sup/ng/sg --seed 1

Needs ``pip install fasttext`` (the ``bench`` extra); nothing in ``src/w2v`` imports this file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def write_lines(path: Path, corpus, docs: np.ndarray, labels: np.ndarray) -> None:
    """fastText's input format: ``__label__<label> token token ...`` per document."""
    types = np.asarray(corpus.types, dtype=object)
    with open(path, "w", encoding="utf-8") as fh:
        for d in docs:
            toks = types[corpus.tokens[corpus.token_indptr[d]:corpus.token_indptr[d + 1]]]
            fh.write(f"__label__{labels[d]} {' '.join(toks)}\n")


def write_vec(path: Path, vectors_path: str) -> int:
    """The word vectors as a fastText ``.vec`` text file; returns their dimension."""
    from w2v.vectors import KeyedVectors

    kv = KeyedVectors.load(Path(vectors_path), unicode_errors="ignore")
    vecs = np.asarray(kv.vectors, dtype=np.float32)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"{vecs.shape[0]} {vecs.shape[1]}\n")
        for w, v in zip(kv.index_to_key, vecs):
            fh.write(w + " " + " ".join(f"{x:.6g}" for x in v) + "\n")
    return int(vecs.shape[1])


def accuracy(model, path: Path, labels: np.ndarray) -> float:
    lines = [line.split(" ", 1)[1].rstrip("\n") if " " in line else "" for line in open(path, encoding="utf-8")]
    pred, _ = model.predict(lines, k=1)
    return float(np.mean([p[0][len("__label__"):] == t for p, t in zip(pred, labels)]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("docs", help="document table (documents.jsonl.gz)")
    ap.add_argument("corpus", help="tokenised corpus aligned with DOCS (corpus.txt.gz)")
    ap.add_argument("--vectors", default=None, help="model directory or word2vec file to start the word rows from")
    ap.add_argument("--seed", type=int, default=0, help="validation split and fastText seed (default: 0)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dim", type=int, default=100, help="dimension without --vectors (default: 100)")
    ap.add_argument("--epochs", default="5,10,20", help="grid of epochs (default: %(default)s)")
    ap.add_argument("--lr", default="0.1,0.3,1.0", help="grid of learning rates (default: %(default)s)")
    ap.add_argument("--ngrams", default="1,2", help="grid of wordNgrams (default: %(default)s)")
    ap.add_argument("--out", default=None, help="write the summary JSON here too")
    args = ap.parse_args(argv)

    import fasttext

    from w2v.classify import load_corpus
    from w2v.supervised import _validation_split

    corpus = load_corpus(args.docs, args.corpus, keep_tokens=True)
    labels = corpus.labels.astype(str)
    train_idx = np.flatnonzero(corpus.is_train)
    test_idx = np.flatnonzero(~corpus.is_train)
    fit_idx, val_idx = _validation_split(labels, train_idx, args.seed)
    grid = list(itertools.product([int(x) for x in args.ngrams.split(",")], [int(x) for x in args.epochs.split(",")],
                                  [float(x) for x in args.lr.split(",")]))
    with tempfile.TemporaryDirectory(prefix="ft-sup-") as tmp:
        tmp = Path(tmp)
        files = {}
        # fastText reads its file in order: the training documents go in a seeded random order
        # (the official files are sorted by label; fit_idx comes shuffled from the split)
        shuffled = np.random.default_rng(args.seed).permutation(train_idx)
        for name, idx in (("fit", fit_idx), ("val", val_idx), ("train", shuffled), ("test", test_idx)):
            files[name] = tmp / f"{name}.txt"
            write_lines(files[name], corpus, idx, labels)
        common = dict(loss="softmax", minCount=1, bucket=2_000_000, maxn=0, minn=0, thread=args.threads,
                      seed=args.seed, verbose=0, dim=args.dim)
        if args.vectors:
            common["pretrainedVectors"] = str(tmp / "vectors.vec")
            common["dim"] = write_vec(tmp / "vectors.vec", args.vectors)
        records = []
        for ngrams, epochs, lr in grid:
            t0 = time.perf_counter()
            try:
                model = fasttext.train_supervised(str(files["fit"]), wordNgrams=ngrams, epoch=epochs, lr=lr,
                                                  **common)
            except RuntimeError as exc:  # "Encountered NaN": the rate is too high for this data
                records.append({"wordNgrams": ngrams, "epochs": epochs, "lr": lr, "validation_accuracy": -1.0,
                                "seconds": time.perf_counter() - t0, "error": str(exc)})
                print(f"fit wordNgrams={ngrams} epoch={epochs} lr={lr}: {exc}", file=sys.stderr, flush=True)
                continue
            seconds = time.perf_counter() - t0
            acc = accuracy(model, files["val"], labels[val_idx])
            records.append({"wordNgrams": ngrams, "epochs": epochs, "lr": lr, "validation_accuracy": acc,
                            "seconds": seconds})
            print(f"fit wordNgrams={ngrams} epoch={epochs} lr={lr}: validation {acc:.4f} ({seconds:.1f} s)",
                  file=sys.stderr, flush=True)
            del model
        best = records[int(np.argmax([r["validation_accuracy"] for r in records]))]
        t0 = time.perf_counter()
        model = fasttext.train_supervised(str(files["train"]), wordNgrams=best["wordNgrams"], epoch=best["epochs"],
                                          lr=best["lr"], **common)
        seconds = time.perf_counter() - t0
        acc = accuracy(model, files["test"], labels[test_idx])
    summary = {"peer": "fasttext", "accuracy": acc, "fit_seconds": seconds, "seed": args.seed,
               "init": "vectors" if args.vectors else "random", "dim": common["dim"], "threads": args.threads,
               "chosen": {k: best[k] for k in ("wordNgrams", "epochs", "lr")}, "records": records,
               "n_train": int(len(train_idx)), "n_test": int(len(test_idx)), "n_validation": int(len(val_idx))}
    print(json.dumps(summary))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    print(f"fasttext: accuracy {acc:.4f}, refit {seconds:.1f} s (wordNgrams={best['wordNgrams']}, "
          f"epoch={best['epochs']}, lr={best['lr']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
