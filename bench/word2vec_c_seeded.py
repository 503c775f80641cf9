#!/usr/bin/env python
"""Build word2vec.c with one added option, ``-seed N``, to see the binary's spread over seeds.

The word2vec.c binary cannot be given a seed: its generator starts at the
thread's number (0, 1, ...) and the initial vectors at 1, so a run with one
thread is always the same run, and runs with several threads differ only by
the threads' timing. One analogy score of it is one draw, and analogy accuracy
moves by about half a point from draw to draw. This script takes the C source
that the PyPI package ``word2vec`` ships (from a local file, a folder, or
``pip download word2vec==VERSION --no-binary :all:``), makes three changes:

- a global ``long long seed = 0;`` and ``-seed <int>`` parsed in ``main``;
- ``InitNet``: ``next_random = 1 + seed * 1000003`` (the initial vectors);
- ``TrainModelThread``: ``next_random = id + seed * 1000003`` (each thread's stream);

and compiles it with the flags the package uses (``-Ofast -march=native
-funroll-loops -pthread``). With ``-seed 0`` (the default) the binary is the
package's own, draw for draw. Nothing else in the algorithm changes.

    python bench/word2vec_c_seeded.py --out /tmp/word2vec-seeded
    python bench/train_vs_peers.py --corpus imdb-raw.txt --models sg-ns --peers word2vec.c \\
        --word2vec-c /tmp/word2vec-seeded --seeds 1,2,3
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CFLAGS = ["-lm", "-pthread", "-Ofast", "-Wall", "-march=native", "-funroll-loops", "-Wno-unused-result"]
SEED_MULT = 1000003

# (what the package's word2vec.c says, what the seeded build says instead); each must match once
PATCHES = [
    (r"(long long vocab_max_size = 1000, vocab_size = 0, layer1_size = 100;)",
     r"\1\nlong long seed = 0;  /* added: -seed */"),
    (r"(void InitNet\(\) \{\n  long long a, b;\n  unsigned long long next_random = )1;",
     rf"\g<1>1 + (unsigned long long)seed * {SEED_MULT}ULL;"),
    (r"unsigned long long next_random = \(long long\)id;",
     rf"unsigned long long next_random = (long long)id + (unsigned long long)seed * {SEED_MULT}ULL;"),
    (r'(    printf\("\\t-iter <int>\\n"\);)',
     r'    printf("\\t-seed <int>\\n");\n'
     r'    printf("\\t\\tStart the random generators from this seed (default 0)\\n");\n\1'),
    (r'(  if \(\(i = ArgPos\(\(char \*\)"-iter", argc, argv\)\) > 0\) iter = atoi\(argv\[i \+ 1\]\);)',
     r'\1\n  if ((i = ArgPos((char *)"-seed", argc, argv)) > 0) seed = atoll(argv[i + 1]);'),
]


def patch_source(text: str) -> str:
    """The package's word2vec.c with ``-seed``; raises if the source does not look as expected."""
    for pattern, repl in PATCHES:
        text, n = re.subn(pattern, repl, text)
        if n != 1:
            raise SystemExit(f"word2vec.c: expected one match of {pattern!r}, found {n}: "
                             "not the source of the PyPI package word2vec 0.11.x?")
    return text


def find_source(src: str | None, version: str, tmp: Path) -> Path:
    """word2vec.c from ``src`` (a .c file, a folder holding it, an sdist .tar.gz) or from pip."""
    if src is None:
        subprocess.run([sys.executable, "-m", "pip", "download", f"word2vec=={version}", "--no-binary", ":all:",
                        "--no-deps", "-q", "-d", str(tmp)], check=True)
        src = str(next(tmp.glob("word2vec-*.tar.gz")))
    path = Path(src)
    if path.suffix == ".c":
        return path
    if path.is_dir():
        hits = [p for p in path.rglob("word2vec.c") if "win32" not in p.parts]
    else:
        with tarfile.open(path) as tar:
            tar.extractall(tmp, filter="data")
        hits = [p for p in tmp.rglob("word2vec.c") if "win32" not in p.parts]
    if len(hits) != 1:
        raise SystemExit(f"{src}: expected one word2vec.c, found {len(hits)}")
    return hits[0]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="path of the binary to write")
    p.add_argument("--source", default=None, help="word2vec.c, a folder with it, or the package's sdist "
                                                  "(default: pip download)")
    p.add_argument("--version", default="0.11.1", help="package version to download (default 0.11.1)")
    p.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="w2v-c-") as tmp:
        source = find_source(a.source, a.version, Path(tmp))
        patched = Path(tmp) / "word2vec_seeded.c"
        patched.write_text(patch_source(source.read_text(encoding="latin-1")), encoding="latin-1")
        out = Path(a.out)
        part = out.with_name(out.name + ".part")
        subprocess.run([a.cc, str(patched), "-o", str(part)] + CFLAGS, check=True)
        shutil.move(part, out)
    print(f"{out}: word2vec.c from {source.name} with -seed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
