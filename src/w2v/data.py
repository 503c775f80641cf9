"""The data stage: sources, download / mirror / checksums, archive readers.

Every data set comes from a registered :class:`Source` with its official URL(s)
and the sha256 of every file accepted for it: the official file, plus copies
rebuilt for the offline mirror (see ``data/README.md``). :func:`download`
returns a file only after its sha256 matched one of those.

The readers turn an archive into documents of the document table
(:mod:`w2v.documents`), in a deterministic order: by split (``train``,
``test``, ``unsup``), then label, then numeric file id. They read members in
bounded pieces and refuse oversized or repeated documents; :func:`extract` also
checks the documents per split against the registry.
"""

from __future__ import annotations

import hashlib
import http.client
import lzma
import os
import re
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from tqdm import tqdm

from w2v.documents import write_documents
from w2v.errors import W2VError
from w2v.io import atomic_path

__all__ = [
    "FileSpec",
    "Source",
    "SOURCES",
    "MIRROR_ENV",
    "get_source",
    "sha256_file",
    "content_digest",
    "download",
    "strip_newsgroup_header",
    "strip_newsgroup_footer",
    "strip_newsgroup_quoting",
    "read_20newsgroups",
    "read_imdb",
    "extract",
    "DATASETS",
    "REMOVE_CHOICES",
]

MIRROR_ENV = "W2V_DATA_MIRROR"
_CHUNK = 1 << 20
# Seconds before the first retry of a failed download; doubled on every further retry.
RETRY_BACKOFF_S = 2.0
# The readers refuse a document member larger than this (real messages and reviews are
# under 1 MiB) and documents over MAX_DOCUMENTS_BYTES in all (IMDb holds ~130 MB), so
# that a crafted archive cannot make them hold gigabytes.
MAX_MEMBER_BYTES = 16 << 20
MAX_DOCUMENTS_BYTES = 1 << 30


@dataclass(frozen=True)
class FileSpec:
    """One accepted file of a source: its name, sha256 and (when known) size and content digest."""

    name: str
    sha256: str
    size: int | None = None
    content_digest: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Source:
    """A data source: official URL(s) and every accepted file (the official one first)."""

    name: str
    description: str
    files: tuple[FileSpec, ...]
    urls: tuple[str, ...] = ()
    citation: str = ""
    homepage: str = ""
    # Which extract reader applies (``"20newsgroups"``, ``"imdb"`` or ``None``).
    reader: str | None = None
    # Documents per split that every accepted archive holds (checked by :func:`extract`).
    split_sizes: tuple[tuple[str, int], ...] = ()

    @property
    def file(self) -> str:
        """The official file name (what the URLs serve)."""
        return self.files[0].name

    @property
    def sha256(self) -> str:
        """The sha256 of the official file."""
        return self.files[0].sha256

    def accepted(self) -> dict[str, str]:
        """Map every accepted file name to its sha256."""
        return {f.name: f.sha256 for f in self.files}


_NG_CITATION = 'K. Lang, "NewsWeeder: Learning to Filter Netnews", ICML 1995.'
_IMDB_CITATION = ('A. L. Maas, R. E. Daly, P. T. Pham, D. Huang, A. Y. Ng, C. Potts, "Learning Word Vectors '
                  'for Sentiment Analysis", ACL-HLT 2011, pp. 142-150.')

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            name="20newsgroups",
            description="20 Newsgroups, 'bydate' train/test split (18,846 messages, 20 groups)",
            urls=("http://qwone.com/~jason/20Newsgroups/20news-bydate.tar.gz",
                  "https://ndownloader.figshare.com/files/5975967"),
            files=(
                FileSpec("20news-bydate.tar.gz",
                         "8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610",
                         note="official tarball"),
                FileSpec("20news-bydate.rebuilt.tar.gz",
                         "ec91db5da1b340da5612873b4dcaeb95c1a3cba27bf939ee28871aaf3548caa3",
                         size=14_388_565,
                         content_digest="715a53e30cecc9372e05bf3a2bb3ea7662f79baf2db7811d424df27a86b87dd7",
                         note="rebuilt from verified copies; documents byte-exact"),
            ),
            citation=_NG_CITATION,
            homepage="http://qwone.com/~jason/20Newsgroups/",
            reader="20newsgroups",
            split_sizes=(("train", 11_314), ("test", 7_532)),
        ),
        Source(
            name="imdb",
            description="IMDb Large Movie Review Dataset v1.0 (25k train, 25k test, 50k unlabelled)",
            urls=("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",),
            files=(
                FileSpec("aclImdb_v1.tar.gz",
                         "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
                         note="official tarball"),
                FileSpec("aclImdb_v1.reviews.tar.xz",
                         "ddcc4a5620c6a7fb8092d9ed143b0991419dd3c2930ad7a48b56f0748643abf8",
                         size=37_799_008,
                         content_digest="dbeab1dfecad43be8551b40bbc24b025e2cea002fc9ab261de0f73e6ddfcda97",
                         note="rebuilt; all texts byte-exact, no .feat files"),
            ),
            citation=_IMDB_CITATION,
            homepage="https://ai.stanford.edu/~amaas/data/sentiment/",
            reader="imdb",
            split_sizes=(("train", 25_000), ("test", 25_000), ("unsup", 50_000)),
        ),
        Source(
            name="questions-words",
            description="Google word-analogy test set (19,544 questions in 14 sections)",
            urls=("https://raw.githubusercontent.com/tmikolov/word2vec/master/questions-words.txt",),
            files=(
                FileSpec("questions-words.txt",
                         "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
                         size=603_955),
            ),
            citation=('T. Mikolov, K. Chen, G. Corrado, J. Dean, "Efficient Estimation of Word '
                      'Representations in Vector Space", arXiv:1301.3781, 2013.'),
            homepage="https://code.google.com/archive/p/word2vec/",
        ),
        Source(
            name="googlenews",
            description="Pretrained GoogleNews word2vec vectors (3M words x 300 dimensions)",
            urls=("https://s3.amazonaws.com/dl4j-distribution/GoogleNews-vectors-negative300.bin.gz",),
            files=(
                # This sha256 is the Git LFS oid of the public copy in
                # mmihaltz/word2vec-GoogleNews-vectors (the pointer gives size 1647046227);
                # LFS oids are the sha256 of the file's bytes. Not checked against a real copy here.
                FileSpec("GoogleNews-vectors-negative300.bin.gz",
                         "21c05ae916a67a4da59b1d006903355cced7de7da1e42bff9f0504198c748da8",
                         size=1_647_046_227),
            ),
            citation=('T. Mikolov, I. Sutskever, K. Chen, G. Corrado, J. Dean, "Distributed '
                      'Representations of Words and Phrases and their Compositionality", NIPS 2013.'),
            homepage="https://code.google.com/archive/p/word2vec/",
        ),
        Source(
            name="20newsgroups-sample",
            description="demo sample of 20 Newsgroups (12 train + 6 test messages per group), in data/sample",
            files=(
                FileSpec("20news-bydate.sample.tar.gz",
                         "a2048bfe76078bb83ffb6bbc9707339d9dcae88c2b54e84d77ad0031b345623f",
                         size=413_342,
                         content_digest="1d70820ed6580f79aefae18103a7718402ac05743e76f95be774188a0350e59c",
                         note="built by tools/make_sample.py"),
            ),
            citation=_NG_CITATION,
            reader="20newsgroups",
            split_sizes=(("train", 240), ("test", 120)),
        ),
        Source(
            name="imdb-sample",
            description="demo sample of IMDb (100+100 train, 50+50 test, 200 unsup reviews), in data/sample",
            files=(
                FileSpec("aclImdb.sample.tar.gz",
                         "1b6ecc8885276e5ce05ee1b6733d01d4f684c63c9f5674264fd8dc96e8de84f8",
                         size=261_771,
                         content_digest="b81382343d4770512e03d86e46a19b114a04c22122d6a074fe104492a9a03ed2",
                         note="built by tools/make_sample.py"),
            ),
            citation=_IMDB_CITATION,
            reader="imdb",
            split_sizes=(("train", 200), ("test", 100), ("unsup", 200)),
        ),
    ]
}

DATASETS = ("20newsgroups", "imdb")
REMOVE_CHOICES = ("headers", "footers", "quotes")


def get_source(name: str) -> Source:
    """Return the registered source ``name`` or raise a W2VError listing the known names."""
    try:
        return SOURCES[name]
    except KeyError:
        raise W2VError(f"{name}: unknown data source; choose one of: {', '.join(SOURCES)}") from None


# --------------------------------------------------------------------------- checksums

def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 of the file at ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def content_digest(path: str | os.PathLike) -> str:
    """Return the content digest of a tar archive (independent of tar metadata and compression).

    It is the sha256 of the sorted lines ``"<member name>\\t<sha256 of member bytes>\\n"``,
    one per regular file (the definition in ``../shared/data/MANIFEST.md``, relative to the repository).
    """
    lines = []
    with _open_tar(path) as tf:
        for member in _iter_tar(tf, path):
            if member.isfile():
                lines.append(f"{member.name}\t{_hash_member(tf, member, path)}\n")
    return _digest_of(lines)


def _digest_of(lines: list[str]) -> str:
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


# --------------------------------------------------------------------------- download

def _mirror_dirs(mirror) -> list[Path]:
    if mirror is None:
        mirror = os.environ.get(MIRROR_ENV) or None
    if mirror is None:
        return []
    if isinstance(mirror, (str, os.PathLike)):
        mirror = [p for p in str(mirror).split(os.pathsep) if p]
    dirs = [Path(m) for m in mirror]
    for d in dirs:
        if not d.is_dir():
            raise W2VError(f"{d}: data mirror folder does not exist; fix --mirror or {MIRROR_ENV}")
    return dirs


def _copy_verified(src: Path, dst: Path, known: dict[str, str]) -> Path:
    """Copy ``src`` to ``dst`` atomically, hashing on the way; keep it only if its sha256 is known."""
    h = hashlib.sha256()
    with atomic_path(dst) as tmp:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            for chunk in iter(lambda: fin.read(_CHUNK), b""):
                h.update(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # a plain file, not mkstemp's private 0600
        found = h.hexdigest()
        if found != known[src.name]:
            raise W2VError(f"{src}: sha256 mismatch (expected {known[src.name]}, found {found}); "
                           f"the mirror copy is corrupt or a different file: replace it with a good copy")
    return dst


class _Incomplete(Exception):
    """The server closed the connection before sending every byte."""


def _fetch(url: str, part: Path, *, timeout: float, progress: bool, label: str) -> None:
    """One HTTP request: append to ``part`` (resuming with a Range request when it is not empty)."""
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"User-Agent": "w2v-data/0.1"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            return  # nothing left to send: the .part is complete (the checksum decides)
        raise
    with resp:
        if have and resp.status == 206:
            mode = "ab"
        else:
            mode, have = "wb", 0  # the server ignored the Range header: start over
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        got = have
        with open(part, mode) as fh, tqdm(total=total, initial=have, unit="B", unit_scale=True,
                                          unit_divisor=1024, desc=label, disable=not progress,
                                          file=sys.stderr, leave=False) as bar:
            while True:
                try:
                    chunk = resp.read(_CHUNK)
                except http.client.IncompleteRead as exc:
                    fh.write(exc.partial)
                    got += len(exc.partial)
                    raise _Incomplete(f"connection dropped after {got} bytes") from None
                if not chunk:
                    break
                fh.write(chunk)
                got += len(chunk)
                bar.update(len(chunk))
        if total is not None and got < total:
            raise _Incomplete(f"connection dropped after {got} of {total} bytes")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in (408, 429) or exc.code >= 500
    return True


def _download_url(url: str, part: Path, *, retries: int, timeout: float, progress: bool,
                  label: str) -> None:
    """Fetch ``url`` into ``part``, resuming and retrying with exponential backoff."""
    failures = 0
    while True:
        before = part.stat().st_size if part.exists() else 0
        try:
            _fetch(url, part, timeout=timeout, progress=progress, label=label)
            return
        except (_Incomplete, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            after = part.stat().st_size if part.exists() else 0
            # A drop after some progress is resumed at once and does not use up a retry.
            failures = 0 if after > before and isinstance(exc, _Incomplete) else failures + 1
            if not _retryable(exc) or failures > retries:
                raise
            if failures:
                time.sleep(RETRY_BACKOFF_S * 2 ** (failures - 1))


def download(name: str, dest: str | os.PathLike, mirror=None, progress: bool = True,
             retries: int = 3, timeout: float = 60) -> Path:
    """Fetch the source ``name`` into the folder ``dest`` and return the path of the verified file.

    1. If ``dest`` already holds one of the source's accepted files with the right
       sha256, return it.
    2. Else, if a mirror is given (``mirror``: a folder, or several separated by
       ``os.pathsep``; default: the ``W2V_DATA_MIRROR`` environment variable), copy
       the first accepted file found there, after checking its sha256.
    3. Else download from the source's URL(s) into ``dest/<file>.part`` (resuming
       with HTTP Range requests, ``retries`` retries with backoff), check the
       sha256 and rename it into place.

    Any failure raises a one-line :class:`W2VError`; nothing unverified is ever
    left under the final name, and a ``.part`` with a wrong checksum is removed.
    """
    source = get_source(name)
    dest = Path(dest)
    known = source.accepted()
    for fname, sha in known.items():
        path = dest / fname
        if path.is_file() and sha256_file(path) == sha:
            return path

    mirrors = _mirror_dirs(mirror)
    for folder in mirrors:
        for fname in known:
            if (folder / fname).is_file():
                dest.mkdir(parents=True, exist_ok=True)
                return _copy_verified(folder / fname, dest / fname, known)

    hint = (f"set {MIRROR_ENV} (or --mirror) to a folder holding one of: "
            f"{', '.join(f'{f.name} (sha256 {f.sha256})' for f in source.files)}")
    if not source.urls:
        where = f" ({', '.join(map(str, mirrors))} lacks it)" if mirrors else ""
        raise W2VError(f"{source.file}: no download URL for source {name!r}{where}; {hint}")

    dest.mkdir(parents=True, exist_ok=True)
    final = dest / source.file
    part = dest / (source.file + ".part")
    errors = []
    for url in source.urls:
        try:
            _download_url(url, part, retries=retries, timeout=timeout, progress=progress,
                          label=source.file)
        except Exception as exc:  # noqa: BLE001 - every network failure becomes one W2VError line
            errors.append(f"{url}: {exc}")
            continue
        found = sha256_file(part)
        if found != source.sha256:
            size = part.stat().st_size
            part.unlink()
            expected_size = f" of {source.files[0].size}" if source.files[0].size else ""
            raise W2VError(f"{final}: sha256 mismatch after download from {url} (expected {source.sha256}, "
                           f"found {found}; {size}{expected_size} bytes: truncated or changed upstream); "
                           f"the partial file was removed: retry, or {hint}")
        os.replace(part, final)
        return final
    raise W2VError(f"{final}: download failed ({'; '.join(errors)}); {hint}")


# --------------------------------------------------------------------------- tar helpers

def _open_tar(path) -> tarfile.TarFile:
    path = Path(path)
    if not path.is_file():
        raise W2VError(f"{path}: archive not found; run `w2v download` first")
    try:
        return tarfile.open(path, "r:*")
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise W2VError(f"{path}: not a readable tar archive ({exc}); download it again") from None


def _iter_tar(tf: tarfile.TarFile, path) -> Iterator[tarfile.TarInfo]:
    it = iter(tf)
    while True:
        try:
            member = next(it)
        except StopIteration:
            return
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            raise W2VError(f"{path}: corrupt or truncated archive ({exc}); download it again") from None
        yield member


def _member_chunks(tf: tarfile.TarFile, member: tarfile.TarInfo, path) -> Iterator[bytes]:
    """The bytes of a member in pieces of at most ``_CHUNK`` (never one read of its declared size)."""
    try:
        fh = tf.extractfile(member)
        if fh is None:
            return
        while chunk := fh.read(_CHUNK):
            yield chunk
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise W2VError(f"{path}: corrupt or truncated archive at {member.name} ({exc}); "
                       f"download it again") from None


def _hash_member(tf: tarfile.TarFile, member: tarfile.TarInfo, path) -> str:
    h = hashlib.sha256()
    for chunk in _member_chunks(tf, member, path):
        h.update(chunk)
    return h.hexdigest()


def _read_member(tf: tarfile.TarFile, member: tarfile.TarInfo, path) -> bytes:
    """The bytes of a document member; a W2VError when it is larger than :data:`MAX_MEMBER_BYTES`."""
    if member.size > MAX_MEMBER_BYTES:
        raise W2VError(f"{path}: member {member.name} is {member.size} bytes, more than the {MAX_MEMBER_BYTES} "
                       f"a document may have; this is not a genuine data set archive: download it again")
    return b"".join(_member_chunks(tf, member, path))


def _documents(archive, match, digest: dict | None = None) -> list[tuple]:
    """The document members of a tar archive, read in bounded pieces and sorted.

    ``match(name)`` gives ``(sort key, document id, extra)`` for a document member,
    else None; the result holds ``(sort key, document id, extra, bytes)``. A member
    over :data:`MAX_MEMBER_BYTES`, documents over :data:`MAX_DOCUMENTS_BYTES` in all
    and two members with the same document id are refused (W2VError). When
    ``digest`` is a dict, ``digest["content_digest"]`` receives the archive's
    :func:`content_digest`, computed on the way.
    """
    found: list[tuple] = []
    seen: dict[str, str] = {}
    lines: list[str] = []
    total = 0
    with _open_tar(archive) as tf:
        for member in _iter_tar(tf, archive):
            if not member.isfile():
                continue
            m = match(member.name)
            if m is None:
                if digest is not None:
                    lines.append(f"{member.name}\t{_hash_member(tf, member, archive)}\n")
                continue
            key, doc_id, extra = m
            if doc_id in seen:
                raise W2VError(f"{archive}: document {doc_id} appears twice (members {seen[doc_id]} and "
                               f"{member.name}); this is not a genuine data set archive: download it again")
            seen[doc_id] = member.name
            data = _read_member(tf, member, archive)
            total += len(data)
            if total > MAX_DOCUMENTS_BYTES:
                raise W2VError(f"{archive}: its documents exceed {MAX_DOCUMENTS_BYTES} bytes in all (at member "
                               f"{member.name}); this is not a genuine data set archive: download it again")
            if digest is not None:
                lines.append(f"{member.name}\t{hashlib.sha256(data).hexdigest()}\n")
            found.append((key, doc_id, extra, data))
    if digest is not None:
        digest["content_digest"] = _digest_of(lines)
    found.sort(key=lambda t: t[0])
    return found


_SPLIT_ORDER = {"train": 0, "test": 1, "unsup": 2}


def _num_key(stem: str):
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)


# --------------------------------------------------------------------------- 20 Newsgroups

_NG_RE = re.compile(r"(?:^|/)20news-bydate-(train|test)/([^/]+)/([^/]+)$")
_QUOTE_RE = re.compile(r"(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)")


def strip_newsgroup_header(text: str) -> str:
    """Drop the header block: everything up to and including the first blank line."""
    _, _, after = text.partition("\n\n")
    return after


def strip_newsgroup_footer(text: str) -> str:
    """Drop a signature: everything from the last line that is blank or only hyphens.

    Trailing blank lines are ignored; when the only such line is the first one,
    the text is returned unchanged.
    """
    lines = text.strip().split("\n")
    for cut in range(len(lines) - 1, -1, -1):
        if lines[cut].strip().strip("-") == "":
            break
    return "\n".join(lines[:cut]) if cut > 0 else text


def strip_newsgroup_quoting(text: str) -> str:
    """Drop quoted lines (starting with ``>`` or ``|``) and lines introducing a quote ("... writes:")."""
    return "\n".join(line for line in text.split("\n") if not _QUOTE_RE.search(line))


def _check_remove(remove: Iterable[str]) -> tuple[str, ...]:
    remove = tuple(remove)
    bad = [r for r in remove if r not in REMOVE_CHOICES]
    if bad:
        raise W2VError(f"remove={','.join(bad)}: unknown part to strip; choose from {', '.join(REMOVE_CHOICES)}")
    return remove


def read_20newsgroups(archive: str | os.PathLike, remove: Iterable[str] = ()) -> Iterator[dict]:
    """Yield the messages of a 20 Newsgroups "bydate" tar archive as documents.

    Members ``20news-bydate-{train,test}/<group>/<file>`` become
    ``{"id": "<split>/<group>/<file>", "split", "label": <group>, "text"}``, the
    text decoded as latin-1 (no byte is ever rejected). ``remove`` is a subset
    of ``("headers", "footers", "quotes")``, stripped in that order with the rules
    of scikit-learn's ``fetch_20newsgroups``. Order: train before test, then group,
    then numeric file name. Members are read in bounded pieces (see :func:`_documents`).
    """
    return _read_20newsgroups(archive, _check_remove(remove))


def _ng_member(name: str):
    m = _NG_RE.search(name)
    if not m or m.group(3).startswith("."):
        return None
    split, group, fname = m.groups()
    return (_SPLIT_ORDER[split], group, _num_key(fname)), f"{split}/{group}/{fname}", (split, group)


def _read_20newsgroups(archive, remove: tuple[str, ...], digest: dict | None = None) -> Iterator[dict]:
    found = _documents(archive, _ng_member, digest)
    if not found:
        raise W2VError(f"{archive}: no 20news-bydate-train/ or -test/ messages in this archive; "
                       f"is it the 20 Newsgroups 'bydate' archive?")
    for _, doc_id, (split, group), data in found:
        text = data.decode("latin-1")
        if "headers" in remove:
            text = strip_newsgroup_header(text)
        if "footers" in remove:
            text = strip_newsgroup_footer(text)
        if "quotes" in remove:
            text = strip_newsgroup_quoting(text)
        yield {"id": doc_id, "split": split, "label": group, "text": text}


# --------------------------------------------------------------------------- IMDb

_IMDB_RE = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt$")


def _decode_utf8(data: bytes) -> tuple[str, int]:
    """Decode UTF-8 like ``errors="replace"`` and also return how many U+FFFD were inserted."""
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        pass
    parts, n, pos = [], 0, 0
    while True:
        try:
            parts.append(data[pos:].decode("utf-8"))
            return "".join(parts), n
        except UnicodeDecodeError as exc:
            parts.append(data[pos:pos + exc.start].decode("utf-8"))
            parts.append("\ufffd")
            n += 1
            pos += exc.end


def read_imdb(archive: str | os.PathLike, stats: dict | None = None) -> Iterator[dict]:
    """Yield the reviews of an IMDb ``aclImdb`` tar archive (gz or xz) as documents.

    Members ``aclImdb/<split>/<folder>/<id>_<rating>.txt`` become
    ``{"id": "<split>/<folder>/<id>_<rating>", "split", "label", "text", "rating"}``
    with split ``train``/``test``, label ``pos``/``neg``; the unlabelled reviews
    (``train/unsup``) get split ``"unsup"``, label ``""`` and keep the id
    ``"train/unsup/<id>_0"`` (the id is always the path below ``aclImdb/``).
    Text is UTF-8 decoded with replacement characters for bad bytes; when
    ``stats`` is a dict, ``stats["replaced_chars"]`` and ``stats["replaced_docs"]``
    count them. ``<br />`` tags are kept. Order: train, test, unsup, then label,
    then numeric id. Members are read in bounded pieces (see :func:`_documents`).
    """
    return _read_imdb(archive, stats)


def _imdb_member(name: str):
    m = _IMDB_RE.search(name)
    if not m:
        return None
    folder_split, folder, num, rating = m.groups()
    split, label = ("unsup", "") if folder == "unsup" else (folder_split, folder)
    return ((_SPLIT_ORDER[split], label, int(num), int(rating)), f"{folder_split}/{folder}/{num}_{rating}",
            (split, label, int(rating)))


def _read_imdb(archive, stats: dict | None, digest: dict | None = None) -> Iterator[dict]:
    found = _documents(archive, _imdb_member, digest)
    if not found:
        raise W2VError(f"{archive}: no aclImdb/<split>/<label>/<id>_<rating>.txt reviews in this archive; "
                       f"is it the IMDb archive?")
    replaced_chars = replaced_docs = 0
    for _, doc_id, (split, label, rating), data in found:
        text, n = _decode_utf8(data)
        replaced_chars += n
        replaced_docs += n > 0
        if stats is not None:
            stats["replaced_chars"] = replaced_chars
            stats["replaced_docs"] = replaced_docs
        yield {"id": doc_id, "split": split, "label": label, "text": text, "rating": rating}


# --------------------------------------------------------------------------- extract

def _registered(archive: Path, reader: str) -> tuple[Source, FileSpec] | None:
    """The registered source and file an archive is (by sha256), or None.

    An archive bearing the name of a registered file but another sha256 is a
    damaged or different copy: W2VError.
    """
    sources = [s for s in SOURCES.values() if s.reader == reader]
    found = sha256_file(archive)
    for source in sources:
        for spec in source.files:
            if spec.sha256 == found:
                return source, spec
    for source in sources:
        for spec in source.files:
            if spec.name == archive.name:
                raise W2VError(f"{archive}: sha256 mismatch (expected {spec.sha256}, found {found}): "
                               f"a truncated or altered copy of {spec.name}; fetch it again with "
                               f"`w2v download {source.name}`")
    return None


def _describe(totals: dict[str, int]) -> str:
    return ", ".join(f"{split} {n}" for split, n in sorted(totals.items(), key=lambda kv: _SPLIT_ORDER[kv[0]])) \
        or "none"


def _check_splits(archive, reader: str, totals: dict[str, int], known, digest: dict | None) -> None:
    """Documents per split: the registered numbers for a known archive, else a train and a test split."""
    if known is None and digest is not None:
        known = next(((source, spec) for source in SOURCES.values() if source.reader == reader
                      for spec in source.files if spec.content_digest == digest["content_digest"]), None)
    if known is not None:
        source, spec = known
        expected = dict(source.split_sizes)
        if expected and totals != expected:
            raise W2VError(f"{archive}: documents per split {_describe(totals)}, but {spec.name} holds "
                           f"{_describe(expected)}; the archive is incomplete or altered: fetch it again "
                           f"with `w2v download {source.name}`")
        return
    missing = [split for split in ("train", "test") if not totals.get(split)]
    if missing:
        raise W2VError(f"{archive}: no {' and no '.join(missing)} documents (found: {_describe(totals)}); "
                       f"the archive is incomplete: fetch it again with `w2v download`")
    print(f"w2v: warning: {archive}: not a registered {reader} archive (neither its sha256 nor its content "
          f"digest is known); the documents per split ({_describe(totals)}) were not checked", file=sys.stderr)


def extract(dataset: str, archive: str | os.PathLike, out: str | os.PathLike,
            remove: Sequence[str] = (), progress: bool = True) -> dict:
    """Read ``archive`` with the reader of ``dataset`` and write the document table ``out``.

    ``dataset`` is ``"20newsgroups"`` or ``"imdb"`` (a source name such as
    ``"imdb-sample"`` selects the same reader); ``remove`` only applies to 20
    Newsgroups. Returns ``{"dataset", "archive", "documents", "totals": {split: count},
    "splits": {split: {label: count}}}`` (IMDb adds ``replaced_chars`` and ``replaced_docs``).

    An archive the registry knows (by its sha256, else by its :func:`content_digest`)
    must hold the registered number of documents per split; one that bears a
    registered file name must have that file's sha256. Any other archive must have
    a train and a test split, and a warning line says that its counts were not
    checked. On any failure nothing is left under ``out``.
    """
    reader = SOURCES[dataset].reader if dataset in SOURCES else None
    if reader is None:
        raise W2VError(f"{dataset}: not a data set with documents; choose one of: {', '.join(DATASETS)}")
    remove = tuple(remove)
    if reader == "20newsgroups":
        remove = _check_remove(remove)
    elif remove:
        raise W2VError(f"--remove {','.join(remove)}: only applies to 20newsgroups, not {dataset}")
    archive_path = Path(archive)
    if not archive_path.is_file():
        raise W2VError(f"{archive}: archive not found; run `w2v download` first")
    known = _registered(archive_path, reader)
    digest: dict | None = {} if known is None else None  # the content digest, for an unknown sha256
    stats: dict = {}
    if reader == "20newsgroups":
        docs = _read_20newsgroups(archive, remove, digest)
    else:
        docs = _read_imdb(archive, stats, digest)
    counts: Counter = Counter()

    def counted(it):
        for doc in tqdm(it, desc=f"extract {dataset}", unit="doc", disable=not progress,
                        file=sys.stderr, leave=False):
            counts[(doc["split"], doc["label"])] += 1
            yield doc
        # still inside write_documents: a failed check leaves nothing under ``out``
        totals = Counter()
        for (split, _), c in counts.items():
            totals[split] += c
        _check_splits(archive, reader, dict(totals), known, digest)

    n = write_documents(counted(docs), out)
    splits: dict[str, dict[str, int]] = {}
    for (split, label), c in sorted(counts.items(), key=lambda kv: (_SPLIT_ORDER[kv[0][0]], kv[0][1])):
        splits.setdefault(split, {})[label] = c
    result = {"dataset": dataset, "archive": str(archive), "documents": n,
              "totals": {split: sum(labels.values()) for split, labels in splits.items()},
              "splits": splits}
    if reader == "imdb":
        result["replaced_chars"] = stats.get("replaced_chars", 0)
        result["replaced_docs"] = stats.get("replaced_docs", 0)
    return result
