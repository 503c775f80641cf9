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


_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def setting_fields():
    """The fields of :class:`w2v.train.TrainConfig` that ``w2v train`` has an option for."""
    import dataclasses

    from w2v.train import TrainConfig

    return [f for f in dataclasses.fields(TrainConfig) if f.metadata.get("cli")]


def option_name(f) -> str:
    """A setting's option, ``--<name>`` with dashes (the field's name or its metadata's ``name``)."""
    return "--" + (f.metadata.get("name") or f.name).replace("_", "-")


def _field_type(f) -> type:
    """``int``, ``float``, ``str`` or ``bool`` from a field's annotation (``int | None`` is ``int``)."""
    names = [t.strip() for t in str(f.type).split("|") if t.strip() != "None"]
    if len(names) != 1 or names[0] not in _TYPES:
        raise TypeError(f"TrainConfig.{f.name}: no command-line option for the type {f.type!r}")
    return _TYPES[names[0]]


def add_setting_options(p) -> None:
    """One option per training setting of :class:`w2v.train.TrainConfig`, its default in the help.

    The option's destination is the field itself; a boolean is a switch turning its
    setting on (``--cbow-sum`` stores False in ``cbow_mean``).
    """
    for f in setting_fields():
        meta = f.metadata
        help = meta["help"] if "default" in meta["help"] else f"{meta['help']} (default: %(default)s)"
        kind = _field_type(f)
        if kind is bool:
            p.add_argument(option_name(f), dest=f.name, default=f.default, help=help,
                           action="store_false" if meta.get("invert") else "store_true")
            continue
        extra = {"metavar": meta["metavar"]} if meta.get("metavar") else {}
        if meta.get("choices"):
            extra["choices"] = list(meta["choices"])
        p.add_argument(option_name(f), dest=f.name, type=kind, default=f.default, help=help, **extra)


def config_from_args(args):
    """The :class:`w2v.train.TrainConfig` of parsed ``w2v train`` arguments."""
    from w2v.train import TrainConfig

    return TrainConfig(**{f.name: getattr(args, f.name) for f in setting_fields()})


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
    add_setting_options(p)
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="bookkeeping stored in train.json (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from w2v.train import train_file

    if args.corpus is None and args.vocab is None:
        raise W2VError("give a CORPUS file or --vocab DIR")
    tags = dict(_tag(text) for text in args.tag)
    cfg = config_from_args(args)
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
