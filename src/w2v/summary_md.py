"""The written summary of a study (``summary.md``): findings in sentences and Markdown tables.

Everything here is computed from the summary table that :mod:`w2v.report`
collects and aggregates: :func:`findings` compares the two best levels of each
study on each headline metric and calls one the winner only when the 95 %
confidence interval of the difference over seeds excludes 0 (*decided*);
:func:`write_summary_md` puts those sentences, every level's difference from
its study's baseline, the evaluation settings, one table per study, accuracy
on rare words, the classifiers, the gensim and pretrained comparisons and the
figures into one Markdown file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from w2v.io import atomic_open
from w2v.provenance import PACKAGES
from w2v.report import (CLASSIFY_DATASETS, METRICS, Difference, aggregate, baseline_level, classifier_table,
                        classify_datasets, difference_ci, gensim_pairs, level_label, mean_sd, negative_of,
                        paired_difference, rare_word_differences, rare_word_table, study_groups, study_rows,
                        unique_models)

__all__ = ["GENSIM_NOTE", "PRETRAINED_ABSENT", "findings", "write_summary_md"]


# ----------------------------------------------------------------------------
# findings


def _pm(mean: float, sd: float, scale: float = 1.0, digits: int = 1, unit: str = "") -> str:
    if math.isnan(mean):
        return "–"
    spec = f",.{digits}f" if digits == 0 else f".{digits}f"
    text = f"{mean * scale:{spec}}"
    if not math.isnan(sd):
        text += f" ± {sd * scale:{spec}}"
    return text + unit


def _num(value: float, scale: float = 1.0, digits: int = 1) -> str:
    """A signed number with a real minus sign; more digits where the rounded value would read as 0."""
    if math.isnan(value):
        return "–"
    v = value * scale
    if digits == 0:
        text = f"{v:,.0f}"
    else:
        text = f"{v:.{digits}f}"
        while v != 0 and float(text) == 0 and digits < 6:
            digits += 1
            text = f"{v:.{digits}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def _ratio_phrase(fast: float, slow: float, conj: tuple[str, str] = ("and", "but")) -> str:
    if math.isnan(fast) or math.isnan(slow) or fast <= 0 or slow <= 0:
        return ""
    r = fast / slow
    if 1 / 1.05 < r < 1.05:
        return f" {conj[0]} trains at about the same speed"
    if r >= 1:
        return f" {conj[0]} trains {r:.1f}× faster"
    return f" {conj[1]} trains {1 / r:.1f}× slower"


@dataclass(frozen=True)
class _Shown:
    """How a metric's numbers are written: ``scale`` and ``digits`` of the values, ``unit`` of a
    difference ("points" for accuracies) and ``suffix`` of a mean; ``lower``: lower is better."""

    column: str
    name: str
    scale: float
    digits: int
    unit: str
    suffix: str
    lower: bool = False

    def diff(self, value: float) -> str:
        return _num(value, self.scale, self.digits) + (f" {self.unit}" if self.unit else "")

    def mean(self, mean: float, sd: float = math.nan) -> str:
        return _pm(mean, sd, self.scale, self.digits, self.suffix)


_ANALOGY = _Shown("analogy_add_total", "analogies (3CosAdd)", 100.0, 1, "points", " %")
_SPEED = _Shown("words_per_sec", "training speed", 1.0, 0, "words/s", " words/s")
_HELDOUT = _Shown("heldout_nll", "held-out NLL", 1.0, 3, "nats", " nats", lower=True)
_FINDING_METRICS = (
    _ANALOGY,
    _Shown("ws353_spearman", "WordSim-353 (Spearman ρ)", 1.0, 3, "", ""),
    _Shown("simlex_spearman", "SimLex-999 (Spearman ρ)", 1.0, 3, "", ""),
    _Shown("cls_accuracy", "classification accuracy", 100.0, 1, "points", " %"),
    _HELDOUT,
    _SPEED,
)


def _seeds(d: Difference) -> str:
    if d.paired:
        return "one seed" if d.n == 1 else f"n = {d.n} seeds"
    return f"n = {d.n_a} vs {d.n_b} seeds, unpaired (Welch)"


def _verdict(d: Difference, shown: _Shown) -> str:
    """``95 % CI [lo, hi], n = 3 seeds: decided`` / ``n = 3 seeds: undecided: the interval [lo, hi]
    includes 0`` / ``one seed: no interval``."""
    if math.isnan(d.low):
        if d.paired or d.n_a == d.n_b == 1:
            return "one seed: no interval"
        return f"{d.n_a} vs {d.n_b} seeds: no interval"
    interval = f"[{_num(d.low, shown.scale, shown.digits)}, {_num(d.high, shown.scale, shown.digits)}]"
    if d.decided:
        return f"95 % CI {interval}, {_seeds(d)}: decided"
    return f"{_seeds(d)}: undecided: the interval {interval} includes 0"


def _flip(d: Difference) -> Difference:
    return d._replace(mean=-d.mean, low=-d.high, high=-d.low, n_a=d.n_b, n_b=d.n_a)


def _versus(d: Difference, a: str, b: str, shown: _Shown) -> str:
    """A decided difference as "A beats B by …", anything else as "A − B = …" without a winner."""
    if d.decided:
        if d.mean < 0:
            d, a, b = _flip(d), b, a
        return f"{a} beats {b} by {shown.diff(d.mean)}, {_verdict(d, shown)}"
    return f"{a} − {b} = {shown.diff(d.mean)}, {_verdict(d, shown)}"


def _speed_ratio(fast: float, slow: float) -> str:
    if math.isnan(fast) or math.isnan(slow) or fast <= 0 or slow <= 0:
        return ""
    return f" ({fast / slow:.1f}×)"


def _study_findings(keys: dict, part: pd.DataFrame) -> list[str]:
    agg = aggregate(part, [m.column for m in _FINDING_METRICS] + ["analogy_coverage"], keys=["level"])
    where = f"on {keys['dataset']}" if keys["dataset"] else "on the untagged dataset"
    title = f"{keys['study']}"
    factor = keys["factor"]
    label = {lv: level_label(factor, lv, negative_of(part, lv)) for lv in agg["level"]}
    out = []
    for shown in _FINDING_METRICS:
        col = shown.column
        have = agg[agg[f"{col}_n"] > 0].sort_values(f"{col}_mean", ascending=shown.lower, kind="stable")
        if len(have) < 2:
            continue
        best, second = have.iloc[0], have.iloc[1]
        a, b = label[best["level"]], label[second["level"]]
        # the best level's advantage: positive when it is better
        d = paired_difference(part, col, *((second["level"], best["level"]) if shown.lower
                                         else (best["level"], second["level"])))
        means = f"{shown.mean(best[f'{col}_mean'], best[f'{col}_sd'])} vs " \
                f"{shown.mean(second[f'{col}_mean'], second[f'{col}_sd'])}"
        gap = shown.diff(d.mean) + (_speed_ratio(best[f"{col}_mean"], second[f"{col}_mean"])
                                    if shown is _SPEED else "")
        if d.decided and d.mean > 0:
            lead = (f"{a} is the best {factor or 'level'} on {shown.name}: it beats the runner-up {b}"
                    if len(have) > 2 else f"{a} beats {b} on {shown.name}")
            sentence = f"{title} {where}: {lead} by {gap}, {_verdict(d, shown)} ({means})"
            speed = paired_difference(part, _SPEED.column, best["level"], second["level"])
            if shown is _ANALOGY and speed.decided:
                sentence += _ratio_phrase(best[f"{_SPEED.column}_mean"], second[f"{_SPEED.column}_mean"])
        else:
            means += f", the two highest of {len(have)} levels" if len(have) > 2 else ""
            sentence = f"{title} {where}, {shown.name}: {a} − {b} = {gap} ({means}), {_verdict(d, shown)}"
        if shown is _ANALOGY:
            cb, cs = best.get("analogy_coverage_mean", math.nan), second.get("analogy_coverage_mean", math.nan)
            if not (math.isnan(cb) or math.isnan(cs)) and abs(cb - cs) > 0.05:
                # accuracy is over the covered questions: other vocabularies answer other questions
                sentence += (f" — on different question sets: {100 * cb:.0f} % vs {100 * cs:.0f} % "
                             f"of the questions covered")
        out.append(sentence + ".")
    return out


def _accuracy_phrase(r: Mapping) -> str:
    """``tfidf_logreg on TF-IDF (tokens) with 85.3 % accuracy (n = 1), 2.3 points above the 83.0 % target``;
    with the 95 % t interval of the mean and whether it excludes the target where n ≥ 2."""
    mean, half = r["accuracy_mean"] * 100, r["accuracy_ci95"] * 100
    n = int(r["n"])
    spread = f"n = {n}" if math.isnan(half) else f"95 % CI [{mean - half:.1f}, {mean + half:.1f}], n = {n}"
    text = f"{r['classifier']} on {r['source']} with {mean:.1f} % accuracy ({spread})"
    target = r["target"] * 100
    if not math.isnan(target):
        gap = mean - target
        text += (f", {gap:.1f} points above the {target:.1f} % target" if gap >= 0 else
                 f", {-gap:.1f} points below the {target:.1f} % target")
        if not math.isnan(half):
            inside = mean - half <= target <= mean + half
            text += f" (the interval {'includes' if inside else 'excludes'} it)"
    return text


def _classifier_findings(df: pd.DataFrame) -> list[str]:
    """One sentence per data set: its best classifier and its best one with this project's w2v vectors
    (``own_vectors`` of :func:`w2v.report.classifier_table`), each against the target."""
    table = classifier_table(df)
    out = []
    for ds in classify_datasets(table["dataset"]):
        part = table[table["dataset"].isna()] if ds is None else table[table["dataset"] == ds]
        where = ds or "the untagged dataset"
        best = part.iloc[0]
        ours = part[part["own_vectors"].astype(bool)]
        if bool(best["own_vectors"]):
            text = f"Best classifier on {where}, also the best with w2v vectors: {_accuracy_phrase(best)}"
        elif len(ours):
            text = (f"Best classifier on {where}: {_accuracy_phrase(best)}; the best with w2v vectors: "
                    f"{_accuracy_phrase(ours.iloc[0])}")
        else:
            text = f"Best classifier on {where}: {_accuracy_phrase(best)}; none ran with w2v vectors"
        out.append(text + ".")
    return out


# gensim is not a pure word2vec.c reference: its start vectors are twice as wide
GENSIM_NOTE = ("gensim 4 draws its start vectors uniformly in [−1/d, 1/d), twice word2vec.c's and w2v's "
               "(u − ½)/d, so it is not a pure word2vec.c reference: on 2.26M IMDb tokens (3 epochs, "
               "CBOW-NS) its held-out loss was 2.777 ± 0.006 over 7 seeds against w2v's 2.792 ± 0.008 over 8, "
               "and 2.796 ± 0.009 with its start vectors halved, level with w2v.")


def _gensim_findings(df: pd.DataFrame) -> list[str]:
    out = []
    for desc, g, m in gensim_pairs(df):
        if not len(m):
            out.append(f"gensim ({desc}) has no w2v run with the same settings to compare with.")
            continue
        ga, _ = mean_sd(g, "analogy_add_total")
        ma, _ = mean_sd(m, "analogy_add_total")
        gs, _ = mean_sd(g, "words_per_sec")
        ms, _ = mean_sd(m, "words_per_sec")
        parts = []
        if not (math.isnan(ga) or math.isnan(ma)):
            d = difference_ci(m, g, "analogy_add_total")
            parts.append(f"analogies {ma * 100:.1f} % vs {ga * 100:.1f} %: {_versus(d, 'w2v', 'gensim', _ANALOGY)}")
        if not (math.isnan(gs) or math.isnan(ms)) and gs > 0:
            d = difference_ci(m, g, "words_per_sec")
            parts.append(f"speed {ms / gs:.2f}× gensim's ({ms:,.0f} vs {gs:,.0f} words/s): "
                         f"{_versus(d, 'w2v', 'gensim', _SPEED)}")
        text = f"w2v vs gensim ({desc}): " + ("; ".join(parts) or "no common metric recorded")
        out.append(text + ".")
    return out


def findings(df: pd.DataFrame) -> list[str]:
    """Sentences summarising the results, each computed from the numbers in ``df``.

    Per study (and dataset), on analogies, similarity, classification and
    speed: the highest level against the runner-up, the difference over seeds
    with its 95 % confidence interval (:func:`w2v.report.difference_ci`). A level
    "beats" another only when the interval excludes 0 (*decided*); otherwise
    the sentence gives the difference and says *undecided* (or *no interval*
    for one seed) without naming a winner. Also the best classifier against
    :data:`w2v.report.CLASSIFY_TARGETS` and w2v against gensim on matching
    settings, decided the same way.
    """
    out = []
    for keys, part in study_groups(df):
        out += _study_findings(keys, part)
    out += _classifier_findings(df)
    out += _gensim_findings(df)
    return out


# ----------------------------------------------------------------------------
# markdown


#: Said when no pretrained run is listed at all (see shared/data/MANIFEST.md).
PRETRAINED_ABSENT = ("GoogleNews-vectors-negative300 is not among the shared data sets (every public "
                     "copy found was a Git LFS pointer)")


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
    ("cls_accuracy", "classifier %", 100.0, 1),
    ("heldout_perplexity", "held-out perplexity", 1.0, 0),
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
        models = unique_models(df)
        sliced = pd.Series(False, index=models.index)
        for key in ("cfg.max_docs", "cfg.max_vocab"):
            if key in models:
                sliced |= pd.to_numeric(models[key], errors="coerce").fillna(0) > 0
        part = models[sliced]
        if len(part):
            caps = []
            for key in ("cfg.max_docs", "cfg.max_vocab"):
                if key in part:
                    vals = pd.to_numeric(part[key], errors="coerce").dropna().unique()
                    caps += [f"{key.removeprefix('cfg.')}={int(v):,}" for v in sorted(vals) if v > 0]
            losses = ", ".join(sorted(part["cfg.loss"].dropna().astype(str).unique()))
            lines.append(f"- {len(part)} models ({losses}) were trained on a corpus slice / vocabulary cap: "
                         + ", ".join(caps) + "; compare them only with each other.")
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


_TABLE_METRICS = (
    _Shown("analogy_add_total", "analogy 3CosAdd", 100.0, 1, "points", " %"),
    _Shown("ws353_spearman", "WS-353 ρ", 1.0, 3, "", ""),
    _Shown("simlex_spearman", "SimLex ρ", 1.0, 3, "", ""),
    _Shown("cls_accuracy", "classifier", 100.0, 1, "points", " %"),
    _HELDOUT,
    _Shown("words_per_sec", "words/s", 1.0, 0, "words/s", " words/s"),
)


def _decision(d: Difference) -> str:
    return "no interval" if math.isnan(d.low) else "decided" if d.decided else "undecided"


def _n_cell(d: Difference) -> str:
    return str(d.n) if d.paired else f"{d.n_a} vs {d.n_b} (Welch)"


def _interval_cell(d: Difference, shown: _Shown) -> str:
    if math.isnan(d.low):
        return "–"
    return f"[{_num(d.low, shown.scale, shown.digits)}, {_num(d.high, shown.scale, shown.digits)}]"


def _difference_lines(df: pd.DataFrame) -> list[str]:
    """Every level of every study against the study's baseline level, one row per headline metric."""
    rows, notes = [], []
    for keys, part in study_groups(df):
        levels = list(aggregate(part, [], keys=["level"])["level"])
        if len(levels) < 2:
            continue
        ref = baseline_level(df, part)
        where = keys["dataset"] or "–"
        where += f" ({keys['variant']})" if keys["variant"] else ""
        if ref is None:
            ref = levels[0]
            notes.append(f"- `{keys['study']}` on {where}: no level holds the baseline model; its levels are "
                         f"compared with the first, {level_label(keys['factor'], ref, negative_of(part, ref))}.")
        ref_label = level_label(keys["factor"], ref, negative_of(part, ref))
        for level in levels:
            if level == ref:
                continue
            name = level_label(keys["factor"], level, negative_of(part, level))
            for shown in _TABLE_METRICS:
                col = shown.column
                if col not in part or not (part["level"].eq(level) & part[col].notna()).any() \
                        or not (part["level"].eq(ref) & part[col].notna()).any():
                    continue
                d = paired_difference(part, col, level, ref)
                unit = f" ({shown.unit})" if shown.unit and shown.unit not in shown.name else ""
                rows.append([keys["study"], where, name, ref_label, shown.name + unit,
                             _num(d.mean, shown.scale, shown.digits), _interval_cell(d, shown), _n_cell(d),
                             _decision(d)])
    if not rows:
        return []
    lines = ["## Differences from the baseline", "",
             "Each level of a study minus the study's baseline level, over seeds: paired by seed (Welch's "
             "unpaired difference where the seeds differ), with the 95 % confidence interval from Student's t "
             "(n − 1 degrees of freedom for n pairs). *decided*: the interval excludes 0; *undecided*: it "
             "includes 0; *no interval*: one seed. Accuracies in points, correlations in ρ, speed in words/s.",
             ""]
    lines += _md_table(["study", "dataset", "level", "baseline", "metric", "difference", "95 % CI", "n",
                        "decision"], rows)
    return lines + ([""] + notes if notes else []) + [""]


def _rare_word_comparisons(df: pd.DataFrame) -> list[tuple[str, str, object, object]]:
    """``(study, title, level_a, level_b)``: skip-gram vs CBOW, and each subsampling threshold vs none."""
    mine = study_rows(df)
    out = []
    model = mine[mine["study"] == "model"] if len(mine) else mine
    levels = set(model["level"].dropna()) if len(model) else set()
    if {"sg", "cbow"} <= levels:
        out.append(("model", "Skip-gram vs CBOW", "sg", "cbow"))
    sample = mine[mine["study"] == "sample"] if len(mine) else mine
    if len(sample):
        values = {lv: _level_number(lv) for lv in sample["level"].dropna().unique()}
        off = [lv for lv, v in values.items() if v == 0]
        for lv in sorted((lv for lv, v in values.items() if v > 0), key=lambda lv: -values[lv]):
            if off:
                out.append(("sample", f"subsampling on ({level_label('sample', lv)}) vs off",
                            lv, off[0]))
    return out


def _level_number(level) -> float:
    try:
        return float(level)
    except (TypeError, ValueError):
        return math.nan


def _rare_word_lines(df: pd.DataFrame) -> list[str]:
    """Analogy accuracy by frequency bucket: skip-gram vs CBOW and subsampling on vs off."""
    lines = ["## Rare words", "",
             "Analogy accuracy (3CosAdd, % of the covered questions) by the frequency rank of each question's "
             "rarest word (frequency.csv of `w2v evaluate`), mean ± sd over seeds; the difference is paired by "
             "seed (Welch's where the seeds differ) with its 95 % confidence interval from Student's t. "
             "`oov`: questions with a word outside the evaluated vocabulary.", ""]
    mine = study_rows(df)
    studies = set(mine["study"].dropna()) if len(mine) else set()
    comparisons = _rare_word_comparisons(df)
    table = rare_word_table(df) if comparisons else None
    for study, what in (("model", "skip-gram vs CBOW"), ("sample", "subsampling on vs off")):
        if study not in studies:
            lines += [f"No `{study}` study among the runs: {what} is not compared.", ""]
        elif not any(c[0] == study for c in comparisons):
            need = "levels sg and cbow" if study == "model" else "a level with sample=0 and one above 0"
            lines += [f"The `{study}` study lacks {need}: {what} is not compared.", ""]
        elif table is None or not (table["study"] == study).any():
            lines += [f"The `{study}` study's runs have no frequency.csv next to their eval.json: rerun "
                      f"`w2v evaluate` with `--frequency-out`.", ""]
    for study, title, a, b in comparisons:
        diffs = rare_word_differences(table, study, a, b) if table is not None and len(table) else None
        if diffs is None or not len(diffs):
            continue
        la, lb = level_label(study, a), level_label(study, b)
        for (dataset, variant), part in diffs.groupby([diffs["dataset"].fillna(""), diffs["variant"].fillna("")],
                                                      sort=True):
            head = f"### {title[0].upper()}{title[1:]} (study `{study}`)"
            head += f", dataset `{dataset}`" if dataset else ""
            head += f", variant `{variant}`" if variant else ""
            rows = []
            for _, r in part.iterrows():
                qa, qb = r["questions_a"], r["questions_b"]
                questions = f"{qa:,.0f}" if round(qa) == round(qb) else f"{qa:,.0f} / {qb:,.0f}"
                if r["bucket"] == "oov":
                    rows.append([r["bucket"], questions, "–", "–", "–", "–", "–", "not covered"])
                    continue
                d = Difference(r["diff"], r["low"], r["high"], int(r["n"]), bool(r["paired"]), bool(r["decided"]),
                               int(r["n_a"]), int(r["n_b"]), math.nan, math.nan)
                empty = r["n_a"] == 0 or r["n_b"] == 0
                cells = ["–"] * 3 if empty else [_num(d.mean, 100.0, 1), _interval_cell(d, _ANALOGY), _n_cell(d)]
                rows.append([r["bucket"], questions, _ANALOGY.mean(r["mean_a"], r["sd_a"]).removesuffix(" %"),
                             _ANALOGY.mean(r["mean_b"], r["sd_b"]).removesuffix(" %"), *cells,
                             "no questions" if empty else _decision(d)])
            lines += [head, ""]
            lines += _md_table(["bucket", "questions", f"{la} %", f"{lb} %", "difference (points)", "95 % CI", "n",
                                "decision"], rows)
            lines.append("")
    return lines


@dataclass(frozen=True)
class _Claim:
    """A published finding and the comparison of ours that tests it: ``better`` against ``worse``
    (levels of ``study``) on ``shown``'s metric."""

    finding: str
    source: str
    study: str
    better: object
    worse: object
    shown: _Shown


_SEMANTIC = _Shown("analogy_add_semantic", "semantic analogies", 100.0, 1, "points", " %")
_SYNTACTIC = _Shown("analogy_add_syntactic", "syntactic analogies", 100.0, 1, "points", " %")
_WS353 = _Shown("ws353_spearman", "WordSim-353 ρ", 1.0, 3, "", "")

#: The published findings the study can test, in the order of the table.
CLAIMS = (
    _Claim("Skip-gram beats CBOW on semantic analogies", "Mikolov et al. 2013a, Table 3", "model",
           "sg", "cbow", _SEMANTIC),
    _Claim("CBOW beats skip-gram on syntactic analogies", "Mikolov et al. 2013a, Table 3", "model",
           "cbow", "sg", _SYNTACTIC),
    _Claim("CBOW trains faster than skip-gram", "Mikolov et al. 2013a", "model", "cbow", "sg", _SPEED),
    _Claim("Subsampling frequent words (t = 1e-5) improves analogy accuracy", "Mikolov et al. 2013b, Table 1",
           "sample", 1e-5, 0.0, _ANALOGY),
    _Claim("Subsampling frequent words (t = 1e-5) speeds training up", "Mikolov et al. 2013b, §2.3",
           "sample", 1e-5, 0.0, _SPEED),
    _Claim("15 negative samples beat 5 on analogies", "Mikolov et al. 2013b, Table 1", "negative",
           15, 5, _ANALOGY),
    _Claim("Noise ∝ unigram^0.75 beats the unigram distribution (exponent 1)",
           "Mikolov et al. 2013b, §2.2; Levy, Goldberg & Dagan 2015, §3.2", "ns_exponent", 0.75, 1.0, _ANALOGY),
    _Claim("A wide window (10) beats a narrow one (2) on WordSim-353 (relatedness)",
           "Levy & Goldberg 2014; Levy, Goldberg & Dagan 2015", "window", 10, 2, _WS353),
    _Claim("More dimensions (200 vs 100) improve analogy accuracy", "Mikolov et al. 2013a, Table 2", "dim",
           200, 100, _ANALOGY),
    _Claim("NCE reaches a better held-out softmax likelihood than negative sampling",
           "Mnih & Teh 2012; Dyer 2014", "loss", "nce", "ns", _HELDOUT),
    _Claim("The full softmax reaches a better held-out likelihood than negative sampling",
           "Dyer 2014; Levy & Goldberg 2014b", "loss", "softmax", "ns", _HELDOUT),
)


def _level_in(part: pd.DataFrame, want):
    """The level of ``part`` equal to ``want`` (as text, or as a number), or None."""
    for level in part["level"].dropna().unique():
        if str(level) == str(want):
            return level
        a, b = _level_number(level), _level_number(want)
        if not (math.isnan(a) or math.isnan(b)) and math.isclose(a, b, rel_tol=1e-9):
            return level
    return None


def _claim_rows(df: pd.DataFrame) -> list[list[str]]:
    rows = []
    groups = [(keys, part) for keys, part in study_groups(df)]
    for claim in CLAIMS:
        shown = claim.shown
        found = False
        for keys, part in groups:
            if keys["study"] != claim.study or shown.column not in part:
                continue
            a, b = _level_in(part, claim.better), _level_in(part, claim.worse)
            if a is None or b is None:
                continue
            found = True
            d = paired_difference(part, shown.column, a, b)
            gain = -d.mean if shown.lower else d.mean
            if math.isnan(d.low):
                verdict = "undecided (no interval)"
            elif not d.decided:
                verdict = "undecided"
            else:
                verdict = "agree" if gain > 0 else "disagree"
            where = keys["dataset"] or "–"
            label_a = level_label(keys["factor"], a, negative_of(part, a))
            label_b = level_label(keys["factor"], b, negative_of(part, b))
            evidence = (f"{shown.diff(d.mean)}, one seed" if math.isnan(d.low)
                        else f"{shown.diff(d.mean)} {_interval_cell(d, shown)}, n = {_n_cell(d)}")
            rows.append([claim.finding, claim.source, where, f"{label_a} − {label_b}", evidence, verdict])
        if not found:
            rows.append([claim.finding, claim.source, "–", "–", "not run in this study", "–"])
    return rows


def _published_lines(df: pd.DataFrame) -> list[str]:
    """The table of published findings against our evidence (:data:`CLAIMS`)."""
    rows = _claim_rows(df)
    if all(r[-1] == "–" for r in rows):
        return []
    lines = ["## What it reproduces", "",
             "Published findings against this study's evidence: the difference named in the fourth column "
             "over seeds, with its 95 % confidence interval (paired by seed; lower is better for the held-out "
             "NLL). *agree*: the interval excludes 0 on the published side; *disagree*: it excludes 0 on the "
             "other side; *undecided*: it includes 0. The original experiments used other corpora (Google "
             "News, 1-6 billion words), so a disagreement here is about this corpus and size.", ""]
    lines += _md_table(["finding", "source", "dataset", "difference", "ours (95 % CI, n)", "verdict"], rows)
    return lines + [""]


def _dataset_heading(ds) -> str:
    if ds is None:
        return "(no dataset)"
    note = CLASSIFY_DATASETS.get(ds, "")
    return f"{ds} ({note})" if note else ds


def _classifier_order(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (vectors, classifier) rows, best first by their mean relative rank over the data sets they ran
    on (0 for a data set's best, 1 for its worst); ties by the accuracy on the first data set, then by name."""
    ranks: dict[tuple[str, str], list[float]] = {}
    first: dict[tuple[str, str], float] = {}
    for k, ds in enumerate(classify_datasets(table["dataset"])):
        part = table[table["dataset"].isna()] if ds is None else table[table["dataset"] == ds]
        rank = part["accuracy_mean"].rank(ascending=False, method="min") - 1
        span = max(1, len(part) - 1)
        for (_, r), v in zip(part.iterrows(), rank):
            key = (r["source"], r["classifier"])
            ranks.setdefault(key, []).append(float(v) / span)
            if k == 0:
                first[key] = r["accuracy_mean"]
    return sorted(ranks, key=lambda key: (sum(ranks[key]) / len(ranks[key]), -first.get(key, -1.0), key))


def _cost_cell(r: Mapping) -> str:
    seconds, mb = r["seconds_mean"], r["peak_rss_mb_max"]
    sec = "–" if math.isnan(seconds) else f"{seconds:,.0f}" if seconds >= 10 else f"{seconds:.1f}"
    return f"{sec} / {'–' if math.isnan(mb) else f'{mb:,.0f}'}"


def _classification_lines(df: pd.DataFrame) -> list[str]:
    """One accuracy table (rows: vectors and classifier, columns: data sets), its cost table and the targets."""
    lines = ["## Classification", ""]
    table = classifier_table(df)
    if not len(table):
        return lines + ["No classifier results (classify*.json) were found."]
    datasets = classify_datasets(table["dataset"])
    order = _classifier_order(table)
    cells = {(ds, r["source"], r["classifier"]): r for ds, (_, r) in
             zip((None if pd.isna(d) else d for d in table["dataset"]), table.iterrows())}
    targets = {}
    for ds in datasets:
        t = table.loc[table["dataset"].isna() if ds is None else table["dataset"] == ds, "target"].iloc[0]
        if not math.isnan(t):
            targets.setdefault(f"{t * 100:.1f} %", []).append(ds)
    target_text = "; ".join(f"{t} on {' and '.join(names)}" for t, names in targets.items())
    transductive = sorted({r["source"] for _, r in table.iterrows() if r["transductive"]})
    lines += ["Accuracy in % on the official test split: mean ± sample sd over seeds, the number of runs in "
              "parentheses; – where a classifier did not run on a data set. Rows are ordered by their mean rank "
              "over the data sets they ran on (best first)."
              + (f" Target accuracy: {target_text}." if target_text else ""), ""]
    if transductive:
        lines += ["The rows whose vectors are w2v's or gensim's are transductive: those word vectors were trained "
                  "on every document of the data set, the test documents' text included (no labels); TF-IDF's idf "
                  "and every classifier are fitted on the training split only.", ""]
    acc_rows, cost_rows = [], []
    for source, classifier in order:
        acc_row, cost_row = [source, classifier], [source, classifier]
        for ds in datasets:
            r = cells.get((ds, source, classifier))
            if r is None:
                acc_row.append("–")
                cost_row.append("–")
                continue
            acc_row.append(f"{_pm(r['accuracy_mean'], r['accuracy_sd'], 100.0)} ({int(r['n'])})")
            cost_row.append(_cost_cell(r))
        acc_rows.append(acc_row)
        cost_rows.append(cost_row)
    heads = [_dataset_heading(ds) for ds in datasets]
    lines += _md_table(["vectors", "classifier", *heads], acc_rows) + [""]
    if table[["seconds_mean", "peak_rss_mb_max"]].notna().any().any():
        lines += ["Cost of one fit, per data set: wall seconds (mean over runs) / peak resident memory of the "
                  "classify process in MB (largest over runs); – where not recorded.", ""]
        names = ["(no dataset)" if ds is None else ds for ds in datasets]
        lines += _md_table(["vectors", "classifier", *(f"{n} s / MB" for n in names)], cost_rows)
    else:
        lines.append("No classify JSON recorded the seconds or the peak memory of its fit.")
    return lines


def write_summary_md(df: pd.DataFrame, path: str | os.PathLike, figures=None) -> None:
    """Write the Markdown report: findings, each level's difference from its study's
    baseline (95 % CI), settings, one table per study (mean ± sd over seeds), rare
    words (frequency.csv next to each run's eval.json), the classifiers, the
    gensim and pretrained comparisons and the figures.

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
    lines += [""] + _published_lines(df) + _difference_lines(df)
    lines += ["## Evaluation settings", ""] + _settings_lines(df) + [""]

    for keys, part in study_groups(df):
        columns = [c for c in _TABLE_COLUMNS if c[0] in part and part[c[0]].notna().any()]
        agg = aggregate(part, [c for c, *_ in columns], keys=["level"])
        head = f"## Study `{keys['study']}`"
        head += f" — factor `{keys['factor']}`" if keys["factor"] else ""
        head += f", dataset `{keys['dataset']}`" if keys["dataset"] else ""
        head += f", variant `{keys['variant']}`" if keys["variant"] else ""
        rows = [[level_label(keys["factor"], r["level"], negative_of(part, r["level"])), int(r["n_seeds"])]
                + [_cell(r, c, s, d) for c, _, s, d in columns] for _, r in agg.iterrows()]
        lines += [head, ""] + _md_table(["level", "n"] + [h for _, h, _, _ in columns], rows) + [""]

    lines += _rare_word_lines(df)
    lines += _classification_lines(df)
    lines += ["", "## Comparison with gensim", ""]
    pairs = gensim_pairs(df)
    if pairs:
        lines += [GENSIM_NOTE, ""]
        rows = []
        for desc, g, m in pairs:
            for who, part in (("w2v", m), ("gensim", g)):
                cells = [desc, who, len(part)]
                for col, _, scale, digits in _TABLE_COLUMNS:
                    mean, sd = mean_sd(part, col)
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
