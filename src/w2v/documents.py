"""The document table: one JSON object per line, gzip-compressed.

``documents.jsonl.gz`` is what the data stage produces and every later stage
reads. Each line is an object with the fields

- ``id``     a stable document id, e.g. ``"train/sci.space/61045"`` or ``"test/pos/0_10"``
- ``split``  the official split: ``"train"``, ``"test"`` or (IMDb) ``"unsup"``
- ``label``  the class label as a string (``""`` for unlabelled documents)
- ``text``   the raw text, decoded (20 Newsgroups: latin-1; IMDb: UTF-8)

plus optional extra fields (IMDb has ``rating``). The tokenised corpus of a
variant is aligned with this table line by line.
"""

from __future__ import annotations

import json
import os
from typing import Iterable, Iterator

from w2v.errors import W2VError
from w2v.io import atomic_open, text_lines

FIELDS = ("id", "split", "label", "text")


def write_documents(docs: Iterable[dict], path: str | os.PathLike) -> int:
    """Write documents (dicts with at least :data:`FIELDS`) atomically; return the count."""
    n = 0
    with atomic_open(path, "w") as fh:
        for doc in docs:
            missing = [f for f in FIELDS if f not in doc]
            if missing:
                raise W2VError(f"{path}: document {doc.get('id', n)!r} lacks field(s) {', '.join(missing)}")
            fh.write(json.dumps(doc, ensure_ascii=False))
            fh.write("\n")
            n += 1
    return n


def iter_documents(path: str | os.PathLike) -> Iterator[dict]:
    """Yield the documents of a document table, in order.

    A table that is not UTF-8, or a truncated or corrupt gzip file, gives a
    W2VError naming it.
    """
    fix = "rerun the data stage (w2v extract) to rebuild it"
    try:
        for lineno, line in enumerate(text_lines(path, fix), 1):
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise W2VError(f"{path}: line {lineno} is not valid JSON ({exc.msg}); {fix}") from None
            yield doc
    except FileNotFoundError:
        raise W2VError(f"{path}: no such document table; run the data stage (w2v extract) first") from None

