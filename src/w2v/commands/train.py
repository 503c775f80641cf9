"""``w2v train``: train CBOW / skip-gram vectors on a tokenised corpus."""

from __future__ import annotations

import json
from pathlib import Path

from w2v.errors import W2VError


COMMANDS = ("train",)  # the subcommands register() adds (w2v.cli builds only the one run)


def _tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise W2VError(f"--tag {text!r}: expected KEY=VALUE, e.g. --tag study=dim")
    return key, value


def _available_memory() -> int | None:
    """Bytes a new allocation may take (MemAvailable of /proc/meminfo), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _vocab_size(vocab_dir) -> int:
    """Words of a vocab-stage directory (2, the least that trains, without one or when unreadable)."""
    if vocab_dir is None:
        return 2
    try:
        with open(Path(vocab_dir) / "vocab.tsv", "rb") as fh:
            lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return 2
    return max(lines - 1, 2)  # less the header


def _check_memory(cfg, vocab_size: int) -> None:
    """Refuse up front settings whose matrices cannot fit in the memory available.

    Two V x dim float32 matrices (four more for Adam's moments, two for AdaGrad's
    sums) and, per worker, buffers of 2 x window rows of dim + negative + 1 floats.
    """
    available = _available_memory()
    if available is None:
        return
    matrices = 2 + {"adam": 4, "adagrad": 2}.get(cfg.optimizer, 0)
    need = 4 * (matrices * vocab_size * cfg.dim + cfg.workers * 2 * cfg.window * (cfg.dim + cfg.negative + 1))
    if need > available:
        raise W2VError(f"--dim {cfg.dim} with {vocab_size:,} words (window {cfg.window}, negative "
                       f"{cfg.negative}, {cfg.workers} workers, {cfg.optimizer}) needs about "
                       f"{need / 2**30:.1f} GiB, more than the {available / 2**30:.1f} GiB of memory "
                       f"available; lower --dim or --max-vocab")


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train word vectors (CBOW / skip-gram; softmax, hs, ns, nce, sampled softmax)",
        description="Train word vectors on CORPUS (text or .gz, one document per line, space-separated "
                    "tokens). Writes DIR/vectors.bin (word2vec binary), DIR/model.npz (both matrices), "
                    "DIR/vocab.tsv and DIR/train.json (settings, speed, loss per epoch).",
    )
    p.add_argument("corpus", nargs="?", help="tokenised corpus (omit when --vocab is given)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--vocab", metavar="DIR", help="reuse the vocab stage's vocab.tsv/ids.npy/offsets.npy")
    p.add_argument("--model", choices=["sg", "cbow"], default="sg")
    p.add_argument("--loss", choices=["softmax", "hs", "ns", "nce", "sampled"], default="ns")
    p.add_argument("--negative", type=int, default=5, metavar="K", help="noise words per example (default 5)")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3, help="subsampling threshold, 0 = off (default 1e-3)")
    p.add_argument("--subsample", choices=["word2vec", "paper"], default="word2vec",
                   help="keep probability: word2vec.c's (sqrt(f/t)+1)t/f or the paper's sqrt(t/f)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--max-vocab", type=int, default=None)
    p.add_argument("--max-docs", type=int, default=None, help="train on the first N documents only")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--optimizer", choices=["sgd", "adam", "adagrad"], default="sgd")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 0.025 sg / 0.05 cbow (0.025 cbow+hs) with sgd, 0.002 adam, 0.1 adagrad)")
    p.add_argument("--min-lr-ratio", type=float, default=1e-4, help="sgd decays linearly to lr × this")
    p.add_argument("--ns-exponent", type=float, default=0.75, help="noise distribution ∝ count^exponent")
    p.add_argument("--cbow-sum", action="store_true", help="CBOW input is the sum (default: mean)")
    p.add_argument("--shared-negatives", action="store_true",
                   help="sg+ns: share the K noise words across the window of a centre word (faster)")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="bookkeeping stored in train.json (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from w2v.train import TrainConfig, train_file

    if args.corpus is None and args.vocab is None:
        raise W2VError("give a CORPUS file or --vocab DIR")
    tags = dict(_tag(text) for text in args.tag)
    cfg = TrainConfig(model=args.model, loss=args.loss, negative=args.negative, dim=args.dim,
                      window=args.window, sample=args.sample, epochs=args.epochs, min_count=args.min_count,
                      max_vocab=args.max_vocab, max_docs=args.max_docs, workers=args.workers,
                      seed=args.seed, optimizer=args.optimizer, lr=args.lr, min_lr_ratio=args.min_lr_ratio,
                      ns_exponent=args.ns_exponent, cbow_mean=not args.cbow_sum, subsample=args.subsample,
                      shared_negatives=args.shared_negatives)
    _check_memory(cfg, _vocab_size(args.vocab))
    try:
        model = train_file(args.corpus, args.out, cfg, vocab_dir=args.vocab, tags=tags,
                           progress=not args.quiet)
    except MemoryError:
        raise W2VError(f"out of memory training {cfg.dim}-dimensional vectors; lower --dim or "
                       f"--max-vocab, or free memory") from None
    info = model.info
    summary = {k: info[k] for k in ("vocab_size", "corpus_words", "train_seconds", "words_per_sec",
                                    "loss_per_epoch")}
    print(json.dumps(summary))
    return 0
