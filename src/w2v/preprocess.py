"""Preprocessing variants: from a document's raw text to a list of tokens.

A variant is named ``<morph>[+nostop][+num][+ner]`` (:class:`Variant`). Every
variant runs the same steps, in this order:

1. **Clean** (case preserved): unescape HTML entities (``&amp;`` -> ``&``),
   replace markup (``<br />``, any ``<tag ...>``), URLs (``http://``,
   ``https://``, ``ftp://``, ``www.``) and e-mail addresses by a space, drop
   invisible format characters (soft hyphen, zero-width space, BOM), apply
   Unicode **NFKC** normalisation (composes ``e`` + combining acute into one
   letter ``é`` so that it stays inside the word, folds ligatures ``ﬁ`` -> ``fi``,
   full-width letters and super-scripts ``²`` -> ``2``) and map apostrophe
   look-alikes (``’ ‘ ` ´ ʼ`` and the cp1252 quotes ``\\x91 \\x92`` that appear
   when cp1252 text was decoded as latin-1) to ``'``.
2. **Entities** (``+ner`` only): a spaCy pipeline finds entities in the cleaned,
   original-cased text; each entity span becomes one token ``<label>`` in lower
   case (``Tom Hanks`` -> ``<person>``, ``New York`` -> ``<gpe>``). The numeric
   labels (:data:`NUMERIC_ENTITY_LABELS`: dates, times, money, numbers ...) are
   left alone: numbers are what ``+num`` is for. Entity tokens contain ``<`` and
   ``>``, which no ordinary token can contain, and skip steps 4-6.
3. **Lower-case and tokenise**: every character that is not a letter, a digit or
   an apostrophe *between* two letters/digits separates tokens (this is
   :func:`normalise`). Contractions and possessives stay one token
   (``don't`` -> ``don't``, ``Mary's`` -> ``mary's``, ``rock'n'roll`` stays),
   quote marks around words go (``'hello'`` -> ``hello``, ``James'`` -> ``james``).
   The analogy test set's plain words (``king``, ``walking``) are unaffected.
4. **Stop words** (``+nostop``): spaCy's English list, checked on the lower-cased
   surface form before stemming/lemmatising; a contraction is a stop word when
   its host word is (``don't``, ``it's``, ``won't``; not ``movie's``).
5. **Digits** (``+num``): every digit becomes ``0`` (``1984`` -> ``0000``,
   ``3d`` -> ``0d``), the word2vec community's convention (Google's News vectors
   use ``#`` instead); it keeps the number's length and shape.
6. **Morphology**: ``raw`` keeps the token, ``stem`` applies NLTK's Snowball
   (english) stemmer, ``lemma`` spaCy's lookup lemmatiser table
   (``spacy-lookups-data``, ``lemma_lookup``; offline, no context:
   ``studies`` -> ``study``, ``was`` -> ``be``, ``better`` -> ``well``). Both are
   cached per word type.

:func:`prepare_corpus` applies a variant to a document table and writes the
tokenised corpus: gzip text, one document per line (an empty document gives an
empty line), tokens separated by single spaces.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import os
import re
import shutil
import sys
import time
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from w2v.errors import W2VError
from w2v.io import GZIP_ERRORS, atomic_open, atomic_path, text_lines, unreadable

__all__ = [
    "MORPHS",
    "FLAGS",
    "variant_pattern",
    "DEFAULT_VARIANTS",
    "NUMERIC_ENTITY_LABELS",
    "Variant",
    "normalise",
    "tokenize",
    "preprocess_text",
    "load_nlp",
    "prepare_corpus",
    "merge_shards",
    "shard_range",
]

#: The grammar of a variant name, ``<morph>[+nostop][+num][+ner]``, is declared here once:
#: :func:`variant_pattern` builds its regular expression from these two tuples, which
#: :meth:`Variant.parse`, the workflow's ``variant`` wildcard and (checked by a test) the
#: configuration schema's ``$defs.variant.pattern`` use.
MORPHS = ("raw", "stem", "lemma")
#: Optional flags, in the order they appear in a variant's name (and of Variant's fields).
FLAGS = ("nostop", "num", "ner")
#: The variants the study prepares by default (``+ner`` needs a model).
DEFAULT_VARIANTS = ("raw", "stem", "lemma", "raw+nostop", "raw+num")
#: spaCy entity labels that ``+ner`` does not replace (numbers are ``+num``'s job).
NUMERIC_ENTITY_LABELS = frozenset(
    {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})


def variant_pattern() -> str:
    """The regular expression of a variant name (unanchored): ``(raw|stem|lemma)(\\+nostop)?(\\+num)?(\\+ner)?``.

    Group 1 is the morphology, groups 2... the flags of :data:`FLAGS` (each at
    most once, in that order).
    """
    morph = "|".join(re.escape(m) for m in MORPHS)
    return f"({morph})" + "".join(f"(\\+{re.escape(flag)})?" for flag in FLAGS)


@dataclasses.dataclass(frozen=True)
class Variant:
    """A preprocessing variant; ``str(v)`` is its canonical name."""

    morph: str = "raw"
    stopwords_removed: bool = False
    digits_normalised: bool = False
    entities_replaced: bool = False

    def __post_init__(self):
        if self.morph not in MORPHS:
            raise W2VError(f"variant morph {self.morph!r} is unknown; use one of {', '.join(MORPHS)}")

    @classmethod
    def parse(cls, name: str) -> "Variant":
        """Parse ``<morph>[+nostop][+num][+ner]`` (flags in this order, each at most once)."""
        match = re.fullmatch(variant_pattern(), str(name))
        if match is not None:
            return cls(match.group(1), *(flag is not None for flag in match.groups()[1:]))
        # Not a variant: name the first wrong part.
        grammar = "<morph>" + "".join(f"[+{flag}]" for flag in FLAGS)
        allowed = f"use {grammar} with morph one of {'|'.join(MORPHS)}, e.g. 'lemma+nostop+num'"
        parts = str(name).split("+")
        if parts[0] not in MORPHS:
            raise W2VError(f"variant {name!r}: unknown morphology {parts[0]!r}; {allowed}")
        flags = parts[1:]
        for flag in flags:
            if flag not in FLAGS:
                raise W2VError(f"variant {name!r}: unknown flag {flag!r}; {allowed}")
        positions = [FLAGS.index(f) for f in flags]
        if positions != sorted(set(positions)):
            raise W2VError(f"variant {name!r}: flags repeated or out of order; {allowed}")
        raise W2VError(f"variant {name!r}: not a variant name; {allowed}")

    def __str__(self) -> str:
        on = (self.stopwords_removed, self.digits_normalised, self.entities_replaced)
        return "+".join([self.morph] + [f for f, o in zip(FLAGS, on) if o])


# --------------------------------------------------------------------------- cleaning

_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_URL_RE = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"]+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_APOSTROPHE_RE = re.compile("[\u2019\u2018`\u00b4\u02bc\u0091\u0092]")
#: One token: letters/digits, possibly joined by single apostrophes.
_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_DIGIT_RE = re.compile(r"\d")


def _clean(text: str) -> str:
    """Step 1: markup, URLs, e-mails, invisible characters, NFKC, apostrophes (case kept)."""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG_RE.sub(" ", text)
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _EMAIL_RE.sub(" ", text)
    if not text.isascii():
        text = _INVISIBLE_RE.sub("", text)
        text = unicodedata.normalize("NFKC", text)
    return _APOSTROPHE_RE.sub("'", text)


def tokenize(text: str) -> list[str]:
    """Clean, lower-case and split ``text`` into tokens (steps 1 and 3); equals ``normalise(text).split()``."""
    return _TOKEN_RE.findall(_clean(text).lower())


def normalise(text: str) -> str:
    """Return ``text`` cleaned and lower-cased, with every separator turned into a space.

    Separators are all characters except letters, digits and apostrophes that sit
    between two letters/digits. Runs of spaces are kept (``split()`` the result).
    """
    lowered = _clean(text).lower()
    out = []
    pos = 0
    for m in _TOKEN_RE.finditer(lowered):
        out.append(" " * (m.start() - pos))
        out.append(m.group())
        pos = m.end()
    out.append(" " * (len(lowered) - pos))
    return "".join(out)


# --------------------------------------------------------------------------- word-level steps

_CLITICS = ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m")


@functools.lru_cache(maxsize=1)
def _stop_words() -> frozenset:
    """spaCy's English stop words plus contractions of them (``don't``, ``it's``, ``won't``)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    base = {w.replace("\u2019", "'") for w in STOP_WORDS}
    hosts = [w for w in base if "'" not in w] + ["wo", "sha", "ai"]  # won't, shan't, ain't
    return frozenset(base | {h + c for h in hosts for c in _CLITICS})


@functools.lru_cache(maxsize=None)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


@functools.lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


@functools.lru_cache(maxsize=1)
def _lemma_table():
    try:
        from spacy.lookups import load_lookups

        return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    except (ValueError, ImportError, KeyError) as exc:  # pragma: no cover - depends on installation
        raise W2VError(f"spaCy lemma_lookup table: cannot load it ({exc}); "
                       f"pip install spacy-lookups-data") from None


@functools.lru_cache(maxsize=None)
def _lemma(word: str) -> str:
    return _lemma_table().get(word, word)


def _word_steps(tokens: list[str], variant: Variant) -> list[str]:
    """Steps 4-6 on lower-cased tokens."""
    if variant.stopwords_removed:
        stop = _stop_words()
        tokens = [t for t in tokens if t not in stop]
    if variant.digits_normalised:
        tokens = [_DIGIT_RE.sub("0", t) if not t.isalpha() else t for t in tokens]
    if variant.morph == "stem":
        tokens = [_stem(t) for t in tokens]
    elif variant.morph == "lemma":
        tokens = [_lemma(t) for t in tokens]
    return tokens


# --------------------------------------------------------------------------- entities

def load_nlp(model: str | None = None):
    """Load the spaCy pipeline for ``+ner`` (default ``en_core_web_sm``); W2VError if unusable."""
    import spacy

    name = model or "en_core_web_sm"
    try:
        nlp = spacy.load(name)
    except (OSError, ImportError):
        raise W2VError(f"spaCy model {name!r}: not installed; variant +ner needs a spaCy pipeline "
                       f"with NER; install en_core_web_sm or pass --spacy-model NAME") from None
    _check_nlp(nlp, name)
    return nlp


def _check_nlp(nlp, name: str = "the spaCy pipeline") -> None:
    if not (nlp.has_pipe("ner") or nlp.has_pipe("entity_ruler")):
        raise W2VError(f"{name}: has no 'ner' or 'entity_ruler' component (it has "
                       f"{', '.join(nlp.pipe_names) or 'none'}); variant +ner needs a spaCy pipeline with NER; "
                       f"install en_core_web_sm or pass --spacy-model NAME")


def _entity_tokens(cleaned: str, doc, variant: Variant) -> list[str]:
    """Tokens of a cleaned text whose entities (from spaCy ``doc``) become ``<label>``."""
    tokens: list[str] = []
    pos = 0
    for ent in doc.ents:
        if ent.label_ in NUMERIC_ENTITY_LABELS:
            continue
        tokens += _word_steps(_TOKEN_RE.findall(cleaned[pos:ent.start_char].lower()), variant)
        tokens.append(f"<{ent.label_.lower()}>")
        pos = ent.end_char
    tokens += _word_steps(_TOKEN_RE.findall(cleaned[pos:].lower()), variant)
    return tokens


def _ner_components(nlp) -> list[str]:
    """Components that must not be disabled to get entities (the rest is switched off)."""
    keep = {"tok2vec", "transformer", "ner", "entity_ruler"}
    return [n for n in nlp.pipe_names if n not in keep]


# --------------------------------------------------------------------------- public entry points

def preprocess_text(text: str, variant: Variant | str, nlp=None) -> list[str]:
    """Return the tokens of ``text`` under ``variant`` (see the module docstring for the steps).

    ``nlp`` is the spaCy pipeline for ``+ner`` (default: :func:`load_nlp`).
    """
    if isinstance(variant, str):
        variant = Variant.parse(variant)
    if variant.entities_replaced:
        if nlp is None:
            nlp = load_nlp()
        else:
            _check_nlp(nlp)
        cleaned = _clean(text)
        with nlp.select_pipes(disable=_ner_components(nlp)):
            doc = nlp(cleaned)
        return _entity_tokens(cleaned, doc, variant)
    return _word_steps(tokenize(text), variant)


_DOCS_FIX = "rerun the data stage (w2v extract) to rebuild it"
_SHARD_FIX = "rerun w2v prepare for this shard"


def _count_lines(path, fix: str = _DOCS_FIX, utf8: bool = False) -> int:
    """Number of lines of a text file (``.gz``: decompressed); a last line without ``\\n`` counts.

    The whole file is read, so a truncated or corrupt gzip file (or, with ``utf8``,
    bytes that are not UTF-8) gives a W2VError naming it, with ``fix`` as the remedy.
    """
    return _read_through(path, fix, utf8)[0]


def _read_through(path, fix: str, utf8: bool) -> tuple[int, bool]:
    """Read a text file through: ``(lines, whether it is empty or ends with a newline)``."""
    import codecs
    import gzip

    n = 0
    last = b"\n"
    decoder = codecs.getincrementaldecoder("utf-8")() if utf8 else None
    gz = str(path).endswith(".gz")
    try:
        with (gzip.open if gz else open)(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                n += chunk.count(b"\n")
                last = chunk[-1:]
                if decoder is not None:
                    decoder.decode(chunk)
            if decoder is not None:
                decoder.decode(b"", final=True)
    except (UnicodeDecodeError, *GZIP_ERRORS) as exc:
        raise unreadable(path, exc, fix) from None
    return n + (last != b"\n"), last == b"\n"


def _iter_texts(path, start: int, stop: int) -> Iterator[str]:
    """Yield the ``text`` field of documents ``start .. stop-1`` of a document table."""
    for lineno, line in enumerate(text_lines(path, _DOCS_FIX), 1):
        i = lineno - 1
        if i < start:
            continue
        if i >= stop:
            break
        try:
            doc = json.loads(line)
            text = doc["text"]
        except json.JSONDecodeError as exc:
            raise W2VError(f"{path}: line {lineno} is not valid JSON ({exc.msg}); {_DOCS_FIX}") from None
        except (KeyError, TypeError):
            raise W2VError(f"{path}: line {lineno} has no 'text' field; {_DOCS_FIX}") from None
        if not isinstance(text, str):
            raise W2VError(f"{path}: line {lineno}: 'text' is not a string; rerun the data stage")
        yield text


def shard_range(n_docs: int, shard: tuple[int, int] | None) -> tuple[int, int]:
    """Return ``[start, stop)`` of shard ``(i, n)``: ``[i*D//n, (i+1)*D//n)``; the whole table for None."""
    if shard is None:
        return 0, n_docs
    i, n = shard
    if not (isinstance(i, int) and isinstance(n, int) and n >= 1 and 0 <= i < n):
        raise W2VError(f"shard {i}/{n}: need 0 <= I < N; e.g. --shard 0/4 .. 3/4")
    return i * n_docs // n, (i + 1) * n_docs // n


def prepare_corpus(docs_path, out_path, variant: Variant | str, shard: tuple[int, int] | None = None,
                   nlp=None, progress: bool = True) -> dict:
    """Tokenise a document table under ``variant`` into ``out_path`` (gzip if ``.gz``), atomically.

    One output line per document, in table order (``shard=(i, n)``: only documents
    ``[i*D//n, (i+1)*D//n)``). Returns stats: variant, shard, docs, empty_docs,
    tokens, seconds, tokens_per_s.
    """
    from tqdm import tqdm

    if isinstance(variant, str):
        variant = Variant.parse(variant)
    docs_path = Path(docs_path)
    if not docs_path.is_file():
        raise W2VError(f"{docs_path}: no such document table; run the data stage (w2v extract) first")
    if variant.entities_replaced:
        if nlp is None:
            nlp = load_nlp()
        else:
            _check_nlp(nlp)
    start, stop = shard_range(_count_lines(docs_path), shard)
    t0 = time.perf_counter()
    n_docs = n_tokens = n_empty = 0
    texts = _iter_texts(docs_path, start, stop)
    bar = tqdm(total=stop - start, desc=f"prepare {variant}", unit="doc", file=sys.stderr,
               disable=not progress, mininterval=1.0)
    try:
        # Level 1: about 5x faster than gzip's default 6 for ~20% larger (intermediate) files.
        with atomic_open(out_path, "w", compresslevel=1) as out:
            for tokens in _token_stream(texts, variant, nlp):
                out.write(" ".join(tokens))
                out.write("\n")
                n_docs += 1
                n_tokens += len(tokens)
                n_empty += not tokens
                bar.update(1)
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    return {
        "variant": str(variant),
        "shard": None if shard is None else f"{shard[0]}/{shard[1]}",
        "docs": n_docs,
        "empty_docs": n_empty,
        "tokens": n_tokens,
        "seconds": round(seconds, 3),
        "tokens_per_s": round(n_tokens / seconds) if seconds > 0 else None,
    }


def _token_stream(texts: Iterable[str], variant: Variant, nlp) -> Iterator[list[str]]:
    if not variant.entities_replaced:
        for text in texts:
            yield _word_steps(tokenize(text), variant)
        return
    cleaned = (_clean(t) for t in texts)
    with nlp.select_pipes(disable=_ner_components(nlp)):
        for doc in nlp.pipe(cleaned, batch_size=64):
            yield _entity_tokens(doc.text, doc, variant)


def merge_shards(paths: Sequence[str | os.PathLike], out_path) -> int:
    """Concatenate shard corpora in the given order into ``out_path``, atomically; return the line count.

    Gzip inputs into a gzip output are joined as gzip members (byte copy), after
    each was read through; any other combination is decompressed and rewritten.
    A shard that is truncated, not gzip although named ``.gz``, or not UTF-8 text
    gives a W2VError naming it, and nothing is written under ``out_path``.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise W2VError(f"{out_path}: no shards to merge; pass the shard files in order")
    for p in paths:
        if not p.is_file():
            raise W2VError(f"{p}: shard not found; run w2v prepare --shard for it first")
    out_path = Path(out_path)
    if out_path.suffix == ".gz" and all(p.suffix == ".gz" for p in paths):
        for p in paths:
            with open(p, "rb") as src:
                if src.read(2) != b"\x1f\x8b":
                    raise W2VError(f"{p}: not a gzip file although named .gz; {_SHARD_FIX}")
        checked = [_read_through(p, _SHARD_FIX, utf8=True) for p in paths]
        if all(ends for _, ends in checked):  # else rewritten below, so that no two lines are joined
            with atomic_path(out_path) as tmp, open(tmp, "wb") as out:
                for p in paths:
                    with open(p, "rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
            return sum(n for n, _ in checked)
    n = 0
    with atomic_open(out_path, "w") as out:
        for p in paths:
            for line in text_lines(p, _SHARD_FIX):
                out.write(line if line.endswith("\n") else line + "\n")
                n += 1
    return n


def tail_lines(path: str | os.PathLike, n: int, out_path) -> int:
    """Write the last ``n`` documents (lines) of corpus ``path`` to ``out_path``, atomically; return
    how many were written (fewer when the corpus is shorter). Held-out text for models trained on a
    slice of the first documents (``--max-docs``)."""
    if n < 1:
        raise W2VError(f"--lines {n}: must be at least 1")
    path = Path(path)
    if not path.is_file():
        raise W2VError(f"{path}: no such corpus; give a prepared corpus (one document per line)")
    from collections import deque

    last = deque(text_lines(path, "prepare it again with w2v prepare"), maxlen=n)
    with atomic_open(out_path, "w") as out:
        for line in last:
            out.write(line if line.endswith("\n") else line + "\n")
    return len(last)
