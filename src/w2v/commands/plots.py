"""``w2v plot map``: a labelled 2-D PCA / t-SNE map of chosen words."""

from __future__ import annotations

import sys

from w2v.errors import W2VError

#: Group names of the two words of each pair, by questions-words section.
_PAIR_GROUPS = {
    "capital-common-countries": ("capital", "country"),
    "capital-world": ("capital", "country"),
    "currency": ("country", "currency"),
    "city-in-state": ("city", "state"),
    "family": ("male", "female"),
}


def register(subparsers) -> None:
    """Add ``plot`` with its ``map`` subcommand."""
    plot = subparsers.add_parser("plot", help="figures of one model (word maps)")
    sub = plot.add_subparsers(dest="plot_command", metavar="FIGURE")
    sub.required = True
    p = sub.add_parser("map", help="2-D map of words (PCA or t-SNE), with arrows for analogy pairs")
    p.add_argument("path", metavar="PATH", help="model directory (with vectors.bin) or a vectors file")
    p.add_argument("--out", required=True, help="output PNG")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca")
    p.add_argument("--section", help="questions-words section whose pairs to draw, e.g. capital-common-countries")
    p.add_argument("--analogies", help="questions-words file (needed with --section)")
    p.add_argument("--words", help="comma-separated extra words")
    p.add_argument("--seed", type=int, default=0, help="t-SNE seed (default 0)")
    p.add_argument("--title", help="figure title")
    p.set_defaults(func=_map)


def _load(path: str):
    from w2v.vectors import KeyedVectors

    return KeyedVectors.load(path)


def _map(args) -> int:
    from w2v.plots import analogy_pairs, word_map

    words, groups, pairs = [], [], []
    if args.section:
        if not args.analogies:
            raise W2VError("--section needs --analogies FILE (the questions-words file)")
        pairs = analogy_pairs(args.analogies, args.section)
        first, second = _PAIR_GROUPS.get(args.section, ("first of pair", "second of pair"))
        for a, b in pairs:
            words += [a, b]
            groups += [first, second]
    if args.words:
        extra = [w.strip() for w in args.words.split(",") if w.strip()]
        words += extra
        groups += ["words"] * len(extra)
    if not words:
        raise W2VError("plot map: no words given; use --section with --analogies, or --words w1,w2,...")
    kv = _load(args.path)
    missing = word_map(kv, words, method=args.method, groups=groups if args.section else None,
                       pairs=pairs, out=args.out, seed=args.seed, title=args.title)
    if missing:
        print(f"w2v: {len(missing)} word(s) not in the vocabulary, skipped: {', '.join(missing)}",
              file=sys.stderr)
    return 0
