"""``w2v prepare`` (tokenise a document table under a variant), ``w2v merge`` (join shards) and
``w2v tail`` (the last documents of a corpus)."""

from __future__ import annotations

import json
import sys

from w2v.errors import W2VError


COMMANDS = ("prepare", "merge", "tail")  # the subcommands register() adds (w2v.cli builds only the one run)


def _shard(value: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise W2VError(f"--shard {value!r}: expected I/N with integers, e.g. 0/4") from None
    return i, n


def register(subparsers) -> None:
    """Add the ``prepare``, ``merge`` and ``tail`` subcommands."""
    p = subparsers.add_parser("prepare", help="tokenise a document table under a preprocessing variant",
                              description="Write one line of space-separated tokens per document "
                                          "(gzip if OUT ends in .gz), aligned with the document table.")
    p.add_argument("docs", metavar="DOCS", help="document table (documents.jsonl.gz)")
    p.add_argument("--variant", required=True,
                   help="<morph>[+nostop][+num][+ner], morph one of raw|stem|lemma (e.g. lemma+nostop)")
    p.add_argument("--out", required=True, metavar="CORPUS", help="output corpus, e.g. corpus.txt.gz")
    p.add_argument("--shard", metavar="I/N", help="only documents [I*D//N, (I+1)*D//N) (merge with w2v merge)")
    p.add_argument("--spacy-model", metavar="NAME", help="spaCy pipeline with NER for +ner (default en_core_web_sm)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_prepare)

    m = subparsers.add_parser("merge", help="concatenate prepared shards in order",
                              description="Concatenate shard corpora (in the order given) into one corpus.")
    m.add_argument("parts", nargs="+", metavar="PART", help="shard corpora, in shard order")
    m.add_argument("--out", required=True, metavar="CORPUS", help="merged corpus")
    m.set_defaults(func=_merge)

    t = subparsers.add_parser("tail", help="the last documents of a corpus (held-out text)",
                              description="Write the last N lines (documents) of a corpus, e.g. the held-out "
                                          "text of models trained on its first documents (--max-docs).")
    t.add_argument("corpus", metavar="CORPUS", help="prepared corpus, one document per line")
    t.add_argument("--lines", type=int, required=True, metavar="N", help="documents to keep")
    t.add_argument("--out", required=True, metavar="CORPUS", help="output corpus (gzip if it ends in .gz)")
    t.set_defaults(func=_tail)


def _prepare(args) -> int:
    from w2v.preprocess import Variant, load_nlp, prepare_corpus

    variant = Variant.parse(args.variant)
    shard = _shard(args.shard) if args.shard else None
    nlp = load_nlp(args.spacy_model) if variant.entities_replaced else None
    stats = prepare_corpus(args.docs, args.out, variant, shard=shard, nlp=nlp, progress=not args.quiet)
    json.dump(stats, sys.stdout)
    print()
    return 0


def _merge(args) -> int:
    from w2v.preprocess import merge_shards

    n = merge_shards(args.parts, args.out)
    print(f"{args.out}: {n} documents from {len(args.parts)} parts")
    return 0


def _tail(args) -> int:
    from w2v.preprocess import tail_lines

    n = tail_lines(args.corpus, args.lines, args.out)
    print(f"{args.out}: the last {n} documents of {args.corpus}")
    return 0
