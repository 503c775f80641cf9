"""``w2v evaluate``: analogy and word-similarity benchmarks, neighbours, rare-word tables."""

from __future__ import annotations

import sys
from pathlib import Path

from w2v import evaluate
from w2v.errors import W2VError
from w2v.io import atomic_open, write_json
from w2v.vectors import KeyedVectors


COMMANDS = ("evaluate",)  # the subcommands register() adds (w2v.cli builds only the one run)


def _benchmark(value: str | None, name: str, option: str):
    """An explicit path, ``none`` (skip the benchmark), or the default file.

    A missing explicit file is refused here, before the vectors are loaded.
    """
    if value is None:
        return evaluate.default_benchmark(name)
    if value.lower() == "none":
        return None
    if not Path(value).is_file():
        raise W2VError(f"{value}: no such file for {option}; give the path of a file like {name}, "
                       f"or '{option} none' to skip this benchmark")
    return value


def _evaluate(args) -> None:
    analogies = _benchmark(args.analogies, evaluate.ANALOGIES_FILE, "--analogies")
    wordsim = _benchmark(args.wordsim, evaluate.WORDSIM_FILE, "--wordsim")
    simlex = _benchmark(args.simlex, evaluate.SIMLEX_FILE, "--simlex")
    if args.ranking is not None and not Path(args.ranking).is_file():
        raise W2VError(f"{args.ranking}: no such file for --ranking; give a vocabulary stage's vocab.tsv "
                       "(w2v vocab CORPUS --out DIR writes DIR/vocab.tsv)")
    ranking = evaluate.read_ranking(args.ranking) if args.ranking else None
    if args.heldout is not None:
        _check_heldout(args)
    kv = KeyedVectors.load(args.path)
    restrict = args.restrict_vocab or None
    probes = [p for p in (args.probes or "").split(",") if p]
    result = evaluate.evaluate_all(kv, analogies, wordsim, simlex, restrict_vocab=restrict,
                                   probes=probes, topn=args.topn, ranking=ranking)
    result["vectors"] = args.path
    if args.ranking:
        result["ranking_file"] = args.ranking
    if args.neighbours_out:  # just the header when no probes are given
        with atomic_open(args.neighbours_out, "w") as fh:
            evaluate.neighbours_table(kv, probes, topn=args.topn).to_csv(fh, index=False)
    if args.frequency_out:
        pairs = [p for p in (wordsim, simlex) if p is not None]
        candidates = restrict
        if ranking is not None:
            kv, candidates = evaluate.ranked(kv, ranking, restrict)
        table = evaluate.evaluate_by_frequency(kv, analogies, pairs, restrict_vocab=candidates)
        with atomic_open(args.frequency_out, "w") as fh:
            table.to_csv(fh, index=False)
    if args.heldout is not None:
        from w2v.heldout import heldout_loglik
        from w2v.train import load_model

        model = load_model(args.path)
        window = args.heldout_window or model.config.window
        result["heldout"] = {"corpus": args.heldout, **heldout_loglik(
            model, args.heldout, n_pairs=args.heldout_pairs, window=window, seed=args.heldout_seed)}
    write_json(args.out, result)
    if "heldout" in result:
        h = result["heldout"]
        print(f"{'heldout_perplexity':28s} {h['perplexity']:.4f} ({h['kind']}, {h['pairs']} examples)",
              file=sys.stderr)
    for key, value in result["summary"].items():
        print(f"{key:28s} {value if value is None or isinstance(value, int) else f'{value:.4f}'}",
              file=sys.stderr)


def _check_heldout(args) -> None:
    """Refuse --heldout before any work when its corpus or the model's matrices are missing."""
    if not Path(args.heldout).is_file():
        raise W2VError(f"{args.heldout}: no such file for --heldout; give a held-out text corpus "
                       "(one document per line), e.g. documents left out of training")
    if not (Path(args.path) / "model.npz").is_file():
        raise W2VError(f"{args.path}: --heldout needs a model directory with model.npz (both matrices, as "
                       "w2v train writes it), not only word vectors; pass the training run's directory")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


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
    p.add_argument("--ranking", metavar="VOCAB_TSV",
                   help="rank the words by this vocabulary (a vocab stage's vocab.tsv: corpus counts, then "
                        "the word) instead of the vectors file's order, so that every model of the corpus, "
                        "whoever trained it, is asked the same questions and bucketed the same way")
    p.add_argument("--probes", metavar="W1,W2,...", help="words whose nearest neighbours are reported")
    p.add_argument("--topn", type=int, default=10, help="neighbours per probe (default 10)")
    p.add_argument("--neighbours-out", metavar="CSV", help="neighbours table of the probes: probe,rank,neighbour,cosine,in_vocab")
    p.add_argument("--frequency-out", metavar="CSV",
                   help="metrics by frequency bucket of the rarest word (ranks 1-1000, 1001-5000, "
                        "5001-20000, 20001+)")
    p.add_argument("--heldout", metavar="CORPUS",
                   help="held-out text corpus (one document per line): report the mean negative log-likelihood "
                        "(nats) and perplexity of (centre, context) examples drawn from it under the model's full "
                        "softmax (hs: its Huffman tree), as 'heldout' in the JSON; PATH must be a model directory")
    p.add_argument("--heldout-pairs", type=_positive, default=100_000, metavar="N",
                   help="held-out examples drawn (default 100000)")
    p.add_argument("--heldout-seed", type=int, default=0, metavar="S", help="seed of the held-out draws (default 0)")
    p.add_argument("--heldout-window", type=_positive, default=None, metavar="W",
                   help="maximum window of the held-out draws (default: the model's training window)")
    p.set_defaults(func=_evaluate)
