"""Throughput of the preprocessing variants and of vocabulary counting/encoding.

    python bench/prepare.py [--docs results/imdb/documents.jsonl.gz | --mirror ../shared/data] [--limit N]

Without ``--docs`` the IMDb document table is built (in a temporary directory)
from ``<mirror>/aclImdb_v1.reviews.tar.xz`` with :func:`w2v.data.read_imdb`.
Each variant is timed end to end with :func:`w2v.preprocess.prepare_corpus`
(read the table, tokenise, write gzip); the raw corpus is then counted and
encoded (two reads of the text, then one CorpusScan). Prints one row per step: documents, tokens, seconds, tokens/s.
"""

from __future__ import annotations

import argparse
import array
import collections
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from w2v.documents import iter_documents, write_documents
from w2v.preprocess import DEFAULT_VARIANTS, Variant, prepare_corpus, preprocess_text
from w2v.io import GZIP_ERRORS, unreadable
from w2v.vocab import CORPUS_FIX, CorpusScan, Vocabulary, _bar, _drop_oov, _offsets, _open_corpus, _write_ids_npy


# The two reads of the text that w2v.vocab.CorpusScan replaces (count, then encode),
# kept here as the baseline it is measured against.

def count_corpus(path, progress: bool = False) -> tuple[collections.Counter, int, int]:
    """Count the tokens of a corpus (``.gz`` or plain); return ``(counts, n_docs, n_tokens)``."""
    counts: collections.Counter = collections.Counter()
    n_docs = n_tokens = 0
    update = counts.update
    try:
        with _open_corpus(path) as fh, _bar("count", None, progress) as bar:
            for line in fh:
                toks = line.split()
                update(toks)
                n_docs += 1
                n_tokens += len(toks)
                bar.update(1)
    except (UnicodeDecodeError, *GZIP_ERRORS) as exc:
        raise unreadable(path, exc, CORPUS_FIX) from None
    return counts, n_docs, n_tokens


class _Lookup(dict):
    """word -> row, with -1 for out-of-vocabulary words (so ``map`` stays in C)."""

    def __missing__(self, key):
        return -1


class _Batches:
    """Iterate over a corpus as ``(ids, lengths)`` batches of about ``batch_tokens`` tokens.

    ``ids`` are the int32 ids of the in-vocabulary tokens of whole documents (out-of-
    vocabulary tokens dropped), ``lengths`` the int64 number of kept tokens per
    document; ``n_empty`` counts the documents without any token, once iterated.
    """

    def __init__(self, path, vocab: Vocabulary, progress: bool, batch_tokens: int):
        self.path, self.vocab, self.progress = path, vocab, progress
        self.batch_tokens = batch_tokens
        self.n_empty = 0

    @staticmethod
    def _kept(raw: array.array, lengths: array.array) -> tuple[np.ndarray, np.ndarray]:
        ids = np.frombuffer(raw, dtype=np.int32) if len(raw) else np.zeros(0, np.int32)
        return _drop_oov(ids, np.frombuffer(lengths, dtype=np.int64).copy())

    def __iter__(self):
        lookup = _Lookup(self.vocab.index).__getitem__
        raw, lengths = array.array("i"), array.array("q")
        try:
            with _open_corpus(self.path) as fh, _bar("encode", None, self.progress) as bar:
                for line in fh:
                    toks = line.split()
                    raw.extend(map(lookup, toks))
                    lengths.append(len(toks))
                    self.n_empty += not toks
                    if len(raw) >= self.batch_tokens:
                        yield self._kept(raw, lengths)
                        raw, lengths = array.array("i"), array.array("q")
                    bar.update(1)
        except (UnicodeDecodeError, *GZIP_ERRORS) as exc:
            raise unreadable(self.path, exc, CORPUS_FIX) from None
        if lengths:
            yield self._kept(raw, lengths)


def encode_corpus(path, vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(ids, offsets)`` in memory: int32 ids of in-vocabulary tokens in order, int64 offsets."""
    ids, lens = [], []
    for i, n in _Batches(path, vocab, False, batch_tokens=1 << 20):
        ids.append(i)
        lens.append(n)
    return (np.concatenate(ids) if ids else np.zeros(0, np.int32)), _offsets(lens)


def encode_to_npy(path, vocab: Vocabulary, out, batch_tokens: int = 1 << 20) -> tuple[int, np.ndarray]:
    """Encode a corpus straight into the int32 ``.npy`` file ``out``; return ``(n_ids, offsets)``."""
    return _write_ids_npy(out, _Batches(path, vocab, False, batch_tokens), path)


def _table(args, tmp: Path) -> Path:
    """The document table to benchmark (limited to ``--limit`` documents)."""
    if args.docs:
        if args.limit is None:
            return Path(args.docs)
        docs = iter_documents(args.docs)
    else:
        from w2v.data import read_imdb

        docs = read_imdb(Path(args.mirror) / "aclImdb_v1.reviews.tar.xz")
    path = tmp / "documents.jsonl.gz"
    t0 = time.perf_counter()
    n = write_documents(itertools.islice(docs, args.limit), path)
    print(f"# document table: {n} documents written in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def main(argv=None) -> int:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--docs", help="an existing document table (documents.jsonl.gz)")
    src.add_argument("--mirror", default="../shared/data", help="folder with aclImdb_v1.reviews.tar.xz")
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents")
    ap.add_argument("--variants", default=",".join(DEFAULT_VARIANTS), help="comma-separated variant names")
    ap.add_argument("--min-count", type=int, default=5, help="min_count for the encoding step")
    args = ap.parse_args(argv)

    variants = [Variant.parse(v) for v in args.variants.split(",")]
    with tempfile.TemporaryDirectory(prefix="w2v-bench-") as tmpdir:
        tmp = Path(tmpdir)
        docs = _table(args, tmp)
        rows = []
        for v in variants:
            preprocess_text("warm up caches studies", v)  # loads stemmer / lemma table outside the timing
            stats = prepare_corpus(docs, tmp / f"{v}.txt.gz", v, progress=False)
            rows.append((f"prepare {v}", stats["docs"], stats["tokens"], stats["seconds"]))
        corpus = tmp / f"{variants[0]}.txt.gz"
        t0 = time.perf_counter()
        counts, n_docs, n_tokens = count_corpus(corpus)
        rows.append((f"count_corpus ({variants[0]})", n_docs, n_tokens, time.perf_counter() - t0))
        vocab = Vocabulary.from_counts(counts, min_count=args.min_count)
        t0 = time.perf_counter()
        ids, _ = encode_corpus(corpus, vocab)
        rows.append((f"encode_corpus (min_count={args.min_count}, {len(vocab)} words, {len(ids)} kept)",
                     n_docs, n_tokens, time.perf_counter() - t0))
        # what w2v train / w2v vocab do: one CorpusScan (one read, then the ids are translated from a
        # scratch file), against count_corpus + encode_to_npy (two reads of the text)
        t0 = time.perf_counter()
        vocab = Vocabulary.from_counts(count_corpus(corpus)[0], min_count=args.min_count)
        encode_to_npy(corpus, vocab, tmp / "ids2.npy")
        rows.append(("count_corpus + encode_to_npy (two reads)", n_docs, n_tokens, time.perf_counter() - t0))
        t0 = time.perf_counter()
        with CorpusScan(corpus, scratch_dir=tmp) as scan:
            scan.encode_to_npy(Vocabulary.from_counts(scan.counts(), min_count=args.min_count), tmp / "ids1.npy")
        rows.append(("CorpusScan + its encode_to_npy (one read)", n_docs, n_tokens, time.perf_counter() - t0))
    print(f"{'step':<60} {'docs':>8} {'tokens':>11} {'seconds':>8} {'tokens/s':>11}")
    for name, n_docs, n_tokens, seconds in rows:
        print(f"{name:<60} {n_docs:>8} {n_tokens:>11} {seconds:>8.2f} {n_tokens / seconds:>11,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
