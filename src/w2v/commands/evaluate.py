"""``w2v evaluate``: analogy and word-similarity benchmarks, neighbours, rare-word tables."""

from __future__ import annotations

import sys

from w2v import evaluate
from w2v.io import atomic_open, write_json
from w2v.vectors import KeyedVectors


COMMANDS = ("evaluate",)  # the subcommands register() adds (w2v.cli builds only the one run)


def _benchmark(value: str | None, name: str):
    """An explicit path, ``none`` (skip the benchmark), or the default file."""
    if value is None:
        return evaluate.default_benchmark(name)
    if value.lower() == "none":
        return None
    return value


def _evaluate(args) -> None:
    kv = KeyedVectors.load(args.path)
    analogies = _benchmark(args.analogies, evaluate.ANALOGIES_FILE)
    wordsim = _benchmark(args.wordsim, evaluate.WORDSIM_FILE)
    simlex = _benchmark(args.simlex, evaluate.SIMLEX_FILE)
    restrict = args.restrict_vocab or None
    probes = [p for p in (args.probes or "").split(",") if p]
    result = evaluate.evaluate_all(kv, analogies, wordsim, simlex, restrict_vocab=restrict,
                                   probes=probes, topn=args.topn)
    result["vectors"] = args.path
    if args.neighbours_out:  # just the header when no probes are given
        with atomic_open(args.neighbours_out, "w") as fh:
            evaluate.neighbours_table(kv, probes, topn=args.topn).to_csv(fh, index=False)
    if args.frequency_out:
        pairs = [p for p in (wordsim, simlex) if p is not None]
        table = evaluate.evaluate_by_frequency(kv, analogies, pairs, restrict_vocab=restrict)
        with atomic_open(args.frequency_out, "w") as fh:
            table.to_csv(fh, index=False)
    write_json(args.out, result)
    for key, value in result["summary"].items():
        print(f"{key:28s} {value if value is None or isinstance(value, int) else f'{value:.4f}'}",
              file=sys.stderr)


def _restrict(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def register(subparsers) -> None:
    """Add the ``evaluate`` subcommand."""
    p = subparsers.add_parser(
        "evaluate", help="analogy / word-similarity benchmarks of word vectors",
        description="Score word vectors on the Google analogy questions (3CosAdd and 3CosMul, "
                    "gensim's protocol), WordSim-353 and SimLex-999 (Spearman / Pearson), "
                    "optionally nearest neighbours of probe words and a rare-word table. "
                    "Default benchmark files are found in $W2V_BENCHMARKS, else data/benchmarks/ "
                    "and data/sample/ under the current directory, else under the source checkout "
                    "w2v is installed from. Pass 'none' to skip a benchmark.")
    p.add_argument("path", metavar="PATH",
                   help="a model directory (vectors.bin, optional vocab.tsv) or a word2vec vectors file")
    p.add_argument("--out", required=True, metavar="FILE", help="metrics JSON (eval.json)")
    p.add_argument("--analogies", metavar="FILE", help=f"analogy questions (default {evaluate.ANALOGIES_FILE})")
    p.add_argument("--wordsim", metavar="FILE", help=f"WordSim-353 pairs (default {evaluate.WORDSIM_FILE})")
    p.add_argument("--simlex", metavar="FILE", help=f"SimLex-999 pairs (default {evaluate.SIMLEX_FILE})")
    p.add_argument("--restrict-vocab", type=_restrict, default=30000, metavar="N",
                   help="analogy candidates and questions limited to the N most frequent words "
                        "(default 30000; 0 = all); also applies to the rare-word table")
    p.add_argument("--probes", metavar="W1,W2,...", help="words whose nearest neighbours are reported")
    p.add_argument("--topn", type=int, default=10, help="neighbours per probe (default 10)")
    p.add_argument("--neighbours-out", metavar="CSV", help="neighbours table of the probes: probe,rank,neighbour,cosine,in_vocab")
    p.add_argument("--frequency-out", metavar="CSV",
                   help="metrics by frequency bucket of the rarest word (ranks 1-1000, 1001-5000, "
                        "5001-20000, 20001+)")
    p.set_defaults(func=_evaluate)
