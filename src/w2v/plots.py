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
from w2v.report import (CLASSIFY_DATASETS, METRICS, aggregate, classifier_table, classify_datasets, level_label,
                        negative_of, rare_word_table, study_rows, unique_models)

__all__ = [
    "DPI",
    "PAIR_GROUPS",
    "analogy_pairs",
    "classification",
    "factor_effects",
    "loss_curves",
    "rare_words",
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
    names = {"cls_best_accuracy": "best classifier accuracy (%)", "cls_best_macro_f1": "best classifier macro-F1 (%)",
             "cls_accuracy": "classifier accuracy (%)"}
    return names.get(metric, metric)


def _scale(metric: str) -> float:
    kinds = {m.column: m.kind for m in METRICS}
    return 100.0 if kinds.get(metric) == "accuracy" or metric.startswith("cls") else 1.0


#: Output layers in the order the figures show them, with their names.
_LOSS_NAMES = {"softmax": "full softmax", "hs": "hierarchical softmax", "ns": "negative sampling",
               "nce": "NCE", "sampled": "sampled softmax"}

#: Factors whose levels are kinds, not points on a scale: their means are drawn as separate
#: points, never joined by a line (a line would suggest a trend between, say, CBOW and Skip-gram).
CATEGORICAL_FACTORS = frozenset({"model", "loss", "optimizer", "variant", "subsample", "trainer"})


def _factor_order(factor, level) -> tuple:
    """Levels in reading order: output layers from the full softmax to its approximations, numbers ascending."""
    order = list(_LOSS_NAMES)
    if str(factor or "") == "loss":
        base = str(level).rstrip("0123456789")
        return (0, order.index(base) if base in order else len(order), str(level))
    return _level_key(level)


def _categorical(factor, levels: Sequence) -> bool:
    """Whether a factor's levels are categories: a known categorical factor, or any level not a number."""
    if str(factor or "") in CATEGORICAL_FACTORS:
        return True
    try:
        [float(lv) for lv in levels]
    except (TypeError, ValueError):
        return True
    return False


def _short_level(factor, level, negative=None) -> str:
    """The level's name without the factor's (``200`` on a ``dim`` axis, not ``dim=200``)."""
    label = level_label(factor, level, negative)
    prefix = f"{factor}="
    return label[len(prefix):] if factor and label.startswith(prefix) else label


def _panel_title(study, factor) -> str:
    """``dim`` for the study of the factor of the same name, ``study: factor`` where they differ."""
    study, factor = str(study or ""), str(factor or "")
    return study if not factor or factor == study else f"{study}: {factor}"


def _slice_mask(df: pd.DataFrame) -> pd.Series:
    """The rows of models trained on a corpus slice (``cfg.max_docs`` or ``cfg.max_vocab`` set):
    their numbers are not comparable with those of models trained on the whole corpus."""
    mask = pd.Series(False, index=df.index)
    for col in ("cfg.max_docs", "cfg.max_vocab"):
        if col in df:
            mask |= pd.to_numeric(df[col], errors="coerce").fillna(0) > 0
    return mask


def _slice_text(df: pd.DataFrame) -> str:
    """The slice settings of some rows, e.g. ``max_docs=600, max_vocab=2,000``."""
    parts = []
    for col in ("cfg.max_docs", "cfg.max_vocab"):
        if col in df:
            values = sorted(pd.to_numeric(df[col], errors="coerce").dropna().unique())
            values = [v for v in values if v > 0]
            if values:
                parts.append(f"{col.removeprefix('cfg.')}=" + "/".join(f"{int(v):,}" for v in values))
    return ", ".join(parts)


def _seeds_text(counts: Iterable[int]) -> str:
    counts = sorted({int(c) for c in counts if c > 0})
    if not counts:
        return "no seeds"
    if counts[0] == counts[-1]:
        return f"{counts[0]} seed{'s' if counts[0] != 1 else ''}"
    return f"{counts[0]}–{counts[-1]} seeds"


def _boxes_collide(a, b, pad: float = 0.0) -> bool:
    return a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 + pad and b.y0 < a.y1 + pad


def _fit_ticklabels(fig, axes) -> None:
    """Rotate an axis's x tick labels where they would run into each other, steeply enough
    that the slanted labels keep clear of their neighbours (30, 45 or 90 degrees)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        if not any(_boxes_collide(a, b, pad=6) for a, b in zip(boxes, boxes[1:])):
            continue
        centres = sorted((b.x0 + b.x1) / 2 for b in boxes)
        spacing = min(b - a for a, b in zip(centres, centres[1:]))
        height = max(b.height for b in boxes)
        angle = next((a for a in (30, 45) if spacing * math.sin(math.radians(a)) >= 1.3 * height), 90)
        for t in labels:
            t.set_rotation(angle)
            t.set_horizontalalignment("right" if angle < 90 else "center")
            t.set_rotation_mode("anchor" if angle < 90 else "default")


@_styled
def factor_effects(df: pd.DataFrame, metric: str, out: str | os.PathLike) -> Path:
    """Per study, ``metric`` against the factor's levels: mean over seeds with sd
    error bars, one series per dataset, one panel per (study, factor); the shared
    baseline model appears in every study it belongs to (see ``w2v.report.study_rows``).

    Levels of a categorical factor (:data:`CATEGORICAL_FACTORS`, or any level not
    a number) are separate points; levels of a numeric factor are joined by a line.
    """
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
        levels = sorted(part["level"].dropna().unique(), key=lambda lv: _factor_order(factor, lv))
        categorical = _categorical(factor, levels)
        x = {lv: i for i, lv in enumerate(levels)}
        agg = aggregate(part, [metric], keys=["dataset", "level"])
        agg = agg[agg["level"].isin(levels) & (agg[f"{metric}_n"] > 0)]
        datasets = sorted(agg["dataset"].fillna("(no dataset)").unique())
        step = min(0.15, 0.6 / len(datasets)) if len(datasets) > 1 else 0.0
        for k, ds in enumerate(datasets):
            rows = agg[agg["dataset"].fillna("(no dataset)") == ds]
            rows = rows.assign(_x=[x[v] for v in rows["level"]]).sort_values("_x")
            ax.errorbar(rows["_x"] + (k - (len(datasets) - 1) / 2) * step, rows[f"{metric}_mean"] * scale,
                        yerr=rows[f"{metric}_sd"].fillna(0.0) * scale, marker="o", capsize=3, label=str(ds),
                        linestyle="none" if categorical else "-")
        ax.set_xticks(range(len(levels)))
        ax.set_xticklabels([_short_level(factor, lv, negative_of(part, lv)) for lv in levels])
        if categorical:
            ax.set_xlim(-0.5, len(levels) - 0.5)
        ax.margins(y=0.2 if len(datasets) > 1 else 0.08)  # room for the legend above the points
        ax.set_xlabel(factor or "level")
        ax.set_ylabel(_metric_label(metric))
        if metric == "words_per_sec":
            from matplotlib.ticker import FuncFormatter

            ax.yaxis.set_major_formatter(FuncFormatter(_si))  # 2M, not 2 under a "1e6" in the corner
        note = [datasets[0]] if len(datasets) == 1 else []
        note += ["corpus slice"] if _slice_mask(part).any() else []
        note.append(_seeds_text(agg[f"{metric}_n"]))
        ax.set_title(f"{_panel_title(study, factor)} ({', '.join(note)})")
        ax.grid(alpha=0.3)
        if len(datasets) > 1:
            ax.legend(title="data set", fontsize=7, title_fontsize=7)
    fig.suptitle(f"{_metric_label(metric)}: mean ± sd over seeds (no bar: a single seed)")
    fig.tight_layout()
    if studies:
        _fit_ticklabels(fig, axes[:len(studies)])
        fig.tight_layout()
    return _save(fig, out)


# Label placement: offsets (in points) tried around a point, nearest first; a label that
# fits nowhere is left out rather than printed over another.
_LABEL_RADII = (4, 8, 13, 19, 26, 34, 44, 56, 70, 86)
_LABEL_ANGLES = (30, 150, -30, -150, 0, 180, 90, -90, 60, 120, -60, -120, 15, 165, -15, -165)


def _darker(colour, factor: float = 0.7):
    """The colour of a label: its point's colour, darkened so that light tints stay readable as text."""
    from matplotlib.colors import to_rgb

    return tuple(factor * c for c in to_rgb(colour))


def _place_labels(ax, points: np.ndarray, texts: Sequence[str], colors: Sequence | None = None,
                  bars: Sequence[tuple[float, float, float, float]] | None = None, fontsize: float = 7.0) -> int:
    """Annotate each point with its text at the nearest spot around it where the text
    box overlaps no other label, no point and stays inside the axes, and preferably
    crosses no error bar (``bars``: x from, x to, y from, y to of each point's bars, in
    data units); a label moved away from its point gets a thin leader line. Call once
    the axes' limits and layout are final. Returns how many labels found no free spot
    (those are left out)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    disp = ax.transData.transform(np.asarray(points, dtype=float).reshape(-1, 2))
    px = fig.dpi / 72.0
    mark = 3.5 * px
    markers = [(x - mark, y - mark, x + mark, y + mark) for x, y in disp]
    lines = []
    for (x, y), (x0, x1, y0, y1) in zip(disp, bars or ()):
        (bx0, by0), (bx1, by1) = ax.transData.transform([(x0, y0), (x1, y1)])
        lines += [(bx0, y - px, bx1, y + px), (x - px, by0, x + px, by1)]
    crowd = [int(np.sum(np.hypot(*(disp - p).T) < 40 * px)) for p in disp]
    placed: list = []
    omitted = 0

    def free(box, obstacles) -> bool:
        if box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1:
            return False
        if any(_boxes_collide(box, b, pad=px) for b in placed):
            return False
        return not any(box.x0 < m[2] and m[0] < box.x1 and box.y0 < m[3] and m[1] < box.y1 for m in obstacles)

    for i in sorted(range(len(disp)), key=lambda j: (-crowd[j], j)):
        if not np.all(np.isfinite(disp[i])):
            continue
        color = _darker(colors[i]) if colors is not None else "0.2"
        text = ax.annotate(texts[i], points[i], xytext=(0, 0), textcoords="offset points", fontsize=fontsize,
                           color=color, zorder=5)
        spot = None
        for obstacles in (markers + lines, markers):  # across an error bar only where nothing else is free
            for radius in _LABEL_RADII:
                for angle in _LABEL_ANGLES:
                    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
                    text.set_position((radius * c, radius * s))
                    text.set_horizontalalignment("left" if c > 0.3 else "right" if c < -0.3 else "center")
                    text.set_verticalalignment("bottom" if s > 0.3 else "top" if s < -0.3 else "center")
                    box = text.get_window_extent(renderer)
                    if free(box, obstacles):
                        spot = (radius, box, text.get_position(), text.get_horizontalalignment(),
                                text.get_verticalalignment())
                        break
                if spot:
                    break
            if spot:
                break
        text.remove()
        if spot is None:
            omitted += 1
            continue
        radius, box, offset, ha, va = spot
        leader = {"arrowstyle": "-", "color": "0.45", "lw": 0.6, "shrinkA": 0, "shrinkB": 2} if radius > 4 else None
        ax.annotate(texts[i], points[i], xytext=offset, textcoords="offset points", fontsize=fontsize, color=color,
                    ha=ha, va=va, zorder=5, arrowprops=leader)
        placed.append(box)
    return omitted


def _si(value: float, _pos=None) -> str:
    """A speed as a short number: ``500k``, ``1.02k``, ``2.5M``."""
    for unit, factor in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{unit}"
    return f"{value:.3g}"


def _speed_ticks(ax) -> None:
    """Readable ticks on a log speed axis, as short numbers (``500k``, ``2M``): a few evenly
    spaced values within a decade, 1-2-5 steps over a few decades, whole decades beyond;
    minor ticks unlabelled (matplotlib labels them on short ranges, and they run into each other)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    low, high = ax.get_xlim()
    if low > 0 and high / low < 10:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    else:
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if high / low < 1000 else (1.0,)))
    ax.xaxis.set_major_formatter(FuncFormatter(_si))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _model_label(row, negative=None) -> str:
    """How a model is named on a figure: ``baseline``, ``gensim``, or its study level (``CBOW``, ``dim=200``)."""
    trainer, study = row.get("trainer"), row.get("study")
    if trainer not in (None, "w2v"):
        return str(trainer)
    if study in (None, "") or study == "baseline" or row.get("level") == "baseline":
        return "baseline"
    return level_label(row.get("factor"), row.get("level"), negative)


def _negative_of_group(models: pd.DataFrame, group) -> object:
    """``cfg.negative`` of an aggregated group's models (it names ``negative sampling with K=5``)."""
    if "cfg.negative" not in models:
        return None
    same = models[(models["trainer"] == group["trainer"]) & (models["study"].fillna("") == (group["study"] or ""))
                  & (models["level"].fillna("") == (group["level"] or ""))]
    values = same["cfg.negative"].dropna()
    return values.iloc[0] if len(values) else None


def _study_colours(studies: Iterable[str]) -> dict[str, object]:
    """One colour per study, red kept for gensim and black for the baseline."""
    palette = [plt.get_cmap("tab10")(i) for i in (0, 1, 2, 4, 5, 6, 8, 9, 7)]
    return {s: palette[i % len(palette)] for i, s in enumerate(sorted(set(studies)))}


@_styled
def speed_vs_quality(df: pd.DataFrame, out: str | os.PathLike, corpus_slice: bool = False) -> Path:
    """Training speed (words/s, log scale) against analogy accuracy and, when present,
    best classification accuracy: one row of panels per quality metric, one column per
    data set, one point per model (mean ± sd over seeds), coloured by study; the
    baseline in black, gensim as red squares. Labels are placed where they overlap
    nothing. ``corpus_slice`` draws the models trained on a corpus slice (``cfg.max_docs``
    or ``cfg.max_vocab`` set) instead of those trained on the whole corpus."""
    models = unique_models(df)
    if len(models):
        mask = _slice_mask(models)
        models = models[mask if corpus_slice else ~mask]
        if "words_per_sec" in models:
            models = models[pd.to_numeric(models["words_per_sec"], errors="coerce").notna()]
        else:
            models = models.iloc[0:0]
    quality = ["analogy_add_total"]
    if "cls_accuracy" in models and pd.to_numeric(models["cls_accuracy"], errors="coerce").notna().any():
        quality.append("cls_accuracy")
    agg = aggregate(models, ["words_per_sec"] + quality) if len(models) else None
    datasets = sorted(agg["dataset"].fillna("").unique()) if agg is not None else [""]
    studies = [] if agg is None else sorted({s for s, t in zip(agg["study"], agg["trainer"])
                                             if s and s != "baseline" and t == "w2v"})
    colours = _study_colours(studies)
    n_rows, n_cols = len(quality), len(datasets)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(5.5 * n_cols + 2.0, 4.6 * n_rows + 0.4), squeeze=False)
    drawn = []
    for r, metric in enumerate(quality):
        for c, ds in enumerate(datasets):
            ax = axes[r][c]
            where = f"{ds}: " if ds else ""
            ax.set_title(f"{where}speed vs {_metric_label(metric).split(' (')[0]}")
            ax.set_xlabel("training speed (words/s, log scale)")
            ax.set_ylabel(_metric_label(metric))
            rows = None if agg is None else agg[(agg["dataset"].fillna("") == ds) & (agg["words_per_sec_n"] > 0)
                                                & (agg[f"{metric}_n"] > 0)]
            if rows is None or not len(rows):
                _empty(ax, "no runs" if agg is None else f"no runs with both words/s and {metric}")
                continue
            points, texts, tints, bars = [], [], [], []
            for _, g in rows.iterrows():
                label = _model_label(g, _negative_of_group(models, g))
                gensim = g["trainer"] not in (None, "w2v")
                tint = "tab:red" if gensim else "black" if label == "baseline" else colours.get(g["study"], "0.3")
                xm, xs = g["words_per_sec_mean"], g["words_per_sec_sd"]
                ym, ys = g[f"{metric}_mean"] * 100, g[f"{metric}_sd"] * 100
                xs = 0.0 if math.isnan(xs) else xs
                ax.errorbar([xm], [ym], xerr=[[min(xs, 0.9 * xm)], [xs]], yerr=[[0.0 if math.isnan(ys) else ys]] * 2,
                            fmt="s" if gensim else "o", color=tint, ms=6 if gensim else 5, capsize=2, elinewidth=0.8,
                            alpha=0.9, zorder=3)
                points.append((xm, ym))
                texts.append(label)
                tints.append(tint)
                ys = 0.0 if math.isnan(ys) else ys
                bars.append((xm - min(xs, 0.9 * xm), xm + xs, ym - ys, ym + ys))
            ax.set_xscale("log")
            ax.margins(x=0.25, y=0.15)
            _speed_ticks(ax)
            ax.grid(alpha=0.3, which="both")
            drawn.append((ax, np.array(points), texts, tints, bars))
    handles = [plt.Line2D([], [], marker="o", ls="none", color=colours[s], label=s) for s in studies]
    if agg is not None and (agg["study"] == "baseline").any():
        handles.append(plt.Line2D([], [], marker="o", ls="none", color="black", label="baseline"))
    if agg is not None and (~agg["trainer"].isin(["w2v"])).any():
        handles.append(plt.Line2D([], [], marker="s", ls="none", color="tab:red", label="gensim"))
    right = 1.0 - 2.0 / fig.get_figwidth()
    if corpus_slice:
        fig.suptitle(f"Models trained on a corpus slice ({_slice_text(models) or 'capped'}):\n"
                     "compare them only with each other", fontsize=10)
    fig.tight_layout(rect=(0, 0, right, 1.0))  # leaves room for the suptitle itself
    if handles:
        fig.legend(handles=handles, loc="center left", bbox_to_anchor=(right, 0.5), title="study", frameon=False)
    for ax, points, texts, tints, bars in drawn:
        ax.set_xlim(ax.get_xlim())
        ax.set_ylim(ax.get_ylim())
        left_out = _place_labels(ax, points, texts, tints, bars)
        if left_out:
            ax.text(0.01, 0.01, f"{left_out} label{'s' if left_out != 1 else ''} left out (no free space)",
                    transform=ax.transAxes, fontsize=6, color="0.4", va="bottom")
    return _save(fig, out)


def _loss_records(source) -> list[dict]:
    """One record per model with a loss log: its panel (output layer), its line's key (the
    study level: seeds share a line), legend label, data set, whether it trained on a corpus
    slice, and its losses."""
    records = []

    def add(info: dict, raw) -> None:
        try:
            losses = [float(x) for x in (json.loads(raw) if isinstance(raw, str) else raw)]
        except (TypeError, ValueError):
            return
        if not losses:
            return
        trainer = "w2v" if pd.isna(info.get("trainer")) else str(info["trainer"])
        loss = "unknown" if pd.isna(info.get("loss")) else str(info["loss"])
        sliced = bool(info.get("sliced"))
        key = (trainer, loss, info.get("study"), info.get("level"), info.get("dataset"), info.get("variant"), sliced)
        records.append({"kind": loss if trainer == "w2v" else f"{trainer} {loss}", "key": key,
                        "label": info["label"], "dataset": info.get("dataset") or "", "sliced": sliced,
                        "losses": losses})

    if isinstance(source, pd.DataFrame):
        source = unique_models(source)
        if "loss_per_epoch" not in source:
            return records
        sliced = _slice_mask(source)
        for i, r in source.iterrows():
            if not isinstance(r["loss_per_epoch"], str) or not r["loss_per_epoch"]:
                continue
            negative = r.get("cfg.negative")
            add({"trainer": r.get("trainer"), "loss": r.get("cfg.loss"), "study": r.get("study"),
                 "level": r.get("level"), "dataset": r.get("dataset"), "variant": r.get("variant"),
                 "sliced": bool(sliced.loc[i]),
                 "label": _model_label(r, None if pd.isna(negative) else negative)}, r["loss_per_epoch"])
        return records
    for run in source:
        path = Path(run)
        path = path / "train.json" if path.is_dir() else path
        try:
            with open(path, encoding="utf-8") as fh:
                train = json.load(fh)
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(train, dict):
            continue
        config = train.get("config") if isinstance(train.get("config"), dict) else {}
        tags = train.get("tags") if isinstance(train.get("tags"), dict) else {}
        info = {"trainer": train.get("trainer", "w2v"), "loss": config.get("loss"), **tags,
                "sliced": bool(config.get("max_docs") or config.get("max_vocab"))}
        info["label"] = _model_label(info, config.get("negative")) if tags.get("study") else path.parent.name
        add(info, train.get("loss_per_epoch"))
    return records


def _loss_panels(records: list[dict]) -> list[tuple[str, list[dict]]]:
    order = list(_LOSS_NAMES)
    kinds = sorted({r["kind"] for r in records}, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(k, [r for r in records if r["kind"] == k]) for k in kinds]


@_styled
def loss_curves(source: pd.DataFrame | Iterable[str | os.PathLike], out: str | os.PathLike) -> Path:
    """Training loss per epoch from a summary DataFrame (``loss_per_epoch`` column) or
    from run directories (their train.json): one panel per output layer (the losses of
    different layers are different quantities), one line per study level (mean over its
    seeds, the band spanning the seeds), models trained on a corpus slice dashed.
    Runs without a loss log are left out."""
    panels = _loss_panels(_loss_records(source))
    sizes = [len({r["key"] for r in recs}) for _, recs in panels]
    heights = [max(2.4, 0.17 * n + 1.2) for n in sizes] or [5.0]
    fig, axes = plt.subplots(len(heights), 1, figsize=(9.0, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    axes = list(axes[:, 0])
    if not panels:
        _empty(axes[0], "no training loss recorded")
        axes[0].set_title("Training loss per epoch (0 models)")
    cmap = plt.get_cmap("tab20")
    for ax, (kind, recs) in zip(axes, panels):
        series: dict[tuple, list[dict]] = {}
        for r in recs:
            series.setdefault(r["key"], []).append(r)
        several = len({r["dataset"] for r in recs}) > 1
        alpha = 0.15 if len(series) <= 6 else 0.06
        ordered = sorted(series.items(), key=lambda kv: (kv[0][0] != "w2v", kv[0][6], str(kv[0][2] or ""),
                                                       _factor_order(kv[0][2], kv[0][3]), str(kv[0][4] or "")))
        for n, (key, group) in enumerate(ordered):
            width = max(len(g["losses"]) for g in group)
            values = np.full((len(group), width), np.nan)
            for i, g in enumerate(group):
                values[i, :len(g["losses"])] = g["losses"]
            epochs = np.arange(1, width + 1)
            colour = cmap(n % 20)
            label = group[0]["label"] + (f" [{group[0]['dataset']}]" if several and group[0]["dataset"] else "")
            label += " (corpus slice)" if group[0]["sliced"] else ""
            label += f", {len(group)} seeds" if len(group) > 1 else ""
            ax.plot(epochs, np.nanmean(values, axis=0), color=colour, lw=1.4, label=label,
                    ls="--" if group[0]["sliced"] else "-", marker="o" if width < 15 else None, ms=3)
            if len(group) > 1:
                ax.fill_between(epochs, np.nanmin(values, axis=0), np.nanmax(values, axis=0), color=colour,
                                alpha=alpha, lw=0)
        name = _LOSS_NAMES.get(kind)
        title = f"{name} (loss: {kind})" if name else kind
        ax.set_title(f"{title} — {len(recs)} model{'s' if len(recs) != 1 else ''}, {len(series)} "
                     f"line{'s' if len(series) != 1 else ''}")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, title_fontsize=7, frameon=False,
                  title="mean over seeds (band: min–max)", ncol=1 if len(series) <= 24 else 2)
    fig.tight_layout()
    return _save(fig, out)


def _rare_word_series(part: pd.DataFrame, study: str) -> list:
    """The levels a rare-words panel compares, in legend order: Skip-gram then CBOW (``model``), or
    no subsampling then each threshold from the lowest (``sample``); empty when the pair is incomplete."""
    levels = list(part["level"].dropna().unique())
    if study == "model":
        return ["sg", "cbow"] if {"sg", "cbow"} <= set(levels) else []
    values = {lv: pd.to_numeric(pd.Series([lv]), errors="coerce").iloc[0] for lv in levels}
    off = [lv for lv, v in values.items() if v == 0]
    on = sorted((lv for lv, v in values.items() if v > 0), key=lambda lv: values[lv])
    return [off[0], *on] if off and on else []


def _rare_word_panels(table: pd.DataFrame) -> list[tuple[str, str, str, list, pd.DataFrame]]:
    """``(study, dataset, variant, levels, rows)`` per panel: skip-gram vs CBOW and subsampling vs
    none, one panel per data set and variant that has both sides of the comparison."""
    if not len(table):
        return []
    rows = table[(table["method"] == "add") & (table["bucket"] != "oov") & table["study"].isin(["model", "sample"])]
    keys = ["dataset", "variant"]
    rows = rows.assign(**{k: rows[k].astype(object).where(rows[k].notna(), "") for k in keys})
    panels = []
    for study in ("model", "sample"):
        mine = rows[rows["study"] == study]
        for (dataset, variant), part in mine.groupby(keys, sort=True):
            levels = _rare_word_series(part, study)
            if levels:
                panels.append((study, str(dataset), str(variant), levels, part[part["level"].isin(levels)]))
    return panels


@_styled
def rare_words(df: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Analogy accuracy (3CosAdd) by frequency bucket of each question's rarest word
    (:func:`w2v.report.rare_word_table`): one panel per comparison, skip-gram vs CBOW (``model``
    study) and subsampling thresholds vs none (``sample`` study), and per data set; one line
    per level, the mean over seeds with ± sd bars. Questions not covered (``oov``) are left
    out; a bucket without questions is a gap in the line."""
    panels = _rare_word_panels(rare_word_table(df)) if len(df) else []
    fig, axes = _grid(max(1, len(panels)))
    if not panels:
        _empty(axes[0], "no frequency.csv for skip-gram vs CBOW or subsampling vs none")
        axes[0].set_title("analogy accuracy by word frequency")
    several_variants = len({p[2] for p in panels}) > 1
    for ax, (study, dataset, variant, levels, part) in zip(axes, panels):
        buckets = part.groupby("bucket", sort=False)["bucket_order"].min().sort_values(kind="stable").index.tolist()
        step = min(0.12, 0.5 / len(levels))
        counts = []
        for k, level in enumerate(levels):
            rows = part[part["level"] == level]
            acc = rows.groupby("bucket", sort=False)["accuracy"]
            stats = pd.DataFrame({"mean": acc.mean(), "sd": acc.std(ddof=1), "n": acc.count()}).reindex(buckets)
            counts += [int(n) for n in stats["n"].fillna(0) if n > 0]
            xs = np.arange(len(buckets)) + (k - (len(levels) - 1) / 2) * step
            ax.errorbar(xs, stats["mean"] * 100.0, yerr=stats["sd"].fillna(0.0) * 100.0, marker="o", capsize=3,
                        label=level_label(study, level))
        ax.set_xticks(range(len(buckets)))
        ax.set_xticklabels(buckets)
        ax.set_xlim(-0.5, len(buckets) - 0.5)
        ax.set_xlabel("frequency rank of the rarest question word")
        ax.set_ylabel("analogy 3CosAdd (%)")
        what = "Skip-gram vs CBOW" if study == "model" else "subsampling vs none"
        note = [dataset] if dataset else []
        note += [variant] if variant and several_variants else []
        note.append(_seeds_text(counts))
        ax.set_title(f"{study}: {what} ({', '.join(note)})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Analogy accuracy by word frequency: mean ± sd over seeds (no bar: a single seed)")
    fig.tight_layout()
    return _save(fig, out)


#: The accuracy every classification panel is read against, besides the target: TF-IDF + logistic regression.
_REFERENCE_CLASSIFIER = "tfidf_logreg"
_ROW_INCHES = 0.27  # height of one classifier row: 8-point labels with room between them


def _classifier_colour(row) -> tuple[str, str]:
    """The colour of a classifier's point and what it stands for in the legend."""
    if row["own_vectors"]:
        return "tab:blue", "w2v vectors"
    if row["transductive"] or row["trainer"] == "pretrained":
        return "tab:purple", "gensim / pretrained vectors"
    return "0.35", "no trained vectors (TF-IDF, random)"


@_styled
def classification(df: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Test accuracy of every classifier (:func:`w2v.report.classifier_table`), one panel per data set
    (stacked, in :func:`w2v.report.classify_datasets` order): one row per vectors and classifier, best
    at the top, labelled as in summary.md with the number of runs; a point at the mean with the 95 % t
    interval of the mean as a bar (a hollow point without bar for one run), coloured by the vectors; a
    dashed line at TF-IDF + logistic regression (tokens) and a dotted line at the target, where known."""
    table = classifier_table(df) if len(df) else classifier_table(df.iloc[0:0])
    datasets = classify_datasets(table["dataset"]) if len(table) else []
    parts = [table[table["dataset"].isna()] if ds is None else table[table["dataset"] == ds] for ds in datasets]
    heights = [_ROW_INCHES * len(p) + 1.2 for p in parts] or [2.0]  # + title (two lines) and x axis
    top = 0.8  # inches for the title and the legend
    fig, axes = plt.subplots(len(heights), 1, figsize=(10.0, sum(heights) + top), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    axes = list(axes[:, 0])
    handles: dict[str, object] = {}
    if not parts:
        _empty(axes[0], "no classifier results (classify*.json)")
    for ax, ds, part in zip(axes, datasets, parts):
        part = part.iloc[::-1]  # matplotlib counts rows from the bottom: the best goes on top
        y = np.arange(len(part))
        lows, highs = [], []
        for yi, (_, r) in zip(y, part.iterrows()):
            colour, kind = _classifier_colour(r)
            mean, half = r["accuracy_mean"] * 100, r["accuracy_ci95"] * 100
            if math.isnan(half):
                ax.plot([mean], [yi], "o", ms=6, mfc="white", mec=colour, mew=1.3, zorder=3)
                half = 0.0
            else:
                ax.errorbar([mean], [yi], xerr=[[half], [half]], fmt="o", ms=6, color=colour, capsize=3,
                            elinewidth=1.2, zorder=3)
            handles.setdefault(kind, plt.Line2D([], [], marker="o", ls="none", ms=6, color=colour, label=kind))
            lows.append(mean - half)
            highs.append(mean + half)
        if (part["n"] == 1).any():
            handles.setdefault("one run", plt.Line2D([], [], marker="o", ls="none", ms=6, mfc="white", mec="0.35",
                                                     mew=1.3, label="one run: no interval"))
        reference = part[part["classifier"] == _REFERENCE_CLASSIFIER]["accuracy_mean"]
        notes = []
        if len(reference):
            x = float(reference.max()) * 100
            ax.axvline(x, ls="--", lw=1.1, color="tab:green", zorder=2)
            handles.setdefault("reference", plt.Line2D([], [], ls="--", lw=1.1, color="tab:green",
                                                       label="TF-IDF + logistic regression (tokens)"))
            lows.append(x)
            highs.append(x)
            notes.append(f"TF-IDF + logistic regression {x:.1f} %")
        target = float(part["target"].iloc[0]) * 100
        if not math.isnan(target):
            ax.axvline(target, ls=":", lw=1.5, color="tab:red", zorder=2)
            handles.setdefault("target", plt.Line2D([], [], ls=":", lw=1.5, color="tab:red", label="target"))
            lows.append(target)
            highs.append(target)
            notes.append(f"target {target:.1f} %")
        lo, hi = min(lows), max(highs)
        pad = max(0.5, 0.04 * (hi - lo))
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(-0.6, len(part) - 0.4)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{r['source']} · {r['classifier']} (n={int(r['n'])})" for _, r in part.iterrows()],
                           fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel("test accuracy (%)")
        name = "(no dataset)" if ds is None else ds
        note = CLASSIFY_DATASETS.get(ds, "") if ds is not None else ""
        ax.set_title(name + (f" ({note})" if note else "") + ("\n" + ", ".join(notes) if notes else ""),
                     fontsize=10)
    fig.suptitle("Classification accuracy: mean over runs with its 95 % t interval", y=1 - 0.15 / fig.get_figheight())
    legend_top = 1 - 0.45 / fig.get_figheight()
    order = ["w2v vectors", "gensim / pretrained vectors", "no trained vectors (TF-IDF, random)", "one run",
             "reference", "target"]
    if handles:
        fig.legend(handles=[handles[k] for k in order if k in handles], loc="upper center",
                   bbox_to_anchor=(0.5, legend_top), ncol=3, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 1 - top / fig.get_figheight()))
    return _save(fig, out)


_EFFECT_METRICS = ("analogy_add_total", "ws353_spearman", "simlex_spearman", "cls_accuracy", "heldout_nll",
                   "words_per_sec")


def report_figures(df: pd.DataFrame, outdir: str | os.PathLike) -> list[Path]:
    """Write the report's figures into ``outdir``: one factor-effects figure per
    metric that has data, speed vs quality (and, when some models were trained on a
    corpus slice, the same for those in ``speed_vs_quality_slice.png``), the loss
    curves, where the model or sample study's runs have a frequency.csv, the rare
    words (``rare_words.png``) and, where any classifier ran, the accuracy of every
    classifier (``classification.png``); return the paths."""
    outdir = Path(outdir)
    written = []
    for metric in _EFFECT_METRICS:
        if metric in df and pd.to_numeric(df[metric], errors="coerce").notna().any():
            written.append(factor_effects(df, metric, outdir / f"effects_{metric}.png"))
    written.append(speed_vs_quality(df, outdir / "speed_vs_quality.png"))
    models = unique_models(df)
    if len(models) and "words_per_sec" in models:
        sliced = models[_slice_mask(models)]
        if pd.to_numeric(sliced["words_per_sec"], errors="coerce").notna().any():
            written.append(speed_vs_quality(df, outdir / "speed_vs_quality_slice.png", corpus_slice=True))
    written.append(loss_curves(df, outdir / "loss_curves.png"))
    if len(df) and _rare_word_panels(rare_word_table(df)):
        written.append(rare_words(df, outdir / "rare_words.png"))
    if len(df) and len(classifier_table(df)):
        written.append(classification(df, outdir / "classification.png"))
    return written
