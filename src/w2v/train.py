"""Training: configuration, data preparation for the kernels, threads, the model.

``train(source, config)`` turns an encoded corpus (or a tokenised text file)
into a :class:`Model`. The per-token work happens in :mod:`w2v.kernels`;
this module only prepares contiguous arrays, hands chunks of ~10k words to
``workers`` Python threads running the ``nogil`` kernel, decays the learning
rate, tracks the loss, draws the progress bar and checks for divergence.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from threadpoolctl import threadpool_limits

from w2v import __version__, engine, provenance
from w2v import blocked as blocked_mod
from w2v import kernel_abi as abi
from w2v.errors import W2VError
from w2v.io import (atomic_dir, check_manifest, check_replaceable, read_json, read_npz, write_json,
                    write_manifest)
from w2v import vocab as vocab_mod
from w2v.sampling import (SUBSAMPLE_FORMULAS, alias_table, hot_nodes, huffman_tree, keep_probabilities,
                          noise_distribution)
from w2v.vectors import KeyedVectors
from w2v.vocab import Vocabulary, die_with_parent, page_releaser

__all__ = ["TrainConfig", "Model", "train", "train_file", "load_model"]

#: The files of a model directory (``w2v train --out DIR``), listed in its ``manifest.json``.
MODEL_FILES = ("vectors.bin", "model.npz", "vocab.tsv", "train.json")

MAX_SEGMENT = 10_000  # longer documents are cut into pieces of this many tokens (as gensim)
SEGMENT_BLOCK = 1 << 18  # documents per block when the segments are computed
RELEASE_WORDS = 1 << 20  # a memory-mapped corpus gives back its trained-on pages in steps of this many ids
MAX_DIM = 10_000  # vector dimensions (word2vec studies use 50-1000)
MAX_SEED = 2**63 - 1  # the kernels' generator takes the seed as an int64
MAX_BETA = 0.99999  # Adam's decay rates (0.9 and 0.999 by default; 0.9999 in some work)

DEFAULT_LR = {("sgd", "sg"): 0.025, ("sgd", "cbow"): 0.05, ("adam", "sg"): 0.002,
              ("adam", "cbow"): 0.002, ("adagrad", "sg"): 0.1, ("adagrad", "cbow"): 0.1}
# (optimizer, model, loss) exceptions. CBOW + hierarchical softmax at word2vec.c's 0.05 lost
# ~1 analogy point against 0.025 (gensim's default) on IMDb: 22.5/22.9 vs 23.7/23.9 (seeds 1/2;
# 0.035: 23.7/23.6). CBOW + NS keeps 0.05 (31.0/30.6; 0.075: 29.6/29.9).
DEFAULT_LR_LOSS = {("sgd", "cbow", "hs"): 0.025}


def _setting(default, help: str, *, cli: bool = True, name: str | None = None, invert: bool = False,
             choices: Iterable | None = None, metavar: str | None = None, config: str | None = None,
             study: bool = False, baseline=dataclasses.MISSING):
    """A :class:`TrainConfig` field with what the command line and the study configuration know of it.

    ``help``: one line for ``w2v train --help``; ``cli``: whether ``w2v train`` has
    an option for it, ``--<name>``; ``name``: the setting's name on the command
    line, in ``config.yaml`` and in a study, where it differs from the field's, and
    ``invert``: that setting is the field's opposite (a boolean); ``choices``,
    ``metavar``: as argparse's. ``config``: the key of ``config.yaml`` that sets
    it (``training.<name>``, ``vocab.<name>``, ``training.seeds`` a list of seeds,
    one model each; None where only a study sets it); ``study``: it defines a
    trained model, so a study may vary it and it names the run's directory
    (:data:`w2v.config.SETTING_KEYS`); ``baseline``: the value ``config.yaml``
    gives it where the study's baseline differs from the trainer's default.

    A boolean option is a switch that turns its setting on, so a boolean setting is
    off by default (name the field after what its default does and ``invert`` it).
    """
    if isinstance(default, bool) and default != invert:
        raise ValueError(f"the boolean setting {name or help!r} must be off by default; "
                         f"name it for what turns it on and invert it")
    if study and not cli:
        raise ValueError(f"{name or help!r}: a study setting reaches the trainer on the command line")
    meta = {"help": help, "cli": cli, "name": name, "invert": invert,
            "choices": tuple(choices) if choices is not None else None, "metavar": metavar,
            "config": config, "study": study}
    if baseline is not dataclasses.MISSING:
        meta["baseline"] = baseline
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Every setting of a training run (the defaults are word2vec.c's where it has one).

    The one declaration of the training settings: each field's metadata (see
    :func:`_setting`) generates the options of ``w2v train`` and the training keys
    of :mod:`w2v.config`, and the configuration schema is tested against it.
    The study settings come first, in the order the workflow passes them on.
    """

    model: str = _setting("sg", "architecture: skip-gram or CBOW", choices=abi.MODELS,
                          config="training.model", study=True, baseline="cbow")
    loss: str = _setting("ns", "output layer: full softmax, hierarchical softmax, negative sampling, NCE "
                         "or sampled softmax", choices=abi.LOSSES, config="training.loss", study=True)
    negative: int = _setting(5, "noise words per example of ns, nce and sampled", metavar="K",
                             config="training.negative", study=True)
    dim: int = _setting(100, "vector dimensions", config="training.dim", study=True)
    window: int = _setting(5, "maximum window; the effective one is drawn in 1..window",
                           config="training.window", study=True)
    sample: float = _setting(1e-3, "subsampling threshold t, 0 = off", config="training.sample",
                             study=True, baseline=1e-4)
    epochs: int = _setting(5, "passes over the corpus", config="training.epochs", study=True)
    optimizer: str = _setting("sgd", "sgd (linear decay, as word2vec.c), adam or adagrad",
                              choices=abi.OPTIMIZERS, config="training.optimizer", study=True)
    lr: float | None = _setting(None, "learning rate (default: 0.025 sg / 0.05 cbow (0.025 cbow+hs) with "
                                "sgd, 0.002 adam, 0.1 adagrad)", config="training.lr", study=True)
    ns_exponent: float = _setting(0.75, "noise distribution q(w) ∝ count^exponent",
                                  config="training.ns_exponent", study=True)
    subsample: str = _setting("word2vec", "keep probability: word2vec.c's (sqrt(f/t)+1)t/f or the "
                              "paper's sqrt(t/f)", choices=SUBSAMPLE_FORMULAS,
                              config="training.subsample", study=True)
    cbow_mean: bool = _setting(True, "CBOW input is the sum of the context vectors (default: their mean)",
                               name="cbow_sum", invert=True, config="training.cbow_sum", study=True)
    shared_negatives: bool = _setting(False, "sg+ns: share the K noise words across the window of a centre "
                                      "word (faster; default: off)", config="training.shared_negatives",
                                      study=True)
    min_count: int = _setting(5, "drop words seen fewer times", config="vocab.min_count", study=True)
    max_vocab: int | None = _setting(None, "keep only the N most frequent words (default: all)",
                                     metavar="N", config="vocab.max_vocab", study=True)
    max_vocab_memory: str | None = _setting(None, "memory for the word counts while counting a text corpus, "
                                            "e.g. 500M, 2G (K, M, G, T: powers of 1024; 200 bytes a word): "
                                            "past it the rarest words are pruned, as word2vec.c does "
                                            "(default: no cap, exact counts)", metavar="SIZE",
                                            config="vocab.max_vocab_memory")
    max_docs: int | None = _setting(None, "train on the first N documents only (default: all)",
                                    metavar="N", study=True)
    workers: int = _setting(2, "training threads (1: the same vectors run to run)", config="training.workers")
    seed: int = _setting(1, "random seed", config="training.seeds", baseline=(1, 2, 3))
    min_lr_ratio: float = _setting(1e-4, "sgd decays linearly to lr × this")
    beta1: float = _setting(0.9, "Adam", cli=False)
    beta2: float = _setting(0.999, "Adam", cli=False)
    eps: float = _setting(1e-8, "Adam / AdaGrad", cli=False)
    chunk_words: int = _setting(10_000, "words per kernel call (lr is updated between calls)", cli=False)
    # hs, workers > 1, sgd: Huffman nodes nearest the root that every thread trains in its own
    # copy (0 = none; see kernels._row), merged into the shared rows every hot_sync examples (and
    # at the end of each chunk; 0 = at the end of each chunk only)
    hot_rows: int = _setting(256, "Huffman nodes each thread trains in its own copy", cli=False)
    hot_sync: int = _setting(500, "examples between merges of the threads' copies", cli=False)

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Check every setting's type and range (one line naming the setting and what is allowed).

        Numbers must be finite: NaN passes every ``<``/``>`` check (subsampling
        silently off, a uniform noise distribution) and would reach train.json,
        which JSON cannot hold.
        """
        def bad(name, value, allowed):
            raise W2VError(f"training setting {name} = {value!r} is not valid; allowed: {allowed}")

        def integer(name, low, high=None):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
                    or (high is not None and value > high)):
                bad(name, value, f"an integer >= {low}" + (f" and <= {high:,}" if high is not None else ""))

        def number(name, low, high, allowed, low_open=False, high_open=False):
            value = getattr(self, name)
            ok = (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
                  and (value > low if low_open else value >= low)
                  and (high is None or (value < high if high_open else value <= high)))
            if not ok:
                bad(name, value, allowed)

        if self.model not in abi.MODELS:
            bad("model", self.model, sorted(abi.MODELS))
        if self.loss not in abi.LOSSES:
            bad("loss", self.loss, sorted(abi.LOSSES))
        if self.optimizer not in abi.OPTIMIZERS:
            bad("optimizer", self.optimizer, sorted(abi.OPTIMIZERS))
        if self.subsample not in SUBSAMPLE_FORMULAS:
            bad("subsample", self.subsample, list(SUBSAMPLE_FORMULAS))
        for f in dataclasses.fields(self):  # a switch given as "false" or 0 would be silently on or off
            if isinstance(f.default, bool) and not isinstance(getattr(self, f.name), (bool, np.bool_)):
                bad(f.name, getattr(self, f.name), "True or False")
        # word2vec vectors have 50-1000 dimensions (MAX_DIM leaves ten times that); documents are
        # cut into segments of MAX_SEGMENT tokens, so a wider window sees nothing more
        integer("dim", 1, MAX_DIM)
        integer("window", 1, MAX_SEGMENT)
        for name in ("epochs", "workers", "min_count", "chunk_words"):
            integer(name, 1)
        for name in ("hot_rows", "hot_sync"):
            integer(name, 0)
        integer("negative", 1 if self.loss in ("ns", "nce", "sampled") else 0)
        integer("seed", 0, MAX_SEED)
        # a threshold t >= 1 keeps every word (a frequency is at most 1)
        number("sample", 0, 1, "a number in [0, 1) (0 = off)", high_open=True)
        if self.lr is not None:
            number("lr", 0, None, "a finite number > 0", low_open=True)
        number("min_lr_ratio", 0, 1, "a number in [0, 1]")
        # q(w) ∝ count^ns_exponent: 0.75 word2vec, 0.5 fastText, 0 uniform, 1 unigram, below 0
        # rare words first; past these bounds the noise is almost only the few most (or least)
        # frequent words
        number("ns_exponent", -1, 2, "a number in [-1, 2] (0.75: word2vec)")
        # Adam's bias-correction table has ~44/(1 - beta) entries (adam_bias_table): 35 MB at MAX_BETA
        for name in ("beta1", "beta2"):
            number(name, 0, MAX_BETA, f"a number in [0, {MAX_BETA}]")
        number("eps", 0, None, "a finite number > 0", low_open=True)
        for name in ("max_vocab", "max_docs"):
            if getattr(self, name) is not None:
                integer(name, 1)
        if self.max_vocab_memory is not None:
            try:
                vocab_mod.memory_bytes(self.max_vocab_memory)
            except W2VError:
                bad("max_vocab_memory", self.max_vocab_memory, "a whole number followed by K, M, G or T "
                    "(powers of 1024), e.g. 500M or 2G; None: no cap")

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        return DEFAULT_LR_LOSS.get((self.optimizer, self.model, self.loss), DEFAULT_LR[(self.optimizer, self.model)])

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["lr"] = self.learning_rate
        d["min_lr"] = self.learning_rate * self.min_lr_ratio if self.optimizer == "sgd" else self.learning_rate
        return d


@dataclass
class Model:
    """A trained model: both matrices, the vocabulary, the settings and the training log."""

    vocab: "object"                   # w2v.vocab.Vocabulary
    wi: np.ndarray                    # input vectors (the word vectors), float32 (V, dim)
    wo: np.ndarray                    # output vectors (or Huffman inner nodes for hs), float32 (V, dim)
    config: TrainConfig
    info: dict = field(default_factory=dict)

    def keyed_vectors(self):
        """The input vectors as :class:`w2v.vectors.KeyedVectors`."""
        return KeyedVectors(list(self.vocab.words), self.wi, counts=np.asarray(self.vocab.counts))

    def save(self, out_dir: str | os.PathLike, tags: dict | None = None) -> Path:
        """Write ``vectors.bin``, ``model.npz``, ``vocab.tsv``, ``train.json`` and (last) ``manifest.json``.

        The directory changes as a whole (:func:`w2v.io.atomic_dir`): a save that
        fails or is killed leaves the previous model, and of concurrent saves to
        the same directory the last one wins with all of its files. The manifest
        (each file's size and sha256) lets every loader refuse files of different
        runs put together by hand.
        """
        out = Path(out_dir)
        info = dict(self.info)
        if tags:
            info["tags"] = {**info.get("tags", {}), **tags}
        with atomic_dir(out) as tmp:
            self.keyed_vectors().save_word2vec_format(tmp / "vectors.bin", binary=True)
            _save_npz(tmp / "model.npz", wi=self.wi, wo=self.wo, counts=np.asarray(self.vocab.counts))
            self.vocab.save_tsv(tmp / "vocab.tsv")
            write_json(tmp / "train.json", info)
            write_manifest(tmp, MODEL_FILES, trainer="w2v", dim=int(self.wi.shape[1]),
                           vocab_size=int(self.wi.shape[0]))
        return out


def _save_npz(path, block_bytes: int = 1 << 20, **arrays: np.ndarray) -> None:
    """Write an uncompressed ``.npz`` as ``np.savez`` does, copying at most ``block_bytes`` at a time.

    (``np.savez`` hands each array to the zip file in 16 MiB ``tobytes`` copies,
    which made saving the peak of a whole training run.) The file is flushed to
    disk before it is closed; its members carry a fixed date, so the same arrays
    give the same bytes.
    """
    import zipfile

    with open(path, "wb") as raw:
        with zipfile.ZipFile(raw, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, arr in arrays.items():
                arr = np.ascontiguousarray(arr)
                member = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))  # same bytes each time
                with zf.open(member, "w", force_zip64=True) as fh:
                    np.lib.format.write_array_header_1_0(fh, np.lib.format.header_data_from_array_1_0(arr))
                    flat = arr.reshape(-1).view(np.uint8) if arr.size else np.zeros(0, np.uint8)
                    for i in range(0, flat.size, block_bytes):
                        fh.write(flat[i:i + block_bytes].data)
        raw.flush()
        os.fsync(raw.fileno())


def load_model(model_dir: str | os.PathLike, allow_nonfinite: bool = False) -> Model:
    """Load a model saved by :meth:`Model.save`.

    The files are checked against the manifest (when the directory has one),
    the arrays' headers against their sizes before they are read, and their
    shapes against the vocabulary and the settings; NaN or infinite values are
    refused unless ``allow_nonfinite``.
    """
    d = Path(model_dir)
    read = ("model.npz", "vocab.tsv", "train.json")
    for name in read:
        if not (d / name).is_file():
            raise W2VError(f"{d}: not a w2v model directory (no {name}); train one with `w2v train`")
    check_manifest(d, read)
    info = read_json(d / "train.json")
    arrays = read_npz(d / "model.npz", ("wi", "wo"))
    cfg = TrainConfig(**{k: v for k, v in info["config"].items()
                         if k in {f.name for f in dataclasses.fields(TrainConfig)}})
    vocab = Vocabulary.load_tsv(d / "vocab.tsv")
    for name, arr in arrays.items():
        if arr.shape != (len(vocab), cfg.dim):
            raise W2VError(f"{d}: model.npz holds {name} of shape {arr.shape}, but vocab.tsv has {len(vocab)} "
                           f"words and train.json says dim {cfg.dim}; retrain with `w2v train --out {d}`")
        if not allow_nonfinite and not np.isfinite(arr).all():
            bad = int(np.sum(~np.isfinite(arr).all(axis=1)))
            raise W2VError(f"{d / 'model.npz'}: {bad} of {len(arr)} rows of {name} hold NaN or infinite values, "
                           "as a diverged training leaves them; retrain with a lower --lr, or load with "
                           "allow_nonfinite=True")
    return Model(vocab, arrays["wi"], arrays["wo"], cfg, info)


# --------------------------------------------------------------------------- data for the kernels
def restrict(vocab, ids: np.ndarray, offsets: np.ndarray, n_words: int):
    """Keep the ``n_words`` most frequent words (vocabulary rows are sorted by frequency)."""
    if n_words >= len(vocab):
        return vocab, ids, offsets
    mask = ids < n_words
    kept_before = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    new_offsets = kept_before[offsets]
    counts = dict(zip(vocab.words[:n_words], np.asarray(vocab.counts[:n_words]).tolist()))
    small = Vocabulary.from_counts(counts, min_count=1)
    # from_counts re-sorts with the same key, so row i keeps meaning word i
    assert small.words == list(vocab.words[:n_words])
    return small, np.ascontiguousarray(ids[mask], dtype=np.int32), new_offsets


def segments(offsets: np.ndarray, max_len: int = MAX_SEGMENT, block: int = SEGMENT_BLOCK) -> np.ndarray:
    """Segment boundaries: document boundaries, plus a cut every ``max_len`` tokens in long documents.

    Computed ``block`` documents at a time: the temporaries of one block, not of the whole
    corpus (a billion words are ~4M documents: a dozen temporaries that long would take ~400 MB)."""
    offsets = np.asarray(offsets, dtype=np.int64)
    parts = []
    for lo in range(0, max(offsets.size - 1, 0), block):
        o = offsets[lo:lo + block + 1]
        starts, lens = o[:-1], np.diff(o)
        pieces = np.maximum((lens + max_len - 1) // max_len, 0)
        doc = np.repeat(np.arange(lens.size), pieces)
        k = np.arange(doc.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        parts.append(starts[doc] + k * max_len)
    parts.append(offsets[-1:] if offsets.size else offsets[:0])  # the end of the last document
    cuts = np.concatenate(parts)
    del parts
    # offsets never decrease, so the cuts are sorted: drop repeats without a sort (empty documents
    # repeat an offset; np.unique would sort a copy)
    keep = np.ones(cuts.size, dtype=bool)
    np.greater(cuts[1:], cuts[:-1], out=keep[1:])
    return cuts[keep]


def chunks(seg_bounds: np.ndarray, chunk_words: int) -> np.ndarray:
    """Group consecutive segments into chunks of about ``chunk_words`` tokens: rows (s0, s1)."""
    nseg = seg_bounds.size - 1
    if nseg <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    marks = np.arange(seg_bounds[0], seg_bounds[-1], chunk_words)
    starts = np.unique(np.searchsorted(seg_bounds, marks, side="right") - 1)
    starts = starts[(starts >= 0) & (starts < nseg)]
    bounds = np.concatenate((starts, [nseg]))
    return np.stack((bounds[:-1], bounds[1:]), axis=1).astype(np.int64)


def _slice_docs(ids, offsets, max_docs):
    if max_docs is None or max_docs >= offsets.size - 1:
        return ids, offsets
    offsets = offsets[: max_docs + 1]
    return ids[: offsets[-1]], offsets


# --------------------------------------------------------------------------- training
def train(vocab, ids: np.ndarray, offsets: np.ndarray, config: TrainConfig,
          callbacks: Iterable[Callable[[dict], None]] = (), progress: bool = True) -> Model:
    """Train word vectors on an encoded corpus.

    ``ids`` (int32) are the vocabulary rows of the corpus tokens, document ``i``
    being ``ids[offsets[i]:offsets[i+1]]``. ``callbacks`` are called after every
    epoch with that epoch's log entry (epoch, loss, seconds, words_per_sec, lr).
    """
    t_start = time.perf_counter()
    cfg = config
    vocab, ids, offsets, slice_counts = _prepare(vocab, ids, offsets, cfg)
    wi, wo = _initial_vectors(len(vocab), cfg.dim, cfg.seed)
    seg_bounds = segments(offsets)
    inputs, base_fparams = kernel_inputs(cfg, np.asarray(vocab.counts, dtype=np.int64), slice_counts, ids,
                                         seg_bounds, wi, wo)
    chunk_rows = chunks(seg_bounds, cfg.chunk_words)
    # a memory-mapped corpus: drop the pages of chunks already trained on, every RELEASE_WORDS
    # tokens, so that the corpus never becomes resident as a whole (it is read once per epoch)
    release = page_releaser(ids)
    if release is not None:
        release()
    kern, compile_seconds, kernels_info = _obtain_kernels(t_start, inputs, base_fparams, blocked_softmax(cfg))

    epoch_run = _Epochs(kern, cfg, inputs, base_fparams, chunk_rows, release)
    history: list[dict] = []
    bar = _progress_bar(epoch_run.total_work, progress)
    t_train = time.perf_counter()
    # BLAS (the blocked full softmax) runs on --workers threads: more would compete with the
    # machine's other jobs, and OpenBLAS waits for a thread descheduled by them at every product
    with threadpool_limits(limits=cfg.workers, user_api="blas"):
        try:
            for epoch in range(cfg.epochs):
                entry = epoch_run.run(epoch, bar)
                history.append(entry)
                for cb in callbacks:
                    cb(entry)
        finally:
            if bar is not None:
                bar.close()
    info = _record(cfg, len(vocab), int(offsets.size - 1), inputs, history, t_start,
                   time.perf_counter() - t_train, compile_seconds, kernels_info)
    return Model(vocab, wi, wo, cfg, info)


def _prepare(vocab, ids, offsets, cfg: TrainConfig):
    """The corpus slice and vocabulary of the run: ``(vocab, ids, offsets, counts of the slice)``."""
    ids, offsets = _slice_docs(ids, np.asarray(offsets, dtype=np.int64), cfg.max_docs)
    if cfg.max_vocab is not None or cfg.min_count > 1:
        n_keep = int(np.sum(np.asarray(vocab.counts) >= cfg.min_count))
        if cfg.max_vocab is not None:
            n_keep = min(n_keep, int(cfg.max_vocab))
        vocab, ids, offsets = restrict(vocab, ids, offsets, n_keep)
    V = len(vocab)
    if V < 2:
        raise W2VError(f"the vocabulary has {V} word(s) after min_count={cfg.min_count}: "
                       f"nothing to train; lower --min-count or use a larger corpus")
    ids = np.ascontiguousarray(ids, dtype=np.int32)
    if ids.size == 0:
        raise W2VError("the corpus has no in-vocabulary tokens: nothing to train")
    # words of the slice, for the subsampling frequencies and the schedule
    counts = np.asarray(vocab.counts, dtype=np.int64)
    slice_counts = np.bincount(ids, minlength=V).astype(np.int64) if cfg.max_docs else counts
    return vocab, ids, offsets, slice_counts


def _initial_vectors(V: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """word2vec.c's start: input rows uniform in [-0.5/dim, 0.5/dim), output rows zero."""
    rng = np.random.default_rng(seed)
    # in place: the same float32 values as ((u - 0.5) / dim) without two V x dim temporaries
    wi = rng.random((V, dim), dtype=np.float32)
    wi -= np.float32(0.5)
    wi /= np.float32(dim)
    return wi, np.zeros((V, dim), dtype=np.float32)


def kernel_inputs(cfg: TrainConfig, counts: np.ndarray, slice_counts: np.ndarray, ids: np.ndarray,
                  seg_bounds: np.ndarray, wi: np.ndarray, wo: np.ndarray) -> tuple[abi.KernelInputs, np.ndarray]:
    """The one place the kernel's inputs are built: its bundle and the optimiser's float parameters.

    ``counts`` are the vocabulary's (noise distribution, Huffman tree),
    ``slice_counts`` those of the corpus trained on (subsampling, hot rows).
    """
    keep = keep_probabilities(np.maximum(slice_counts, 1), cfg.sample, cfg.subsample)
    q = noise_distribution(counts, cfg.ns_exponent)
    alias_prob, alias_idx = alias_table(q)
    if cfg.loss == "hs":
        tree = huffman_tree(counts)
    else:
        tree = np.zeros((1, 1), np.int32), np.zeros((1, 1), np.int8), np.zeros(1, np.int32)

    opt = abi.OPTIMIZERS[cfg.optimizer]

    # Huffman nodes nearly every example writes (the root is on every path): with several threads
    # each trains private copies of them, else the cores pass their cache lines back and forth at
    # every update and 2 threads run slower than 1 (docs/benchmarks.md, Threads)
    if cfg.loss == "hs" and cfg.workers > 1 and opt == abi.SGD:
        hot_o = hot_nodes(cfg.hot_rows, slice_counts * keep, tree)
    else:
        hot_o = np.zeros(0, np.int64)

    iparams = np.zeros(abi.N_IPARAMS, np.int64)
    iparams[abi.I_MODEL] = abi.MODELS[cfg.model]
    iparams[abi.I_LOSS] = abi.LOSSES[cfg.loss]
    iparams[abi.I_NEG] = cfg.negative
    iparams[abi.I_WINDOW] = cfg.window
    iparams[abi.I_OPT] = opt
    iparams[abi.I_CBOW_MEAN] = int(cfg.cbow_mean)
    iparams[abi.I_SHARED_NEG] = int(cfg.shared_negatives)
    iparams[abi.I_HOT_SYNC] = cfg.hot_sync
    fparams = np.zeros(abi.N_FPARAMS, np.float32)
    fparams[abi.F_LR] = cfg.learning_rate
    fparams[abi.F_BETA1] = cfg.beta1
    fparams[abi.F_BETA2] = cfg.beta2
    fparams[abi.F_EPS] = cfg.eps
    inputs = abi.KernelInputs(ids, seg_bounds, wi, wo, keep, alias_prob, alias_idx, np.log(q).astype(np.float32),
                              *tree, *optimiser_state(opt, wi, wo, fparams), iparams, hot_o,
                              _slots(hot_o, wo.shape[0]))
    return inputs, fparams


def optimiser_state(opt: int, wi: np.ndarray, wo: np.ndarray, fparams: np.ndarray) -> tuple:
    """The optimiser's state in the kernel's order ``(mi, vi, ti, mo, vo, to, adam_bias)``: the
    moment rows and per-row step counts of ``wi`` and ``wo`` (Adam m and v, AdaGrad v; 1x1 and
    length-1 placeholders where unused) and Adam's bias-correction table (``[1]`` otherwise)."""
    none2, none1 = np.zeros((1, 1), np.float32), np.zeros(1, np.int64)
    if opt == abi.SGD:
        return none2, none2, none1, none2, none2, none1, np.ones(1)
    adam = opt == abi.ADAM
    V = wi.shape[0]
    bias = adam_bias_table(fparams[abi.F_BETA1], fparams[abi.F_BETA2]) if adam else np.ones(1)
    return (np.zeros_like(wi) if adam else none2, np.zeros_like(wi), np.zeros(V, np.int64),
            np.zeros_like(wo) if adam else none2, np.zeros_like(wo), np.zeros(V, np.int64), bias)


def adam_flat_step(beta1: float, beta2: float) -> int:
    """The first step t from which beta1^t and beta2^t are below 2^-64 (and for every later t):
    Adam's bias correction ``sqrt(1 - beta2^t) / (1 - beta1^t)`` is then exactly 1 in float64."""
    b = max(float(beta1), float(beta2))
    if b <= 0.0:
        return 1
    return math.ceil(64.0 * math.log(2.0) / -math.log(b)) + 1


def adam_bias_table(beta1: float, beta2: float) -> np.ndarray:
    """Adam's bias correction ``sqrt(1 - beta2^t) / (1 - beta1^t)`` for t = 0 .. T-1 (float64; t = 0
    is never used: a row's first step is t = 1), T = :func:`adam_flat_step`, from which it is 1:
    the kernel multiplies the rate by ``table[t]`` instead of computing two powers per row
    update (44,342 entries, 346 KB, for beta2 = 0.999)."""
    t = np.arange(adam_flat_step(beta1, beta2), dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = np.sqrt(1.0 - float(beta2) ** t) / (1.0 - float(beta1) ** t)
    table[0] = 1.0
    return table


def learning_rate(cfg: TrainConfig, progress: float) -> float:
    """The rate after ``progress`` (0..1) of all the words of all epochs: SGD decays linearly from
    ``lr`` to ``lr × min_lr_ratio`` (word2vec.c), Adam and AdaGrad keep ``lr``."""
    lr0 = cfg.learning_rate
    if cfg.optimizer != "sgd":
        return lr0
    return max(lr0 * (1.0 - progress), lr0 * cfg.min_lr_ratio)


def _obtain_kernels(t_start: float, inputs: abi.KernelInputs, fparams: np.ndarray, blocked: bool = False):
    """The compiled kernels (built, or waited for, on first use), called once on an empty chunk before
    the epochs are timed; returns ``(kernels, seconds, train.json's kernels record)``.

    They may have been obtained earlier in this process: that time counts when it fell within
    this training.
    """
    kern = engine.kernels()
    t0 = time.perf_counter()
    _warm_up(kern, inputs, fparams, blocked)
    seconds = time.perf_counter() - t0
    here = kern.started >= t_start
    if here:
        seconds += kern.seconds
    record = {"kind": kern.kind, "built": kern.built and here, "waited_seconds": kern.waited if here else 0.0,
              "seconds": kern.seconds if here else 0.0, "module": str(kern.path) if kern.path is not None else None}
    return kern, seconds, record


def blocked_softmax(cfg: TrainConfig) -> bool:
    """Whether the run trains the full softmax in blocks through BLAS (:mod:`w2v.blocked`): with
    SGD; Adam and AdaGrad run the per-example kernel."""
    return cfg.loss == "softmax" and cfg.optimizer == "sgd"


class _Epochs:
    """The epoch loop: ``workers`` threads take the next chunk of ~10k words in turn and run the
    ``nogil`` kernel on it (Hogwild: the matrices are shared without locks)."""

    def __init__(self, kern, cfg: TrainConfig, inputs: abi.KernelInputs, fparams: np.ndarray, chunk_rows, release):
        self.kern, self.cfg, self.inputs, self.fparams = kern, cfg, inputs, fparams
        self.chunk_rows, self.release = chunk_rows, release
        # the full softmax with SGD trains in blocks through BLAS, which runs the products on
        # --workers threads itself: one Python thread drives it
        self.blocked = blocked_softmax(cfg)
        self.threads = 1 if self.blocked else cfg.workers
        self.total_words = int(inputs.ids.size)
        self.total_work = self.total_words * cfg.epochs
        self.done = 0  # words of the finished epochs
        self.shown = 0  # words shown on the progress bar
        self.lock = threading.Lock()

    def run(self, epoch: int, bar) -> dict:
        """Train one epoch; return its log entry (or raise: a worker's error, divergence)."""
        cfg = self.cfg
        state = {"next": 0, "words": 0, "loss": 0.0, "examples": 0, "kept": 0, "error": None,
                 "busy": {}, "released": 0}
        t_epoch = time.perf_counter()
        threads = [threading.Thread(target=self._worker, args=(epoch, state), daemon=True)
                   for _ in range(self.threads)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.2)
            self.shown = _update_bar(bar, self.done + state["words"], self.shown, state, epoch, cfg)
        self.shown = _update_bar(bar, self.done + state["words"], self.shown, state, epoch, cfg)
        if self.release is not None:
            self.release()
        err = state["error"]
        if isinstance(err, BaseException):
            raise err
        seconds = time.perf_counter() - t_epoch
        mean_loss = state["loss"] / max(state["examples"], 1)
        if err is not None or not math.isfinite(mean_loss) or not np.isfinite(self.inputs.wi).all() \
                or not np.isfinite(self.inputs.wo).all():
            raise W2VError(
                f"training diverged in epoch {epoch + 1} (loss {mean_loss}) with learning rate "
                f"{cfg.learning_rate:g} ({cfg.optimizer}); lower --lr and train again (no vectors were written)")
        self.done += state["words"]
        return {"epoch": epoch + 1, "loss": mean_loss, "examples": state["examples"],
                "words": state["words"], "kept_words": state["kept"], "seconds": seconds,
                "words_per_sec": state["words"] / seconds if seconds > 0 else float("nan"),
                "lr": learning_rate(cfg, self.done / self.total_work)}

    def _worker(self, epoch: int, state: dict) -> None:
        kern, cfg, inputs, rows = self.kern, self.cfg, self.inputs, self.chunk_rows
        fparams = self.fparams.copy()
        loc_o = np.empty((2 * inputs.hot_o.size, cfg.dim), np.float32)  # this thread's hot rows + snapshot
        examples = blocked_mod.ExampleBuffers()
        try:
            while True:
                with self.lock:
                    c = state["next"]
                    if c >= len(rows) or state["error"] is not None:
                        return
                    state["next"] = c + 1
                    state["busy"][threading.get_ident()] = c
                    fparams[abi.F_LR] = learning_rate(cfg, (self.done + state["words"]) / self.total_work)
                rng = kern.seed_state(cfg.seed, epoch, c)
                if self.blocked:
                    loss, n_ex, n_w, n_kept = blocked_mod.train_chunk(kern, inputs, rows[c, 0], rows[c, 1],
                                                                  float(fparams[abi.F_LR]), rng, examples)
                else:
                    args = inputs.chunk_args(rows[c, 0], rows[c, 1], fparams, rng, loc_o)
                    loss, n_ex, n_w, n_kept = kern.train_chunk(*args)
                with self.lock:
                    state["words"] += n_w
                    state["loss"] += loss
                    state["examples"] += n_ex
                    state["kept"] += n_kept
                    if not math.isfinite(loss):
                        state["error"] = float(fparams[abi.F_LR])
                    del state["busy"][threading.get_ident()]
                    if self.release is not None:
                        self._release_done(state)
        except BaseException as exc:  # pragma: no cover - surfaced by run()
            with self.lock:
                state["error"] = exc

    def _release_done(self, state: dict) -> None:
        """Give back the corpus pages before the oldest chunk still in work (called under the lock)."""
        rows, seg_bounds = self.chunk_rows, self.inputs.seg_bounds
        low = min(state["busy"].values(), default=state["next"])
        pos = int(seg_bounds[rows[low, 0]]) if low < len(rows) else self.total_words
        if pos - state["released"] >= RELEASE_WORDS:
            self.release(state["released"], pos)
            state["released"] = pos


def _record(cfg: TrainConfig, V: int, docs: int, inputs: abi.KernelInputs, history: list[dict], t_start: float,
            train_seconds: float, compile_seconds: float, kernels_info: dict) -> dict:
    """train.json's record of a run (without the corpus paths and tags :func:`train_file` adds)."""
    words = sum(e["words"] for e in history)
    return {
        "trainer": "w2v",
        "version": __version__,
        "config": cfg.to_dict(),
        "vocab_size": V,
        "corpus_words": int(inputs.ids.size),
        "corpus_docs": docs,
        "compile_seconds": compile_seconds,
        "kernels": kernels_info,
        "versions": provenance.versions(),
        "train_seconds": train_seconds,
        "wall_seconds": time.perf_counter() - t_start,
        "words_per_sec": words / train_seconds if train_seconds > 0 else float("nan"),
        "loss_per_epoch": [e["loss"] for e in history],
        "final_loss": history[-1]["loss"] if history else float("nan"),
        "epochs_log": history,
    }


def _slots(hot: np.ndarray, n: int) -> np.ndarray:
    """``slot[r]`` = position of row ``r`` in ``hot`` or -1; empty when no row is hot (the kernels' test)."""
    if hot.size == 0:
        return np.zeros(0, np.int32)
    slot = np.full(n, -1, np.int32)
    slot[hot] = np.arange(hot.size, dtype=np.int32)
    return slot


def _warm_up(kern, inputs: abi.KernelInputs, fparams: np.ndarray, blocked: bool = False) -> None:
    """Call ``train_chunk`` once on an empty chunk of the real inputs: the JIT compiles it here, a
    compiled module has its arguments checked; nothing is trained (hot rows are loaded and merged
    back unchanged)."""
    loc_o = np.empty((2 * inputs.hot_o.size, inputs.wi.shape[1]), np.float32)
    kern.train_chunk(*inputs.chunk_args(0, 0, fparams.copy(), kern.seed_state(1, 0, 0), loc_o))
    if blocked:  # and the walk of the blocked full softmax (blocked_softmax)
        blocked_mod.train_chunk(kern, inputs, 0, 0, 0.0, kern.seed_state(1, 0, 0), blocked_mod.ExampleBuffers())


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="word", unit_scale=True, dynamic_ncols=True, mininterval=0.5,
                desc="train", leave=True)


def _update_bar(bar, done, shown, state, epoch, cfg):
    if bar is None:
        return done
    if done > shown:
        bar.update(done - shown)
    loss = state["loss"] / state["examples"] if state["examples"] else float("nan")
    bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs} loss {loss:.4f}", refresh=False)
    return done


# --------------------------------------------------------------------------- from files
def load_corpus(corpus: str | os.PathLike | None, vocab_dir: str | os.PathLike | None,
                min_count: int, max_vocab: int | None, max_docs: int | None, workers: int = 1,
                out_dir: str | os.PathLike | None = None, max_vocab_memory: str | None = None):
    """Vocabulary and encoded corpus, from a vocab-stage directory or by counting a text corpus.

    A plain-text corpus is scanned by ``workers`` processes (:class:`w2v.vocab.CorpusScan`), its
    count tables capped by ``max_vocab_memory`` (:func:`w2v.vocab.prune_words`).
    Its temporary files go to a directory next to ``out_dir`` (the output directory of the
    run; see :func:`w2v.vocab.scan_directory`), else to the system's temporary folder.
    Returns ``(vocab, ids, offsets, vocab_seconds)``.
    """
    t0 = time.perf_counter()
    if vocab_dir is not None:
        vocab, ids, offsets = vocab_mod.load_encoded(vocab_dir, mmap=True)
        return vocab, ids, offsets, time.perf_counter() - t0
    if corpus is None:
        raise W2VError("give a corpus file or --vocab DIR")
    path = Path(corpus)
    if not path.exists():
        raise W2VError(f"{path}: corpus file not found")
    # the ids go to a temporary .npy that is mapped, not read: the corpus is never held in
    # memory (on POSIX the mapping outlives the file, which is deleted on leaving the block)
    with vocab_mod.scan_directory(out_dir) as tmp:
        if max_docs is not None:
            # the vocabulary of a slice is counted on the slice only
            sliced = Path(tmp) / "slice.txt"
            with open(sliced, "w", encoding="utf-8") as dst:
                for line in vocab_mod.corpus_lines(path, max_docs):
                    dst.write(line)
            path = sliced
        ids_path = Path(tmp) / "ids.npy"
        vocab, offsets = _forked(_scan_text, path, ids_path, min_count, max_vocab, workers, max_vocab_memory)
        ids = vocab_mod.open_ids(ids_path)
    return vocab, ids, offsets, time.perf_counter() - t0


def _scan_text(path, ids_path, min_count, max_vocab, workers, max_vocab_memory=None):
    """Count and encode a text corpus in one read; the ids go to ``ids_path``, returns ``(vocab, offsets)``."""
    with vocab_mod.CorpusScan(path, scratch_dir=Path(ids_path).parent, workers=workers,
                              prune_at=vocab_mod.prune_words(max_vocab_memory)) as scan:
        vocab = vocab_mod.Vocabulary.from_counts(scan.counts(), min_count=min_count, max_vocab=max_vocab)
        _, offsets = scan.encode_to_npy(vocab, ids_path)
    return vocab, offsets


def _forked(fn, *args):
    """Run ``fn(*args)`` in a forked child process; return its result or raise its error.

    Everything the child allocates goes back to the system when it exits. Run in
    this process, a corpus scan (a dictionary of every word type, with parallel
    scanning also the types of each range) leaves this process's heap fragmented,
    and the training that follows peaks up to 10 MB higher (IMDb). Where ``fork``
    is not available the call runs here.

    The child never outlives this process, however this one ends (``kill -9``
    included; :func:`w2v.vocab.die_with_parent`), and is killed when the wait for
    it is interrupted (Ctrl-C, SIGTERM).
    """
    import multiprocessing
    import pickle

    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return fn(*args)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    parent = os.getpid()

    def child() -> None:
        receiver.close()
        die_with_parent(parent)
        try:
            outcome = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - passed back and raised in the parent
            outcome = (False, exc)
        try:
            data = pickle.dumps(outcome)
            if not outcome[0]:
                pickle.loads(data)  # an error that cannot be rebuilt in the parent is sent as text
        except Exception as exc:  # noqa: BLE001
            failed = outcome[1] if not outcome[0] else exc
            data = pickle.dumps((False, RuntimeError(f"{type(failed).__name__}: {failed}")))
        sender.send_bytes(data)
        sender.close()

    proc = ctx.Process(target=child, name=f"w2v-{fn.__name__}")
    proc.start()
    sender.close()
    try:
        try:
            ok, value = pickle.loads(receiver.recv_bytes())
        except EOFError:
            proc.join()
            code = proc.exitcode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            raise W2VError(f"the forked process of {fn.__name__} ended without a result ({why}; "
                           f"signal 9 is often the out-of-memory killer); rerun it") from None
    except BaseException:
        proc.kill()
        raise
    finally:
        receiver.close()
        proc.join()
    if not ok:
        raise value
    return value


def _check_out_dir(out: Path) -> None:
    """Refuse, before any training, an output directory the model could not be saved into.

    The save writes a temporary sibling directory and renames it into place:
    the parent must be writable, and so must an existing directory (its old
    files are removed), which must also be one that can be replaced as a whole
    (:func:`w2v.io.check_replaceable`); a missing one is created in its nearest
    existing ancestor, which must be a writable directory.
    """
    fix = "choose another --out or fix the permissions"
    if out.is_symlink() and out.is_dir():
        out = out.resolve()
    if os.path.lexists(out) and not out.is_dir():
        raise W2VError(f"{out}: --out exists and is not a directory; choose another --out")
    probe = out
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise W2VError(f"{out}: cannot create the output directory: {probe} is not a directory; "
                       "choose another --out")
    for d in ((out, out.parent) if probe == out else (probe,)):
        if not os.access(d, os.W_OK | os.X_OK):
            raise W2VError(f"{out}: cannot save the model there: {d} is not writable; {fix}")
    check_replaceable(out)


def train_file(corpus, out_dir, config: TrainConfig, vocab_dir=None, tags: dict | None = None,
               progress: bool = True) -> Model:
    """``w2v train``: read the corpus, train, save into ``out_dir``; returns the model."""
    t0 = time.perf_counter()
    if vocab_dir is None and corpus is not None and not Path(corpus).exists():
        raise W2VError(f"{corpus}: corpus file not found")
    out = Path(out_dir).absolute()
    _check_out_dir(out)  # fail before training, not after
    made, d = [], out  # the folders made here, deepest first: removed again (while empty) if the run fails
    while not os.path.lexists(d):
        made.append(d)
        d = d.parent
    out.mkdir(parents=True, exist_ok=True)  # the output folder appears when training starts
    try:
        vocab, ids, offsets, vocab_seconds = load_corpus(corpus, vocab_dir, config.min_count,
                                                         config.max_vocab, config.max_docs, config.workers,
                                                         out_dir=out, max_vocab_memory=config.max_vocab_memory)
        model = train(vocab, ids, offsets, config, progress=progress)
        model.info["corpus"] = str(corpus) if corpus is not None else None
        model.info["vocab_dir"] = str(vocab_dir) if vocab_dir is not None else None
        model.info["vocab_seconds"] = vocab_seconds
        model.info["wall_seconds"] = time.perf_counter() - t0
        model.info["tags"] = dict(tags or {})
        model.save(out_dir)
    except BaseException:
        for d in made:
            try:
                d.rmdir()
            except OSError:
                break
        raise
    return model
