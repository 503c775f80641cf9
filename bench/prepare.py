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
import itertools
import sys
import tempfile
import time
from pathlib import Path

from w2v.documents import iter_documents, write_documents
from w2v.preprocess import DEFAULT_VARIANTS, Variant, prepare_corpus, preprocess_text
from w2v.vocab import CorpusScan, Vocabulary, count_corpus, encode_corpus, encode_to_npy


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
        # what w2v train / w2v vocab do: before, count_corpus + encode_to_npy (two reads of the text);
        # now one CorpusScan (one read, then the ids are translated from a scratch file)
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
