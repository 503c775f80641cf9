"""Summary tables and written findings for a grid of trained models.

A *run directory* is what ``w2v train`` (or the gensim reference trainer)
writes: ``train.json`` plus, after the later stages, ``eval.json`` and one
``classify*.json`` per classifier. :func:`collect` turns many run directories
into one DataFrame with one row per model; :func:`aggregate` averages the
seeds of each study level; :func:`findings` writes sentences from those
numbers and :func:`write_summary_md` puts tables, comparisons and findings
into one Markdown file.

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

import numpy as np
import pandas as pd
from tqdm import tqdm

from w2v.errors import W2VError
from w2v.io import atomic_open
from w2v.provenance import PACKAGES

__all__ = [
    "CLASSIFY_TARGETS",
    "GROUP_KEYS",
    "METRICS",
    "TAG_COLUMNS",
    "Metric",
    "aggregate",
    "classifier_table",
    "collect",
    "findings",
    "level_label",
    "read_runs_file",
    "read_summary_csv",
    "study_rows",
    "unique_models",
    "write_summary_csv",
    "write_summary_md",
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
    Metric("words_per_sec", "words/s", "train", ("words_per_sec", "words_per_second"), "rate"),
    Metric("train_seconds", "train s", "train", ("train_seconds", "seconds"), "seconds"),
    Metric("wall_seconds", "wall s", "train", ("wall_seconds",), "seconds"),
    Metric("compile_seconds", "compile s", "train", ("compile_seconds",), "seconds"),
    Metric("final_loss", "final loss", "train", ("final_loss",), "loss"),
    Metric("vocab_size", "vocabulary", "train", ("vocab_size",), "count"),
    Metric("corpus_words", "corpus words", "train", ("corpus_words",), "count"),
)

#: Derived classification columns (best classifier of each run).
CLASSIFY_COLUMNS = ("cls_best_accuracy", "cls_best_macro_f1")

#: Study bookkeeping the workflow passes as ``--tag``; each becomes a column.
TAG_COLUMNS = ("study", "factor", "level", "dataset", "variant", "seed")

#: The rows averaged together by :func:`aggregate` share these values.
GROUP_KEYS = ("trainer", "study", "factor", "level", "dataset", "variant")

#: Accuracy targets of the best document classifier, by dataset name fragment.
CLASSIFY_TARGETS: dict[str, float] = {"20news": 0.83, "newsgroups": 0.83, "imdb": 0.895}

#: Said when no pretrained run is listed at all (see shared/data/MANIFEST.md).
PRETRAINED_ABSENT = ("GoogleNews-vectors-negative300 is not among the shared data sets (every public "
                     "copy found was a Git LFS pointer)")

_METRIC_BY_COLUMN = {m.column: m for m in METRICS}
_STRING_COLUMNS = ("run", "model_dir", "trainer", *TAG_COLUMNS, "cls_best_name", "cls_absent", "loss_per_epoch", "tag.studies",
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
    parts = [str(obj[k]) for k in ("method", "pooling") if obj.get(k) not in (None, "")]
    if parts:
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
    number of eval.json, ``cls.<classifier>.accuracy`` / ``.macro_f1``,
    ``cls_best_name`` / ``cls_best_accuracy`` / ``cls_best_macro_f1``,
    ``cls_absent`` (reasons of absent classifiers) and ``loss_per_epoch`` (JSON).
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
    ordered = columns + [m.column for m in METRICS] + ["cls_best_name", *CLASSIFY_COLUMNS]
    rest = sorted(c for c in df.columns if c not in ordered)
    return df[ordered + rest]


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


def aggregate(df: pd.DataFrame, metrics: Sequence[str] | None = None,
              keys: Sequence[str] = GROUP_KEYS) -> pd.DataFrame:
    """Average the seeds of each group: columns ``<metric>_mean``, ``<metric>_sd``
    (sample standard deviation, NaN for one seed) and ``n_seeds`` (rows in the group).

    Groups are the distinct values of ``keys`` (missing tags form their own group);
    rows are sorted by study, then factor, then level (numbers numerically).
    """
    metrics = list(metrics) if metrics is not None else _metric_columns(df)
    keys = list(keys)
    work = df.copy()
    for key in keys:
        if key not in work.columns:
            work[key] = None
        work[key] = work[key].astype(object).where(work[key].notna(), "")
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
# findings


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


def _paired_difference(df: pd.DataFrame, col: str, a, b) -> tuple[float, float, int, bool]:
    """Mean and sd of ``col`` at level a minus level b; paired by seed when the seeds match."""
    va = df[df["level"] == a][["seed", col]].dropna()
    vb = df[df["level"] == b][["seed", col]].dropna()
    sa, sb = list(va["seed"]), list(vb["seed"])
    if len(va) > 1 and sorted(map(str, sa)) == sorted(map(str, sb)) and len(set(sa)) == len(sa):
        merged = va.merge(vb, on="seed", suffixes=("_a", "_b"))
        diff = merged[f"{col}_a"].astype(float) - merged[f"{col}_b"].astype(float)
        return float(diff.mean()), float(diff.std(ddof=1)), len(diff), True
    xa, xb = va[col].astype(float), vb[col].astype(float)
    sd = math.sqrt(xa.var(ddof=1) + xb.var(ddof=1)) if len(xa) > 1 and len(xb) > 1 else math.nan
    return float(xa.mean() - xb.mean()), sd, min(len(xa), len(xb)), False


def _pm(mean: float, sd: float, scale: float = 1.0, digits: int = 1, unit: str = "") -> str:
    if math.isnan(mean):
        return "–"
    text = f"{mean * scale:.{digits}f}"
    if not math.isnan(sd):
        text += f" ± {sd * scale:.{digits}f}"
    return text + unit


def _ratio_phrase(fast: float, slow: float, conj: tuple[str, str] = ("and", "but")) -> str:
    if math.isnan(fast) or math.isnan(slow) or fast <= 0 or slow <= 0:
        return ""
    r = fast / slow
    if 1 / 1.05 < r < 1.05:
        return f" {conj[0]} trains at about the same speed"
    if r >= 1:
        return f" {conj[0]} trains {r:.1f}× faster"
    return f" {conj[1]} trains {1 / r:.1f}× slower"


_FINDING_METRICS = (
    ("analogy_add_total", "analogies (3CosAdd)", 100.0, "points", " %"),
    ("ws353_spearman", "WordSim-353 (Spearman ρ)", 1.0, "", ""),
    ("simlex_spearman", "SimLex-999 (Spearman ρ)", 1.0, "", ""),
    ("cls_best_accuracy", "classification accuracy", 100.0, "points", " %"),
)


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
    """One row per model (``model_dir``): a model listed in several study views is
    kept once and tagged ``study=factor=level=baseline``."""
    if "model_dir" not in df or not len(df):
        return df
    shared = df["model_dir"].duplicated(keep=False)
    out = df[~df["model_dir"].duplicated()].copy()
    mask = shared.loc[out.index]
    for col in ("study", "factor", "level"):
        out.loc[mask, col] = "baseline"
    return out


def _study_groups(df: pd.DataFrame):
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


def _negative_of(part: pd.DataFrame, level) -> object:
    if "cfg.negative" not in part:
        return None
    values = part.loc[part["level"] == level, "cfg.negative"].dropna()
    return values.iloc[0] if len(values) else None


def _study_findings(keys: dict, part: pd.DataFrame) -> list[str]:
    agg = aggregate(part, [c for c, *_ in _FINDING_METRICS] + ["words_per_sec", "analogy_coverage"],
                    keys=["level"])
    where = f"on {keys['dataset']}" if keys["dataset"] else "on the untagged dataset"
    title = f"{keys['study']}"
    factor = keys["factor"]
    label = {lv: level_label(factor, lv, _negative_of(part, lv)) for lv in agg["level"]}
    out = []
    for col, name, scale, unit, suffix in _FINDING_METRICS:
        have = agg[agg[f"{col}_n"] > 0].sort_values(f"{col}_mean", ascending=False, kind="stable")
        if len(have) < 2:
            continue
        best, second = have.iloc[0], have.iloc[1]
        diff, sd, n, paired = _paired_difference(part, col, best["level"], second["level"])
        digits = 1 if scale == 100.0 else 3
        gap = f"{diff * scale:.{digits}f}" + (f" ± {sd * scale:.{digits}f}" if not math.isnan(sd) else "")
        gap += f" {unit}" if unit else ""
        seeds = (f"{n} paired seeds" if paired else
                 f"{int(best['n_seeds'])} vs {int(second['n_seeds'])} seeds" if n > 1 else "single seed")
        if not math.isnan(sd) and abs(diff) <= sd:
            seeds += "; within one sd, not a clear difference"
        if abs(diff) < 1e-12 and abs(best[f"{col}_mean"] - second[f"{col}_mean"]) < 1e-12:
            out.append(f"{title} {where}: {label[best['level']]} and {label[second['level']]} tie on {name} "
                       f"({_pm(best[f'{col}_mean'], best[f'{col}_sd'], scale, digits, suffix)}).")
            continue
        lead = (f"{label[best['level']]} is the best {factor or 'level'} on {name} and beats "
                f"{label[second['level']]}" if len(have) > 2 else
                f"{label[best['level']]} beats {label[second['level']]} on {name}")
        sentence = (f"{title} {where}: {lead} by {gap} "
                    f"({_pm(best[f'{col}_mean'], best[f'{col}_sd'], scale, digits, suffix)} vs "
                    f"{_pm(second[f'{col}_mean'], second[f'{col}_sd'], scale, digits, suffix)}, {seeds})")
        if col == "analogy_add_total":
            sentence += _ratio_phrase(best["words_per_sec_mean"], second["words_per_sec_mean"])
            cb, cs = best.get("analogy_coverage_mean", math.nan), second.get("analogy_coverage_mean", math.nan)
            if not (math.isnan(cb) or math.isnan(cs)) and abs(cb - cs) > 0.05:
                # accuracy is over the covered questions: other vocabularies answer other questions
                sentence += (f" — on different question sets: {100 * cb:.0f} % vs {100 * cs:.0f} % "
                             f"of the questions covered")
        if len(have) > 2:
            worst = have.iloc[-1]
            sentence += (f"; {label[worst['level']]} is the worst "
                         f"({_pm(worst[f'{col}_mean'], worst[f'{col}_sd'], scale, digits, suffix)})")
        out.append(sentence + ".")
    speed = agg[agg["words_per_sec_n"] > 0].sort_values("words_per_sec_mean", ascending=False, kind="stable")
    if len(speed) >= 2:
        fast, slow = speed.iloc[0], speed.iloc[-1]
        out.append(f"{title} {where}: {label[fast['level']]} is the fastest "
                   f"({fast['words_per_sec_mean']:,.0f} words/s), {fast['words_per_sec_mean'] / slow['words_per_sec_mean']:.1f}× "
                   f"{label[slow['level']]} ({slow['words_per_sec_mean']:,.0f} words/s).")
    return out


def _target_for(dataset) -> float:
    name = str(dataset or "").lower()
    for fragment, target in CLASSIFY_TARGETS.items():
        if fragment in name:
            return target
    return math.nan


def _source(row: Mapping) -> str:
    """Which vectors an aggregated row's classifiers used, in words."""
    trainer = row.get("trainer")
    if trainer == "w2v":
        if row.get("study") in (None, "baseline"):
            return "w2v baseline model"
        return f"w2v, {row['study']}: {level_label(row.get('factor'), row.get('level'))}"
    return {"gensim": "gensim reference", "pretrained": "pretrained vectors", "random": "random vectors",
            "tfidf_logreg": "TF-IDF features", "baseline": "no trained vectors"}.get(trainer, str(trainer))


def classifier_table(df: pd.DataFrame) -> pd.DataFrame:
    """Every classifier's accuracy and macro-F1, mean ± sd over seeds, per model group.

    Columns ``dataset, source, classifier, n, accuracy_mean, accuracy_sd,
    macro_f1_mean, macro_f1_sd, target``; sorted by dataset, then accuracy (best first).
    """
    df = unique_models(df)
    names = sorted(c[len("cls."):-len(".accuracy")] for c in df.columns
                   if c.startswith("cls.") and c.endswith(".accuracy"))
    cols = [f"cls.{n}.{f}" for n in names for f in ("accuracy", "macro_f1") if f"cls.{n}.{f}" in df]
    rows = []
    for _, g in (aggregate(df, cols).iterrows() if names else ()):
        for name in names:
            col = f"cls.{name}.accuracy"
            if not g[f"{col}_n"]:
                continue
            rows.append({"dataset": g["dataset"], "source": _source(g), "classifier": name,
                         "n": int(g[f"{col}_n"]), "accuracy_mean": g[f"{col}_mean"], "accuracy_sd": g[f"{col}_sd"],
                         "macro_f1_mean": g.get(f"cls.{name}.macro_f1_mean", math.nan),
                         "macro_f1_sd": g.get(f"cls.{name}.macro_f1_sd", math.nan),
                         "target": _target_for(g["dataset"])})
    table = pd.DataFrame(rows, columns=["dataset", "source", "classifier", "n", "accuracy_mean", "accuracy_sd",
                                        "macro_f1_mean", "macro_f1_sd", "target"])
    if len(table):
        table["_ds"] = table["dataset"].fillna("")
        table = table.sort_values(["_ds", "accuracy_mean"], ascending=[True, False], kind="stable")
        table = table.drop(columns="_ds").reset_index(drop=True)
    return table


def _classifier_sentence(prefix: str, r: Mapping) -> str:
    text = (f"{prefix}: {r['classifier']} on {r['source']} with "
            f"{_pm(r['accuracy_mean'], r['accuracy_sd'], 100.0, 1, ' %')} accuracy (n={r['n']})")
    target = r["target"]
    if not math.isnan(target):
        gap = (r["accuracy_mean"] - target) * 100
        text += (f", {gap:.1f} points above the {target * 100:.1f} % target" if gap >= 0 else
                 f", {-gap:.1f} points below the {target * 100:.1f} % target")
    return text + "."


def _classifier_findings(df: pd.DataFrame) -> list[str]:
    table = classifier_table(df)
    out = []
    for ds, part in table.groupby(table["dataset"].fillna(""), sort=True):
        where = ds or "the untagged dataset"
        best = part.iloc[0]
        out.append(_classifier_sentence(f"Best classifier on {where}", best))
        ours = part[part["source"].str.startswith("w2v")]
        if len(ours) and not best["source"].startswith("w2v"):
            out.append(_classifier_sentence(f"Best classifier on {where} with w2v vectors", ours.iloc[0]))
    return out


_MATCH_KEYS = ("dataset", "variant", "cfg.model", "cfg.loss", "cfg.negative", "cfg.dim", "cfg.window",
               "cfg.epochs", "cfg.min_count", "cfg.sample")
# settings gensim's rows may leave unset: a w2v run only compares when it has the same value,
# unset counting as equal to unset (a corpus slice or a vocabulary cap is another experiment)
_MATCH_UNSET = ("cfg.max_docs", "cfg.max_vocab")


def _same(a, b) -> bool:
    na, nb = _number(a), _number(b)
    if not (math.isnan(na) or math.isnan(nb)):
        return na == nb
    return str(a) == str(b)


def _gensim_pairs(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
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
        desc = ", ".join(f"{k.removeprefix('cfg.')}={g[k]}" for k in used) or "(no settings recorded)"
        out.append((desc, gensim[mask_g], mine[mask_m]))
    return out


# gensim is not a pure word2vec.c reference: its start vectors are twice as wide
GENSIM_NOTE = ("gensim 4 draws its start vectors uniformly in [−1/d, 1/d), twice word2vec.c's and w2v's "
               "(u − ½)/d, so it is not a pure word2vec.c reference: on 2.26M IMDb tokens (3 epochs, "
               "CBOW-NS) its held-out loss was 2.777 ± 0.006 over 7 seeds against w2v's 2.792 ± 0.008 over 8, "
               "and 2.796 ± 0.009 with its start vectors halved, level with w2v.")


def _mean_sd(rows: pd.DataFrame, col: str) -> tuple[float, float]:
    if col not in rows:
        return math.nan, math.nan
    v = pd.to_numeric(rows[col], errors="coerce").dropna()
    return (float(v.mean()) if len(v) else math.nan, float(v.std(ddof=1)) if len(v) > 1 else math.nan)


def _gensim_findings(df: pd.DataFrame) -> list[str]:
    out = []
    for desc, g, m in _gensim_pairs(df):
        if not len(m):
            out.append(f"gensim ({desc}) has no w2v run with the same settings to compare with.")
            continue
        ga, _ = _mean_sd(g, "analogy_add_total")
        ma, _ = _mean_sd(m, "analogy_add_total")
        gs, _ = _mean_sd(g, "words_per_sec")
        ms, _ = _mean_sd(m, "words_per_sec")
        text = f"w2v vs gensim ({desc}):"
        if not (math.isnan(ga) or math.isnan(ma)):
            text += f" analogies {ma * 100:.1f} % vs {ga * 100:.1f} % ({(ma - ga) * 100:+.1f} points)"
        if not (math.isnan(gs) or math.isnan(ms)) and gs > 0:
            text += f"{',' if text.endswith(')') else ''} speed {ms / gs:.2f}× gensim's ({ms:,.0f} vs {gs:,.0f} words/s)"
        if text.endswith(":"):
            text += " no common metric recorded"
        out.append(text + ".")
    return out


def findings(df: pd.DataFrame) -> list[str]:
    """Sentences summarising the results, each computed from the numbers in ``df``.

    Per study (and dataset): which level wins on analogies, similarity and
    classification, by how much (paired over seeds where the seeds match) and
    at what speed; the fastest and slowest level; the best classifier against
    :data:`CLASSIFY_TARGETS`; w2v against gensim on matching settings.
    """
    out = []
    for keys, part in _study_groups(df):
        out += _study_findings(keys, part)
    out += _classifier_findings(df)
    out += _gensim_findings(df)
    return out


# ----------------------------------------------------------------------------
# markdown


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return lines


_TABLE_COLUMNS = (
    ("analogy_add_total", "analogy 3CosAdd %", 100.0, 1),
    ("analogy_mul_total", "analogy 3CosMul %", 100.0, 1),
    ("analogy_coverage", "questions covered %", 100.0, 1),
    ("ws353_spearman", "WS-353 ρ", 1.0, 3),
    ("simlex_spearman", "SimLex ρ", 1.0, 3),
    ("cls_best_accuracy", "best classifier %", 100.0, 1),
    ("words_per_sec", "words/s", 1.0, 0),
    ("train_seconds", "train s", 1.0, 1),
)


def _cell(row, col: str, scale: float, digits: int) -> str:
    mean, sd = row.get(f"{col}_mean", math.nan), row.get(f"{col}_sd", math.nan)
    if digits == 0 and not math.isnan(mean):
        return f"{mean:,.0f}" + (f" ± {sd:,.0f}" if not math.isnan(sd) else "")
    return _pm(mean, sd, scale, digits)


def _settings_lines(df: pd.DataFrame) -> list[str]:
    lines = []
    rv = pd.to_numeric(df.get("restrict_vocab", pd.Series(dtype=float)), errors="coerce").dropna().unique()
    if len(rv):
        lines.append("- Analogies were answered among the "
                     + " / ".join(f"{int(v):,}" for v in sorted(rv))
                     + " most frequent words (restrict-vocab N); questions with a word outside it count as not covered.")
        ways = set(df["ranked_by"].dropna()) if "ranked_by" in df else set()
        if ways == {"shared corpus ranking"}:
            lines.append("- Every model, w2v's and gensim's alike, was ranked by its data set's baseline vocabulary "
                         "(corpus counts, then the word): the N most frequent words, and so the questions asked "
                         "and the frequency buckets, are the same for every model of a data set and variant.")
        elif ways:
            lines.append("- Words were ranked by " + " / ".join(sorted(ways)) + ": where that is the vectors file's "
                         "order, trainers that break count ties differently were asked different questions.")
    else:
        lines.append("- The restrict-vocab N of the analogy evaluation is not recorded in eval.json.")
    if "cfg.loss" in df:
        soft = df[df["cfg.loss"].astype(str) == "softmax"]
        if len(soft):
            caps = []
            for key in ("cfg.max_docs", "cfg.max_vocab"):
                if key in soft:
                    vals = pd.to_numeric(soft[key], errors="coerce").dropna().unique()
                    caps += [f"{key.removeprefix('cfg.')}={int(v):,}" for v in sorted(vals) if v > 0]
            if caps:
                lines.append(f"- The full-softmax runs ({len(soft)}) used a corpus slice / vocabulary cap: "
                             + ", ".join(caps) + "; compare them with the other losses with care.")
            else:
                lines.append(f"- The full-softmax runs ({len(soft)}) used the whole corpus and vocabulary.")
    absent = df["cls_absent"].dropna().unique() if "cls_absent" in df else []
    for reason in absent:
        lines.append(f"- Classifier absent: {reason}")
    lines.append(_versions_line(df))
    return lines


def _versions_line(df: pd.DataFrame) -> str:
    """The package versions the runs recorded (train.json ``versions``); several where runs differ."""
    order = ("python",) + PACKAGES
    cols = sorted((c for c in df.columns if c.startswith("version.")),
                  key=lambda c: (order.index(c[8:]) if c[8:] in order else len(order), c))
    parts = []
    for col in cols:
        seen = sorted(str(v) for v in df[col].dropna().unique())
        if seen:
            parts.append(f"{col.removeprefix('version.')} {' / '.join(seen)}")
    if not parts:
        return "- The runs recorded no package versions (train.json `versions`)."
    return "- Trained and evaluated with " + ", ".join(parts) + " (train.json `versions` of every run)."


def _figure_lines(md_path: Path, figures) -> list[str]:
    if figures is None:
        return []
    if isinstance(figures, (str, os.PathLike)):
        figures = sorted(Path(figures).glob("*.png"))
    lines = []
    for fig in figures:
        fig = Path(fig)
        rel = os.path.relpath(fig.resolve(), md_path.resolve().parent)
        lines += [f"![{fig.stem}]({Path(rel).as_posix()})", ""]
    return (["## Figures", ""] + lines) if lines else []


def write_summary_md(df: pd.DataFrame, path: str | os.PathLike, figures=None) -> None:
    """Write the Markdown report: findings, settings, one table per study (mean ±
    sd over seeds), the gensim and pretrained comparisons and the figures.

    ``figures`` is a directory (every ``*.png`` in it is linked) or a list of
    image paths; links are relative to the Markdown file.
    """
    path = Path(path)
    intro = (f"Generated by `w2v report markdown` from {len(df)} row(s), {len(unique_models(df))} distinct "
             "model(s); every number and sentence below is computed from the summary table "
             "(mean ± sample sd over seeds).")
    lines = ["# w2v study summary", "", intro, "", "## Findings", ""]
    found = findings(df)
    lines += [f"- {s}" for s in found] or ["- Not enough runs with metrics to compare levels."]
    lines += ["", "## Evaluation settings", ""] + _settings_lines(df) + [""]

    for keys, part in _study_groups(df):
        agg = aggregate(part, [c for c, *_ in _TABLE_COLUMNS], keys=["level"])
        head = f"## Study `{keys['study']}`"
        head += f" — factor `{keys['factor']}`" if keys["factor"] else ""
        head += f", dataset `{keys['dataset']}`" if keys["dataset"] else ""
        head += f", variant `{keys['variant']}`" if keys["variant"] else ""
        rows = [[level_label(keys["factor"], r["level"], _negative_of(part, r["level"])), int(r["n_seeds"])]
                + [_cell(r, c, s, d) for c, _, s, d in _TABLE_COLUMNS] for _, r in agg.iterrows()]
        lines += [head, ""] + _md_table(["level", "n"] + [h for _, h, _, _ in _TABLE_COLUMNS], rows) + [""]

    lines += ["## Classification", ""]
    table = classifier_table(df)
    if len(table):
        rows = []
        for _, part in table.groupby(table["dataset"].fillna(""), sort=True):
            for _, r in part.head(10).iterrows():
                rows.append([r["dataset"] or "–", r["source"], r["classifier"], r["n"],
                             _pm(r["accuracy_mean"], r["accuracy_sd"], 100.0),
                             _pm(r["macro_f1_mean"], r["macro_f1_sd"], 100.0),
                             "–" if math.isnan(r["target"]) else f"{r['target'] * 100:.1f}"])
        lines += ["The ten best classifiers of each data set (accuracy and macro-F1 in %, mean ± sd over seeds, "
                  "official test split). The word vectors were trained on every document of the data set, the "
                  "test documents' text included (no labels): their rows are transductive. TF-IDF's idf and "
                  "every classifier are fitted on the training split only.", ""]
        lines += _md_table(["dataset", "vectors", "classifier", "n", "accuracy %", "macro-F1 %", "target %"], rows)
    else:
        lines.append("No classifier results (classify*.json) were found.")
    lines += ["", "## Comparison with gensim", ""]
    pairs = _gensim_pairs(df)
    if pairs:
        lines += [GENSIM_NOTE, ""]
        rows = []
        for desc, g, m in pairs:
            for who, part in (("w2v", m), ("gensim", g)):
                cells = [desc, who, len(part)]
                for col, _, scale, digits in _TABLE_COLUMNS:
                    mean, sd = _mean_sd(part, col)
                    cells.append(_cell({f"{col}_mean": mean, f"{col}_sd": sd}, col, scale, digits))
                rows.append(cells)
        lines += _md_table(["settings", "trainer", "n"] + [h for _, h, _, _ in _TABLE_COLUMNS], rows)
    else:
        lines.append("No gensim reference runs were given (no train.json with `\"trainer\": \"gensim\"`).")
    lines += ["", "## Pretrained vectors", ""]
    pre = df[df["trainer"] == "pretrained"]
    metric_cols = [m.column for m in METRICS if m.source == "eval"] + ["cls_best_accuracy"]
    present = pre[pre[metric_cols].notna().any(axis=1)] if len(pre) else pre
    if len(present):
        rows = [[r["dataset"] or "–", _pm(r["analogy_add_total"], math.nan, 100.0),
                 _pm(r["ws353_spearman"], math.nan, 1, 3), _pm(r["simlex_spearman"], math.nan, 1, 3),
                 r["cls_best_name"] or "–", _pm(r["cls_best_accuracy"], math.nan, 100.0)]
                for _, r in present.iterrows()]
        lines += _md_table(["dataset", "analogy 3CosAdd %", "WS-353 ρ", "SimLex ρ", "classifier", "accuracy %"],
                           rows)
    elif len(pre):
        reasons = [r for col in ("absent_reason", "cls_absent") if col in pre for r in pre[col].dropna() if r]
        lines.append("Absent: " + (reasons[0] if reasons else "the pretrained runs hold no metrics") + ".")
    else:
        lines.append(f"Absent: no run with trainer `pretrained` was given; {PRETRAINED_ABSENT}.")
    lines.append("")
    lines += _figure_lines(path, figures)
    with atomic_open(path, "w") as fh:
        fh.write("\n".join(lines).rstrip() + "\n")
