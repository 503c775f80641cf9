"""The written summary of a study (``summary.md``): findings in sentences and Markdown tables.

Everything here is computed from the summary table that :mod:`w2v.report`
collects and aggregates: :func:`findings` says which level wins, by how much
and at what speed; :func:`write_summary_md` puts those sentences, the
evaluation settings, one table per study, the classifiers, the gensim and
pretrained comparisons and the figures into one Markdown file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from w2v.io import atomic_open
from w2v.provenance import PACKAGES
from w2v.report import (METRICS, aggregate, classifier_table, gensim_pairs, level_label, mean_sd, negative_of,
                        paired_difference, study_groups, unique_models)

__all__ = ["GENSIM_NOTE", "PRETRAINED_ABSENT", "findings", "write_summary_md"]


# ----------------------------------------------------------------------------
# findings


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


def _study_findings(keys: dict, part: pd.DataFrame) -> list[str]:
    agg = aggregate(part, [c for c, *_ in _FINDING_METRICS] + ["words_per_sec", "analogy_coverage"],
                    keys=["level"])
    where = f"on {keys['dataset']}" if keys["dataset"] else "on the untagged dataset"
    title = f"{keys['study']}"
    factor = keys["factor"]
    label = {lv: level_label(factor, lv, negative_of(part, lv)) for lv in agg["level"]}
    out = []
    for col, name, scale, unit, suffix in _FINDING_METRICS:
        have = agg[agg[f"{col}_n"] > 0].sort_values(f"{col}_mean", ascending=False, kind="stable")
        if len(have) < 2:
            continue
        best, second = have.iloc[0], have.iloc[1]
        diff, sd, n, paired = paired_difference(part, col, best["level"], second["level"])
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
    :data:`w2v.report.CLASSIFY_TARGETS`; w2v against gensim on matching settings.
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

    for keys, part in study_groups(df):
        agg = aggregate(part, [c for c, *_ in _TABLE_COLUMNS], keys=["level"])
        head = f"## Study `{keys['study']}`"
        head += f" — factor `{keys['factor']}`" if keys["factor"] else ""
        head += f", dataset `{keys['dataset']}`" if keys["dataset"] else ""
        head += f", variant `{keys['variant']}`" if keys["variant"] else ""
        rows = [[level_label(keys["factor"], r["level"], negative_of(part, r["level"])), int(r["n_seeds"])]
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
