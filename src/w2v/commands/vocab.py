"""``w2v vocab``: count a corpus, select the vocabulary and encode the corpus as ids."""

from __future__ import annotations

import json


COMMANDS = ("vocab",)  # the subcommands register() adds (w2v.cli builds only the one run)


def register(subparsers) -> None:
    """Add the ``vocab`` subcommand."""
    p = subparsers.add_parser("vocab", help="build vocab.tsv, ids.npy, offsets.npy and stats.json",
                              description="Count a tokenised corpus, keep words with count >= --min-count "
                                          "(then the --max-vocab most frequent) and encode the corpus.")
    p.add_argument("corpus", metavar="CORPUS", help="tokenised corpus (corpus.txt.gz)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--min-count", type=int, default=5, help="minimum count of a kept word (default 5)")
    p.add_argument("--max-vocab", type=int, default=None, help="keep at most N words (default: no limit)")
    p.add_argument("--max-vocab-memory", metavar="SIZE", default=None,
                   help="memory for the word counts while counting, e.g. 500M, 2G (K, M, G, T: powers of "
                        "1024; 200 bytes a word): past it the rarest words are pruned, as word2vec.c does, "
                        "and stats.json and stderr say how far (default: no cap, exact counts)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="processes counting a plain-text corpus in parallel (line ranges; a gzip corpus is "
                        "read by one); the result does not depend on it (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_vocab)


def _vocab(args) -> int:
    from w2v.vocab import build

    stats = build(args.corpus, args.out, min_count=args.min_count, max_vocab=args.max_vocab,
                  progress=not args.quiet, max_vocab_memory=args.max_vocab_memory, workers=args.workers)
    for key, value in stats.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return 0
