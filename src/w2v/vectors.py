"""Word vectors: similarity queries, analogies and the word2vec file formats.

:class:`KeyedVectors` is modelled on gensim's class of the same name (same
method names and the same scoring rules), so results can be compared with
gensim one to one, but it depends on numpy only.

File formats (as written by Mikolov's ``word2vec.c``; both may be gzip-compressed,
which is detected from the magic bytes, not the name):

- text: a header ``"<n> <d>\\n"``, then one line per word: ``word v1 ... vd\\n``;
- binary: the same header, then per word ``word`` + one space + ``d`` little-endian
  float32 values (``4 d`` bytes) + an optional ``\\n`` (``word2vec.c`` writes it,
  gensim does not; the reader accepts both).

Files are streamed: ``limit=N`` reads only the first ``N`` words, and a binary
file is read in blocks of 1 MiB, so Google's 3.6 GB News vectors never sit in
memory twice. Words must not contain spaces or newlines, and are at most
1 MiB long (UTF-8). Before allocating, the header is checked against the size
of the file (a gzip file by how far DEFLATE can expand it); devices and pipes
are refused. Vectors with NaN or infinite values are refused unless asked for.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from w2v.errors import W2VError
from w2v.io import MAX_INFLATE_RATIO, atomic_open, check_manifest

__all__ = ["VECTORS_FILE", "VOCAB_FILE", "KeyedVectors"]

#: The vectors file inside a model directory (``w2v train --out DIR``).
VECTORS_FILE = "vectors.bin"
#: The vocabulary (``index<TAB>word<TAB>count``, with a header) inside a model directory.
VOCAB_FILE = "vocab.tsv"

_CHUNK = 1 << 20  # bytes read at a time
_MAX_WORD_BYTES = 1 << 20  # longer words are not written, and a record with one is malformed
_MAX_HEADER_BYTES = 1 << 16  # a first line longer than this is no header
_MAX_VALUE_BYTES = 64  # per value of a text line, generously: a text line is at most word + d * this
_GZIP_MAGIC = b"\x1f\x8b"


class KeyedVectors:
    """A vocabulary (``index_to_key``) with one float32 vector per word.

    ``vectors`` is C-contiguous float32 of shape ``(n, d)``; row ``i`` belongs to
    ``index_to_key[i]``. ``counts`` (int64, optional) are corpus frequencies;
    the word order is expected to be by descending frequency (as ``w2v train``
    and ``word2vec.c`` write it), which ``restrict_vocab`` relies on.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, counts: np.ndarray | None = None):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-d array, got shape {vectors.shape}")
        self.index_to_key: list[str] = list(words)
        if len(self.index_to_key) != vectors.shape[0]:
            raise ValueError(f"{len(self.index_to_key)} words but {vectors.shape[0]} vectors")
        self.key_to_index: dict[str, int] = {}
        for i, w in enumerate(self.index_to_key):
            if w in self.key_to_index:
                raise ValueError(f"duplicate word {w!r} at indices {self.key_to_index[w]} and {i}")
            self.key_to_index[w] = i
        self.vectors = vectors
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(self.index_to_key),):
                raise ValueError(f"counts must have shape ({len(self.index_to_key)},), got {counts.shape}")
        self.counts = counts
        self._normed: np.ndarray | None = None

    # ------------------------------------------------------------------ basics
    @property
    def vector_size(self) -> int:
        """The dimension ``d`` of the vectors."""
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word) -> bool:
        return word in self.key_to_index

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, {self.vector_size} dimensions)"

    def get_index(self, word: str) -> int:
        """The row of ``word``; ``KeyError`` naming the word if it is absent."""
        try:
            return self.key_to_index[word]
        except KeyError:
            raise KeyError(f"word {word!r} not in vocabulary") from None

    def __getitem__(self, words):
        """The vector of a word, or a ``(k, d)`` array for a list of words."""
        if isinstance(words, str):
            return self.vectors[self.get_index(words)]
        return self.vectors[[self.get_index(w) for w in words]]

    def get_normed_vectors(self) -> np.ndarray:
        """All vectors scaled to unit length (cached); zero vectors stay zero."""
        if self._normed is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            self._normed = np.ascontiguousarray(self.vectors / norms, dtype=np.float32)
        return self._normed

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        normed = self.get_normed_vectors()
        return float(normed[self.get_index(w1)] @ normed[self.get_index(w2)])

    # ----------------------------------------------------------------- queries
    def _terms(self, items) -> tuple[list[np.ndarray], list[int]]:
        """Unit vectors of words (or given vectors) and the indices of the words."""
        if isinstance(items, (str, np.ndarray)):
            items = [items]
        normed = self.get_normed_vectors()
        vecs, idx = [], []
        for item in items:
            if isinstance(item, np.ndarray):
                norm = np.linalg.norm(item)
                vecs.append((item / norm if norm else item).astype(np.float32))
            else:
                i = self.get_index(item)
                vecs.append(normed[i])
                idx.append(i)
        return vecs, idx

    def _top(self, scores: np.ndarray, exclude: Iterable[int], topn: int) -> list[tuple[str, float]]:
        """The ``topn`` best-scoring words, skipping ``exclude``; ties by index."""
        exclude = set(exclude)
        k = min(len(scores), topn + len(exclude))
        if k <= 0:
            return []
        cand = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        cand = cand[np.lexsort((cand, -scores[cand]))]
        out = [(self.index_to_key[i], float(scores[i])) for i in cand if i not in exclude]
        return out[:topn]

    def most_similar(self, positive=(), negative=(), topn: int | None = 10,
                     restrict_vocab: int | None = None):
        """Words closest to the mean of the unit ``positive`` minus ``negative`` vectors (3CosAdd).

        Items are words or vectors. The input words are never returned. Only the
        first ``restrict_vocab`` words are candidates. With ``topn=None`` the
        cosine of every candidate is returned as an array. As gensim's
        ``most_similar``.
        """
        pos, pos_idx = self._terms(positive)
        neg, neg_idx = self._terms(negative)
        if not pos and not neg:
            raise ValueError("most_similar needs at least one positive or negative word")
        mean = np.sum(pos + [-v for v in neg], axis=0, dtype=np.float32) / (len(pos) + len(neg))
        norm = np.linalg.norm(mean)
        if norm:
            mean = mean / norm
        scores = self.get_normed_vectors()[:restrict_vocab] @ mean.astype(np.float32)
        if topn is None:
            return scores
        return self._top(scores, pos_idx + neg_idx, topn)

    def most_similar_cosmul(self, positive=(), negative=(), topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """Words maximising ``prod((1+cos(w,p))/2) / (prod((1+cos(w,n))/2) + 1e-6)`` (3CosMul).

        Levy & Goldberg (2014), eq. 4 with cosines shifted to [0, 1]; the input
        words are never returned. As gensim's ``most_similar_cosmul``.
        """
        pos, pos_idx = self._terms(positive)
        neg, neg_idx = self._terms(negative)
        if not pos:
            raise ValueError("most_similar_cosmul needs at least one positive word")
        normed = self.get_normed_vectors()[:restrict_vocab]
        num = np.prod([(1 + normed @ v) / 2 for v in pos], axis=0)
        den = np.prod([(1 + normed @ v) / 2 for v in neg], axis=0) if neg else 1.0
        scores = num / (den + 1e-6)
        if topn is None:
            return scores
        return self._top(scores, pos_idx + neg_idx, topn)

    def analogy(self, a: str, b: str, c: str, method: str = "add", topn: int = 1,
                restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Answer ``a : b :: c : ?`` (``b - a + c``); e.g. ``analogy("man", "king", "woman")``.

        ``method`` is ``"add"`` (3CosAdd) or ``"mul"`` (3CosMul).
        """
        if method == "add":
            return self.most_similar([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        if method == "mul":
            return self.most_similar_cosmul([b, c], [a], topn=topn, restrict_vocab=restrict_vocab)
        raise ValueError(f"analogy method must be 'add' or 'mul', not {method!r}")

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word farthest (by cosine) from the normalised mean of the unit vectors.

        Words not in the vocabulary are ignored, as in gensim.
        """
        used = [w for w in words if w in self.key_to_index]
        if not used:
            raise ValueError("doesnt_match: none of the words is in the vocabulary")
        vecs = self.get_normed_vectors()[[self.key_to_index[w] for w in used]]
        mean = vecs.mean(axis=0)
        norm = np.linalg.norm(mean)
        dists = vecs @ (mean / norm if norm else mean)
        return used[int(np.argmin(dists))]

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | os.PathLike, **kwargs) -> KeyedVectors:
        """Load a model directory (``DIR/vectors.bin``, counts from ``DIR/vocab.tsv``) or a vectors file.

        ``kwargs`` go to :meth:`load_word2vec_format`.
        """
        path = Path(path)
        if path.is_dir():
            vec_path = path / VECTORS_FILE
            if not vec_path.is_file():
                raise W2VError(f"{path}: model directory has no {VECTORS_FILE}; train a model into it first")
            vocab_path = path / VOCAB_FILE
            # a model saved with a manifest: its files must be the ones saved together
            check_manifest(path, [VECTORS_FILE] + ([VOCAB_FILE] if vocab_path.is_file() else []))
            kv = cls.load_word2vec_format(vec_path, **kwargs)
            if vocab_path.is_file():
                kv.counts = _counts_from_vocab(vocab_path, kv)
            return kv
        if not path.exists():
            raise W2VError(f"{path}: no such model directory or vectors file")
        return cls.load_word2vec_format(path, **kwargs)

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike, binary: bool | None = None,
                             limit: int | None = None, encoding: str = "utf8",
                             unicode_errors: str = "strict", datatype=np.float32,
                             allow_nonfinite: bool = False) -> KeyedVectors:
        """Read a word2vec text or binary file (optionally gzip), streaming.

        ``binary=None`` detects the format from the first record. ``limit``
        keeps the first ``limit`` words and stops reading there. Words are
        decoded with ``encoding`` and ``unicode_errors`` (``"strict"``,
        ``"replace"``, ``"ignore"``; gensim's meaning). Of repeated words the
        first is kept (with a warning), as in gensim. Problems with the file
        raise :class:`W2VError` naming the file, the word and the byte offset.
        Vectors with NaN or infinite values (a diverged training) are refused
        unless ``allow_nonfinite``: every query involving them would give ``nan``.
        """
        path = Path(path)
        irregular = W2VError(f"{path}: not a regular file (a device, pipe or socket); "
                             "save the vectors to a file and load that")
        with contextlib.suppress(OSError):  # before opening: opening a pipe would wait for a writer
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise irregular
        try:
            raw = open(path, "rb")
        except OSError as exc:
            raise W2VError(f"{path}: cannot open vectors file ({exc.strerror})") from None
        with raw:
            st = os.fstat(raw.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise irregular
            magic = raw.read(2)
            raw.seek(0)
            packed = magic == _GZIP_MAGIC
            stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if packed else raw
            try:
                reader = _Reader(stream, path)
                n, d = reader.header()
                if limit is not None:
                    n = min(n, max(int(limit), 0))
                # the most bytes that can follow the header: what a row needs bounds n and d
                room = (st.st_size * MAX_INFLATE_RATIO if packed else st.st_size) - reader.offset
                reader.check_size(n, d, room, packed, binary=False)
                if binary is None:
                    binary = reader.sniff_binary(d) if n else True
                if binary:
                    reader.check_size(n, d, room, packed, binary=True)
                words_bytes, vectors = (reader.binary_records if binary else reader.text_records)(n, d)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise W2VError(f"{path}: cannot read vectors file ({exc})") from None
        if not allow_nonfinite:
            _refuse_nonfinite(vectors, words_bytes, path)
        words = _decode_words(words_bytes, reader.word_offsets, path, encoding, unicode_errors)
        words, vectors = _drop_duplicates(words, vectors, path)
        return cls(words, vectors.astype(datatype, copy=False))

    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = True) -> None:
        """Write the vectors in word2vec format, atomically; a ``.gz`` name compresses.

        Binary records end in ``\\n`` as ``word2vec.c`` writes them. Text values
        are the shortest decimal that reads back as the same float32.
        """
        path = Path(path)
        for i, w in enumerate(self.index_to_key):
            if not w or any(ch in w for ch in " \n\r\t"):
                raise W2VError(f"{path}: word {i + 1} ({w!r}) is empty or contains whitespace; "
                               "the word2vec format cannot store it")
            if len(w) * 4 > _MAX_WORD_BYTES and len(w.encode("utf8")) > _MAX_WORD_BYTES:
                raise W2VError(f"{path}: word {i + 1} ({w[:20]!r}...) is {len(w.encode('utf8'))} bytes long, "
                               f"more than the {_MAX_WORD_BYTES} the reader accepts; drop such tokens "
                               "from the corpus")
        with atomic_open(path, "wb") as fh:
            fh.write(f"{len(self)} {self.vector_size}\n".encode())
            vecs = self.vectors.astype("<f4", copy=False)
            if binary:
                for w, v in zip(self.index_to_key, vecs):
                    fh.write(w.encode("utf8") + b" " + v.tobytes() + b"\n")
            else:
                for w, v in zip(self.index_to_key, self.vectors):
                    fh.write(f"{w} {' '.join(map(str, v))}\n".encode())


# ---------------------------------------------------------------------- reader
class _Reader:
    """A byte stream read in blocks, tracking the absolute offset of each record."""

    def __init__(self, stream: IO[bytes], path: Path):
        self.stream = stream
        self.path = path
        self.buf = b""
        self.pos = 0  # position in buf
        self.base = 0  # absolute offset of buf[0]
        self.eof = False
        self.word_offsets: list[int] = []

    def fill(self, need: int = 1) -> bool:
        """Make at least ``need`` bytes available after ``pos``; False at end of file."""
        while len(self.buf) - self.pos < need:
            if self.eof:
                return False
            block = self.stream.read(max(_CHUNK, need))
            if not block:
                self.eof = True
                return False
            self.base += self.pos
            self.buf = self.buf[self.pos:] + block
            self.pos = 0
        return True

    @property
    def offset(self) -> int:
        """The absolute offset of the next byte."""
        return self.base + self.pos

    def readline(self, limit: int) -> bytes:
        """The next line including its ``\\n`` (without it at end of file); b"" at end of file.

        A line longer than ``limit`` bytes comes back as its first ``limit`` bytes
        (no ``\\n``), the rest unread: a file without newlines is never held whole.
        """
        while True:
            j = self.buf.find(b"\n", self.pos, self.pos + limit)
            if j >= 0:
                line = self.buf[self.pos:j + 1]
                self.pos = j + 1
                return line
            if len(self.buf) - self.pos >= limit:
                line = self.buf[self.pos:self.pos + limit]
                self.pos += limit
                return line
            if not self.fill(len(self.buf) - self.pos + 1):
                line = self.buf[self.pos:]
                self.pos = len(self.buf)
                return line

    def check_size(self, n: int, d: int, room: int, packed: bool, binary: bool) -> None:
        """Refuse a header whose ``n`` records of ``d`` values cannot fit in the ``room`` bytes left.

        A binary record is at least a 1-byte word, a space and ``4 d`` bytes; a
        text line is counted as at least ``d + 1`` bytes (it needs about twice
        that; the loose bound lets a file that is only a little short be read up
        to the line that is wrong, which is then named). Either way what is
        allocated is at most a few times the file. Checked before anything of
        size ``n x d`` is allocated or read.
        """
        if n == 0:
            return
        row = 4 * d + 2 if binary else d + 1
        need = n * row - 1  # the last record may lack its newline
        if need <= room:
            return
        fits = max(room + 1, 0) // row
        held = f"at most {max(room, 0)} bytes can follow it in this gzip file" if packed \
            else f"{max(room, 0)} bytes follow it"
        raise W2VError(f"{self.path}: word {fits + 1} of {n} is past the end: the file ends before word {fits + 1} "
                       f"of {n}, as the header's {n} words of {d} dimensions need at least {need} bytes "
                       f"({'binary' if binary else 'text'}) and {held}; is the header right, or is the file "
                       "truncated?")

    def header(self) -> tuple[int, int]:
        line = self.readline(_MAX_HEADER_BYTES)
        if not line:
            raise W2VError(f"{self.path}: empty file; expected a word2vec header '<words> <dimensions>'")
        parts = line.split()
        try:
            n, d = (int(p) for p in parts)
        except ValueError:
            shown = line[:60].decode("latin-1").strip()
            raise W2VError(f"{self.path}: first line {shown!r} is not a word2vec header '<words> <dimensions>'; "
                           "is this a word2vec file (GloVe files have no header)?") from None
        if n < 0 or d < 1:
            raise W2VError(f"{self.path}: header says {n} words of {d} dimensions; both must be positive")
        return n, d

    def sniff_binary(self, d: int) -> bool:
        """True unless the first record is a text line ``word`` + ``d`` numbers.

        The line is looked for as far as a text line may go (a word of up to
        :data:`_MAX_WORD_BYTES`), reading no more than the file holds.
        """
        limit = _MAX_WORD_BYTES + (d + 1) * _MAX_VALUE_BYTES
        while True:
            end = self.buf.find(b"\n", self.pos, self.pos + limit)
            if end >= 0 or len(self.buf) - self.pos >= limit or not self.fill(len(self.buf) - self.pos + 1):
                break
        line = self.buf[self.pos:end if end >= 0 else self.pos + limit].rstrip()
        parts = line.split(b" ")
        if len(parts) != d + 1:
            return True
        try:
            [float(p) for p in parts[1:]]
        except ValueError:
            return True
        return False

    def _where(self, i: int) -> str:
        return f"{self.path}: word {i + 1} (byte offset {self.base + self.pos})"

    def binary_records(self, n: int, d: int) -> tuple[list[bytes], np.ndarray]:
        """Read ``n`` binary records into a list of word bytes and an ``(n, d)`` float32 array."""
        nbytes = 4 * d
        out = np.empty((n, d), dtype="<f4")
        dest = memoryview(out.reshape(-1).view(np.uint8))
        words: list[bytes] = []
        offsets = self.word_offsets
        for i in range(n):
            while True:  # skip the '\n' word2vec.c writes after each vector
                if not self.fill(1):
                    raise W2VError(f"{self._where(i)}: file ends before word {i + 1} of {n}; "
                                   "is the word count in the header right?")
                if self.buf[self.pos] != 0x0A:
                    break
                self.pos += 1
            while (j := self.buf.find(b" ", self.pos, self.pos + _MAX_WORD_BYTES)) < 0:
                if len(self.buf) - self.pos >= _MAX_WORD_BYTES:
                    raise W2VError(f"{self._where(i)}: no space within {_MAX_WORD_BYTES} bytes; "
                                   "not a binary word2vec file, or the dimension in the header is wrong")
                if not self.fill(len(self.buf) - self.pos + 1):
                    raise W2VError(f"{self._where(i)}: file ends inside the word; the file is truncated")
            offsets.append(self.base + self.pos)
            words.append(self.buf[self.pos:j])
            self.pos = j + 1
            if not self.fill(nbytes):
                have = len(self.buf) - self.pos
                raise W2VError(f"{self._where(i)}: expected {d} floats ({nbytes} bytes) for word {i + 1}, "
                               f"found {have} bytes; the file is truncated")
            dest[i * nbytes:(i + 1) * nbytes] = memoryview(self.buf)[self.pos:self.pos + nbytes]
            self.pos += nbytes
        return words, out.astype(np.float32, copy=False)

    def text_records(self, n: int, d: int) -> tuple[list[bytes], np.ndarray]:
        """Read ``n`` text lines into a list of word bytes and an ``(n, d)`` float32 array."""
        limit = _MAX_WORD_BYTES + (d + 1) * _MAX_VALUE_BYTES
        out = np.empty((n, d), dtype=np.float32)
        words: list[bytes] = []
        offsets = self.word_offsets
        for i in range(n):
            start = self.base + self.pos
            line = self.readline(limit)
            if not line:
                raise W2VError(f"{self._where(i)}: file ends before word {i + 1} of {n}; "
                               "is the word count in the header right?")
            if len(line) == limit and not line.endswith(b"\n"):
                raise W2VError(f"{self.path}: word {i + 1} (byte offset {start}): line longer than {limit} bytes "
                               f"(a word and {d} numbers); not a text word2vec file, or a damaged line")
            line = line.rstrip()
            k = line.find(b" ")
            word, values = (line, []) if k < 0 else (line[:k], line[k + 1:].split())
            if len(values) != d:
                raise W2VError(f"{self.path}: word {i + 1} (byte offset {start}): expected {d} floats, "
                               f"found {len(values)}; wrong dimension in the header or a damaged line")
            try:
                out[i] = np.array(values, dtype=np.float32)
            except ValueError as exc:
                raise W2VError(f"{self.path}: word {i + 1} (byte offset {start}): {exc}") from None
            offsets.append(start)
            words.append(word)
        return words, out


def _refuse_nonfinite(vectors: np.ndarray, words: list[bytes], path: Path) -> None:
    """Refuse NaN or infinite values: every cosine with such a row is ``nan``."""
    if np.isfinite(vectors).all():
        return
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    first = words[bad[0]][:40].decode("utf8", "replace")
    raise W2VError(f"{path}: {bad.size} of {len(vectors)} vectors hold NaN or infinite values (the first: word "
                   f"{bad[0] + 1}, {first!r}), as a diverged training leaves them; retrain with a lower --lr, "
                   "or load with allow_nonfinite=True")


def _decode_words(words: list[bytes], offsets: list[int], path: Path, encoding: str,
                  unicode_errors: str) -> list[str]:
    out = []
    for i, (w, off) in enumerate(zip(words, offsets)):
        try:
            out.append(w.decode(encoding, unicode_errors))
        except UnicodeDecodeError as exc:
            raise W2VError(f"{path}: word {i + 1} (byte offset {off}) is not valid {encoding}: "
                           f"byte 0x{w[exc.start]:02x} at offset {off + exc.start}; "
                           "load with unicode_errors='replace' (or 'ignore') to read it anyway") from None
    return out


def _drop_duplicates(words: list[str], vectors: np.ndarray, path: Path) -> tuple[list[str], np.ndarray]:
    """Keep the first of repeated words (gensim does the same)."""
    seen: dict[str, int] = {}
    keep = [i for i, w in enumerate(words) if seen.setdefault(w, i) == i]
    if len(keep) == len(words):
        return words, vectors
    warnings.warn(f"{path}: {len(words) - len(keep)} repeated word(s) ignored (the first is kept)",
                  stacklevel=3)
    return [words[i] for i in keep], np.ascontiguousarray(vectors[keep])


def _counts_from_vocab(path: Path, kv: KeyedVectors) -> np.ndarray:
    """Counts for ``kv``'s words from a ``vocab.tsv`` (``index<TAB>word<TAB>count`` with a header)."""
    counts: dict[str, int] = {}
    with open(path, encoding="utf-8", newline="\n") as fh:
        fh.readline()
        for line_no, line in enumerate(fh, start=2):
            parts = line.rstrip("\n").split("\t")
            try:
                counts[parts[1]] = int(parts[2])
            except (IndexError, ValueError):
                raise W2VError(f"{path}: line {line_no} is not 'index<TAB>word<TAB>count'") from None
    missing = [w for w in kv.index_to_key if w not in counts]
    if missing:
        raise W2VError(f"{path}: {len(missing)} word(s) of the vectors are not in the vocabulary, "
                       f"e.g. {missing[0]!r}; vocab.tsv and vectors.bin are from different runs")
    return np.array([counts[w] for w in kv.index_to_key], dtype=np.int64)
