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
"""

from __future__ import annotations

import array
import contextlib
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

__all__ = ["Vocabulary", "CorpusScan", "build", "load_encoded", "open_ids", "page_releaser"]

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

    After the scan: ``docs``, ``tokens``, ``types``, ``empty_docs``.
    """

    def __init__(self, path, scratch_dir=None, progress: bool = False, batch_tokens: int = 1 << 20,
                 workers: int = 1):
        import tempfile

        self.path = path
        # per range of the corpus: (scratch file, provisional ids of its types, their counts, per batch of
        # whole documents the tokens per document)
        self._parts: list[tuple] = []
        ranges = _line_ranges(path, workers) if workers > 1 else None
        try:
            if ranges is None:
                scratch = tempfile.TemporaryFile(dir=scratch_dir, prefix="w2v-scan-")
                self._parts.append((scratch, None, None, None))
                with _open_corpus(path) as fh, _bar("count", None, progress) as bar:
                    self._parts[0] = (scratch, *_scan_lines(path, fh, scratch, batch_tokens, bar))
            else:
                self._scan_parallel(ranges, scratch_dir, batch_tokens)
        except BaseException:
            self.close()
            raise
        self._counts = self._merged_counts()
        self.docs = sum(int(n.size) for part in self._parts for n in part[3])
        self.tokens = sum(self._counts.values())
        self.types = len(self._counts)
        self.empty_docs = sum(int(np.count_nonzero(n == 0)) for part in self._parts for n in part[3])

    def _scan_parallel(self, ranges, scratch_dir, batch_tokens: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(len(ranges), mp_context=multiprocessing.get_context("fork"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_scan_range, self.path, a, b, scratch_dir, batch_tokens) for a, b in ranges]
            error = None
            for f in futures:  # collect every result, so that no scratch file is left behind
                try:
                    name, words, counts, lengths = f.result()
                except BaseException as exc:
                    error = error or exc
                    continue
                scratch = open(name, "rb")
                os.unlink(name)  # anonymous from now on, as a TemporaryFile
                self._parts.append((scratch, dict(zip(words, range(len(words)))), counts, lengths))
        if error is not None:
            raise error

    def _merged_counts(self) -> dict[str, int]:
        if len(self._parts) == 1:
            _, index, counts, _ = self._parts[0]
            return dict(zip(index, counts.tolist()))
        total: dict[str, int] = {}
        get = total.get
        for _, index, counts, _ in self._parts:
            for w, c in zip(index, counts.tolist()):
                total[w] = get(w, 0) + c
        return total

    def counts(self) -> dict[str, int]:
        """Every type of the corpus with its count (for :meth:`Vocabulary.from_counts`)."""
        return self._counts

    def encode_to_npy(self, vocab: Vocabulary, out) -> tuple[int, np.ndarray]:
        """Write the rows of ``vocab`` for the scanned tokens to ``out``, an int32 ``.npy`` file.

        Tokens outside ``vocab`` are dropped; one batch of whole documents (plus the int64
        offsets, 8 bytes per document) is held in memory at a time. Returns ``(n_ids, offsets)``.
        """
        def batches():
            for scratch, index, _, lengths in self._parts:
                remap = np.full(len(index), -1, dtype=np.int32)
                for row, w in enumerate(vocab.words):
                    i = index.get(w)
                    if i is not None:
                        remap[i] = row
                scratch.flush()
                scratch.seek(0)
                for lens in lengths:
                    n = int(lens.sum())
                    buf = scratch.read(4 * n)
                    if len(buf) != 4 * n:  # pragma: no cover - the scratch file is ours alone
                        raise W2VError(f"{self.path}: scratch file of the corpus scan was cut short")
                    yield _drop_oov(remap[np.frombuffer(buf, dtype=np.int32)], lens.copy())

        return _write_ids_npy(out, batches(), self.path)

    def close(self) -> None:
        for part in self._parts:
            part[0].close()

    def __enter__(self) -> "CorpusScan":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _scan_lines(path, lines, scratch, batch_tokens: int, bar=None):
    """Provisional ids of the tokens of ``lines`` into ``scratch``; ``(index, counts, lengths)``.

    ``index``: type -> provisional id (first occurrence order); ``counts[id]``; ``lengths``: per
    batch of about ``batch_tokens`` tokens (whole documents), the tokens per document.
    """
    index = _FirstSeen()
    lookup = index.__getitem__
    counts = np.zeros(0, np.int64)
    batches: list[np.ndarray] = []

    def flush(raw, lengths):
        nonlocal counts
        scratch.write(raw)
        grown = len(index)
        if counts.size < grown:
            counts = np.concatenate((counts, np.zeros(grown - counts.size, np.int64)))
        counts += np.bincount(np.frombuffer(raw, dtype=np.int32), minlength=grown)
        batches.append(np.frombuffer(lengths, dtype=np.int64).copy())

    raw, lengths = array.array("i"), array.array("q")
    try:
        for line in lines:
            toks = line.split()
            raw.extend(map(lookup, toks))
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
    return index, counts, batches


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


def _scan_range(path, start: int, stop: int, scratch_dir, batch_tokens: int):
    """In a child process: scan one byte range into a named scratch file; ``(name, words, counts, lengths)``."""
    import tempfile

    fd, name = tempfile.mkstemp(dir=scratch_dir, prefix="w2v-scan-")
    try:
        with open(fd, "wb") as scratch:
            index, counts, lengths = _scan_lines(path, _range_lines(path, start, stop), scratch, batch_tokens)
    except BaseException:
        os.unlink(name)
        raise
    return name, list(index), counts, lengths


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
          progress: bool = False) -> dict:
    """Count, select and encode a corpus; write vocab.tsv, ids.npy, offsets.npy, stats.json.

    Returns the stats of ``stats.json`` plus ``seconds``.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        scan = CorpusScan(corpus_path, scratch_dir=out_dir, progress=progress)
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
        "top_words": [[w, int(c)] for w, c in zip(vocab.words[:20], vocab.counts[:20].tolist())],
    }
    write_json(out_dir / "stats.json", stats)  # no timing in the file: same corpus, same bytes
    return {**stats, "seconds": round(time.perf_counter() - t0, 3)}


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
    if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= len(vocab)):
        raise W2VError(f"{d / 'ids.npy'}: ids outside 0..{len(vocab) - 1}; run w2v vocab to rebuild {d}")
    release = page_releaser(ids)
    if release is not None:
        release()  # the check above read every page; they need not stay resident
    return vocab, ids, offsets
