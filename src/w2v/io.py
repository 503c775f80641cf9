"""Atomic file output and small readers shared by every stage.

Every file a stage produces is written to a temporary name in the same
directory and renamed into place only after it was closed successfully, so an
interrupted run never leaves a half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

__all__ = [
    "atomic_path",
    "atomic_open",
    "open_text",
    "write_json",
    "read_json",
]


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
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


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


def open_text(path: str | os.PathLike, encoding: str = "utf-8", errors: str = "strict") -> IO[str]:
    """Open a text file for reading, transparently decompressing ``.gz``."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding=encoding, errors=errors, newline="\n")
    return open(path, "r", encoding=encoding, errors=errors, newline="\n")


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
