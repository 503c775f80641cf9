"""``w2v plot map``: a labelled 2-D PCA / t-SNE map of chosen words."""

from __future__ import annotations

import sys


COMMANDS = ("plot",)  # the subcommands register() adds (w2v.cli builds only the one run)


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
    p.add_argument("--words", default="", help="comma-separated extra words")
    p.add_argument("--seed", type=int, default=0, help="t-SNE seed (default 0)")
    p.add_argument("--title", help="figure title")
    p.set_defaults(func=_map)


def _map(args) -> int:
    from w2v.plots import word_map, word_set
    from w2v.vectors import KeyedVectors

    words, groups, pairs = word_set(args.analogies, args.section, args.words.split(","))
    kv = KeyedVectors.load(args.path)
    missing = word_map(kv, words, method=args.method, groups=groups, pairs=pairs, out=args.out,
                       seed=args.seed, title=args.title)
    if missing:
        print(f"w2v: {len(missing)} word(s) not in the vocabulary, skipped: {', '.join(missing)}",
              file=sys.stderr)
    return 0
