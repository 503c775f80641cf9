"""Build the committed demo sample (``data/sample``) from the real archives.

    python tools/make_sample.py [--src ../shared/data] [--out data/sample]

Writes, in the internal layout of the real archives:

- ``20news-bydate.sample.tar.gz``: the first 12 train and 6 test messages (by
  numeric file name) of each of the 20 groups, ``20news-bydate-{train,test}/<group>/<id>``;
- ``aclImdb.sample.tar.gz``: the first (by numeric id) 100 pos + 100 neg train,
  50 pos + 50 neg test and 200 unsup reviews, ``aclImdb/<split>/<label>/<id>_<rating>.txt``;
- ``questions-words.txt``: copied unchanged.

The choice and the bytes are deterministic: members sorted by name, mtime
fixed, owner 0/0, mode 0644, GNU tar format, gzip level 9 with mtime 0 and no
file name. The resulting sha256 are recorded in ``w2v.data.SOURCES`` and
``data/README.md``; rerunning the script must reproduce them.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tarfile
from pathlib import Path

from w2v.data import SOURCES, sha256_file
from w2v.io import atomic_open, atomic_path

NG_ARCHIVE = "20news-bydate.rebuilt.tar.gz"
IMDB_ARCHIVE = "aclImdb_v1.reviews.tar.xz"
NG_PER_GROUP = {"train": 12, "test": 6}
IMDB_PER_FOLDER = {("train", "pos"): 100, ("train", "neg"): 100, ("test", "pos"): 50,
                   ("test", "neg"): 50, ("train", "unsup"): 200}
MTIME_20NG = 1047945600   # 2003-03-18 00:00:00 UTC, as in the rebuilt archive
MTIME_IMDB = 1309046400   # 2011-06-26 00:00:00 UTC, as in the rebuilt archive

_NG_RE = re.compile(r"^20news-bydate-(train|test)/([^/]+)/(\d+)$")
_IMDB_RE = re.compile(r"^aclImdb/(train|test)/(pos|neg|unsup)/(\d+)_(\d+)\.txt$")


def select(archive: Path, pattern: re.Pattern, key, quota) -> dict[str, bytes]:
    """Return {member name: bytes} of the first ``quota(folder)`` files per folder, by numeric id."""
    candidates: dict[tuple, list[tuple[int, str]]] = {}
    with tarfile.open(archive) as tf:
        for member in tf:
            m = pattern.match(member.name)
            if member.isfile() and m:
                folder, num = key(m)
                candidates.setdefault(folder, []).append((num, member.name))
        chosen = {name for folder, items in candidates.items()
                  for _, name in sorted(items)[:quota(folder)]}
    out = {}
    with tarfile.open(archive) as tf:  # a second pass: xz archives cannot seek back cheaply
        for member in tf:
            if member.name in chosen:
                out[member.name] = tf.extractfile(member).read()
    return out


def write_tar(path: Path, files: dict[str, bytes], mtime: int) -> None:
    """Write ``files`` as a deterministic gzip-compressed tar archive, atomically."""
    with atomic_open(path, "wb", compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tf:
            for name in sorted(files):
                info = tarfile.TarInfo(name)
                info.size = len(files[name])
                info.mtime = mtime
                info.mode = 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tf.addfile(info, io.BytesIO(files[name]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data"),
                        help="folder with the real archives (default ../shared/data, relative to the working directory)")
    parser.add_argument("--out", type=Path, default=Path("data/sample"), help="output folder")
    args = parser.parse_args(argv)

    ng = select(args.src / NG_ARCHIVE, _NG_RE,
                key=lambda m: ((m.group(1), m.group(2)), int(m.group(3))),
                quota=lambda folder: NG_PER_GROUP[folder[0]])
    write_tar(args.out / "20news-bydate.sample.tar.gz", ng, MTIME_20NG)

    imdb = select(args.src / IMDB_ARCHIVE, _IMDB_RE,
                  key=lambda m: ((m.group(1), m.group(2)), int(m.group(3))),
                  quota=lambda folder: IMDB_PER_FOLDER[folder])
    write_tar(args.out / "aclImdb.sample.tar.gz", imdb, MTIME_IMDB)

    with atomic_path(args.out / "questions-words.txt") as tmp:
        shutil.copyfile(args.src / "questions-words.txt", tmp)

    status = 0
    for name, n in [("20newsgroups-sample", len(ng)), ("imdb-sample", len(imdb)),
                    ("questions-words", None)]:
        spec = SOURCES[name].files[0]
        path = args.out / spec.name
        found = sha256_file(path)
        ok = "ok" if found == spec.sha256 else f"DIFFERS from registry {spec.sha256}"
        status |= found != spec.sha256
        print(f"{path}  {path.stat().st_size} bytes  {n or '-'} files  sha256 {found}  {ok}",
              file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
