"""The summary table of a grid of trained models and the numbers drawn from it.

A *run directory* is what ``w2v train`` (or the gensim reference trainer)
writes: ``train.json`` plus, after the later stages, ``eval.json`` and one
``classify*.json`` per classifier. :func:`collect` turns many run directories
into one DataFrame with one row per model (saved as CSV); :func:`aggregate`
averages the seeds of each study level; :func:`study_rows`,
:func:`classifier_table` and :func:`gensim_pairs` arrange the rows the way the
report compares them. Two levels are compared by :func:`difference_ci`: the
difference over seeds (paired by seed, else Welch's) with its 95 % confidence
interval from Student's t, decided only when the interval excludes 0.
:func:`rare_word_table` reads each run's ``frequency.csv`` (analogy accuracy
by frequency bucket). The sentences and the Markdown file built from these
are in :mod:`w2v.summary_md`, the figures in :mod:`w2v.plots`.

Every metric the report cares about is declared once, in :data:`METRICS`: a
column name, a label, the file it comes from and the JSON paths where it may
be found (the first one present wins). Add a line there to report a new one.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from tqdm import tqdm

from w2v.errors import W2VError
from w2v.io import atomic_open

__all__ = [
    "CLASSIFIER_COLUMNS",
    "CLASSIFY_COST_FIELDS",
    "CLASSIFY_DATASETS",
    "CLASSIFY_TARGETS",
    "FREQUENCY_COLUMNS",
    "GROUP_KEYS",
    "METRICS",
    "TAG_COLUMNS",
    "Difference",
    "Metric",
    "accuracy_ci95",
    "aggregate",
    "baseline_level",
    "classifier_table",
    "classify_datasets",
    "collect",
    "difference_ci",
    "gensim_pairs",
    "level_label",
    "mean_sd",
    "negative_of",
    "paired_ci",
    "paired_difference",
    "rare_word_differences",
    "rare_word_table",
    "read_frequency",
    "read_runs_file",
    "read_summary_csv",
    "study_groups",
    "study_rows",
    "unique_models",
    "welch_ci",
    "write_summary_csv",
]


@dataclass(frozen=True)
class Metric:
    """One reported number: where it comes from and how it is shown.

    ``source`` is ``"train"`` (train.json) or ``"eval"`` (eval.json); ``paths``
    are dotted paths into that JSON, lower-cased, tried in order. ``kind`` is
    ``"accuracy"`` (a fraction; values above 1 are read as percentages and
    divided by 100), ``"correlation"``, ``"rate"`` (per second), ``"seconds"``,
    ``"loss"`` or ``"count"``.
    """

    column: str
    label: str
    source: str
    paths: tuple[str, ...]
    kind: str


def _analogy(method: str, part: str) -> tuple[str, ...]:
    return (f"summary.analogy_{method}_{part}", f"analogies.methods.{method}.{part}.accuracy")


def _pairs(name: str, field: str) -> tuple[str, ...]:
    return (f"summary.{name}_{field}", f"{name}.{field}")


#: The metric columns of the summary, in display order (one place to extend).
#: eval.json paths follow ``w2v.evaluate.evaluate_all``; train.json paths cover
#: ``w2v train`` and the gensim reference (``words_per_second``, ``seconds``).
METRICS: tuple[Metric, ...] = (
    Metric("analogy_add_total", "analogy 3CosAdd", "eval", _analogy("add", "total"), "accuracy"),
    Metric("analogy_add_semantic", "analogy 3CosAdd semantic", "eval", _analogy("add", "semantic"), "accuracy"),
    Metric("analogy_add_syntactic", "analogy 3CosAdd syntactic", "eval", _analogy("add", "syntactic"), "accuracy"),
    Metric("analogy_mul_total", "analogy 3CosMul", "eval", _analogy("mul", "total"), "accuracy"),
    Metric("analogy_mul_semantic", "analogy 3CosMul semantic", "eval", _analogy("mul", "semantic"), "accuracy"),
    Metric("analogy_mul_syntactic", "analogy 3CosMul syntactic", "eval", _analogy("mul", "syntactic"), "accuracy"),
    Metric("analogy_coverage", "analogy coverage", "eval", ("summary.analogy_coverage", "analogies.coverage"),
           "accuracy"),
    Metric("restrict_vocab", "restrict-vocab N", "eval", ("restrict_vocab", "analogies.restrict_vocab"), "count"),
    Metric("ws353_spearman", "WordSim-353 Spearman", "eval", _pairs("wordsim353", "spearman"), "correlation"),
    Metric("ws353_skipped", "WordSim-353 pairs skipped", "eval", ("wordsim353.skipped_oov",), "count"),
    Metric("simlex_spearman", "SimLex-999 Spearman", "eval", _pairs("simlex999", "spearman"), "correlation"),
    Metric("simlex_skipped", "SimLex-999 pairs skipped", "eval", ("simlex999.skipped_oov",), "count"),
    Metric("heldout_nll", "held-out NLL (nats)", "eval", ("heldout.mean_nll",), "loss"),
    Metric("heldout_perplexity", "held-out perplexity", "eval", ("heldout.perplexity",), "loss"),
    Metric("words_per_sec", "words/s", "train", ("words_per_sec", "words_per_second"), "rate"),
    Metric("train_seconds", "train s", "train", ("train_seconds", "seconds"), "seconds"),
    Metric("wall_seconds", "wall s", "train", ("wall_seconds",), "seconds"),
    Metric("compile_seconds", "compile s", "train", ("compile_seconds",), "seconds"),
    Metric("final_loss", "final loss", "train", ("final_loss",), "loss"),
    Metric("vocab_size", "vocabulary", "train", ("vocab_size",), "count"),
    Metric("corpus_words", "corpus words", "train", ("corpus_words",), "count"),
)

#: Derived classification columns: the best classifier of each run, and ``cls_accuracy``, the
#: accuracy of the classifier most runs have (:func:`collect`; the grid's classifier, which every
#: model of a study has, so the studies compare like with like).
CLASSIFY_COLUMNS = ("cls_best_accuracy", "cls_best_macro_f1", "cls_accuracy")

#: Study bookkeeping the workflow passes as ``--tag``; each becomes a column.
TAG_COLUMNS = ("study", "factor", "level", "dataset", "variant", "seed")

#: The rows averaged together by :func:`aggregate` share these values.
GROUP_KEYS = ("trainer", "study", "factor", "level", "dataset", "variant")

#: Accuracy targets of the best document classifier, by dataset name fragment.
CLASSIFY_TARGETS: dict[str, float] = {"20news": 0.83, "newsgroups": 0.83, "imdb": 0.895}

#: The classification data sets in report order (others follow, by name), with what each is.
CLASSIFY_DATASETS: dict[str, str] = {
    "20newsgroups": "as distributed",
    "20newsgroups_stripped": "headers, footers and quotes removed",
    "imdb": "",
}

#: Cost fields of a classify JSON, each kept per classifier as ``cls.<name>.<field>``: wall seconds
#: of the fit and peak resident memory of the process (MB).
CLASSIFY_COST_FIELDS = ("seconds", "peak_rss_mb")

_METRIC_BY_COLUMN = {m.column: m for m in METRICS}
_STRING_COLUMNS = ("run", "model_dir", "own_study", "cls_common_name", "trainer", *TAG_COLUMNS, "cls_best_name", "cls_absent", "loss_per_epoch", "tag.studies",
                   "absent_reason")


# ----------------------------------------------------------------------------
# collecting run directories


def _flatten(obj, prefix: str = "") -> dict[str, object]:
    """Flatten nested JSON into ``{"a.b.c": value}`` with lower-cased keys.

    A list of objects that each name a ``section`` (eval.json's per-section
    analogy scores) is keyed by that name; other lists stay as values.
    """
    out: dict[str, object] = {}
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            name = f"{prefix}.{str(key).lower()}" if prefix else str(key).lower()
            out.update(_flatten(value, name))
    elif isinstance(obj, list) and obj and all(isinstance(x, Mapping) and "section" in x for x in obj):
        for item in obj:
            rest = {k: v for k, v in item.items() if k != "section"}
            out.update(_flatten(rest, f"{prefix}.{str(item['section']).lower()}"))
    else:
        out[prefix] = obj
    return out


def _number(value) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _read_json(path: Path) -> dict | None:
    """Read a JSON object; a missing file gives ``None``, a broken one a W2VError."""
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise W2VError(f"{path}: not valid JSON ({exc}); rerun the stage that wrote it") from None
    if not isinstance(obj, dict):
        raise W2VError(f"{path}: expected a JSON object, found {type(obj).__name__}; "
                       f"rerun the stage that wrote it")
    return obj


def _pick(flat: Mapping[str, object], metric: Metric) -> float:
    for path in metric.paths:
        if path in flat:
            value = _number(flat[path])
            if metric.kind == "accuracy" and value > 1.0:
                value /= 100.0
            return value
    return math.nan


def _classifier_name(path: Path, obj: Mapping) -> str:
    """``method_pooling`` (``mlp_mean``, ``svm_scdv``), ``method`` alone without a pooling
    (``tfidf_logreg``), ``_bigrams`` added where the features include bigrams (``settings.ngrams`` 2),
    else the file name after ``classify``."""
    parts = [str(obj[k]) for k in ("method", "pooling") if obj.get(k) not in (None, "")]
    if parts:
        settings = obj.get("settings") if isinstance(obj.get("settings"), Mapping) else {}
        ngrams = _number(settings.get("ngrams"))
        if ngrams == 2:
            parts.append("bigrams")
        elif ngrams > 2:
            parts.append(f"{int(ngrams)}grams")
        return "_".join(parts)
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.stem
    stem = stem.removeprefix("classify")
    return stem.strip("_-.") or "classifier"


def _add_classify(row: dict, path: Path, obj: Mapping) -> None:
    name = _classifier_name(path, obj)
    if str(obj.get("status", "")).lower() == "absent":
        reason = str(obj.get("reason", "no reason given"))
        row["cls_absent"] = "; ".join(filter(None, [row.get("cls_absent"), f"{name}: {reason}"]))
        return
    for field in ("accuracy", "macro_f1"):
        value = _number(obj.get(field))
        if value > 1.0:
            value /= 100.0
        row[f"cls.{name}.{field}"] = value
    for field in CLASSIFY_COST_FIELDS:  # the cost of the fit, where the JSON records it
        value = _number(obj.get(field))
        if not math.isnan(value):
            row[f"cls.{name}.{field}"] = value


_KIND_DIRS = ("models", "gensim", "baselines")


def _from_path(run: Path) -> dict[str, str]:
    """dataset / variant / seed from a workflow path ``<results>/<dataset>/<kind>/<variant>/.../seed<N>``."""
    parts = run.parts
    out: dict[str, str] = {}
    for i, part in enumerate(parts):
        if part in _KIND_DIRS and 0 < i < len(parts) - 2:
            out["dataset"], out["variant"] = parts[i - 1], parts[i + 1]
    if parts and parts[-1].startswith("seed") and parts[-1][4:].isdigit():
        out["seed"] = parts[-1][4:]
    return out


def _row(run: Path, extra: Sequence[Path]) -> dict:
    row: dict[str, object] = {"run": str(run), "model_dir": str(extra[0].parent if extra else run)}
    train = _read_json(run / "train.json") or {}
    tags = train.get("tags") or {}
    config = train.get("config") or train.get("settings") or {}
    if train:
        row["trainer"] = str(train.get("trainer", "w2v"))
    else:
        row["trainer"] = "pretrained" if run.name == "pretrained" else "baseline"
    guessed = _from_path(run)
    for key in TAG_COLUMNS:
        value = tags.get(key, guessed.get(key))
        row[key] = None if value is None else str(value)
    if row["seed"] is None and "seed" in config:
        row["seed"] = str(config["seed"])
    for key, value in config.items():
        row[f"cfg.{key}"] = value if isinstance(value, (int, float, str, bool)) or value is None else str(value)
    for key, value in tags.items():
        if key not in TAG_COLUMNS:
            row[f"tag.{key}"] = None if value is None else str(value)
    for key, value in (train.get("versions") or {}).items():
        row[f"version.{key}"] = str(value)
    own = Path(row["model_dir"])
    if own != run and tags:  # a study's view of a model: the model's own tags say whether it is the baseline
        own_tags = (_read_json(own / "train.json") or {}).get("tags") or {}
        row["own_study"] = own_tags.get("study")
    losses = train.get("loss_per_epoch")
    row["loss_per_epoch"] = json.dumps([_number(x) for x in losses]) if isinstance(losses, list) else None
    if str(train.get("status", "")).lower() == "absent":
        row["absent_reason"] = str(train.get("reason") or "no reason given")

    eval_paths = [p for p in extra if p.name.startswith("eval")] or [run / "eval.json"]
    cls_paths = [p for p in extra if not p.name.startswith("eval")]
    cls_paths += sorted(p for p in run.glob("classify*.json") if p not in cls_paths)
    evaluation: dict = {}
    for path in eval_paths:
        evaluation.update(_read_json(path) or {})
    row["ranked_by"] = evaluation.get("ranked_by") if evaluation else None
    flat = {"train": _flatten(train), "eval": _flatten(evaluation)}
    for metric in METRICS:
        row[metric.column] = _pick(flat[metric.source], metric)
    for key, value in flat["eval"].items():
        number = _number(value)
        if not math.isnan(number):
            row[f"eval.{key}"] = number
    for path in cls_paths:
        obj = _read_json(path)
        if obj is not None:
            _add_classify(row, path, obj)
    accs = {k[len("cls."):-len(".accuracy")]: v for k, v in row.items()
            if k.startswith("cls.") and k.endswith(".accuracy") and not math.isnan(v)}
    if accs:
        best = max(accs, key=lambda k: accs[k])
        row["cls_best_name"] = best
        row["cls_best_accuracy"] = accs[best]
        row["cls_best_macro_f1"] = row.get(f"cls.{best}.macro_f1", math.nan)
    else:
        row["cls_best_name"] = None
        row["cls_best_accuracy"] = math.nan
        row["cls_best_macro_f1"] = math.nan
    return row


def collect(run_dirs: Iterable[str | os.PathLike | tuple], *, progress: bool = True) -> pd.DataFrame:
    """Return one row per run directory, with tags, config and metric columns.

    Each item of ``run_dirs`` is a directory, or a tuple ``(directory, file, ...)``
    naming the eval JSON (a file whose name starts with ``eval``) and classify
    JSON files explicitly when they do not sit in the directory. By default
    ``DIR/train.json``, ``DIR/eval.json`` and ``DIR/classify*.json`` are read;
    missing files give NaN, never an error. ``trainer`` is train.json's (``w2v``
    when unnamed); a directory without train.json is a classifier ``baseline``
    (``pretrained`` when named so). Tags missing from train.json (the gensim
    reference has none) are read from a workflow path
    ``<results>/<dataset>/<models|gensim|baselines>/<variant>/.../seed<N>``.
    ``model_dir`` names the model a row measures (the folder of the first
    explicit file, else the directory): a study *view* of a shared model lists
    the model's own files, so rows of one model can be told apart from seeds.
    Columns: ``run``, ``model_dir``, ``trainer``, the
    :data:`TAG_COLUMNS`, ``cfg.<key>`` for the train config, ``tag.<key>`` for
    other tags, one column per :data:`METRICS` entry, ``eval.<path>`` for every
    number of eval.json, ``cls.<classifier>.accuracy`` / ``.macro_f1`` (and ``.seconds`` /
    ``.peak_rss_mb``, the cost of the fit, where the classify JSON records it),
    ``cls_best_name`` / ``cls_best_accuracy`` / ``cls_best_macro_f1``, ``cls_common_name`` /
    ``cls_accuracy`` (:func:`common_classifier`), ``cls_absent`` (reasons of absent classifiers) and ``loss_per_epoch`` (JSON).
    """
    items = [tuple(x) if isinstance(x, (tuple, list)) else (x,) for x in run_dirs]
    rows = []
    for item in tqdm(items, desc="collect runs", unit="run", disable=not progress or len(items) < 2):
        run = Path(item[0])
        if run.name == "train.json":
            run = run.parent
        if not run.is_dir():
            raise W2VError(f"{run}: run directory does not exist; check the list of runs")
        rows.append(_row(run, [Path(p) for p in item[1:]]))
    columns = ["run", "model_dir", "trainer", *TAG_COLUMNS]
    df = pd.DataFrame(rows)
    for col in columns + [m.column for m in METRICS] + list(CLASSIFY_COLUMNS):
        if col not in df.columns:
            df[col] = None if col in columns else math.nan
    common = common_classifier(df)
    df["cls_common_name"] = common
    if common is not None:
        df["cls_accuracy"] = pd.to_numeric(df[f"cls.{common}.accuracy"], errors="coerce")
    ordered = columns + [m.column for m in METRICS] + ["cls_best_name", "cls_common_name", *CLASSIFY_COLUMNS]
    rest = sorted(c for c in df.columns if c not in ordered)
    return df[ordered + rest]


def common_classifier(df: pd.DataFrame) -> str | None:
    """The classifier that the most trained models (w2v and gensim rows) have, e.g. ``mlp_mean``.

    The best classifier of a run (``cls_best_accuracy``) depends on which classifiers ran on it:
    the extra poolings and the supervised model run on some baseline seeds only, so a level's
    "best" would mix classifiers across seeds and levels. The studies compare this one instead.
    """
    trained = df[df["trainer"].isin(["w2v", "gensim"])] if "trainer" in df else df
    counts = {c[len("cls."):-len(".accuracy")]: int(pd.to_numeric(trained[c], errors="coerce").notna().sum())
              for c in df.columns if c.startswith("cls.") and c.endswith(".accuracy")}
    counts = {k: n for k, n in counts.items() if n > 0}
    if not counts:
        return None
    return max(sorted(counts), key=lambda k: counts[k])


def read_runs_file(path: str | os.PathLike) -> list[tuple[str, ...]]:
    """Read a runs file: one run directory per line, optionally followed by
    whitespace-separated eval/classify JSON paths; blank lines and ``#`` comments skipped."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        raise W2VError(f"{path}: runs file not found; give a file with one run directory per line") from None
    except UnicodeDecodeError:
        raise W2VError(f"{path}: runs file is not UTF-8 text; give one run directory per line") from None
    return [tuple(line.split()) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def write_summary_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the summary DataFrame as CSV, atomically."""
    with atomic_open(path, "w") as fh:
        df.to_csv(fh, index=False)


def read_summary_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a summary CSV written by :func:`write_summary_csv` (tags stay strings)."""
    try:
        df = pd.read_csv(path, dtype={c: "object" for c in _STRING_COLUMNS}, keep_default_na=True)
    except FileNotFoundError:
        raise W2VError(f"{path}: summary CSV not found; run `w2v report summarize` first") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise W2VError(f"{path}: not a summary CSV ({str(exc).splitlines()[0]}); "
                       f"rerun `w2v report summarize`") from None
    for col in _STRING_COLUMNS:
        if col in df.columns:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


# ----------------------------------------------------------------------------
# aggregation over seeds


def _level_order(value) -> tuple:
    number = _number(value)
    if not math.isnan(number):
        return (0, number, "")
    return (1, 0.0, "" if value is None else str(value))


def _metric_columns(df: pd.DataFrame) -> list[str]:
    known = [m.column for m in METRICS] + list(CLASSIFY_COLUMNS)
    extra = sorted(c for c in df.columns if c.startswith("cls.") and c.endswith((".accuracy", ".macro_f1")))
    return [c for c in known + extra if c in df.columns]


def _with_group_keys(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """A copy of ``df`` with every column of ``keys`` present, missing values as "" (one group)."""
    work = df.copy()
    for key in keys:
        if key not in work.columns:
            work[key] = None
        work[key] = work[key].astype(object).where(work[key].notna(), "")
    return work


def aggregate(df: pd.DataFrame, metrics: Sequence[str] | None = None,
              keys: Sequence[str] = GROUP_KEYS) -> pd.DataFrame:
    """Average the seeds of each group: columns ``<metric>_mean``, ``<metric>_sd``
    (sample standard deviation, NaN for one seed) and ``n_seeds`` (rows in the group).

    Groups are the distinct values of ``keys`` (missing tags form their own group);
    rows are sorted by study, then factor, then level (numbers numerically).
    """
    metrics = list(metrics) if metrics is not None else _metric_columns(df)
    keys = list(keys)
    work = _with_group_keys(df, keys)
    out_rows = []
    for group, part in work.groupby(keys, sort=False, dropna=False):
        group = group if isinstance(group, tuple) else (group,)
        row = {k: (v if v != "" else None) for k, v in zip(keys, group)}
        row["n_seeds"] = len(part)
        for col in metrics:
            values = pd.to_numeric(part[col], errors="coerce") if col in part else pd.Series(dtype=float)
            values = values.dropna()
            row[f"{col}_mean"] = float(values.mean()) if len(values) else math.nan
            row[f"{col}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
            row[f"{col}_n"] = len(values)
        out_rows.append(row)
    out = pd.DataFrame(out_rows, columns=keys + ["n_seeds"] + [f"{c}_{s}" for c in metrics
                                                            for s in ("mean", "sd", "n")])
    for key in keys:
        out[key] = out[key].astype(object).where(out[key].notna(), None)
    if len(out):
        order = sorted(range(len(out)), key=lambda i: tuple(
            _level_order(out.iloc[i][k]) if k == "level" else (0, 0.0, str(out.iloc[i][k] or ""))
            for k in keys))
        out = out.iloc[order].reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------
# study levels, rows and comparisons


_LEVEL_NAMES = {
    ("model", "sg"): "Skip-gram", ("model", "cbow"): "CBOW",
    ("loss", "ns"): "negative sampling", ("loss", "hs"): "hierarchical softmax",
    ("loss", "softmax"): "full softmax", ("loss", "nce"): "NCE", ("loss", "sampled"): "sampled softmax",
}


def level_label(factor, level, negative=None) -> str:
    """Readable name of a study level, e.g. ``Skip-gram`` or ``negative sampling with K=15``."""
    factor_s, level_s = str(factor or ""), str(level if level is not None else "")
    if level_s == "baseline":
        return "baseline"
    name = _LEVEL_NAMES.get((factor_s, level_s))
    if name is None and factor_s == "loss":
        name = _LEVEL_NAMES.get(("loss", level_s.rstrip("0123456789")))
    if name is None:
        return f"{factor_s}={level_s}" if factor_s else level_s or "(untagged)"
    k = _number(negative)
    if level_s.startswith(("ns", "nce", "sampled")) and not math.isnan(k):
        name = f"{name} with K={int(k)}"
    return name


class Difference(NamedTuple):
    """A − B of one metric over seeds, with its confidence interval (Student's t).

    ``mean`` is the mean difference; ``low``/``high`` the interval, NaN when it
    cannot be computed (fewer than two pairs, or unpaired with one run on a
    side); ``n`` the number of seed pairs (unpaired: the runs of the smaller
    side); ``paired`` whether runs were paired by seed (else Welch's unpaired
    difference); ``decided`` whether the interval excludes 0; ``n_a``/``n_b``
    the runs of each side; ``dof`` the degrees of freedom of t; ``se`` the
    standard error of the mean difference.
    """

    mean: float
    low: float
    high: float
    n: int
    paired: bool
    decided: bool
    n_a: int
    n_b: int
    dof: float
    se: float


def _t_quantile(confidence: float, dof: float) -> float:
    from scipy.stats import t  # SciPy loads slowly; only the findings need it

    return float(t.ppf(0.5 + confidence / 2, dof))


def _interval(mean: float, se: float, dof: float, confidence: float, scale: float) -> tuple[float, float, bool]:
    """``mean ± t·se`` and whether it excludes 0; float noise (far below the data's scale) counts as 0."""
    half = 0.0 if se == 0 else _t_quantile(confidence, dof) * se
    low, high = mean - half, mean + half
    tol = 1e-12 * max(1.0, scale)
    return low, high, bool(low > tol or high < -tol)


def _values(x) -> np.ndarray:
    arr = pd.to_numeric(pd.Series(list(x), dtype=object), errors="coerce").to_numpy(dtype=float)
    return arr[~np.isnan(arr)]


def paired_ci(differences, confidence: float = 0.95) -> Difference:
    """Confidence interval of the mean of paired differences: ``d̄ ± t(1−α/2, n−1)·s/√n``.

    NaN differences are dropped; with fewer than two the interval is NaN and
    nothing is decided.
    """
    d = _values(differences)
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    if n < 2:
        return Difference(mean, math.nan, math.nan, n, True, False, n, n, math.nan, math.nan)
    se = float(d.std(ddof=1)) / math.sqrt(n)
    low, high, decided = _interval(mean, se, n - 1, confidence, float(np.abs(d).max()))
    return Difference(mean, low, high, n, True, decided, n, n, float(n - 1), se)


def welch_ci(a, b, confidence: float = 0.95) -> Difference:
    """Confidence interval of ``mean(a) − mean(b)`` for unpaired samples (Welch).

    ``se = √(s²a/na + s²b/nb)`` with the Welch–Satterthwaite degrees of freedom;
    NaN values are dropped; with fewer than two values on a side the interval is NaN.
    """
    xa, xb = _values(a), _values(b)
    na, nb = len(xa), len(xb)
    mean = float(xa.mean() - xb.mean()) if na and nb else math.nan
    if na < 2 or nb < 2:
        return Difference(mean, math.nan, math.nan, min(na, nb), False, False, na, nb, math.nan, math.nan)
    va, vb = float(xa.var(ddof=1)) / na, float(xb.var(ddof=1)) / nb
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1)) if se > 0 else float(na + nb - 2)
    scale = float(max(np.abs(xa).max(), np.abs(xb).max()))
    low, high, decided = _interval(mean, se, dof, confidence, scale)
    return Difference(mean, low, high, min(na, nb), False, decided, na, nb, dof, se)


def difference_ci(rows_a: pd.DataFrame, rows_b: pd.DataFrame, col: str, confidence: float = 0.95) -> Difference:
    """``col`` of rows_a minus rows_b over seeds, with its confidence interval.

    Runs are paired by ``seed`` when each side has each of its seeds once and the sides share
    at least two seeds: the difference is over the shared seeds (then t has n−1 degrees of
    freedom, n the number of pairs; a side's other seeds are left out, e.g. the baseline's
    seeds 4 and 5 against a reference run on seeds 1-3). Otherwise the difference is Welch's
    unpaired one. Rows where ``col`` is NaN are left out.
    """
    def side(rows: pd.DataFrame) -> pd.DataFrame:
        if col not in rows:
            return pd.DataFrame({"seed": [], "value": []})
        seeds = rows["seed"] if "seed" in rows else pd.Series([None] * len(rows), index=rows.index)
        out = pd.DataFrame({"seed": seeds.astype(object), "value": pd.to_numeric(rows[col], errors="coerce")})
        return out[out["value"].notna()]

    va, vb = side(rows_a), side(rows_b)
    sa, sb = list(va["seed"]), list(vb["seed"])
    pairable = (len(va) > 0 and all(s is not None and not pd.isna(s) for s in sa + sb)
                and len(set(map(str, sa))) == len(sa) and len(set(map(str, sb))) == len(sb)
                and (sorted(map(str, sa)) == sorted(map(str, sb)) or len(set(map(str, sa)) & set(map(str, sb))) >= 2))
    if pairable:
        va, vb = va.assign(seed=va["seed"].astype(str)), vb.assign(seed=vb["seed"].astype(str))
        merged = va.merge(vb, on="seed", suffixes=("_a", "_b"))
        return paired_ci(merged["value_a"].to_numpy(float) - merged["value_b"].to_numpy(float), confidence)
    return welch_ci(va["value"], vb["value"], confidence)


def paired_difference(df: pd.DataFrame, col: str, a, b, confidence: float = 0.95) -> Difference:
    """``col`` at level a minus level b (see :func:`difference_ci`: paired by seed where the seeds match)."""
    return difference_ci(df[df["level"] == a], df[df["level"] == b], col, confidence)


def baseline_level(df: pd.DataFrame, part: pd.DataFrame):
    """The level of a study group (``part``, rows of :func:`study_rows`) that the others are compared with.

    The level holding the shared baseline model (a model tagged
    ``study=baseline``, or listed in several study views); else the level whose
    setting of the factor equals that model's on the same data set (a study
    with its own overrides, e.g. a corpus slice); else ``None``.
    """
    if not len(part):
        return None
    models = unique_models(df)
    base = models[(models["trainer"] == "w2v") & (models["study"] == "baseline")] if len(models) else models
    if "model_dir" in part and len(base):
        hits = part.loc[part["model_dir"].isin(set(base["model_dir"])), "level"].dropna().unique()
        if len(hits) == 1:
            return hits[0]
    factor = part["factor"].dropna().iloc[0] if part["factor"].notna().any() else None
    col = "variant" if factor == "variant" else f"cfg.{factor}"
    dataset = part["dataset"].dropna().iloc[0] if part["dataset"].notna().any() else None
    base = base[base["dataset"] == dataset] if dataset is not None and len(base) else base
    if factor is None or col not in part or col not in base or not len(base):
        return None
    values = base[col].dropna()
    if not len(values):
        return None
    hits = [lv for lv, rows in part.groupby("level", sort=False)
            if any(_same(v, values.iloc[0]) for v in rows[col].dropna())]
    return hits[0] if len(hits) == 1 else None


def study_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of our own trained models, one per study membership.

    A model shared by several studies and listed by its own directory is
    tagged ``study=baseline`` and lists its memberships in the ``studies`` tag
    as ``study:level;...``; it is repeated once per membership, with that
    study, its factor (taken from the study's other rows, else the study name)
    and level, so each factor's series includes the baseline. Other rows (also
    the workflow's per-study views of the baseline) are kept as they are.
    """
    mine = df[(df["trainer"] == "w2v") & df["study"].notna()] if len(df) else df
    if not len(mine) or "tag.studies" not in mine:
        return mine.copy()
    factors = {}
    for study, factor in zip(mine["study"], mine["factor"]):
        if factor and study != "baseline":
            factors.setdefault(study, factor)
    rows = []
    for _, row in mine.iterrows():
        members = [m.split(":", 1) for m in str(row["tag.studies"] or "").split(";") if ":" in m]
        if row["study"] != "baseline" or not members:
            rows.append(row)
            continue
        for study, level in members:
            copy = row.copy()
            copy["study"], copy["level"] = study, level
            copy["factor"] = factors.get(study, study)
            rows.append(copy)
    return pd.DataFrame(rows).reset_index(drop=True)


def unique_models(df: pd.DataFrame) -> pd.DataFrame:
    """One row per model (``model_dir``): a model listed in several study views, or trained as
    the baseline (``own_study``), is kept once and tagged ``study=factor=level=baseline``."""
    if "model_dir" not in df or not len(df):
        return df
    shared = df["model_dir"].duplicated(keep=False)
    if "own_study" in df:  # listed by one view only, but trained as the baseline
        shared |= df["own_study"].eq("baseline")
    out = df[~df["model_dir"].duplicated()].copy()
    mask = shared.loc[out.index]
    for col in ("study", "factor", "level"):
        out.loc[mask, col] = "baseline"
    return out


def study_groups(df: pd.DataFrame):
    """``(keys, rows)`` per study, data set and preprocessing variant; a study whose factor is the
    variant itself is one group across its variants (``keys["variant"]`` is then empty)."""
    mine = study_rows(df)
    keys = ["study", "factor", "dataset", "variant"]
    work = mine.copy()
    for k in keys:
        work[k] = work[k].astype(object).where(work[k].notna(), "")
    if len(work):
        work.loc[work["factor"] == "variant", "variant"] = ""
    for group, part in work.groupby(keys, sort=True, dropna=False):
        yield dict(zip(keys, group)), mine.loc[part.index]


def negative_of(part: pd.DataFrame, level) -> object:
    """The number of negative samples (``cfg.negative``) of a level's rows, None when not recorded."""
    if "cfg.negative" not in part:
        return None
    values = part.loc[part["level"] == level, "cfg.negative"].dropna()
    return values.iloc[0] if len(values) else None


def _target_for(dataset) -> float:
    name = str(dataset or "").lower()
    for fragment, target in CLASSIFY_TARGETS.items():
        if fragment in name:
            return target
    return math.nan


def classify_datasets(names: Iterable) -> list:
    """The distinct data set names of ``names`` in report order: :data:`CLASSIFY_DATASETS` first,
    the others by name, a missing name (None) last."""
    seen = list(dict.fromkeys(None if n is None or (isinstance(n, float) and math.isnan(n)) else str(n)
                              for n in names))
    order = list(CLASSIFY_DATASETS)

    def key(name):
        if name is None:
            return (2, 0, "")
        return (0, order.index(name), name) if name in order else (1, 0, name)

    return sorted(seen, key=key)


def _tfidf_source(name: str) -> str:
    return "TF-IDF (tokens + bigrams)" if "bigrams" in name else "TF-IDF (tokens)"


_SOURCES = {"gensim": "gensim reference", "pretrained": "pretrained vectors", "random": "random vectors",
            "supervised_random": "random word rows (no w2v vectors)", "baseline": "no trained vectors"}


def _source(row: Mapping, classifier: str | None = None) -> str:
    """Which vectors an aggregated row's classifiers used, in words; ``classifier`` names the features
    of a run without a trainer of its own (a TF-IDF classifier's)."""
    trainer = row.get("trainer")
    if trainer == "w2v":
        if row.get("study") in (None, "baseline"):
            return "w2v baseline model"
        return f"w2v, {row['study']}: {level_label(row.get('factor'), row.get('level'))}"
    if trainer in (None, "baseline") and str(classifier or "").startswith("tfidf"):
        trainer = classifier
    if str(trainer or "").startswith("tfidf"):
        return _tfidf_source(str(trainer))
    return _SOURCES.get(trainer, str(trainer))


def _no_vectors(classifier: str) -> bool:
    """Classifiers that read no trained word vectors: TF-IDF features, random rows."""
    return classifier.startswith(("tfidf", "random"))


def accuracy_ci95(values) -> float:
    """Half-width of the 95 % t interval of the mean: ``t(0.975, n−1)·s/√n`` (NaN below two values)."""
    d = paired_ci(values)  # the interval of a mean, as for paired differences
    return d.high - d.mean


#: Columns of :func:`classifier_table`.
CLASSIFIER_COLUMNS = ("dataset", "variant", "trainer", "source", "classifier", "own_vectors", "transductive", "n",
                      "accuracy_mean", "accuracy_sd", "accuracy_ci95", "macro_f1_mean", "macro_f1_sd",
                      "seconds_mean", "peak_rss_mb_max", "target")


def classifier_table(df: pd.DataFrame) -> pd.DataFrame:
    """Every classifier's accuracy, macro-F1 and cost over seeds, per model group (:data:`GROUP_KEYS`).

    One row per group and classifier with a result. Columns :data:`CLASSIFIER_COLUMNS`:
    ``source`` says which vectors in words; ``own_vectors``: the classifier read this project's
    trained w2v vectors (baseline or study models; not random rows, TF-IDF, gensim or pretrained
    vectors); ``transductive``: those vectors (w2v's or gensim's) were trained on every document's
    text, the test documents' included; ``n`` runs; accuracy and macro-F1 mean and sample sd,
    ``accuracy_ci95`` the half-width of the 95 % t interval of the mean accuracy (NaN for n = 1);
    ``seconds_mean`` the mean wall seconds of one fit, ``peak_rss_mb_max`` the largest peak resident
    memory (MB) of a fit (NaN where not recorded); ``target`` from :data:`CLASSIFY_TARGETS`.
    Sorted by data set (:func:`classify_datasets`), then accuracy (best first).
    """
    df = unique_models(df)
    names = sorted(c[len("cls."):-len(".accuracy")] for c in df.columns
                   if c.startswith("cls.") and c.endswith(".accuracy"))
    keys = list(GROUP_KEYS)
    work = _with_group_keys(df, keys)
    rows = []
    for group, part in (work.groupby(keys, sort=False, dropna=False) if names and len(work) else ()):
        g = {k: (v if v != "" else None) for k, v in zip(keys, group)}
        for name in names:
            column = {f: _values(part[f"cls.{name}.{f}"]) if f"cls.{name}.{f}" in part else np.array([])
                      for f in ("accuracy", "macro_f1", *CLASSIFY_COST_FIELDS)}
            acc = column["accuracy"]
            if not len(acc):
                continue
            f1 = column["macro_f1"]
            trained = g["trainer"] in ("w2v", "gensim") and not _no_vectors(name)
            rows.append({"dataset": g["dataset"], "variant": g["variant"], "trainer": g["trainer"],
                         "source": _source(g, name), "classifier": name,
                         "own_vectors": trained and g["trainer"] == "w2v", "transductive": trained, "n": len(acc),
                         "accuracy_mean": float(acc.mean()),
                         "accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else math.nan,
                         "accuracy_ci95": accuracy_ci95(acc),
                         "macro_f1_mean": float(f1.mean()) if len(f1) else math.nan,
                         "macro_f1_sd": float(f1.std(ddof=1)) if len(f1) > 1 else math.nan,
                         "seconds_mean": float(column["seconds"].mean()) if len(column["seconds"]) else math.nan,
                         "peak_rss_mb_max": float(column["peak_rss_mb"].max()) if len(column["peak_rss_mb"])
                         else math.nan,
                         "target": _target_for(g["dataset"])})
    table = pd.DataFrame(rows, columns=list(CLASSIFIER_COLUMNS))
    if len(table):
        # the same vectors and classifier on several variants of a data set: the variant tells them apart
        same = table.groupby([table["dataset"].fillna(""), "source", "classifier"])["n"].transform("size") > 1
        table.loc[same, "source"] = [f"{s} [{v or 'no variant'}]" for s, v in
                                     zip(table.loc[same, "source"], table.loc[same, "variant"])]
        rank = {d: i for i, d in enumerate(classify_datasets(table["dataset"]))}
        table["_ds"] = [rank[None if d is None or (isinstance(d, float) and math.isnan(d)) else str(d)]
                        for d in table["dataset"]]
        table = table.sort_values(["_ds", "accuracy_mean"], ascending=[True, False], kind="stable")
        table = table.drop(columns="_ds").reset_index(drop=True)
    return table


_MATCH_KEYS = ("dataset", "variant", "cfg.model", "cfg.loss", "cfg.negative", "cfg.dim", "cfg.window",
               "cfg.epochs", "cfg.min_count", "cfg.sample")
# settings gensim's rows may leave unset: a w2v run only compares when it has the same value,
# unset counting as equal to unset (a corpus slice or a vocabulary cap is another experiment)
_MATCH_UNSET = ("cfg.max_docs", "cfg.max_vocab")
# settings of a w2v run that the gensim reference does not record, at the value gensim uses
_GENSIM_DEFAULTS = {"cfg.ns_exponent": 0.75, "cfg.cbow_sum": False, "cfg.shared_negatives": False}


def _same(a, b) -> bool:
    na, nb = _number(a), _number(b)
    if not (math.isnan(na) or math.isnan(nb)):
        return na == nb
    return str(a) == str(b)


def gensim_pairs(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """For each gensim configuration, the gensim rows and the w2v rows with the same settings."""
    df = unique_models(df)
    gensim = df[df["trainer"] == "gensim"]
    mine = df[df["trainer"] == "w2v"]
    keys = [k for k in _MATCH_KEYS if k in df.columns]
    seen, out = set(), []
    for _, g in gensim.iterrows():
        used = [k for k in keys if g[k] is not None and not (isinstance(g[k], float) and math.isnan(g[k]))]
        sig = tuple((k, str(g[k])) for k in used)
        if sig in seen:
            continue
        seen.add(sig)
        mask_g = np.ones(len(gensim), bool)
        mask_m = np.ones(len(mine), bool)
        for k in used:
            mask_g &= np.array([_same(v, g[k]) for v in gensim[k]], bool)
            mask_m &= np.array([_same(v, g[k]) for v in mine[k]], bool)
        for k in _MATCH_UNSET:
            if k in df.columns:
                mask_m &= np.array([_same(v, g[k]) or (pd.isna(v) and pd.isna(g[k])) for v in mine[k]], bool)
        if "cfg.optimizer" in df.columns:  # gensim trains with SGD only
            mask_m &= np.array([pd.isna(v) or str(v) == "sgd" for v in mine["cfg.optimizer"]], bool)
        for k, default in _GENSIM_DEFAULTS.items():  # settings the gensim reference leaves at gensim's defaults
            if k in df.columns and k not in used:
                mask_m &= np.array([pd.isna(v) or _same(v, default) for v in mine[k]], bool)
        desc = ", ".join(f"{k.removeprefix('cfg.')}={g[k]}" for k in used) or "(no settings recorded)"
        out.append((desc, gensim[mask_g], mine[mask_m]))
    return out


def mean_sd(rows: pd.DataFrame, col: str) -> tuple[float, float]:
    """Mean and sample sd of a column (NaN when absent; sd NaN for fewer than two values)."""
    if col not in rows:
        return math.nan, math.nan
    v = pd.to_numeric(rows[col], errors="coerce").dropna()
    return (float(v.mean()) if len(v) else math.nan, float(v.std(ddof=1)) if len(v) > 1 else math.nan)


# ----------------------------------------------------------------------------
# rare words (frequency.csv of `w2v evaluate --frequency-out`)


#: Columns of a run's frequency.csv (``w2v.evaluate.evaluate_by_frequency``) the report reads.
FREQUENCY_COLUMNS = ("benchmark", "kind", "method", "bucket", "n", "correct", "accuracy", "spearman", "pearson")

_RUN_COLUMNS = ("run", "model_dir", "trainer", "study", "factor", "level", "dataset", "variant", "seed")


def _frequency_file(row: Mapping) -> Path | None:
    """The frequency.csv of a run: next to its eval.json (the model's folder), else in the run directory."""
    for key in ("model_dir", "run"):
        value = row.get(key)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            path = Path(str(value)) / "frequency.csv"
            if path.is_file():
                return path
    return None


def _read_frequency_csv(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise W2VError(f"{path}: not a frequency table ({str(exc).splitlines()[0]}); "
                       f"rerun `w2v evaluate --frequency-out`") from None
    missing = [c for c in ("kind", "method", "bucket", "n") if c not in table.columns]
    if missing:
        raise W2VError(f"{path}: frequency table lacks the column(s) {', '.join(missing)}; "
                       f"rerun `w2v evaluate --frequency-out`")
    for col in FREQUENCY_COLUMNS:
        if col not in table.columns:
            table[col] = math.nan if col not in ("benchmark", "kind", "method", "bucket") else None
    table["bucket"] = table["bucket"].astype(str)
    table["bucket_order"] = range(len(table))
    return table[[*FREQUENCY_COLUMNS, "bucket_order"]]


def read_frequency(df_or_runs) -> pd.DataFrame:
    """Every run's frequency.csv, one row per run and frequency-table row.

    ``df_or_runs`` is a summary DataFrame (:func:`collect`,
    :func:`read_summary_csv`) or run directories for :func:`collect`. A run's
    table is read from its model's folder (``model_dir``, where eval.json is),
    else from the run directory; runs without one are left out. Columns:
    ``run, model_dir, trainer, study, factor, level, dataset, variant, seed``,
    then :data:`FREQUENCY_COLUMNS` and ``bucket_order`` (the row's position in
    its file: buckets from the most to the least frequent, ``oov`` last).
    """
    df = df_or_runs if isinstance(df_or_runs, pd.DataFrame) else collect(df_or_runs, progress=False)
    cache: dict[Path, pd.DataFrame] = {}
    parts = []
    for _, row in df.iterrows():
        path = _frequency_file(row)
        if path is None:
            continue
        if path not in cache:
            cache[path] = _read_frequency_csv(path)
        table = cache[path].copy()
        for key in reversed(_RUN_COLUMNS):
            table.insert(0, key, row.get(key))
        parts.append(table)
    columns = [*_RUN_COLUMNS, *FREQUENCY_COLUMNS, "bucket_order"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def rare_word_table(df_or_runs) -> pd.DataFrame:
    """Analogy accuracy per frequency bucket of every study run: the tidy table behind "Rare words".

    One row per run (each study membership of the shared baseline model, see
    :func:`study_rows`), analogy method and bucket. Columns:

    - ``study``, ``factor``, ``level``, ``level_label`` (readable), ``dataset``,
      ``variant``, ``seed``, ``model_dir``: which model;
    - ``method``: ``add`` (3CosAdd) or ``mul`` (3CosMul);
    - ``bucket``: frequency rank of the question's rarest word (``1-1000``,
      ``1001-5000``, ``5001-20000``, ``20001+``) or ``oov`` (questions not
      covered); ``bucket_order``: 0 for the most frequent bucket, ``oov`` last;
    - ``questions``: covered questions in the bucket (``oov``: questions with a
      word outside the evaluated vocabulary); ``correct``;
    - ``accuracy``: fraction of the bucket's questions answered (NaN for
      ``oov`` and empty buckets).

    Average over ``seed`` for a level's curve; :func:`rare_word_differences`
    gives the per-bucket differences between two levels with their intervals.
    """
    df = df_or_runs if isinstance(df_or_runs, pd.DataFrame) else collect(df_or_runs, progress=False)
    freq = read_frequency(study_rows(df)) if len(df) else read_frequency(df)
    freq = freq[freq["kind"] == "analogy"]
    columns = ["study", "factor", "level", "level_label", "dataset", "variant", "seed", "model_dir", "method",
               "bucket", "bucket_order", "questions", "correct", "accuracy"]
    if not len(freq):
        return pd.DataFrame(columns=columns)
    out = freq.rename(columns={"n": "questions"}).copy()
    out["level_label"] = [level_label(f, lv) for f, lv in zip(out["factor"], out["level"])]
    for col in ("questions", "correct", "accuracy"):
        out[col] = pd.to_numeric(out[col], errors="coerce")
    return out[columns].reset_index(drop=True)


def rare_word_differences(table: pd.DataFrame, study: str, level_a, level_b, method: str = "add",
                          confidence: float = 0.95) -> pd.DataFrame:
    """Per data set, variant and bucket: accuracy of level_a minus level_b of a study (from :func:`rare_word_table`).

    Columns ``dataset, variant, bucket, bucket_order, questions_a, questions_b``
    (mean questions per bucket), ``mean_a, sd_a, n_a, mean_b, sd_b, n_b``
    (accuracy over seeds), ``diff, low, high, n, paired, decided`` (see
    :func:`difference_ci`: paired by seed where the seeds match).
    """
    rows = []
    mine = table[(table["study"] == study) & (table["method"] == method)]
    keys = ["dataset", "variant"]
    work = mine.assign(**{k: mine[k].astype(object).where(mine[k].notna(), "") for k in keys})
    for (dataset, variant), part in work.groupby(keys, sort=True):
        for bucket, rows_b in part.groupby("bucket", sort=False):
            a, b = rows_b[rows_b["level"] == level_a], rows_b[rows_b["level"] == level_b]
            if not len(a) or not len(b):
                continue
            d = difference_ci(a, b, "accuracy", confidence)
            ma, sa = mean_sd(a, "accuracy")
            mb, sb = mean_sd(b, "accuracy")
            rows.append({"dataset": dataset or None, "variant": variant or None, "bucket": bucket,
                         "bucket_order": int(rows_b["bucket_order"].min()),
                         "questions_a": float(a["questions"].mean()), "questions_b": float(b["questions"].mean()),
                         "mean_a": ma, "sd_a": sa, "n_a": int(a["accuracy"].notna().sum()),
                         "mean_b": mb, "sd_b": sb, "n_b": int(b["accuracy"].notna().sum()),
                         "diff": d.mean, "low": d.low, "high": d.high, "n": d.n, "paired": d.paired,
                         "decided": d.decided})
    columns = ["dataset", "variant", "bucket", "bucket_order", "questions_a", "questions_b", "mean_a", "sd_a",
               "n_a", "mean_b", "sd_b", "n_b", "diff", "low", "high", "n", "paired", "decided"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["dataset", "variant", "bucket_order"], kind="stable").reset_index(drop=True)
