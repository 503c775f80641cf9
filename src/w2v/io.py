"""Atomic file output and small readers shared by every stage.

Every file a stage produces is written to a temporary name in the same
directory and renamed into place only after it was closed successfully, so an
interrupted run never leaves a half-written file under the final name. A
directory whose files belong together (a model) is written whole into a
temporary sibling and swapped in (:func:`atomic_dir`); its ``manifest.json``
lets readers tell when files of different runs were mixed (:func:`check_manifest`).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, Iterable, Iterator

from w2v.errors import W2VError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: saves are not serialised
    fcntl = None

__all__ = [
    "atomic_path",
    "atomic_open",
    "atomic_dir",
    "check_replaceable",
    "open_text",
    "GZIP_ERRORS",
    "unreadable",
    "text_lines",
    "write_json",
    "read_json",
    "MANIFEST_FILE",
    "write_manifest",
    "check_manifest",
    "read_npz",
]

#: Written last into a model directory: the size and sha256 of each of its files.
MANIFEST_FILE = "manifest.json"
#: DEFLATE (gzip, zip) expands at most 1032-fold: a bound on what a compressed file can hold.
MAX_INFLATE_RATIO = 1032


def _tmp_name(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates the file 0600; give it the mode an ordinary open() would have
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    The temporary name ends in ``.tmp``: use it with writers that do not add a
    suffix of their own (give ``np.save`` an open file object, not the name).
    """
    path = Path(path)
    tmp = _tmp_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _name_the_file(exc, tmp, path)
        raise


def _name_the_file(exc: BaseException, tmp: Path, path: Path) -> None:
    """Raise ``exc`` again naming ``path`` when it names no file (a failed write) or the temporary one."""
    if not isinstance(exc, OSError) or exc.filename2 is not None:
        return
    name = exc.filename
    if name is None:
        name = str(path)
    elif str(name) == str(tmp) or str(name).startswith(str(tmp) + os.sep):
        name = str(path) + str(name)[len(str(tmp)):]
    else:
        return
    raise OSError(exc.errno, exc.strerror or str(exc), name) from exc


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", *, encoding: str = "utf-8",
                compresslevel: int = 6) -> Iterator[IO]:
    """Open ``path`` for writing atomically; gzip-compress when it ends in ``.gz``.

    ``mode`` is ``"w"`` (text) or ``"wb"`` (bytes).
    """
    if mode not in ("w", "wb"):
        raise ValueError("atomic_open mode must be 'w' or 'wb'")
    path = Path(path)
    with atomic_path(path) as tmp:
        raw = open(tmp, "wb")
        try:
            if path.suffix == ".gz":
                # mtime=0 and no file name: the same content gives the same bytes.
                stream: IO = gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                           compresslevel=compresslevel, mtime=0)
            else:
                stream = raw
            if mode == "w":
                text = io.TextIOWrapper(stream, encoding=encoding, newline="\n")
                yield text
                text.flush()
                text.detach()
            else:
                yield stream
            if stream is not raw:
                stream.close()
            raw.flush()
            os.fsync(raw.fileno())
        finally:
            raw.close()


_LIVE = ".writing.lock"  # inside a directory being written: locked while its writer lives


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path``, created for the purpose and removed on release.

    A waiter that obtains the lock on a file already removed (or replaced) by
    the previous holder starts over, so removing the file never lets two
    processes in at once.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    while True:
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            try:
                now = os.stat(lock_path)
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform or file system allows it
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_leftovers(parent: Path, name: str, keep: Path) -> None:
    """Remove ``.<name>.tmp-*`` and ``.<name>.old-*`` directories of writers that died.

    Called under the swap lock. A temporary directory whose writer still runs
    holds a lock on its ``_LIVE`` file and is left alone.
    """
    ours = re.compile(rf"\.{re.escape(name)}\.(tmp|old)-[A-Za-z0-9_]{{8}}")  # tempfile's 8 random characters
    for entry in parent.iterdir():
        match = ours.fullmatch(entry.name)
        if entry == keep or not match:
            continue
        if match.group(1) == "tmp":
            if fcntl is None:  # pragma: no cover - no way to tell a live writer
                continue
            try:
                fd = os.open(entry / _LIVE, os.O_RDWR)
            except FileNotFoundError:
                fd = None  # unlinked just before the swap: its writer died there
            except OSError:
                continue  # not ours to judge (another user's)
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a live writer
                finally:
                    os.close(fd)
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def _carry_over(old: Path, new: Path) -> None:
    """Hard-link (or copy) into ``new`` the files of ``old`` that ``new`` does not have."""
    for entry in old.iterdir():
        target = new / entry.name
        if entry.name == MANIFEST_FILE or os.path.lexists(target) \
                or (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue  # the old manifest, files the new directory has, other writers' temporaries
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        else:
            try:
                os.link(entry, target)
            except OSError:
                shutil.copy2(entry, target)


def check_replaceable(path: str | os.PathLike) -> None:
    """Refuse a ``path`` that :func:`atomic_dir` must not replace.

    That is anything but a directory, the current directory or one above it,
    and a directory holding subdirectories: a model directory holds files only
    (its own and other stages' results), so one with subdirectories is most
    likely somebody's project or home, which is not to be moved about.
    """
    path = Path(path).absolute()
    fix = "choose a new or dedicated directory"
    if not os.path.lexists(path):
        return
    if not path.is_dir():
        raise W2VError(f"{path}: exists and is not a directory; {fix}")
    if path == Path.cwd() or path in Path.cwd().parents:
        raise W2VError(f"{path}: is the current directory or above it, which a model directory replaced "
                       f"as a whole must not be; {fix}")
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            raise W2VError(f"{path}: holds the subdirectory {entry.name!r}, but a model directory is replaced "
                           f"as a whole (files only); {fix}")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, carry_over: bool = True) -> Iterator[Path]:
    """Yield a new empty directory next to ``path``; on success it replaces ``path`` as a whole.

    The directory (``.<name>.tmp-XXXX``, same file system) is renamed into
    place under an exclusive lock on ``.<name>.lock``, so that concurrent
    writers of the same ``path`` take turns and the last one wins with all of
    its files: an existing ``path`` is renamed aside, the new one renamed in,
    the old one removed. Readers see the old directory or the new one, never a
    mixture. With ``carry_over``, entries of the old directory that the new
    one lacks (other stages' results kept beside a model) are hard-linked into
    it first. On any exception the new directory is removed and ``path`` is
    untouched; what a killed writer left (``.<name>.tmp-*``, ``.<name>.old-*``)
    is removed by the next write of ``path``. An existing ``path`` must pass
    :func:`check_replaceable`.
    """
    path = Path(path).absolute()
    if path.is_symlink() and path.is_dir():
        path = path.resolve()  # replace the directory it points to, keep the link
    check_replaceable(path)
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    lock = parent / f".{path.name}.lock"
    with _locked(lock):  # no leftover sweep runs while the new directory has no live lock yet
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=parent))
        try:
            live = os.open(tmp / _LIVE, os.O_CREAT | os.O_RDWR, 0o600)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if fcntl is not None:
            fcntl.flock(live, fcntl.LOCK_EX)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the result is an ordinary directory
        yield tmp
        _fsync_dir(tmp)
        aside = None
        with _locked(lock):
            _remove_leftovers(parent, path.name, keep=tmp)
            os.unlink(tmp / _LIVE)
            if path.exists():
                check_replaceable(path)  # again: it may have changed while the new one was written
                if carry_over:
                    _carry_over(path, tmp)
            try:
                if path.exists():
                    aside = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=parent))
                    os.rename(path, aside)  # onto the empty directory just made
                os.rename(tmp, path)
            except BaseException:  # an error or a signal between the renames: put the old one back
                if aside is not None:
                    with contextlib.suppress(OSError):
                        if os.path.lexists(path):
                            aside.rmdir()  # still the empty one
                        else:
                            os.rename(aside, path)
                raise
            _fsync_dir(parent)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _name_the_file(exc, tmp, path)
        raise
    finally:
        os.close(live)


def file_sha256(path: str | os.PathLike) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def write_manifest(directory: str | os.PathLike, names: Iterable[str], **extra) -> None:
    """Write ``directory/manifest.json``: ``extra`` and the size and sha256 of each file ``names``.

    Write it after the files it lists: its presence means they are complete.
    """
    directory = Path(directory)
    files = {}
    for name in names:
        files[name] = {"size": (directory / name).stat().st_size, "sha256": file_sha256(directory / name)}
    write_json(directory / MANIFEST_FILE, {**extra, "files": files})


def check_manifest(directory: str | os.PathLike, read: Iterable[str]) -> dict | None:
    """Refuse a directory whose files do not belong together, as ``directory/manifest.json`` lists them.

    Every listed file that exists must have its listed size (cheap); the files
    ``read`` (those the caller is about to load) must also be listed, present
    and have their sha256. A directory without a manifest (older models,
    gensim's) is not checked. Returns the manifest, or None.
    """
    directory = Path(directory)
    mpath = directory / MANIFEST_FILE
    if not mpath.is_file():
        return None
    fix = f"retrain with `w2v train --out {directory}`"
    try:
        manifest = read_json(mpath)
        files = {str(k): (int(v["size"]), str(v["sha256"])) for k, v in manifest["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise W2VError(f"{mpath}: damaged manifest (not the JSON a model save writes); {fix}") from None
    read = list(read)

    def foreign(name: str, why: str) -> W2VError:
        other = "train.json" if name != "train.json" else "vectors.bin"
        return W2VError(f"{directory}: {name} does not belong with {other} ({why}); {fix}")

    for name, (size, _) in files.items():
        try:
            have = (directory / name).stat().st_size
        except FileNotFoundError:
            if name in read:
                raise W2VError(f"{directory}: {name} is missing (listed in {MANIFEST_FILE}); {fix}") from None
            continue
        if have != size:
            raise foreign(name, f"size {have} bytes, {MANIFEST_FILE} lists {size}")
    for name in read:
        if name not in files:
            raise foreign(name, f"not listed in {MANIFEST_FILE}")
        if file_sha256(directory / name) != files[name][1]:
            raise foreign(name, f"its sha256 differs from the one in {MANIFEST_FILE}")
    return manifest


def read_npz(path: str | os.PathLike, names: Iterable[str]) -> dict:
    """The arrays ``names`` of an ``.npz``, each member's header checked against its size first.

    ``np.load`` of a plain ``.npy`` reads with ``np.fromfile``, which stops at
    the end of the file and then raises, but it reads an ``.npz`` member into
    an array of the header's shape allocated up front: a damaged header could
    ask for any amount of memory. Here the shape times the item size must equal
    the member's size, which must fit in the archive.
    """
    from numpy.lib import format as npy

    path = Path(path)
    fix = "the file is damaged; write it again"
    out = {}
    try:
        archive = path.stat().st_size
        with zipfile.ZipFile(path) as zf:
            for name in names:
                try:
                    info = zf.getinfo(name + ".npy")
                except KeyError:
                    raise W2VError(f"{path}: has no array {name!r}; {fix}") from None
                ratio = 1 if info.compress_type == zipfile.ZIP_STORED else MAX_INFLATE_RATIO
                if info.compress_size > archive or info.file_size > ratio * info.compress_size:
                    raise W2VError(f"{path}: array {name!r} claims {info.file_size} bytes, more than the "
                                   f"{archive}-byte archive can hold; {fix}")
                with zf.open(info) as fh:
                    version = npy.read_magic(fh)
                    if version == (1, 0):
                        shape, _, dtype = npy.read_array_header_1_0(fh)
                    elif version == (2, 0):
                        shape, _, dtype = npy.read_array_header_2_0(fh)
                    else:
                        shape, _, dtype = npy._read_array_header(fh, version)
                    expect = fh.tell() + math.prod(shape) * dtype.itemsize
                if dtype.hasobject or expect != info.file_size:
                    raise W2VError(f"{path}: array {name!r} declares shape {shape} of {dtype} "
                                   f"({expect} bytes with its header), but holds {info.file_size} bytes; {fix}")
                with zf.open(info) as fh:
                    out[name] = npy.read_array(fh, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise W2VError(f"{path}: cannot read ({exc}); {fix}") from None
    return out


def open_text(path: str | os.PathLike, encoding: str = "utf-8", errors: str = "strict") -> IO[str]:
    """Open a text file for reading, transparently decompressing ``.gz``."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding=encoding, errors=errors, newline="\n")
    return open(path, "r", encoding=encoding, errors=errors, newline="\n")


#: What reading a truncated or corrupt gzip stream raises.
GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def unreadable(path, exc: Exception, fix: str) -> W2VError:
    """One line for a text file that cannot be read through: bytes that are not UTF-8 (``exc`` a
    UnicodeDecodeError), else a damaged gzip stream (one of :data:`GZIP_ERRORS`); ``fix`` is the remedy."""
    if isinstance(exc, UnicodeDecodeError):
        return W2VError(f"{path}: not UTF-8 text ({exc.reason}); {fix}")
    return W2VError(f"{path}: a truncated or corrupt gzip file ({exc}); {fix}")


def text_lines(path: str | os.PathLike, fix: str, errors: str = "strict") -> Iterator[str]:
    """The lines of a text file (gzip when it ends in ``.gz``); a file that cannot be read through
    raises :func:`unreadable`'s one line. A missing file raises ``FileNotFoundError`` for the caller
    to name."""
    try:
        with open_text(path, errors=errors) as fh:
            yield from fh
    except (UnicodeDecodeError, *GZIP_ERRORS) as exc:
        raise unreadable(path, exc, fix) from None


def write_json(path: str | os.PathLike, obj, *, indent: int = 2) -> None:
    """Write ``obj`` as pretty JSON, atomically."""
    with atomic_open(path, "w") as fh:
        json.dump(obj, fh, indent=indent, sort_keys=False, default=_json_default)
        fh.write("\n")


def read_json(path: str | os.PathLike):
    with open_text(path) as fh:
        return json.load(fh)


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
