"""``w2v similar`` and ``w2v analogy``: query word vectors from the command line."""

from __future__ import annotations

from w2v.errors import W2VError
from w2v.vectors import KeyedVectors


COMMANDS = ("similar", "analogy")  # the subcommands register() adds (w2v.cli builds only the one run)


def _check(kv: KeyedVectors, path: str, words) -> None:
    for w in words:
        if w not in kv:
            hint = f"; did you mean {w.lower()!r}?" if w.lower() in kv else ""
            raise W2VError(f"{path}: word {w!r} is not in the vocabulary ({len(kv)} words){hint}")


def _similar(args) -> None:
    kv = KeyedVectors.load(args.path)
    _check(kv, args.path, [args.word])
    print(f"nearest to {args.word}:")
    for word, score in kv.most_similar(args.word, topn=args.topn, restrict_vocab=args.restrict_vocab):
        print(f"{score:8.4f}  {word}")


def _analogy(args) -> None:
    kv = KeyedVectors.load(args.path)
    _check(kv, args.path, [args.a, args.b, args.c])
    answers = kv.analogy(args.a, args.b, args.c, method=args.method, topn=args.topn,
                         restrict_vocab=args.restrict_vocab)
    print(f"{args.a} : {args.b} :: {args.c} : ?   (3Cos{args.method.capitalize()})")
    for word, score in answers:
        print(f"{score:8.4f}  {word}")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def register(subparsers) -> None:
    """Add the ``similar`` and ``analogy`` subcommands."""
    path_help = "a model directory (holding vectors.bin) or a word2vec vectors file (text/binary, .gz)"
    restrict_help = "only the N most frequent words are candidates (default: all)"

    p = subparsers.add_parser("similar", help="nearest neighbours of a word (cosine)",
                              description="Print the words closest to WORD by cosine similarity.")
    p.add_argument("path", metavar="PATH", help=path_help)
    p.add_argument("word", metavar="WORD")
    p.add_argument("--topn", type=_positive, default=10, help="how many neighbours (default 10)")
    p.add_argument("--restrict-vocab", type=_positive, metavar="N", help=restrict_help)
    p.set_defaults(func=_similar)

    p = subparsers.add_parser("analogy", help="answer A : B :: C : ?",
                              description="Answer the analogy A : B :: C : ? (B - A + C), excluding "
                                          "A, B and C; 'king - man + woman' is: w2v analogy PATH man king woman.")
    p.add_argument("path", metavar="PATH", help=path_help)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("c", metavar="C")
    p.add_argument("--method", choices=("add", "mul"), default="add",
                   help="add: 3CosAdd (word2vec's); mul: 3CosMul (Levy & Goldberg 2014); default add")
    p.add_argument("--topn", type=_positive, default=5, help="how many answers (default 5)")
    p.add_argument("--restrict-vocab", type=_positive, metavar="N", help=restrict_help)
    p.set_defaults(func=_analogy)
