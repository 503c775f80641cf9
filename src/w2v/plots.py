"""Figures: 2-D word maps and the study plots of the report.

Every function draws with matplotlib's Agg backend and writes one PNG at
:data:`DPI` dots per inch, atomically; the pixel size is the figure size in
inches times the DPI (no tight bounding box, so sizes are predictable).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from w2v.errors import W2VError
from w2v.io import atomic_open
from w2v.report import METRICS, aggregate, level_label, study_rows, unique_models

__all__ = [
    "DPI",
    "PAIR_GROUPS",
    "analogy_pairs",
    "factor_effects",
    "loss_curves",
    "report_figures",
    "speed_vs_quality",
    "word_map",
    "word_set",
]

DPI = 150
_STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8, "figure.dpi": DPI}


def _styled(func):
    """Draw inside the report's font sizes without changing matplotlib's global settings."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with plt.rc_context(_STYLE):
            return func(*args, **kwargs)
    return wrapper


def _save(fig, out: str | os.PathLike) -> Path:
    """Write ``fig`` as a PNG with a 256-colour palette (a third of the bytes of matplotlib's RGBA
    file, no visible difference on these line and scatter plots), atomically."""
    import io

    from PIL import Image

    out = Path(out)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    buf.seek(0)
    with Image.open(buf) as im:
        pal = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    with atomic_open(out, "wb") as fh:
        pal.save(fh, format="PNG", optimize=True)
    return out


# ----------------------------------------------------------------------------
# word maps


def analogy_pairs(path: str | os.PathLike, section: str, lowercase: bool = True) -> list[tuple[str, str]]:
    """The distinct word pairs of one section of a questions-words file, in file order.

    Each question ``a b c d`` gives the pairs ``(a, b)`` and ``(c, d)``, e.g.
    country -> capital in ``capital-common-countries``, man -> woman in ``family``.
    """
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    current, found = None, False
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if line.startswith(":"):
                    current = line[1:].strip()
                    found = found or current == section
                    continue
                if current != section or not line:
                    continue
                words = line.lower().split() if lowercase else line.split()
                if len(words) != 4:
                    continue
                for pair in ((words[0], words[1]), (words[2], words[3])):
                    if pair not in seen:
                        seen.add(pair)
                        pairs.append(pair)
    except FileNotFoundError:
        raise W2VError(f"{path}: analogy file not found; give the questions-words file") from None
    except UnicodeDecodeError:
        raise W2VError(f"{path}: analogy file is not UTF-8 text; give the questions-words file") from None
    if not found:
        raise W2VError(f"{path}: no section ': {section}'; use one of its section names "
                       f"(e.g. capital-common-countries, family)")
    return pairs


#: Group names of the two words of each pair, by questions-words section.
PAIR_GROUPS = {
    "capital-common-countries": ("capital", "country"),
    "capital-world": ("capital", "country"),
    "currency": ("country", "currency"),
    "city-in-state": ("city", "state"),
    "family": ("male", "female"),
}


def word_set(analogies: str | os.PathLike | None = None, section: str | None = None,
             words: Sequence[str] = ()) -> tuple[list[str], list[str] | None, list[tuple[str, str]]]:
    """The ``(words, groups, pairs)`` of a map: the pairs of a questions-words
    ``section`` (grouped by role, e.g. capital / country) followed by ``words``
    (group ``words``); ``groups`` is None when no section is given."""
    out_words: list[str] = []
    groups: list[str] = []
    pairs: list[tuple[str, str]] = []
    if section:
        if not analogies:
            raise W2VError(f"section {section!r} needs the questions-words file (--analogies FILE)")
        pairs = analogy_pairs(analogies, section)
        first, second = PAIR_GROUPS.get(section, ("first of pair", "second of pair"))
        for a, b in pairs:
            out_words += [a, b]
            groups += [first, second]
    extra = [w.strip() for w in words if w.strip()]
    out_words += extra
    groups += ["words"] * len(extra)
    if not out_words:
        raise W2VError("word map: no words given; use a questions-words section or a list of words")
    return out_words, (groups if section else None), pairs


def _lookup(kv, word: str) -> int | None:
    index = kv.key_to_index.get(word)
    if index is None and word.lower() != word:
        index = kv.key_to_index.get(word.lower())
    return index


def _project(vectors: np.ndarray, method: str, seed: int) -> np.ndarray:
    if method == "pca":
        centred = vectors - vectors.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        coords = centred @ vt[:2].T
        if coords.shape[1] < 2:
            coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
        return coords
    if method == "tsne":
        from sklearn.manifold import TSNE

        n = len(vectors)
        perplexity = float(min(30.0, max(2.0, (n - 1) / 3.0)))
        perplexity = min(perplexity, n - 1.0)
        # The exact gradient: word maps have at most a few hundred points, and
        # Barnes-Hut was 100x slower on small sets here (thread start-up).
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                    metric="cosine", method="exact").fit_transform(vectors.astype(np.float64))
    raise W2VError(f"method {method!r}: unknown projection; use pca or tsne")


def _spread_labels(xy: np.ndarray, steps: int = 200) -> np.ndarray:
    """Label positions near their points, pushed apart where they would overlap."""
    span = np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    pos = (xy - xy.min(axis=0)) / span
    anchors = pos.copy()
    min_dx, min_dy = 0.09, 0.035
    for _ in range(steps):
        moved = False
        for i in range(len(pos)):
            for j in range(i + 1, len(pos)):
                dx, dy = pos[j] - pos[i]
                if abs(dx) < min_dx and abs(dy) < min_dy:
                    push = (min_dy - abs(dy)) / 2 + 1e-4
                    sign = 1.0 if dy >= 0 else -1.0
                    if dy == 0:
                        sign = 1.0 if j % 2 else -1.0
                    pos[i, 1] -= sign * push
                    pos[j, 1] += sign * push
                    moved = True
        pos += 0.05 * (anchors - pos)
        if not moved:
            break
    return pos * span + xy.min(axis=0)


@_styled
def word_map(kv, words: Sequence[str], method: str = "pca", groups: Sequence[str] | None = None,
             pairs: Sequence[tuple[str, str]] | None = None, out: str | os.PathLike = "word_map.png",
             seed: int = 0, title: str | None = None) -> list[str]:
    """Draw a labelled 2-D map of ``words`` and return the words that were missing.

    ``kv`` has ``key_to_index`` and ``vectors`` (unit-normalised here, through
    ``get_normed_vectors()`` when it has one). ``groups`` gives one group name per
    word (one colour each); ``pairs`` draws an arrow from the first word of each
    pair to the second where both are present. Words not in the vocabulary are
    skipped, and a word found a second time (also in another case) is drawn once;
    fewer than two present is a W2VError.
    ``method`` is ``pca`` or ``tsne`` (seeded, perplexity adapted to the number of points).
    """
    if groups is not None and len(groups) != len(words):
        raise ValueError("groups must give one group per word")
    if method not in ("pca", "tsne"):
        raise W2VError(f"method {method!r}: unknown projection; use pca or tsne")
    normed = kv.get_normed_vectors() if hasattr(kv, "get_normed_vectors") else None
    if normed is None:
        vecs = np.asarray(kv.vectors, dtype=np.float64)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        normed = vecs / np.where(norms == 0, 1.0, norms)
    keep, missing, seen = [], [], set()
    for i, word in enumerate(words):
        index = _lookup(kv, word)
        if index is None:
            missing.append(word)
        elif index not in seen:
            seen.add(index)
            keep.append((kv.index_to_key[index], index, groups[i] if groups is not None else None))
    if len(keep) < 2:
        raise W2VError(f"word map: only {len(keep)} of {len(words)} words are in the vocabulary "
                       f"(missing: {', '.join(missing[:10])}); give more frequent words")
    coords = _project(np.asarray(normed, dtype=np.float64)[[k[1] for k in keep]], method, seed)
    where = {w: coords[i] for i, (w, _, _) in enumerate(keep)}

    fig, ax = plt.subplots(figsize=(8, 6.5))
    group_names = list(dict.fromkeys(g for _, _, g in keep))
    cmap = plt.get_cmap("tab10")
    for gi, g in enumerate(group_names):
        idx = [i for i, k in enumerate(keep) if k[2] == g]
        ax.scatter(coords[idx, 0], coords[idx, 1], s=28, color=cmap(gi % 10),
                   label=g if g is not None else None, zorder=3)
    for a, b in pairs or ():
        if a in where and b in where:
            ax.annotate("", xy=where[b], xytext=where[a], zorder=2,
                        arrowprops={"arrowstyle": "->", "color": "0.55", "lw": 0.8, "shrinkA": 4, "shrinkB": 4})
    labels = _spread_labels(coords)
    for (word, _, _), point, at in zip(keep, coords, labels):
        moved = np.any(np.abs(at - point) > 1e-9)
        ax.annotate(word, xy=point, xytext=at, fontsize=8, zorder=4,
                    textcoords="data", xycoords="data", ha="left", va="bottom",
                    arrowprops={"arrowstyle": "-", "color": "0.75", "lw": 0.5} if moved else None)
    if any(g is not None for g in group_names):
        ax.legend(loc="best")
    ax.set_xlabel(f"{method.upper()} dimension 1")
    ax.set_ylabel(f"{method.upper()} dimension 2")
    shown = title or f"Word map ({method.upper()}, {len(keep)} words)"
    if missing:
        shown += f" — {len(missing)} missing"
    ax.set_title(shown)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, out)
    return missing


# ----------------------------------------------------------------------------
# study figures


def _level_key(value) -> tuple:
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def _grid(n: int, width: float = 5.0, height: float = 4.0):
    cols = min(3, max(1, n))
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(max(width * cols, 7.0), height * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=10, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _metric_label(metric: str) -> str:
    for m in METRICS:
        if m.column == metric:
            return m.label + (" (%)" if m.kind == "accuracy" else "")
    names = {"cls_best_accuracy": "best classifier accuracy (%)", "cls_best_macro_f1": "best classifier macro-F1 (%)"}
    return names.get(metric, metric)


def _scale(metric: str) -> float:
    kinds = {m.column: m.kind for m in METRICS}
    return 100.0 if kinds.get(metric) == "accuracy" or metric.startswith("cls") else 1.0


@_styled
def factor_effects(df: pd.DataFrame, metric: str, out: str | os.PathLike) -> Path:
    """Per study, ``metric`` against the factor's levels: mean over seeds with sd
    error bars, one line per dataset, one panel per (study, factor); the shared
    baseline model appears in every study it belongs to (see ``w2v.report.study_rows``)."""
    mine = study_rows(df)
    studies = []
    if len(mine) and metric in mine:
        for (study, factor), part in mine.groupby(["study", mine["factor"].fillna("")], sort=True):
            if pd.to_numeric(part[metric], errors="coerce").notna().any():
                studies.append((study, factor, part))
    fig, axes = _grid(max(1, len(studies)))
    scale = _scale(metric)
    if not studies:
        _empty(axes[0], f"no runs with {metric}")
        axes[0].set_title(_metric_label(metric))
    for ax, (study, factor, part) in zip(axes, studies):
        levels = sorted(part["level"].dropna().unique(), key=_level_key)
        x = {lv: i for i, lv in enumerate(levels)}
        agg = aggregate(part, [metric], keys=["dataset", "level"])
        for ds, rows in agg.groupby(agg["dataset"].fillna("(no dataset)"), sort=True):
            rows = rows[rows["level"].isin(levels) & (rows[f"{metric}_n"] > 0)]
            rows = rows.assign(_x=[x[v] for v in rows["level"]]).sort_values("_x")
            ax.errorbar(rows["_x"], rows[f"{metric}_mean"] * scale,
                        yerr=rows[f"{metric}_sd"].fillna(0.0) * scale, marker="o", capsize=3, label=str(ds))
        ax.set_xticks(range(len(levels)))
        ax.set_xticklabels([level_label(factor, lv) for lv in levels], rotation=20 if len(levels) > 4 else 0,
                           ha="right" if len(levels) > 4 else "center")
        ax.set_xlabel(factor or "level")
        ax.set_ylabel(_metric_label(metric))
        ax.set_title(f"{study}: {factor or 'level'}")
        ax.grid(alpha=0.3)
        ax.legend(title="dataset")
    fig.suptitle(f"{_metric_label(metric)}: mean ± sd over seeds")
    fig.tight_layout()
    return _save(fig, out)


@_styled
def speed_vs_quality(df: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Training speed (words/s, log scale) against analogy accuracy and, when
    present, best classification accuracy; gensim runs drawn as red squares."""
    df = unique_models(df)
    quality = ["analogy_add_total"]
    if "cls_best_accuracy" in df and pd.to_numeric(df["cls_best_accuracy"], errors="coerce").notna().any():
        quality.append("cls_best_accuracy")
    fig, axes = _grid(len(quality), width=6.0, height=4.5)
    agg = aggregate(df, ["words_per_sec"] + quality) if len(df) else None
    for ax, metric in zip(axes, quality):
        if agg is None:
            _empty(ax, "no runs")
        else:
            rows = agg[(agg["words_per_sec_n"] > 0) & (agg[f"{metric}_n"] > 0)]
            if not len(rows):
                _empty(ax, f"no runs with both words/s and {metric}")
            for trainer, marker, colour in (("w2v", "o", "tab:blue"), ("gensim", "s", "tab:red")):
                part = rows[rows["trainer"] == trainer] if trainer == "gensim" else rows[rows["trainer"] != "gensim"]
                if not len(part):
                    continue
                ax.errorbar(part["words_per_sec_mean"], part[f"{metric}_mean"] * 100,
                            xerr=part["words_per_sec_sd"].fillna(0.0),
                            yerr=part[f"{metric}_sd"].fillna(0.0) * 100,
                            fmt=marker, color=colour, capsize=2, label=trainer, ms=6)
                for _, r in part.iterrows():
                    if r["study"] in (None, "baseline") or r["trainer"] != "w2v":
                        text = "baseline model" if r["study"] == "baseline" else str(r["trainer"])
                    else:
                        text = f"{r['study']}: {level_label(r['factor'], r['level'])}"
                    if r["dataset"]:
                        text += f" [{r['dataset']}]"
                    ax.annotate(text, (r["words_per_sec_mean"], r[f"{metric}_mean"] * 100),
                                xytext=(4, 3), textcoords="offset points", fontsize=6)
            if len(rows):
                ax.set_xscale("log")
                ax.margins(x=0.2, y=0.1)
                ax.legend(loc="best")
        ax.set_xlabel("training speed (words/s, log scale)")
        ax.set_ylabel(_metric_label(metric))
        ax.set_title(f"speed vs {_metric_label(metric).split(' (')[0]}")
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _save(fig, out)


def _loss_series(source) -> list[tuple[str, list[float]]]:
    if isinstance(source, pd.DataFrame):
        source = unique_models(source)
        out = []
        if "loss_per_epoch" not in source:
            return out
        for _, r in source.iterrows():
            raw = r["loss_per_epoch"]
            if not isinstance(raw, str) or not raw:
                continue
            if r.get("study") and r.get("trainer") == "w2v":
                label = f"{r['study']}: {level_label(r['factor'], r['level'])}, seed {r['seed']}"
            else:
                label = f"{r.get('trainer')} {Path(str(r.get('run', 'run'))).name}"
            out.append((label, [float(x) for x in json.loads(raw)]))
        return out
    out = []
    for run in source:
        path = Path(run)
        path = path / "train.json" if path.is_dir() else path
        try:
            with open(path, encoding="utf-8") as fh:
                train = json.load(fh)
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        losses = train.get("loss_per_epoch") if isinstance(train, dict) else None
        if isinstance(losses, list) and losses:
            out.append((path.parent.name, [float(x) for x in losses]))
    return out


@_styled
def loss_curves(source: pd.DataFrame | Iterable[str | os.PathLike], out: str | os.PathLike) -> Path:
    """Training loss per epoch, one line per model, from a summary DataFrame
    (``loss_per_epoch`` column) or from run directories (their train.json).
    Runs without a loss log are left out."""
    series = _loss_series(source)
    fig, axes = _grid(1, width=7.5, height=5.0)
    ax = axes[0]
    if not series:
        _empty(ax, "no training loss recorded")
    for label, losses in series:
        ax.plot(range(1, len(losses) + 1), losses, marker="o" if len(losses) < 15 else None, ms=3,
                label=label, lw=1.2)
    if series:
        ax.xaxis.get_major_locator().set_params(integer=True)
        if len(series) <= 20:
            ax.legend(fontsize=6, ncol=2 if len(series) > 10 else 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title(f"Training loss per epoch ({len(series)} model{'s' if len(series) != 1 else ''})")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, out)


_EFFECT_METRICS = ("analogy_add_total", "ws353_spearman", "simlex_spearman", "cls_best_accuracy", "words_per_sec")


def report_figures(df: pd.DataFrame, outdir: str | os.PathLike) -> list[Path]:
    """Write the report's figures into ``outdir``: one factor-effects figure per
    metric that has data, speed vs quality and the loss curves; return the paths."""
    outdir = Path(outdir)
    written = []
    for metric in _EFFECT_METRICS:
        if metric in df and pd.to_numeric(df[metric], errors="coerce").notna().any():
            written.append(factor_effects(df, metric, outdir / f"effects_{metric}.png"))
    written.append(speed_vs_quality(df, outdir / "speed_vs_quality.png"))
    written.append(loss_curves(df, outdir / "loss_curves.png"))
    return written
