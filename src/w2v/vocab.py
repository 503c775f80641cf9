"""The vocabulary and the encoded corpus the trainer reads.

:func:`build` turns a tokenised corpus (one document per line, tokens separated
by whitespace; see :mod:`w2v.preprocess`) into

- ``vocab.tsv``: header ``index<TAB>word<TAB>count``, one row per kept word,
  sorted by count (descending), ties by word (code-point order);
- ``ids.npy``: int32 row ids of the in-vocabulary tokens, in corpus order
  (rare words are dropped before training, as word2vec.c does);
- ``offsets.npy``: int64, ``n_docs + 1`` entries; document ``d`` is
  ``ids[offsets[d]:offsets[d+1]]`` (empty for an empty document);
- ``stats.json``: counts and the share of tokens dropped as rare.

Counting holds every distinct word of the corpus unless a cap is set
(``--max-vocab-memory``, :func:`prune_words`): then the rarest words are pruned
from the table while counting, as word2vec.c does (:class:`CorpusScan`).
"""

from __future__ import annotations

import array
import contextlib
import itertools
import mmap
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Mapping

import numpy as np

from w2v.errors import W2VError
from w2v.io import GZIP_ERRORS, atomic_open, atomic_path, open_text, text_lines, unreadable, write_json

__all__ = ["Vocabulary", "CorpusScan", "build", "load_encoded", "open_ids", "page_releaser", "memory_bytes",
           "prune_words", "VOCAB_ENTRY_BYTES"]

HEADER = "index\tword\tcount"


class Vocabulary:
    """Words sorted by count (descending, ties by word) with their counts and row index."""

    def __init__(self, words: list[str], counts) -> None:
        self.words: list[str] = list(words)
        self.counts: np.ndarray = np.asarray(counts, dtype=np.int64)
        if self.counts.shape != (len(self.words),):
            raise ValueError("words and counts differ in length")
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("duplicate words in vocabulary")

    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, {int(self.counts.sum())} tokens)"

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], min_count: int = 5,
                    max_vocab: int | None = None) -> "Vocabulary":
        """Keep words with ``count >= min_count``, then the ``max_vocab`` most frequent (all if None)."""
        if min_count < 1:
            raise W2VError(f"min_count={min_count}: must be at least 1")
        if max_vocab is not None and max_vocab < 1:
            raise W2VError(f"max_vocab={max_vocab}: must be at least 1 (or None for no limit)")
        kept = [(w, int(c)) for w, c in counts.items() if c >= min_count]
        for w, _ in kept:
            if not w or len(w.split()) != 1 or w.split()[0] != w:
                raise ValueError(f"vocabulary words must be non-empty and contain no whitespace: {w!r}")
        kept.sort(key=lambda wc: (-wc[1], wc[0]))
        if max_vocab is not None:
            kept = kept[:max_vocab]
        return cls([w for w, _ in kept], [c for _, c in kept])

    def save_tsv(self, path) -> None:
        """Write ``index<TAB>word<TAB>count`` rows under a header, atomically."""
        with atomic_open(path, "w") as fh:
            fh.write(HEADER + "\n")
            for i, (w, c) in enumerate(zip(self.words, self.counts.tolist())):
                fh.write(f"{i}\t{w}\t{c}\n")

    @classmethod
    def load_tsv(cls, path) -> "Vocabulary":
        """Read a file written by :meth:`save_tsv`; W2VError naming the line of a malformed row."""
        words: list[str] = []
        counts: list[int] = []
        fix = "rebuild it with w2v vocab"
        try:
            with open_text(path) as fh:
                header = fh.readline().rstrip("\n")
                if header != HEADER:
                    raise W2VError(f"{path}: line 1 is {header[:60]!r}, expected the header "
                                   f"'index<TAB>word<TAB>count'; {fix}")
                for lineno, line in enumerate(fh, 2):
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) != 3:
                        raise W2VError(f"{path}: line {lineno} has {len(parts)} tab-separated fields, "
                                       f"expected 3 (index, word, count); {fix}")
                    idx, word, count = parts
                    if not idx.isdigit() or int(idx) != len(words):
                        raise W2VError(f"{path}: line {lineno}: index {idx!r}, expected {len(words)}; {fix}")
                    if not word or word.split() != [word]:
                        raise W2VError(f"{path}: line {lineno}: word {word!r} is empty or has whitespace; {fix}")
                    if not count.isdigit():
                        raise W2VError(f"{path}: line {lineno}: count {count!r} is not a non-negative "
                                       f"integer; {fix}")
                    c = int(count)
                    if words and (c > counts[-1] or (c == counts[-1] and word <= words[-1])):
                        raise W2VError(f"{path}: line {lineno}: {word!r} ({c}) is out of order or repeated "
                                       f"(rows must be sorted by count desc, then word); {fix}")
                    words.append(word)
                    counts.append(c)
        except FileNotFoundError:
            raise W2VError(f"{path}: no such vocabulary file; run w2v vocab first") from None
        except UnicodeDecodeError as exc:
            raise W2VError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); {fix}") from None
        return cls(words, counts)


def _corpus_file(path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise W2VError(f"{path}: no such corpus; run w2v prepare first")
    return path


def _open_corpus(path):
    return open_text(_corpus_file(path))


#: What to do about a corpus that cannot be read through (io.unreadable's remedy).
CORPUS_FIX = "rerun w2v prepare (and w2v merge) to rebuild it"


def corpus_lines(path, limit: int | None = None):
    """The first ``limit`` lines (all if None) of a corpus; a W2VError naming it when it is unreadable."""
    for i, line in enumerate(text_lines(_corpus_file(path), CORPUS_FIX)):
        if limit is not None and i >= limit:
            return
        yield line


def _bar(desc: str, total: int | None, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="doc", file=sys.stderr, disable=not enabled, mininterval=1.0)


def _drop_oov(ids: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the ids < 0 (out of vocabulary) of whole documents; ``lens`` (int64, per document) is updated in place."""
    # They are few, so work from their positions (a cumulative count over every token
    # would cost 8 bytes per token at the peak).
    oov = np.flatnonzero(ids < 0)
    if oov.size:
        starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
        oov_doc = np.searchsorted(starts, oov, side="right") - 1
        ids = ids[ids >= 0]
        lens -= np.bincount(oov_doc, minlength=lens.size)
    return ids, lens


def _offsets(lengths: list[np.ndarray]) -> np.ndarray:
    """int64 offsets (``n_docs + 1``, starting at 0) from per-batch document lengths."""
    lens = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return offsets


def _npy_header(n: int) -> bytes:
    """The .npy (version 1.0) header of a 1-d little-endian int32 array of ``n`` items."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<i4", "fortran_order": False, "shape": (n,)})
    return buf.getvalue()


def _write_ids_npy(out, batches, source) -> tuple[int, np.ndarray]:
    """Write the ids of ``(ids, lengths)`` batches to the int32 ``.npy`` file ``out``, atomically.

    Returns ``(n_ids, offsets)``.
    """
    header = _npy_header(1 << 62)  # room for any length: rewritten with the real one at the end
    lens: list[np.ndarray] = []
    n_ids = 0
    with atomic_path(out) as tmp, open(tmp, "wb") as dst:
        dst.write(header)
        for ids, n in batches:
            dst.write(ids.tobytes())
            n_ids += int(ids.size)
            lens.append(n)
        final = _npy_header(n_ids)
        if len(final) != len(header):  # pragma: no cover - both pad to the same 64-byte multiple
            raise W2VError(f"{out}: .npy header length changed while encoding {source}")
        dst.seek(0)
        dst.write(final)
    return n_ids, _offsets(lens)


class _FirstSeen(dict):
    """word -> provisional id, in order of first occurrence (a new word takes the next id)."""

    def __missing__(self, key):
        i = self[key] = len(self)
        return i


#: Bytes of memory per distinct word the count table may hold: ``--max-vocab-memory SIZE``
#: holds at most ``SIZE // VOCAB_ENTRY_BYTES`` words (:func:`prune_words`). Measured with
#: tracemalloc (every allocation of a single-process :class:`CorpusScan`: the word's string,
#: its slot in the table, its count, the copies a pruning makes, the word -> count dictionary
#: built at the end) on a corpus of words of 9.5 characters on average: the peak grows by
#: 166 bytes per word of the cap where the table is full at the end (the worst case; 141 where
#: a pruning is the peak), over a fixed ~9 MiB of batch buffers; the peak RSS of ``w2v vocab``
#: grows by 171 bytes per word (caps of 0.34M and 1.34M words), over ~70 MiB (the interpreter,
#: the buffers, the allocator). A word of more characters takes one byte more per character:
#: 200 bytes leave room for words of ~35 characters on average. With ``workers > 1`` every
#: process holds a table of its own.
VOCAB_ENTRY_BYTES = 200

_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def memory_bytes(size) -> int:
    """Bytes of a memory size written as a whole number and a unit: ``500M``, ``2G`` (K, M, G, T: powers of 1024)."""
    text = size if isinstance(size, str) else None
    if (not text or text[-1].lower() not in _UNITS or not text[:-1].isascii() or not text[:-1].isdigit()
            or text[0] == "0"):
        raise W2VError(f"max_vocab_memory = {size!r} is not a memory size; write a whole number followed by "
                       f"K, M, G or T (powers of 1024), e.g. 500M or 2G")
    return int(text[:-1]) * _UNITS[text[-1].lower()]


def prune_words(max_vocab_memory) -> int | None:
    """The cap in distinct words of a ``--max-vocab-memory`` size (None: no cap): ``bytes // VOCAB_ENTRY_BYTES``."""
    if max_vocab_memory is None:
        return None
    return memory_bytes(max_vocab_memory) // VOCAB_ENTRY_BYTES


class _Table:
    """The distinct words met while counting: word -> slot (:class:`_FirstSeen`) and ``counts[slot]``.

    :meth:`prune` applies the rule of :class:`CorpusScan` and keeps its record:
    ``prunings``, ``threshold`` (the largest threshold used), ``undercount`` (the sum of
    the thresholds: no count of this table is lower than the word's true count by more).
    """

    def __init__(self, cap: int | None = None):
        if cap is not None and cap < 2:
            raise W2VError(f"a count table of {cap} word(s) is too small to prune; allow at least 2 words")
        self.index = _FirstSeen()
        self.counts = np.zeros(0, np.int64)
        self.cap = cap
        self.prunings = self.threshold = self.undercount = 0

    def add(self, slots: np.ndarray, counts=None) -> None:
        """Count the tokens whose slots are ``slots`` (once each, or ``counts[i]`` times)."""
        grown = len(self.index)
        if self.counts.size < grown:
            self.counts = np.concatenate((self.counts, np.zeros(grown - self.counts.size, np.int64)))
        if counts is None:
            self.counts += np.bincount(slots, minlength=grown)
        else:  # distinct slots
            self.counts[slots] += counts

    def prune(self) -> list[str]:
        """Remove the words counted ``<= m`` times, ``m >= 1`` the least that leaves at most ``cap // 2``.

        Returns the words held before, in slot order (the survivors take new slots
        0, 1, ... in that order).
        """
        words = list(self.index)
        n, keep = len(words), self.cap // 2
        counts = self.counts[:n]
        if n <= keep:  # pragma: no cover - callers prune a table holding more than cap // 2 words
            raise AssertionError("nothing to prune")
        m = max(1, int(np.partition(counts, n - keep - 1)[n - keep - 1]))  # the (keep + 1)-th largest
        kept = counts > m
        self.index = _FirstSeen(zip(itertools.compress(words, kept.tolist()), itertools.count()))
        self.counts = counts[kept]
        self.prunings += 1
        self.threshold = max(self.threshold, m)
        self.undercount += m
        return words


def _store_words(fh, words) -> tuple[int, int, int]:
    """Append ``words`` (one per line) to the binary file ``fh``; ``(offset, n_bytes, n_words)``."""
    start = fh.tell()
    for i in range(0, len(words), 1 << 16):
        fh.write(("\n".join(words[i:i + (1 << 16)]) + "\n").encode("utf-8"))
    return start, fh.tell() - start, len(words)


def _stored_words(fh, where: tuple[int, int, int], source):
    """The words :func:`_store_words` wrote at ``where``, read in blocks."""
    offset, left, n = where
    fh.flush()
    fh.seek(offset)
    rest = b""
    while left:
        block = fh.read(min(left, 1 << 22))
        if not block:  # pragma: no cover - the scratch file is ours alone
            raise W2VError(f"{source}: word table of the corpus scan was cut short")
        left -= len(block)
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        for w in lines:
            yield w.decode("utf-8")


PARALLEL_SCAN_BYTES = 8 << 20  # a plain-text corpus smaller than this is scanned by one process


class CorpusScan:
    """Count a corpus and encode it in one read of the text.

    The scan maps every token to a provisional id (the order in which the types
    first occur), writes those ids to an anonymous scratch file in ``scratch_dir``
    and counts them. A vocabulary is then chosen from :meth:`counts`, and
    :meth:`encode_to_npy` translates the scratch ids into its rows, without reading
    or splitting the text a second time (counting, then encoding, would read it
    twice). Close it (or use it as a context manager) to free the scratch files:
    4 bytes per token.

    With ``workers > 1`` a plain-text corpus of at least :data:`PARALLEL_SCAN_BYTES`
    is cut into that many byte ranges at line ends, scanned by as many forked
    processes (each with its own provisional ids and scratch file); the counts are
    summed and the ranges encoded in order, so the result is the same as with
    one process. Compressed corpora are read by one process.

    Pruning (``prune_at``, a number of distinct words, at least 2; None: every
    word is counted exactly). A table of word counts never holds more than
    ``prune_at`` words. Before a line whose tokens could take it past the cap (a
    line of more than ``prune_at - prune_at // 2`` tokens is taken in pieces of
    that many), the table is pruned: every word counted ``<= m`` times is removed,
    ``m >= 1`` the least threshold that leaves at most ``prune_at // 2`` words
    (the threshold of word2vec.c's ``ReduceVocab`` rises by one each time; this one
    rises only as far as the halving needs, so a pruning costs O(cap) and frees
    half the table). A removed word that occurs again starts from 0. Each
    process prunes its own table; the parent sums the tables into one that is
    pruned by the same rule. What holds, with ``U`` the sum of the thresholds of
    every pruning (``undercount``):

    - no word is overcounted; a word is undercounted only if it was removed, and
      then by at most the sum of the thresholds of the prunings that removed it,
      so by at most ``U``;
    - a word seen more than ``U`` times is in :meth:`counts`; a word seen at most
      ``U`` times may be missing;
    - a word whose count is above the threshold at every pruning after its first
      occurrence (those of its process and of the merge) is counted exactly.

    Only the counts are pruned: :meth:`encode_to_npy` writes every occurrence of
    a word of the vocabulary (as word2vec.c, which reads the text again), the
    occurrences before a removal included. A scan that prunes prints one line to
    stderr (``w2v: vocabulary pruned while counting: ...``).

    After the scan: ``docs``, ``tokens`` (exact, pruned or not), ``types`` (the
    words in :meth:`counts`: with pruning, fewer than the corpus has),
    ``empty_docs``, ``prune_at``, ``prunings``, ``threshold`` (the largest
    threshold) and ``undercount`` (``U``; all 0 without pruning).
    """

    def __init__(self, path, scratch_dir=None, progress: bool = False, batch_tokens: int = 1 << 20,
                 workers: int = 1, prune_at: int | None = None):
        import tempfile

        if prune_at is not None and (isinstance(prune_at, bool) or not isinstance(prune_at, int) or prune_at < 2):
            raise W2VError(f"prune_at = {prune_at!r}: the count table must hold at least 2 words; "
                           f"raise --max-vocab-memory")
        self.path = path
        self.prune_at = prune_at
        self.prunings = self.threshold = self.undercount = 0
        # per range of the corpus: (scratch file of the provisional ids, file of the pruned tables or None,
        # epochs, per batch of whole documents the tokens per document). An epoch is a stretch of tokens
        # read between two prunings: (its first token, its table: word -> id, or where it is stored)
        self._parts: list[tuple] = []
        self._tables: list = []  # the final table of each range: (words or None (stored), counts)
        ranges = _line_ranges(path, workers) if workers > 1 else None
        try:
            if ranges is None:
                scratch = tempfile.TemporaryFile(dir=scratch_dir, prefix="w2v-scan-")
                self._parts.append((scratch, None, [], []))
                if prune_at is not None:  # the table of every epoch, for encode_to_npy
                    self._parts[0] = (scratch, tempfile.TemporaryFile(dir=scratch_dir, prefix="w2v-scan-"), [], [])
                tables = self._parts[0][1]
                with _open_corpus(path) as fh, _bar("count", None, progress) as bar:
                    table, lengths, epochs = _scan_lines(path, fh, scratch, batch_tokens, bar, prune_at, tables)
                self._parts[0] = (scratch, tables, epochs, lengths)
                self._tables.append((table.index, table.counts))
                self._record(table)
                del table
            else:
                self._scan_parallel(ranges, scratch_dir, batch_tokens)
            self._counts = self._merged_counts()
        except BaseException:
            self.close()
            raise
        self._tables = []
        self.docs = sum(int(n.size) for part in self._parts for n in part[3])
        self.tokens = sum(int(n.sum()) for part in self._parts for n in part[3])
        self.types = len(self._counts)
        self.empty_docs = sum(int(np.count_nonzero(n == 0)) for part in self._parts for n in part[3])
        if self.prunings:
            print(f"w2v: {self.pruning_note()}", file=sys.stderr)

    def _record(self, table) -> None:
        self.prunings += table.prunings
        self.threshold = max(self.threshold, table.threshold)
        self.undercount += table.undercount

    def pruning_note(self) -> str | None:
        """One line on what pruning while counting may have lost (None: no pruning, every count exact)."""
        if not self.prunings:
            return None
        u = self.undercount
        return (f"vocabulary pruned while counting ({self.prune_at:,} words at most, {self.prunings} "
                f"prunings, threshold up to {self.threshold}): words seen fewer than {u + 1} times may be "
                f"missing or undercounted, and no count is low by more than {u}; raise --max-vocab-memory "
                f"for exact counts")

    def _scan_parallel(self, ranges, scratch_dir, batch_tokens: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(len(ranges), mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_scan_range, self.path, a, b, scratch_dir, batch_tokens, self.prune_at)
                       for a, b in ranges]
            error = None
            for f in futures:  # collect every result, so that no scratch file is left behind
                try:
                    name, tables_name, words, counts, lengths, epochs, record = f.result()
                except BaseException as exc:
                    error = error or exc
                    continue
                scratch = open(name, "rb")
                os.unlink(name)  # anonymous from now on, as a TemporaryFile
                tables = None
                if tables_name is not None:
                    tables = open(tables_name, "rb")
                    os.unlink(tables_name)
                if words is not None:
                    epochs = [(0, dict(zip(words, range(len(words)))))]
                self._parts.append((scratch, tables, epochs, lengths))
                self._tables.append((words, counts))
                self.prunings += record[0]
                self.threshold = max(self.threshold, record[1])
                self.undercount += record[2]
        if error is not None:
            raise error

    def _merged_counts(self) -> dict[str, int]:
        if len(self._parts) == 1:
            index, counts = self._tables[0]
            return dict(zip(index, counts.tolist()))
        if self.prune_at is None:
            total: dict[str, int] = {}
            get = total.get
            for index, counts in self._tables:
                for w, c in zip(index, counts.tolist()):
                    total[w] = get(w, 0) + c
            return total
        # the final tables of the ranges, summed into one table of at most prune_at words
        merged = _Table(self.prune_at)
        step = self.prune_at - self.prune_at // 2
        for (_, counts), (_, tables, epochs, _) in zip(self._tables, self._parts):
            words = _stored_words(tables, epochs[-1][1], self.path)
            for i in range(0, counts.size, step):
                chunk = list(itertools.islice(words, step))
                if len(merged.index) + len(chunk) > self.prune_at:
                    merged.prune()
                lookup = merged.index.__getitem__
                merged.add(np.fromiter(map(lookup, chunk), np.int64, len(chunk)), counts[i:i + step])
        self._record(merged)
        return dict(zip(merged.index, merged.counts[:len(merged.index)].tolist()))

    def counts(self) -> dict[str, int]:
        """Every type of the corpus with its count (for :meth:`Vocabulary.from_counts`); see the class on pruning."""
        return self._counts

    def _remap(self, tables, table, vocab: Vocabulary) -> np.ndarray:
        """Row of ``vocab`` (-1: none) of each provisional id of an epoch's ``table``."""
        if isinstance(table, dict):
            remap = np.full(len(table), -1, dtype=np.int32)
            for row, w in enumerate(vocab.words):
                i = table.get(w)
                if i is not None:
                    remap[i] = row
            return remap
        get = vocab.index.get
        return np.fromiter((get(w, -1) for w in _stored_words(tables, table, self.path)), np.int32, table[2])

    def encode_to_npy(self, vocab: Vocabulary, out) -> tuple[int, np.ndarray]:
        """Write the rows of ``vocab`` for the scanned tokens to ``out``, an int32 ``.npy`` file.

        Tokens outside ``vocab`` are dropped; one batch of whole documents (plus the int64
        offsets, 8 bytes per document) is held in memory at a time. Returns ``(n_ids, offsets)``.
        """
        def batches():
            for scratch, tables, epochs, lengths in self._parts:
                ends = [start for start, _ in epochs[1:]] + [None]  # where each epoch's tokens end
                e, remap, pos = 0, self._remap(tables, epochs[0][1], vocab), 0
                scratch.flush()
                scratch.seek(0)
                for lens in lengths:
                    n = int(lens.sum())
                    buf = scratch.read(4 * n)
                    if len(buf) != 4 * n:  # pragma: no cover - the scratch file is ours alone
                        raise W2VError(f"{self.path}: scratch file of the corpus scan was cut short")
                    ids = np.frombuffer(buf, dtype=np.int32)
                    if ends[e] is None or pos + n <= ends[e]:
                        rows = remap[ids]
                    else:  # the batch spans a pruning: each stretch with its epoch's ids
                        rows = np.empty(n, np.int32)
                        a = 0
                        while a < n:
                            while ends[e] is not None and pos + a >= ends[e]:
                                e += 1
                                remap = self._remap(tables, epochs[e][1], vocab)
                            b = n if ends[e] is None else min(n, ends[e] - pos)
                            rows[a:b] = remap[ids[a:b]]
                            a = b
                    pos += n
                    yield _drop_oov(rows, lens.copy())

        return _write_ids_npy(out, batches(), self.path)

    def close(self) -> None:
        for part in self._parts:
            part[0].close()
            if part[1] is not None:
                part[1].close()

    def __enter__(self) -> "CorpusScan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _scan_lines(path, lines, scratch, batch_tokens: int, bar=None, prune_at: int | None = None, tables=None):
    """Provisional ids of the tokens of ``lines`` into ``scratch``; ``(table, lengths, epochs)``.

    ``table``: a :class:`_Table` (type -> provisional id in first occurrence order since the
    last pruning, and the counts); ``lengths``: per batch of about ``batch_tokens`` tokens
    (whole documents), the tokens per document; ``epochs``: ``(first token, table)`` of each
    stretch between prunings (see :class:`CorpusScan`). With ``prune_at``, the table of every
    epoch, the last one included, is written to the binary file ``tables``; without, the one
    epoch's table is ``table.index``.
    """
    table = _Table(prune_at)
    index = table.index
    lookup = index.__getitem__
    batches: list[np.ndarray] = []
    epochs: list[tuple] = []
    limit = prune_at if prune_at is not None else float("inf")
    step = prune_at - prune_at // 2 if prune_at is not None else None  # room a pruning leaves
    written = counted = epoch_start = 0  # tokens written to scratch; of the batch, tokens counted

    def flush(raw, lengths):
        nonlocal written, counted
        scratch.write(raw)
        table.add(np.frombuffer(raw, dtype=np.int32)[counted:])
        written += len(raw)
        counted = 0
        batches.append(np.frombuffer(lengths, dtype=np.int64).copy())

    def prune(raw):
        nonlocal counted, epoch_start
        table.add(np.frombuffer(raw[counted:], dtype=np.int32))  # the tokens read with the old ids
        counted = len(raw)
        epochs.append((epoch_start, _store_words(tables, table.prune())))
        epoch_start = written + len(raw)
        return table.index

    raw, lengths = array.array("i"), array.array("q")
    try:
        for line in lines:
            toks = line.split()
            if len(index) + len(toks) <= limit:
                raw.extend(map(lookup, toks))
            else:
                for i in range(0, len(toks), step):
                    piece = toks[i:i + step]
                    if len(index) + len(piece) > limit:
                        index = prune(raw)
                        lookup = index.__getitem__
                    raw.extend(map(lookup, piece))
            lengths.append(len(toks))
            if len(raw) >= batch_tokens:
                flush(raw, lengths)
                raw, lengths = array.array("i"), array.array("q")
            if bar is not None:
                bar.update(1)
    except (UnicodeDecodeError, *GZIP_ERRORS) as exc:
        raise unreadable(path, exc, CORPUS_FIX) from None
    except OverflowError:  # pragma: no cover - 2**31 distinct words
        raise W2VError(f"{path}: more than {np.iinfo(np.int32).max} distinct words") from None
    if lengths:
        flush(raw, lengths)
    table.add(np.zeros(0, np.int32))  # counts for every word, even with no token counted since a pruning
    if prune_at is None:
        epochs.append((0, table.index))
    else:
        epochs.append((epoch_start, _store_words(tables, list(table.index))))
    return table, batches, epochs


def _line_ranges(path, n: int) -> list[tuple[int, int]] | None:
    """``n`` byte ranges of a plain-text file, each ending at a line end; None: scan it in one piece."""
    path = Path(path)
    if path.suffix == ".gz" or not path.is_file() or "fork" not in _start_methods():
        return None
    size = path.stat().st_size
    if size < PARALLEL_SCAN_BYTES:
        return None
    cuts = [0]
    with open(path, "rb") as fh:
        for i in range(1, n):
            fh.seek(max(size * i // n, cuts[-1]))
            fh.readline()  # to the start of the next line
            pos = fh.tell()
            if pos >= size:
                break
            if pos > cuts[-1]:
                cuts.append(pos)
    cuts.append(size)
    return list(zip(cuts[:-1], cuts[1:])) if len(cuts) > 2 else None


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a forked child of process ``parent``: make sure the child ends when the parent does.

    A parent killed outright (``kill -9``, the out-of-memory killer) cannot tell its
    children, and a pool worker would wait on its pipe for ever, holding its scratch
    files. On Linux the kernel sends the child SIGKILL when the parent exits
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread polls the parent's pid.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before the request took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):  # pragma: no cover - no usable libc
            pass

    def watch() -> None:  # pragma: no cover - not Linux
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="w2v-die-with-parent", daemon=True).start()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


def _host() -> str:
    import re
    import socket

    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"


@contextlib.contextmanager
def scan_directory(out_dir=None):
    """A temporary directory for the files of a corpus scan (4 bytes per token), removed on leaving.

    With ``out_dir`` it is ``.<name>.scan-<pid>@<host>-XXXXXXXX`` next to ``out_dir``,
    on the file system of the output and not in the system's temporary folder; the
    directories of this kind that a killed run left there (their process, on this
    host, is gone) are removed first. Without it, a ``w2v-`` directory in the
    system's temporary folder.
    """
    import glob
    import shutil
    import tempfile

    if out_dir is None:
        with tempfile.TemporaryDirectory(prefix="w2v-", ignore_cleanup_errors=True) as tmp:
            yield Path(tmp)
        return
    out = Path(os.path.abspath(out_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    prefix, host = f".{out.name}.scan-", _host()
    for stale in out.parent.glob(glob.escape(prefix) + "*@*"):
        pid, _, rest = stale.name[len(prefix):].partition("@")
        if pid.isdigit() and rest.rpartition("-")[0] == host and not _pid_alive(int(pid)) and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}@{host}-", dir=out.parent,
                                     ignore_cleanup_errors=True) as tmp:
        yield Path(tmp)


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _range_lines(path, start: int, stop: int):
    """The lines (decoded, newline kept) of bytes ``start .. stop-1`` of a file, as :func:`open_text` reads them."""
    with open(path, "rb") as fh:
        fh.seek(start)
        pos = start
        for raw in fh:
            yield raw.decode("utf-8")
            pos += len(raw)
            if pos >= stop:
                return


def _scan_range(path, start: int, stop: int, scratch_dir, batch_tokens: int, prune_at: int | None = None):
    """In a child process: scan one byte range into named scratch files.

    Returns ``(name, tables_name, words, counts, lengths, epochs, (prunings, threshold, undercount))``:
    without ``prune_at``, ``tables_name`` is None and ``words`` the types in id order; with it,
    ``words`` is None and every table, the final one last, is in the file ``tables_name``.
    """
    import tempfile

    made = []
    try:
        fd, name = tempfile.mkstemp(dir=scratch_dir, prefix="w2v-scan-")
        made.append(name)
        tables_name = None
        with contextlib.ExitStack() as stack:
            scratch = stack.enter_context(open(fd, "wb"))
            tables = None
            if prune_at is not None:
                tfd, tables_name = tempfile.mkstemp(dir=scratch_dir, prefix="w2v-scan-")
                made.append(tables_name)
                tables = stack.enter_context(open(tfd, "w+b"))
            table, lengths, epochs = _scan_lines(path, _range_lines(path, start, stop), scratch, batch_tokens,
                                                 prune_at=prune_at, tables=tables)
    except BaseException:
        for made_name in made:
            os.unlink(made_name)
        raise
    words = list(table.index) if prune_at is None else None
    if prune_at is None:
        epochs = None
    record = (table.prunings, table.threshold, table.undercount)
    return name, tables_name, words, table.counts, lengths, epochs, record


def open_ids(path) -> np.ndarray:
    """Map an int32 ``ids.npy`` copy-on-write: a writable array whose pages come from the file.

    Writable so that the Numba kernels see the same array type as for an in-memory
    corpus (no second compilation); writes would never reach the file.
    """
    try:
        a = np.load(path, mmap_mode="c", allow_pickle=False)
    except FileNotFoundError:
        raise W2VError(f"{path}: missing; run w2v vocab to build it") from None
    except ValueError as exc:
        raise W2VError(f"{path}: not a valid .npy file ({exc}); run w2v vocab to rebuild it") from None
    if a.dtype != np.int32 or a.ndim != 1:
        raise W2VError(f"{path}: expected a 1-d int32 array, got {a.ndim}-d {a.dtype}; run w2v vocab to rebuild it")
    return a


def page_releaser(a: np.ndarray):
    """For an array that lives in a file mapping: ``release(start, stop)`` drops its items ``start..stop-1``.

    Dropped pages leave the resident set (file-backed pages count in RSS while
    mapped); reading them again faults them back in from the page cache, so a
    release never changes what the array holds. ``None`` for an in-memory array
    (or where ``madvise`` is not available).
    """
    base = a
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if base is None or not hasattr(mmap, "MADV_DONTNEED") or a.ndim != 1 or not a.flags.c_contiguous:
        return None
    mm = base
    start_addr = np.frombuffer(mm, dtype=np.uint8).ctypes.data
    first = a.ctypes.data - start_addr  # byte offset of a[0] in the mapping
    item = a.itemsize
    page = mmap.PAGESIZE
    size = len(mm)

    def release(start: int = 0, stop: int | None = None) -> None:
        stop = a.size if stop is None else min(int(stop), a.size)
        lo = (first + int(start) * item) // page * page
        hi = min(first + stop * item, size)
        if hi > lo:
            mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)

    return release


def _save_npy(path, arr: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, arr)


def build(corpus_path, out_dir, min_count: int = 5, max_vocab: int | None = None,
          progress: bool = False, max_vocab_memory: str | None = None, workers: int = 1) -> dict:
    """Count, select and encode a corpus; write vocab.tsv, ids.npy, offsets.npy, stats.json.

    ``max_vocab_memory`` (``"500M"``, ``"2G"``; None: no cap) caps the words held while
    counting at :func:`prune_words` of it (see :class:`CorpusScan` on pruning); stats.json
    records the cap (``prune_at``) and what the pruning did (``prunings``, ``prune_threshold``,
    ``max_undercount``: no count is lower than the word's true count by more; 0 without pruning).
    ``workers`` processes count a plain-text corpus (:class:`CorpusScan`; the same result).
    Returns the stats of ``stats.json`` plus ``seconds``.
    """
    t0 = time.perf_counter()
    prune_at = prune_words(max_vocab_memory)
    if prune_at is not None and prune_at < 2:  # pragma: no cover - the smallest size, 1K, holds 3 words
        raise W2VError(f"max_vocab_memory = {max_vocab_memory!r} holds fewer than 2 words; raise it")
    if workers < 1:
        raise W2VError(f"--workers {workers}: must be at least 1")
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        scan = CorpusScan(corpus_path, scratch_dir=out_dir, progress=progress, prune_at=prune_at, workers=workers)
    except BaseException:
        if created:  # an unreadable corpus leaves no empty output directory behind
            try:
                out_dir.rmdir()
            except OSError:
                pass
        raise
    with scan:
        n_docs, n_tokens, n_types, n_empty = scan.docs, scan.tokens, scan.types, scan.empty_docs
        vocab = Vocabulary.from_counts(scan.counts(), min_count=min_count, max_vocab=max_vocab)
        if len(vocab) == 0:
            raise W2VError(f"{corpus_path}: no word occurs at least {min_count} times "
                           f"({n_tokens} tokens, {n_types} types); lower --min-count")
        kept, offsets = scan.encode_to_npy(vocab, out_dir / "ids.npy")
        pruning = {"max_vocab_memory": max_vocab_memory, "prune_at": prune_at, "prunings": scan.prunings,
                   "prune_threshold": scan.threshold, "max_undercount": scan.undercount}
    vocab.save_tsv(out_dir / "vocab.tsv")
    _save_npy(out_dir / "offsets.npy", offsets)
    stats = {
        "corpus": str(corpus_path),
        "docs": n_docs,
        "empty_docs": n_empty,
        "docs_without_kept_tokens": int(np.count_nonzero(np.diff(offsets) == 0)),
        "tokens": n_tokens,
        "types": n_types,
        "kept_types": len(vocab),
        "kept_tokens": kept,
        "dropped_rare_share": round(1.0 - kept / n_tokens, 6) if n_tokens else 0.0,
        "min_count": min_count,
        "max_vocab": max_vocab,
        **pruning,
        "top_words": [[w, int(c)] for w, c in zip(vocab.words[:20], vocab.counts[:20].tolist())],
    }
    write_json(out_dir / "stats.json", stats)  # no timing in the file: same corpus, same bytes
    return {**stats, "seconds": round(time.perf_counter() - t0, 3)}


ID_CHECK_BLOCK = 1 << 24  # ids checked (and their pages dropped) at a time by load_encoded: 64 MB


def load_encoded(dir, mmap: bool = True) -> tuple[Vocabulary, np.ndarray, np.ndarray]:
    """Load ``(vocab, ids, offsets)`` written by :func:`build`.

    ids are memory-mapped copy-on-write (writable, never written back) unless ``mmap=False``.
    """
    d = Path(dir)
    vocab = Vocabulary.load_tsv(d / "vocab.tsv")
    arrays = []
    for name, dtype in (("ids.npy", np.int32), ("offsets.npy", np.int64)):
        p = d / name
        try:
            a = np.load(p, mmap_mode="c" if mmap and name == "ids.npy" else None, allow_pickle=False)
        except FileNotFoundError:
            raise W2VError(f"{p}: missing; run w2v vocab to build {d}") from None
        except ValueError as exc:
            raise W2VError(f"{p}: not a valid .npy file ({exc}); run w2v vocab to rebuild {d}") from None
        if a.dtype != dtype or a.ndim != 1:
            raise W2VError(f"{p}: expected a 1-d {np.dtype(dtype).name} array, got {a.ndim}-d {a.dtype}; "
                           f"run w2v vocab to rebuild {d}")
        arrays.append(a)
    ids, offsets = arrays
    if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(ids) or np.any(np.diff(offsets) < 0):
        raise W2VError(f"{d / 'offsets.npy'}: does not index ids.npy ({len(ids)} ids); "
                       f"run w2v vocab to rebuild {d}")
    # the range check reads every id: a block at a time, each block's pages dropped before the next
    # is read, so that a mapped corpus is never resident as a whole
    release = page_releaser(ids)
    for lo in range(0, len(ids), ID_CHECK_BLOCK):
        block = ids[lo:lo + ID_CHECK_BLOCK]
        if int(block.min()) < 0 or int(block.max()) >= len(vocab):
            raise W2VError(f"{d / 'ids.npy'}: ids outside 0..{len(vocab) - 1}; run w2v vocab to rebuild {d}")
        if release is not None:
            release(lo, lo + ID_CHECK_BLOCK)
    return vocab, ids, offsets
