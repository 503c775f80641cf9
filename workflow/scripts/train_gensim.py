"""Train the gensim reference word2vec model on a tokenised corpus.

Usage::

    python workflow/scripts/train_gensim.py CORPUS --out DIR [--model sg|cbow] [--loss ns|hs]
        [--dim 100] [--window 5] [--negative 5] [--sample 1e-4] [--epochs 5]
        [--min-count 5] [--workers 2] [--seed 1] [--alpha A]

CORPUS is the tokenised corpus (one document per line, tokens separated by
spaces; ``.gz`` is decompressed to a temporary file first, because gensim's
``corpus_file=`` mode reads plain text only). The script writes

- ``DIR/vectors.bin``: the input vectors in word2vec binary format, written by
  gensim's own ``save_word2vec_format``;
- ``DIR/train.json``: the settings, the wall time of training, the corpus size
  and ``words_per_second`` = corpus words x epochs / training wall time, and
  ``"trainer": "gensim"``.

Both are written into a new directory next to DIR that replaces DIR as a whole
once everything succeeded (:func:`w2v.io.atomic_dir`, as ``w2v train`` saves a
model): files other stages keep in DIR (classification results) are carried
over, a failed or killed run leaves DIR as it was, and what a killed run left
beside DIR is removed by the next one. gensim is the reference, never the
engine; with more than one worker its result is not bit-for-bit reproducible
(thread timing decides the order of updates), even with a fixed seed.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import shutil
import sys
import time
from pathlib import Path

from w2v.errors import W2VError
from w2v.io import atomic_dir, write_json
from w2v.provenance import versions


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description="Train the gensim word2vec reference on CORPUS.")
    p.add_argument("corpus", help="tokenised corpus (one document per line; .gz allowed)")
    p.add_argument("--out", required=True, help="output directory (vectors.bin, train.json)")
    p.add_argument("--model", choices=("sg", "cbow"), default="sg")
    p.add_argument("--loss", choices=("ns", "hs"), default="ns")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5, help="negative samples (ignored with --loss hs)")
    p.add_argument("--sample", type=float, default=1e-4)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--alpha", type=float, default=None,
                   help="initial learning rate (default: 0.025 for sg, 0.05 for cbow, as word2vec.c)")
    return p.parse_args(argv)


def _plain_corpus(corpus: Path, tmpdir: Path) -> Path:
    """Return a plain-text path for ``corpus``, decompressing ``.gz`` into ``tmpdir``."""
    if corpus.suffix != ".gz":
        return corpus
    plain = tmpdir / "corpus.txt"
    with gzip.open(corpus, "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return plain


def train(args: argparse.Namespace) -> dict:
    """Train with gensim into a new directory that then replaces ``args.out``; return train.json."""
    from gensim.models import Word2Vec
    import gensim

    corpus = Path(args.corpus)
    if not corpus.is_file():
        sys.exit(f"train_gensim: error: {corpus}: no such corpus file; run the prepare stage first")
    with atomic_dir(args.out) as tmp:
        plain = _plain_corpus(corpus, tmp)
        sg = args.model == "sg"
        hs = args.loss == "hs"
        alpha = args.alpha if args.alpha is not None else (0.025 if sg else 0.05)
        model = Word2Vec(vector_size=args.dim, window=args.window, min_count=args.min_count,
                         sample=args.sample, sg=int(sg), hs=int(hs),
                         negative=0 if hs else args.negative, alpha=alpha,
                         workers=args.workers, seed=args.seed, epochs=args.epochs)
        model.build_vocab(corpus_file=str(plain))
        corpus_words = int(model.corpus_total_words)
        start = time.perf_counter()
        model.train(corpus_file=str(plain), total_examples=model.corpus_count,
                    total_words=corpus_words, epochs=args.epochs)
        seconds = time.perf_counter() - start
        if plain != corpus:
            plain.unlink()
        model.wv.save_word2vec_format(str(tmp / "vectors.bin"), binary=True)
        info = {
            "trainer": "gensim",
            "gensim_version": gensim.__version__,
            "corpus": str(corpus),
            "settings": {"model": args.model, "loss": args.loss, "dim": args.dim,
                         "window": args.window, "negative": 0 if hs else args.negative,
                         "sample": args.sample, "epochs": args.epochs,
                         "min_count": args.min_count, "workers": args.workers,
                         "seed": args.seed, "alpha": alpha},
            "vocab_size": len(model.wv),
            "corpus_documents": int(model.corpus_count),
            "corpus_words": corpus_words,
            "seconds": seconds,
            "words_per_second": corpus_words * args.epochs / seconds if seconds > 0 else None,
            "python": platform.python_version(),
            "versions": versions(),
        }
        write_json(tmp / "train.json", info)
    return info


def main(argv=None) -> int:
    """Entry point: train and print a one-line summary to stderr."""
    args = parse_args(argv)
    try:
        info = train(args)
    except W2VError as exc:  # e.g. an --out that must not be replaced as a whole
        sys.exit(f"train_gensim: error: {exc}")
    print(f"train_gensim: {info['vocab_size']} words x {args.dim}, {info['seconds']:.1f} s, "
          f"{info['words_per_second']:.0f} words/s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
