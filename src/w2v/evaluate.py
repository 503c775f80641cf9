"""Intrinsic evaluation of word vectors: analogies, word similarity, rare words, neighbours.

The protocols are gensim's (``KeyedVectors.evaluate_word_analogies`` and
``evaluate_word_pairs``), so numbers can be compared with gensim's directly:

- Analogies (``questions-words.txt``: ``: section`` headers, then ``a b c d``
  meaning ``a : b :: c : d``). Only the ``restrict_vocab`` most frequent words
  are candidates; a question with any word outside them is not covered (skipped).
  The answer is the best candidate other than ``a``, ``b``, ``c``: 3CosAdd
  (``b - a + c``) and/or 3CosMul (Levy & Goldberg 2014). With
  ``case_insensitive`` words are compared upper-cased and each word takes the
  vector of its most frequent case variant. Sections whose name starts with
  ``gram`` are syntactic, the others semantic. Questions are answered in blocks
  with matrix products over the unit vectors.
- Word pairs (WordSim-353 ``wordsim353.tsv``, SimLex-999 ``simlex999.txt`` as
  shipped with gensim: ``#`` comments, then ``w1<TAB>w2<TAB>score``): Spearman
  and Pearson correlation between the human scores and the cosines of the pairs
  whose two words are in the vocabulary.
- Rare words: the same metrics split by the frequency bucket of the rarest word
  of each question / pair (:func:`frequency_buckets`).

The default benchmark files are looked up by :func:`default_benchmark`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from w2v.errors import W2VError
from w2v.io import text_lines
from w2v.vectors import KeyedVectors

if TYPE_CHECKING:  # pandas, scipy and tqdm are imported where used: `w2v train` needs none of them
    import pandas as pd

__all__ = [
    "ANALOGIES_FILE",
    "DEFAULT_RANK_EDGES",
    "SIMLEX_FILE",
    "WORDSIM_FILE",
    "FrequencyBuckets",
    "default_benchmark",
    "evaluate_all",
    "evaluate_analogies",
    "evaluate_by_frequency",
    "evaluate_word_pairs",
    "frequency_buckets",
    "neighbours_table",
    "ranked",
    "read_analogies",
    "read_ranking",
    "read_word_pairs",
]

ANALOGIES_FILE = "questions-words.txt"
WORDSIM_FILE = "wordsim353.tsv"
SIMLEX_FILE = "simlex999.txt"
#: Default bucket edges by frequency rank: ranks 1-1000, 1001-5000, 5001-20000, 20001+.
DEFAULT_RANK_EDGES = (1000, 5000, 20000)

_BLOCK = 256  # analogy questions per matrix product
_REPO_DATA = Path(__file__).resolve().parents[2] / "data"


def default_benchmark(name: str) -> Path:
    """Find a benchmark file (``questions-words.txt``, ``wordsim353.tsv``, ``simlex999.txt``).

    Looked up, first found wins: ``$W2V_BENCHMARKS/<name>``, then
    ``data/benchmarks/`` and ``data/sample/`` under the current directory, then
    the same two folders of the source checkout this package was installed from.
    """
    dirs = []
    if os.environ.get("W2V_BENCHMARKS"):
        dirs.append(Path(os.environ["W2V_BENCHMARKS"]))
    for root in (Path("data"), _REPO_DATA):
        dirs += [root / "benchmarks", root / "sample"]
    for d in dirs:
        if (d / name).is_file():
            return d / name
    raise W2VError(f"{name}: benchmark file not found in {', '.join(map(str, dirs))}; "
                   "pass its path explicitly or set W2V_BENCHMARKS to the folder holding it")


# --------------------------------------------------------------------- readers
def _benchmark_lines(path, what: str, fix: str):
    """The lines of a benchmark file; a W2VError naming it when it is missing or unreadable."""
    try:
        yield from text_lines(path, fix, errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise W2VError(f"{path}: no such {what} file; {fix}") from None


def read_analogies(path: str | os.PathLike) -> tuple[list[str], list[tuple[int, str, str, str, str]]]:
    """Parse a questions-words file: (section names, [(section index, a, b, c, d), ...])."""
    sections: list[str] = []
    questions = []
    fix = f"give the path of a {ANALOGIES_FILE} file (`w2v download questions-words` fetches it)"
    for line_no, line in enumerate(_benchmark_lines(path, "analogy questions", fix), start=1):
        if not line.strip():
            continue
        if line.startswith(":"):
            sections.append(line.lstrip(": ").strip())
            continue
        words = line.split()
        if len(words) != 4:
            raise W2VError(f"{path}: line {line_no} has {len(words)} words, expected 4 ('a b c d')")
        if not sections:
            raise W2VError(f"{path}: line {line_no} comes before the first ': section' header")
        questions.append((len(sections) - 1, *words))
    if not questions:
        raise W2VError(f"{path}: no analogy questions found; expected ': section' headers and 'a b c d' lines")
    return sections, questions


def read_word_pairs(path: str | os.PathLike) -> list[tuple[str, str, float]]:
    """Parse a word-pair file (``#`` comments, ``w1<TAB>w2<TAB>score``)."""
    pairs = []
    fix = (f"give the path of a word-pair file such as {WORDSIM_FILE} or {SIMLEX_FILE} "
           f"(the repository's data/benchmarks/ holds both)")
    for line_no, line in enumerate(_benchmark_lines(path, "word-pair", fix), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\r\n").split("\t")
        try:
            a, b, score = parts
            pairs.append((a, b, float(score)))
        except ValueError:
            raise W2VError(f"{path}: line {line_no} is not 'word1<TAB>word2<TAB>score'") from None
    if not pairs:
        raise W2VError(f"{path}: no word pairs found; expected 'word1<TAB>word2<TAB>score' lines")
    return pairs


# -------------------------------------------------------------------- analogies
def _vocab_ids(kv: KeyedVectors, restrict_vocab: int | None, case_insensitive: bool):
    """Lookup key -> index among the first ``restrict_vocab`` words (first case variant wins),
    and for every candidate the index of its key's first variant."""
    limit = len(kv) if not restrict_vocab else min(int(restrict_vocab), len(kv))
    lookup: dict[str, int] = {}
    canon = np.empty(limit, dtype=np.int64)
    for i, w in enumerate(kv.index_to_key[:limit]):
        canon[i] = lookup.setdefault(w.upper() if case_insensitive else w, i)
    return lookup, canon


def _unit_rows(kv: KeyedVectors, rows) -> np.ndarray:
    """Unit vectors of some rows, without normalising a huge matrix just for them."""
    if kv._normed is not None:
        return kv._normed[rows]
    vecs = kv.vectors[rows]
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vecs / norms, dtype=np.float32)


def _answer_analogies(kv: KeyedVectors, questions, restrict_vocab, methods, case_insensitive):
    """For each question: its four word indices (-1 if not covered) and, per method, whether it was right."""
    lookup, canon = _vocab_ids(kv, restrict_vocab, case_insensitive)
    key = str.upper if case_insensitive else str
    ids = np.array([[lookup.get(key(w), -1) for w in q[1:]] for q in questions], dtype=np.int64).reshape(-1, 4)
    covered = np.flatnonzero((ids >= 0).all(axis=1))
    normed = _unit_rows(kv, slice(0, len(canon)))
    variants: dict[int, np.ndarray] = {}  # canonical index -> all its case variants (if more than one)
    if len(np.unique(canon)) < len(canon):
        order = np.argsort(canon, kind="stable")
        groups = np.split(order, np.flatnonzero(np.diff(canon[order])) + 1)
        variants = {int(canon[g[0]]): g for g in groups if len(g) > 1}
    correct = {m: np.zeros(len(questions), dtype=bool) for m in methods}
    from tqdm import tqdm

    # a bar only for long work, and only on a terminal (disable=None): not into log files
    for start in tqdm(range(0, len(covered), _BLOCK), desc="analogies", unit="block",
                      disable=True if len(covered) < 20 * _BLOCK else None, leave=False):
        rows = covered[start:start + _BLOCK]
        a, b, c, d = ids[rows].T
        for m in methods:
            if m == "add":
                scores = (normed[b] - normed[a] + normed[c]) @ normed.T
            elif m == "mul":
                # ((1+cb)/2) ((1+cc)/2) / ((1+ca)/2 + 1e-6), in place on one stacked product
                cos = normed[np.concatenate([a, b, c])] @ normed.T
                cos += 1
                ca, cb, scores = np.split(cos, 3)
                scores *= cb
                ca += 2e-6
                ca *= 2
                scores /= ca
            else:
                raise ValueError(f"analogy method must be 'add' or 'mul', not {m!r}")
            r = np.arange(len(rows))
            for col in (a, b, c):
                scores[r, col] = -np.inf
                for q in (np.flatnonzero(np.isin(col, list(variants))) if variants else ()):
                    scores[q, variants[int(col[q])]] = -np.inf
            pred = np.argmax(scores, axis=1)
            correct[m][rows] = canon[pred] == d
    return ids, covered, correct


def _accuracy(correct: int, total: int) -> dict:
    return {"correct": int(correct), "total": int(total),
            "accuracy": float(correct / total) if total else None}


def evaluate_analogies(kv: KeyedVectors, path: str | os.PathLike, restrict_vocab: int | None = 30000,
                       methods: Sequence[str] = ("add", "mul"), case_insensitive: bool = True) -> dict:
    """Score analogy questions with each method (``"add"`` = 3CosAdd, ``"mul"`` = 3CosMul).

    Returns ``{"file", "restrict_vocab", "questions", "covered", "coverage",
    "methods": {method: {"sections": [{"section", "questions", "correct",
    "total", "accuracy"}...], "semantic", "syntactic", "total"}}}`` where
    ``total`` counts the covered questions, ``accuracy = correct / total``
    (``None`` when nothing was covered) and ``coverage = covered / questions``.
    For 3CosAdd the correct count equals gensim's ``evaluate_word_analogies``.
    """
    sections, questions = read_analogies(path)
    _, covered, correct = _answer_analogies(kv, questions, restrict_vocab, methods, case_insensitive)
    sec = np.array([q[0] for q in questions], dtype=np.int64)
    is_covered = np.zeros(len(questions), dtype=bool)
    is_covered[covered] = True
    syntactic = np.array([s.startswith("gram") for s in sections], dtype=bool)[sec]
    result = {"file": str(path), "restrict_vocab": restrict_vocab, "questions": len(questions),
              "covered": int(is_covered.sum()), "coverage": float(is_covered.mean()), "methods": {}}
    for m in methods:
        ok = correct[m]
        per_section = []
        for s, name in enumerate(sections):
            mask = sec == s
            per_section.append({"section": name, "questions": int(mask.sum()),
                                **_accuracy(ok[mask].sum(), is_covered[mask].sum())})
        result["methods"][m] = {
            "sections": per_section,
            "semantic": _accuracy(ok[~syntactic].sum(), is_covered[~syntactic].sum()),
            "syntactic": _accuracy(ok[syntactic].sum(), is_covered[syntactic].sum()),
            "total": _accuracy(ok.sum(), is_covered.sum()),
        }
    return result


# -------------------------------------------------------------------- word pairs
def _pair_similarities(kv: KeyedVectors, pairs, restrict_vocab, case_insensitive):
    """Word indices of each pair (-1 if out of vocabulary) and the cosine of the covered pairs."""
    lookup, _ = _vocab_ids(kv, restrict_vocab, case_insensitive)
    key = str.upper if case_insensitive else str
    ids = np.array([[lookup.get(key(a), -1), lookup.get(key(b), -1)] for a, b, _ in pairs],
                   dtype=np.int64).reshape(-1, 2)
    used = (ids >= 0).all(axis=1)
    cos = np.full(len(pairs), np.nan)
    cos[used] = np.einsum("ij,ij->i", _unit_rows(kv, ids[used, 0]), _unit_rows(kv, ids[used, 1]))
    return ids, used, cos


def _correlations(gold: np.ndarray, model: np.ndarray) -> dict:
    """Spearman and Pearson correlation (``None`` if fewer than 2 pairs or a constant side)."""
    if len(gold) < 2 or np.ptp(gold) == 0 or np.ptp(model) == 0:
        return {"spearman": None, "spearman_p": None, "pearson": None, "pearson_p": None}
    from scipy import stats

    sp = stats.spearmanr(gold, model)
    pe = stats.pearsonr(gold, model)
    return {"spearman": float(sp.statistic), "spearman_p": float(sp.pvalue),
            "pearson": float(pe.statistic), "pearson_p": float(pe.pvalue)}


def evaluate_word_pairs(kv: KeyedVectors, path: str | os.PathLike, restrict_vocab: int | None = None,
                        case_insensitive: bool = True) -> dict:
    """Correlate cosine similarities with human scores of word pairs.

    Returns ``{"file", "pairs", "used", "skipped_oov", "oov_ratio", "spearman",
    "spearman_p", "pearson", "pearson_p"}``; correlations are ``None`` when
    fewer than two pairs are in the vocabulary. Pairs with a word outside the
    first ``restrict_vocab`` words (all if ``None``) are skipped, as in gensim.
    """
    pairs = read_word_pairs(path)
    _, used, cos = _pair_similarities(kv, pairs, restrict_vocab, case_insensitive)
    gold = np.array([p[2] for p in pairs], dtype=np.float64)
    return {"file": str(path), "pairs": len(pairs), "used": int(used.sum()),
            "skipped_oov": int((~used).sum()), "oov_ratio": float((~used).mean()),
            **_correlations(gold[used], cos[used])}


# ------------------------------------------------------------------ rare words
@dataclass(frozen=True)
class FrequencyBuckets:
    """A frequency bucket for every word: ``labels[of_index[i]]`` is word ``i``'s bucket.

    Buckets are ordered from the most to the least frequent, so the rarest word
    of a question is the one with the largest bucket number.
    """

    labels: tuple[str, ...]
    of_index: np.ndarray


def frequency_buckets(kv: KeyedVectors, edges: Sequence[int] = DEFAULT_RANK_EDGES,
                      by: str = "rank") -> FrequencyBuckets:
    """Split the vocabulary into frequency buckets.

    ``by="rank"`` (default): ``edges`` are increasing frequency ranks (1-based,
    the file order, most frequent first); the default ``(1000, 5000, 20000)``
    gives ranks 1-1000, 1001-5000, 5001-20000 and 20001+. ``by="count"``:
    ``edges`` are decreasing corpus counts (needs ``kv.counts``), e.g.
    ``(1000, 100, 10)`` gives counts >=1000, 100-999, 10-99 and <10.
    """
    edges = [int(e) for e in edges]
    if by == "rank":
        if edges != sorted(set(edges)) or (edges and edges[0] < 1):
            raise W2VError(f"frequency bucket edges {edges}: rank edges must be increasing and positive")
        lows = [1] + [e + 1 for e in edges]
        labels = [f"{lo}-{hi}" for lo, hi in zip(lows, edges)] + [f"{lows[-1]}+"]
        of_index = np.searchsorted(np.array(edges), np.arange(1, len(kv) + 1), side="left")
    elif by == "count":
        if kv.counts is None:
            raise W2VError("frequency buckets by count need word counts; load a model directory with "
                           "vocab.tsv, or bucket by rank")
        if edges != sorted(set(edges), reverse=True) or (edges and edges[-1] < 1):
            raise W2VError(f"frequency bucket edges {edges}: count edges must be decreasing and positive")
        highs = [None] + [e - 1 for e in edges]
        labels = [f"count>={edges[0]}" if edges else "all"]
        labels += [f"count {lo}-{hi}" for lo, hi in zip(edges[1:], highs[1:-1])]
        if edges:
            labels.append(f"count<{edges[-1]}")
        of_index = (kv.counts[:, None] < np.array(edges)[None, :]).sum(axis=1)
    else:
        raise W2VError(f"frequency buckets: 'by' must be 'rank' or 'count', not {by!r}")
    return FrequencyBuckets(tuple(labels), np.asarray(of_index, dtype=np.int64))


def evaluate_by_frequency(kv: KeyedVectors, analogies_path: str | os.PathLike | None,
                          pairs_paths: Iterable[str | os.PathLike] = (),
                          buckets: FrequencyBuckets | None = None, restrict_vocab: int | None = 30000,
                          methods: Sequence[str] = ("add",), case_insensitive: bool = True) -> pd.DataFrame:
    """Analogy accuracy and pair correlations split by the bucket of the rarest word.

    One row per (benchmark, method, bucket) with columns ``benchmark, kind
    ("analogy"/"similarity"), method ("add"/"mul"/"cosine"), bucket, n, correct,
    accuracy, spearman, pearson``; ``n`` is the number of covered questions
    (used pairs) in the bucket. The extra bucket ``"oov"`` counts the
    questions / pairs skipped for a word outside the first ``restrict_vocab``
    words. ``buckets`` defaults to :func:`frequency_buckets` by rank.
    """
    buckets = buckets or frequency_buckets(kv)
    labels = list(buckets.labels)
    rows = []

    def rarest(ids_covered):
        return buckets.of_index[ids_covered].max(axis=1) if len(ids_covered) else np.zeros(0, dtype=np.int64)

    if analogies_path is not None:
        _, questions = read_analogies(analogies_path)
        ids, covered, correct = _answer_analogies(kv, questions, restrict_vocab, methods, case_insensitive)
        bucket = rarest(ids[covered])
        for m in methods:
            ok = correct[m][covered]
            for b, label in enumerate(labels):
                mask = bucket == b
                acc = _accuracy(ok[mask].sum(), mask.sum())
                rows.append(dict(benchmark=Path(analogies_path).name, kind="analogy", method=m, bucket=label,
                                 n=acc["total"], correct=acc["correct"], accuracy=acc["accuracy"]))
            rows.append(dict(benchmark=Path(analogies_path).name, kind="analogy", method=m, bucket="oov",
                             n=len(questions) - len(covered)))
    for path in pairs_paths:
        pairs = read_word_pairs(path)
        ids, used, cos = _pair_similarities(kv, pairs, restrict_vocab, case_insensitive)
        gold = np.array([p[2] for p in pairs], dtype=np.float64)[used]
        cos, bucket = cos[used], rarest(ids[used])
        for b, label in enumerate(labels):
            mask = bucket == b
            corr = _correlations(gold[mask], cos[mask])
            rows.append(dict(benchmark=Path(path).name, kind="similarity", method="cosine", bucket=label,
                             n=int(mask.sum()), spearman=corr["spearman"], pearson=corr["pearson"]))
        rows.append(dict(benchmark=Path(path).name, kind="similarity", method="cosine", bucket="oov",
                         n=int((~used).sum())))
    columns = ["benchmark", "kind", "method", "bucket", "n", "correct", "accuracy", "spearman", "pearson"]
    import pandas as pd

    table = pd.DataFrame(rows, columns=columns)
    return table.astype({"n": "Int64", "correct": "Int64", "accuracy": float, "spearman": float, "pearson": float})


# ------------------------------------------------------------------ neighbours
def neighbours_table(kv: KeyedVectors, probes: Iterable[str], topn: int = 10) -> pd.DataFrame:
    """Nearest neighbours of each probe word: columns ``probe, rank, neighbour, cosine, in_vocab``.

    A probe not in the vocabulary gets one row with ``in_vocab=False``, rank 0,
    an empty neighbour and a NaN cosine.
    """
    rows = []
    for probe in probes:
        if probe not in kv:
            rows.append(dict(probe=probe, rank=0, neighbour="", cosine=float("nan"), in_vocab=False))
            continue
        for rank, (word, cos) in enumerate(kv.most_similar(probe, topn=topn), start=1):
            rows.append(dict(probe=probe, rank=rank, neighbour=word, cosine=cos, in_vocab=True))
    import pandas as pd

    return pd.DataFrame(rows, columns=["probe", "rank", "neighbour", "cosine", "in_vocab"])


# ------------------------------------------------------------------ one ranking for every trainer
def read_ranking(path: str | os.PathLike) -> list[str]:
    """The words of a vocabulary stage's ``vocab.tsv``, most frequent first (ties by word)."""
    from w2v.vocab import Vocabulary

    return list(Vocabulary.load_tsv(path).words)


def ranked(kv: KeyedVectors, ranking: Sequence[str],
           restrict_vocab: int | None = None) -> tuple[KeyedVectors, int | None]:
    """``kv`` with its rows in the order of ``ranking``, and the restriction that asks the same questions.

    Every trainer writes its words by count but breaks ties its own way (word2vec.c
    in hash order, gensim by first occurrence, w2v by word), so the first N rows
    of two vectors files trained on one corpus are not the same N words, and
    "the N most frequent words" asks them different questions. With one ranking
    (the corpus's counts, then the word) shared by every model, the rows of
    ``ranking`` come first in its order and the model's other words after them;
    the restriction becomes the number of the first ``restrict_vocab`` ranked
    words the model has, so the candidates are exactly those words (a ranked
    word without a vector leaves its questions uncovered).
    """
    have = kv.key_to_index
    top = ranking if not restrict_vocab else ranking[:int(restrict_vocab)]
    first = [w for w in top if w in have]
    placed = set(first)
    rest = [w for w in ranking[len(top):] if w in have and w not in placed]
    placed.update(rest)
    rest += [w for w in kv.index_to_key if w not in placed]
    order = [have[w] for w in first + rest]
    counts = None if kv.counts is None else np.asarray(kv.counts)[order]
    out = KeyedVectors(first + rest, kv.vectors[order], counts=counts)
    return out, (len(first) if restrict_vocab else restrict_vocab)


# ------------------------------------------------------------------ everything
def evaluate_all(model_dir_or_vectors: str | os.PathLike | KeyedVectors,
                 analogies: str | os.PathLike | None, wordsim: str | os.PathLike | None,
                 simlex: str | os.PathLike | None, restrict_vocab: int | None = 30000,
                 probes: Sequence[str] = (), topn: int = 10, ranking: Sequence[str] | None = None) -> dict:
    """Run every benchmark given (``None`` skips one) on a model directory, vectors file or vectors.

    With ``ranking`` (:func:`read_ranking`) the ``restrict_vocab`` most frequent
    words are those of the ranking, the same for every model (:func:`ranked`);
    without it, the vectors' first rows.
    Returns ``{"vectors", "words", "dimensions", "restrict_vocab", "ranked_by", "summary",
    "analogies", "wordsim353", "simlex999", "neighbours", "probes_missing"}``;
    ``summary`` holds the headline numbers flat (analogy accuracy per method,
    semantic/syntactic, coverage, Spearman of each pair set).
    """
    if isinstance(model_dir_or_vectors, KeyedVectors):
        kv, source = model_dir_or_vectors, None
    else:
        kv, source = KeyedVectors.load(model_dir_or_vectors), str(model_dir_or_vectors)
    out: dict = {"vectors": source, "words": len(kv), "dimensions": kv.vector_size,
                 "restrict_vocab": restrict_vocab, "ranked_by": "vectors file order", "summary": {}}
    candidates = restrict_vocab
    if ranking is not None:
        kv, candidates = ranked(kv, ranking, restrict_vocab)
        out["ranked_by"] = "shared corpus ranking"
        out["ranked_words_present"] = candidates
    summary = out["summary"]
    if analogies is not None:
        res = evaluate_analogies(kv, analogies, restrict_vocab=candidates)
        out["analogies"] = res
        summary["analogy_coverage"] = res["coverage"]
        for m, r in res["methods"].items():
            for part in ("total", "semantic", "syntactic"):
                summary[f"analogy_{m}_{part}"] = r[part]["accuracy"]
    for name, path in (("wordsim353", wordsim), ("simlex999", simlex)):
        if path is not None:
            res = evaluate_word_pairs(kv, path)
            out[name] = res
            summary[f"{name}_spearman"] = res["spearman"]
            summary[f"{name}_pearson"] = res["pearson"]
            summary[f"{name}_used"] = res["used"]
    if probes:
        table = neighbours_table(kv, probes, topn=topn)
        out["neighbours"] = {p: [[r.neighbour, r.cosine] for r in g.itertuples()]
                             for p, g in table[table.in_vocab].groupby("probe", sort=False)}
        out["probes_missing"] = [p for p in probes if p not in kv]
    return out
