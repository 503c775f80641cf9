"""Tests of w2v.plots: every figure is a non-empty PNG of the expected pixel size."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from w2v import plots, report
from w2v.cli import main
from w2v.errors import W2VError


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk of a PNG file."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


class StandInVectors:
    """The part of w2v.vectors.KeyedVectors that the word maps use."""

    def __init__(self, words, dim=6, seed=0):
        rng = np.random.default_rng(seed)
        self.index_to_key = list(words)
        self.key_to_index = {w: i for i, w in enumerate(words)}
        self.vectors = rng.normal(size=(len(words), dim)).astype(np.float32)

    def get_normed_vectors(self):
        return self.vectors / np.linalg.norm(self.vectors, axis=1, keepdims=True)


QUESTIONS = """: capital-common-countries
Athens Greece Baghdad Iraq
Athens Greece Bangkok Thailand
Baghdad Iraq Athens Greece
: family
boy girl brother sister
boy girl king queen
"""


@pytest.fixture()
def questions(tmp_path) -> Path:
    path = tmp_path / "questions-words.txt"
    path.write_text(QUESTIONS, encoding="utf-8")
    return path


def test_analogy_pairs_are_distinct_lowercased_and_in_order(questions):
    assert plots.analogy_pairs(questions, "capital-common-countries") == [
        ("athens", "greece"), ("baghdad", "iraq"), ("bangkok", "thailand")]
    assert plots.analogy_pairs(questions, "family", lowercase=False) == [
        ("boy", "girl"), ("brother", "sister"), ("king", "queen")]
    with pytest.raises(W2VError, match="no section ': currency'"):
        plots.analogy_pairs(questions, "currency")
    with pytest.raises(W2VError, match="analogy file not found"):
        plots.analogy_pairs(questions.parent / "none.txt", "family")


def test_word_set_groups_pairs_by_role(questions):
    words, groups, pairs = plots.word_set(questions, "family", ["Car", " ", "bike"])
    assert words == ["boy", "girl", "brother", "sister", "king", "queen", "Car", "bike"]
    assert groups == ["male", "female"] * 3 + ["words", "words"]
    assert pairs == [("boy", "girl"), ("brother", "sister"), ("king", "queen")]
    assert plots.word_set(words=["a", "b"]) == (["a", "b"], None, [])


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_word_map_skips_missing_words_and_writes_png(tmp_path, questions, method):
    pairs = plots.analogy_pairs(questions, "capital-common-countries")
    words = [w for p in pairs for w in p] + ["Athens"]  # a capitalised duplicate is found and drawn once
    kv = StandInVectors(["athens", "greece", "baghdad", "iraq", "bangkok"])  # "thailand" is missing
    out = tmp_path / f"map-{method}.png"
    missing = plots.word_map(kv, words, method=method, groups=["capital", "country"] * 3 + ["capital"],
                             pairs=pairs, out=out, seed=1)
    assert missing == ["thailand"]
    assert png_size(out) == (1200, 975)


def test_word_map_is_deterministic_and_rejects_too_few_words(tmp_path):
    kv = StandInVectors(["a", "b", "c", "d"])
    plots.word_map(kv, ["a", "b", "c", "d"], method="tsne", out=tmp_path / "1.png", seed=3)
    plots.word_map(kv, ["a", "b", "c", "d"], method="tsne", out=tmp_path / "2.png", seed=3)
    assert (tmp_path / "1.png").read_bytes() == (tmp_path / "2.png").read_bytes()
    with pytest.raises(W2VError, match="only 1 of 3 words are in the vocabulary"):
        plots.word_map(kv, ["a", "x", "y"], out=tmp_path / "3.png")
    with pytest.raises(W2VError, match="unknown projection"):
        plots.word_map(kv, ["a", "b"], method="umap", out=tmp_path / "4.png")
    assert not (tmp_path / "3.png").exists()


def _run(root: Path, name: str, seed: int, tags: dict, wps: float | None, add: float | None,
         losses=(3.0, 2.0), trainer="w2v", **config) -> Path:
    run = root / name / f"seed{seed}"
    run.mkdir(parents=True)
    train = {"trainer": trainer, "config": {"model": "sg", "loss": "ns", "negative": 5, **config},
             "tags": {"seed": str(seed), **tags}, "loss_per_epoch": list(losses)}
    if wps is not None:
        train["words_per_sec"] = wps
    (run / "train.json").write_text(json.dumps(train))
    if add is not None:
        (run / "eval.json").write_text(json.dumps({"summary": {"analogy_add_total": add}}))
    return run


@pytest.fixture()
def summary(tmp_path) -> pd.DataFrame:
    runs = []
    for seed in (1, 2):
        runs.append(_run(tmp_path, "cbow", seed, {"study": "model", "factor": "model", "level": "cbow",
                                                  "dataset": "imdb"}, 3000.0, 0.30 + seed / 100,
                         losses=(3.0, 2.0 + seed / 10)))
        runs.append(_run(tmp_path, "sg", seed, {"study": "model", "factor": "model", "level": "sg",
                                                "dataset": "imdb"}, 1000.0, 0.40 + seed / 100))
    for level in ("2", "5", "10"):  # a single seed: no error bars, no crash
        runs.append(_run(tmp_path, f"w{level}", 1, {"study": "window", "factor": "window", "level": level,
                                                    "dataset": "20newsgroups"}, 900.0, 0.3, losses=(4, 3, 2.5)))
    runs.append(_run(tmp_path, "gensim", 1, {"dataset": "imdb"}, 5000.0, 0.42, losses=(), trainer="gensim"))
    return report.collect(runs, progress=False)


@pytest.fixture()
def sliced(tmp_path) -> pd.DataFrame:
    """The model study on the whole corpus and a loss study on a corpus slice (max_docs, max_vocab)."""
    runs = []
    for seed in (1, 2):
        for level, wps in (("cbow", 3000.0), ("sg", 1000.0)):
            runs.append(_run(tmp_path, level, seed, {"study": "model", "factor": "model", "level": level,
                                                     "dataset": "imdb"}, wps, 0.3 + seed / 100,
                             losses=(3.0, 2.0 + seed / 10)))
    for level, wps, losses in (("softmax", 50.0, (7.0, 6.5)), ("hs", 4000.0, (6.0, 5.0)),
                               ("ns", 2000.0, (4.0, 3.5))):
        runs.append(_run(tmp_path, f"loss-{level}", 1, {"study": "loss", "factor": "loss", "level": level,
                                                         "dataset": "imdb"}, wps, 0.05, losses=losses,
                         loss=level, max_docs=40, max_vocab=500))
    return report.collect(runs, progress=False)


class Drawn(list):
    """The figures the plotting functions saved, in order; ``named(file name)`` is the last saved as that."""

    def named(self, name: str):
        return next(fig for fig, out in reversed(self.saved) if Path(out).name == name)


@pytest.fixture()
def drawn(monkeypatch):
    """The matplotlib figures the plotting functions save, to check what they show (not just their size)."""
    figures = Drawn()
    figures.saved = []
    save = plots._save

    def keep(fig, out):
        figures.append(fig)
        figures.saved.append((fig, out))
        return save(fig, out)

    monkeypatch.setattr(plots, "_save", keep)
    return figures


def test_factor_effects_one_panel_per_study(summary, tmp_path):
    out = plots.factor_effects(summary, "analogy_add_total", tmp_path / "fx.png")
    assert png_size(out) == (1500, 600)  # two studies: 2 panels of 5 x 4 inches at 150 dpi
    one = plots.factor_effects(summary[summary["study"] == "window"], "words_per_sec", tmp_path / "w.png")
    assert png_size(one) == (1050, 600)  # one panel, widened to 7 inches for the title
    empty = plots.factor_effects(summary, "simlex_spearman", tmp_path / "none.png")  # no data: a note
    assert png_size(empty) == (1050, 600)


def test_speed_vs_quality_and_loss_curves(summary, tmp_path):
    # one column per data set (imdb, 20newsgroups) of 5.5 inches, plus 2 for the legend
    assert png_size(plots.speed_vs_quality(summary, tmp_path / "s.png")) == (1950, 750)
    summary = summary.assign(cls_accuracy=0.8)  # with classification: a second row
    assert png_size(plots.speed_vs_quality(summary, tmp_path / "s2.png")) == (1950, 1440)
    assert png_size(plots.loss_curves(summary, tmp_path / "l.png")) == (1350, 360)  # one output layer
    runs = list(summary["run"]) + [str(tmp_path / "no-such-run")]
    assert png_size(plots.loss_curves(runs, tmp_path / "l2.png")) == (1350, 360)
    assert png_size(plots.loss_curves(summary.iloc[0:0], tmp_path / "l3.png")) == (1350, 750)


def test_report_figures_writes_one_file_per_metric_with_data(summary, tmp_path):
    paths = plots.report_figures(summary, tmp_path / "figs")
    assert sorted(p.name for p in paths) == ["effects_analogy_add_total.png", "effects_words_per_sec.png",
                                             "loss_curves.png", "speed_vs_quality.png"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_cli_figures_and_plot_map(summary, tmp_path, questions, capsys):
    csv = tmp_path / "summary.csv"
    report.write_summary_csv(summary, csv)
    assert main(["report", "figures", str(csv), "--outdir", str(tmp_path / "figs")]) == 0
    assert (tmp_path / "figs" / "speed_vs_quality.png").stat().st_size > 0
    vec = tmp_path / "vectors.txt"
    vec.write_text("4 3\nathens 1 0 0\ngreece 0 1 0\nbaghdad 0 0 1\nboy 1 1 0\n", encoding="utf-8")
    out = tmp_path / "map.png"
    assert main(["plot", "map", str(vec), "--out", str(out), "--section", "capital-common-countries",
                 "--analogies", str(questions), "--words", "boy,zebra"]) == 0
    assert png_size(out) == (1200, 975)
    assert "4 word(s) not in the vocabulary, skipped: iraq, bangkok, thailand, zebra" in capsys.readouterr().err
    assert main(["plot", "map", str(vec), "--out", str(out), "--section", "family"]) == 2
    assert "needs the questions-words file (--analogies FILE)" in capsys.readouterr().err
    assert main(["plot", "map", str(vec), "--out", str(out)]) == 2
    assert "no words given" in capsys.readouterr().err


def test_report_figures_without_any_metric(tmp_path):
    empty = tmp_path / "run"
    empty.mkdir()
    df = report.collect([empty], progress=False)
    paths = plots.report_figures(df, tmp_path / "figs")
    assert [p.name for p in paths] == ["speed_vs_quality.png", "loss_curves.png"]
    assert png_size(paths[0]) == (1125, 750) and png_size(paths[1]) == (1350, 750)


def _rendered(fig):
    """A saved (closed) figure drawn again on an Agg canvas, and its renderer, to measure what it shows."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return fig.canvas.get_renderer()


def _joined(ax) -> list:
    """The lines of an axes that join two or more points (error bar caps and lone points excluded)."""
    return [line for line in ax.get_lines()
            if len(line.get_xdata()) > 1 and line.get_linestyle() not in ("None", "none", "", " ")]


def test_factor_effects_draw_the_means_over_seeds(summary, tmp_path, drawn):
    plots.factor_effects(summary, "analogy_add_total", tmp_path / "fx.png")
    model_ax, window_ax = drawn[-1].axes[:2]
    assert model_ax.get_title() == "model (imdb, 2 seeds)"  # not "model: model"
    assert [t.get_text() for t in model_ax.get_xticklabels()] == ["CBOW", "Skip-gram"]
    (line,) = model_ax.get_lines()[:1]
    # cbow seeds 0.31 / 0.32, sg 0.41 / 0.42: means in %
    assert np.allclose(line.get_ydata(), [31.5, 41.5])
    assert np.allclose(window_ax.get_lines()[0].get_ydata(), [30.0, 30.0, 30.0])
    assert window_ax.get_title() == "window (20newsgroups, 1 seed)"
    assert [t.get_text() for t in window_ax.get_xticklabels()] == ["2", "5", "10"]  # not "window=2"


def test_factor_effects_join_numeric_levels_but_not_categories(summary, tmp_path, drawn):
    plots.factor_effects(summary, "analogy_add_total", tmp_path / "fx.png")
    model_ax, window_ax = drawn[-1].axes[:2]
    assert _joined(model_ax) == []  # CBOW and Skip-gram are two kinds, not two ends of a trend
    assert [len(line.get_xdata()) for line in _joined(window_ax)] == [3]


def test_factor_effects_tick_labels_never_collide(tmp_path, drawn):
    runs = []
    for level in ("0", "1e-06", "1e-05", "0.0001"):
        runs.append(_run(tmp_path, f"s{level}", 1, {"study": "sample", "factor": "sample", "level": level,
                                                    "dataset": "20newsgroups"}, 900.0, 0.3))
    for level in ("raw", "raw+nostop+num", "lemma+nostop+num", "stem+nostop+num", "lemma+num+ner"):
        runs.append(_run(tmp_path, f"v{level}", 1, {"study": "variant", "factor": "variant", "level": level,
                                                    "dataset": "20newsgroups"}, 900.0, 0.3))
    plots.factor_effects(report.collect(runs, progress=False), "analogy_add_total", tmp_path / "fx.png")
    fig = drawn[-1]
    renderer = _rendered(fig)
    for ax in fig.axes[:2]:
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        for a, b in zip(labels, labels[1:]):
            angle = math.radians(a.get_rotation())
            if angle == 0:
                box_a, box_b = a.get_window_extent(renderer), b.get_window_extent(renderer)
                assert box_a.x1 < box_b.x0, (a.get_text(), b.get_text())
            else:  # parallel slanted labels: their baselines lie a tick spacing times sin(angle) apart
                (xa, _), (xb, _) = ax.transData.transform([(a.get_position()[0], 0), (b.get_position()[0], 0)])
                height = a.get_fontsize() * fig.dpi / 72
                assert (xb - xa) * math.sin(angle) >= height, (a.get_text(), b.get_text())
        assert not any("=" in t.get_text() for t in labels)  # "1e-05", not "sample=1e-05"


def test_speed_vs_quality_places_every_model_and_gensim(summary, tmp_path, drawn):
    plots.speed_vs_quality(summary, tmp_path / "s.png")
    axes = {ax.get_title(): ax for ax in drawn[-1].axes}
    imdb, news = axes["imdb: speed vs analogy 3CosAdd"], axes["20newsgroups: speed vs analogy 3CosAdd"]
    assert sorted(t.get_text() for t in imdb.texts) == ["CBOW", "Skip-gram", "gensim"]
    assert sorted(t.get_text() for t in news.texts) == ["window=10", "window=2", "window=5"]
    points = {t.get_text(): t.xy for t in imdb.texts}
    assert points["gensim"] == pytest.approx((5000.0, 42.0))
    assert points["CBOW"] == pytest.approx((3000.0, 31.5))
    legend = [t.get_text() for t in drawn[-1].legends[0].get_texts()]
    assert legend == ["model", "window", "gensim"]  # colour = study


def test_speed_vs_quality_labels_never_overlap(tmp_path, drawn):
    runs = [_run(tmp_path, f"w{k}", 1, {"study": "window", "factor": "window", "level": str(k),
                                        "dataset": "imdb"}, 1000.0 + 10 * k, 0.30 + 0.002 * (k % 3))
            for k in range(1, 13)]  # twelve models within 12 % of each other's speed and 0.4 points
    plots.speed_vs_quality(report.collect(runs, progress=False), tmp_path / "s.png")
    fig = drawn[-1]
    renderer = _rendered(fig)
    (ax,) = [a for a in fig.axes if a.texts]
    labels = [t for t in ax.texts if "window=" in t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (labels[i].get_text(), a, b)
    assert len(labels) == 12 and len(ax.texts) == 12  # every model named, no "left out" note
    frame = ax.get_window_extent(renderer)
    assert all(frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1 for a in boxes)
    _assert_speed_ticks_apart(ax, renderer)  # the speeds readable too


def _assert_speed_ticks_apart(ax, renderer) -> None:
    """At least two speeds are labelled on the x axis, none running into the next."""
    low, high = ax.get_xlim()
    ticks = sorted((t.get_window_extent(renderer)
                    for t, x in zip(ax.get_xticklabels() + ax.get_xticklabels(minor=True),
                                    list(ax.get_xticks()) + list(ax.get_xticks(minor=True)))
                    if low <= x <= high and t.get_text()), key=lambda b: b.x0)
    assert len(ticks) >= 2 and all(a.x1 < b.x0 for a, b in zip(ticks, ticks[1:])), ticks


def test_speed_vs_quality_keeps_corpus_slice_models_apart(sliced, tmp_path, drawn):
    paths = plots.report_figures(sliced, tmp_path / "figs")
    assert "speed_vs_quality_slice.png" in [p.name for p in paths]
    full = drawn.named("speed_vs_quality.png")
    assert sorted(t.get_text() for ax in full.axes for t in ax.texts) == ["CBOW", "Skip-gram"]
    part = drawn.named("speed_vs_quality_slice.png")
    assert sorted(t.get_text() for ax in part.axes for t in ax.texts) == [
        "full softmax", "hierarchical softmax", "negative sampling with K=5"]
    assert "corpus slice (max_docs=40, max_vocab=500)" in part._suptitle.get_text()
    for fig in (full, part):  # speeds within a decade (full), over two decades (the slice)
        renderer = _rendered(fig)
        for ax in fig.axes:
            _assert_speed_ticks_apart(ax, renderer)
    effects = drawn.named("effects_analogy_add_total.png")
    assert "loss (imdb, corpus slice, 1 seed)" in [ax.get_title() for ax in effects.axes]


def test_loss_curves_one_panel_per_output_layer_with_the_mean_over_seeds(sliced, tmp_path, drawn):
    for source in (sliced, list(sliced["run"])):  # the summary table, or the run directories
        plots.loss_curves(source, tmp_path / "l.png")
        axes = drawn[-1].axes
        titles = [ax.get_title() for ax in axes]
        assert [t.split(" (")[0] for t in titles] == ["full softmax", "hierarchical softmax", "negative sampling"]
        for ax in axes:
            assert ax.get_legend() is not None  # a legend in every panel
        ns = axes[2]
        means = {t.get_text(): line.get_ydata() for t, line in zip(ns.get_legend().get_texts(), ns.get_lines())}
        # CBOW and Skip-gram, each the mean of 2 seeds (2.1 and 2.2 at the last epoch), and the sliced ns model
        assert set(means) == {"CBOW, 2 seeds", "Skip-gram, 2 seeds", "negative sampling with K=5 (corpus slice)"}
        assert np.allclose(means["CBOW, 2 seeds"], [3.0, 2.15])
        assert len(ns.collections) == 2  # a band over the seeds of each two-seed level


BUCKETS = ["1-1000", "1001-5000", "5001-20000", "20001+"]


def _frequency(run: Path, add: dict, questions: int = 100) -> Path:
    """A frequency.csv as `w2v evaluate --frequency-out` writes it: 3CosAdd and 3CosMul rows per bucket, oov last."""
    rows = []
    for method, shift in (("add", 0.0), ("mul", 0.05)):  # 3CosMul a little higher: never drawn
        for bucket in BUCKETS:
            acc = add.get(bucket)
            rows.append(dict(benchmark="questions-words.txt", kind="analogy", method=method, bucket=bucket,
                             n=0 if acc is None else questions, accuracy=None if acc is None else acc + shift))
        rows.append(dict(benchmark="questions-words.txt", kind="analogy", method=method, bucket="oov", n=50))
    pd.DataFrame(rows, columns=list(report.FREQUENCY_COLUMNS)).to_csv(run / "frequency.csv", index=False)
    return run


@pytest.fixture()
def rare(tmp_path) -> pd.DataFrame:
    """The model study on imdb (2 seeds) and 20newsgroups (1 seed), the sample study on imdb (2 seeds), each
    run with its frequency.csv; the 5001-20000 bucket of imdb has no questions."""
    runs = []
    acc = {("imdb", "sg"): [(0.60, 0.40, None, 0.10), (0.64, 0.44, None, 0.30)],
           ("imdb", "cbow"): [(0.50, 0.30, None, 0.15), (0.52, 0.34, None, 0.15)],
           ("20newsgroups", "sg"): [(0.55, 0.45, 0.35, 0.25)], ("20newsgroups", "cbow"): [(0.50, 0.40, 0.30, 0.20)],
           ("imdb", "0"): [(0.70, 0.35, None, 0.05), (0.72, 0.37, None, 0.07)],
           ("imdb", "1e-05"): [(0.62, 0.41, None, 0.12), (0.66, 0.43, None, 0.16)],
           ("imdb", "0.0001"): [(0.61, 0.40, None, 0.11), (0.63, 0.42, None, 0.13)]}
    for (dataset, level), seeds in acc.items():
        study = "model" if level in ("sg", "cbow") else "sample"
        for seed, values in enumerate(seeds, start=1):
            run = _run(tmp_path, f"{dataset}-{study}-{level}", seed, {"study": study, "factor": study, "level": level,
                                                                      "dataset": dataset}, 1000.0, 0.3)
            runs.append(_frequency(run, dict(zip(BUCKETS, values))))
    return report.collect(runs, progress=False)


def _series(ax) -> dict[str, np.ndarray]:
    """Legend label -> the plotted means of each error-bar series of a panel."""
    return {c.get_label(): np.asarray(c.lines[0].get_ydata(), dtype=float) for c in ax.containers}


def test_rare_words_one_panel_per_comparison_and_data_set(rare, tmp_path, drawn):
    paths = plots.report_figures(rare, tmp_path / "figs")
    assert "rare_words.png" in [p.name for p in paths]
    fig = drawn.named("rare_words.png")
    assert png_size(tmp_path / "figs" / "rare_words.png") == (2250, 600)  # 3 panels of 5 x 4 inches
    assert "mean ± sd over seeds" in fig._suptitle.get_text()
    news, imdb, sample = fig.axes[:3]
    assert [ax.get_title() for ax in (news, imdb, sample)] == [
        "model: Skip-gram vs CBOW (20newsgroups, 1 seed)", "model: Skip-gram vs CBOW (imdb, 2 seeds)",
        "sample: subsampling vs none (imdb, 2 seeds)"]
    for ax in (news, imdb, sample):
        assert [t.get_text() for t in ax.get_xticklabels()] == BUCKETS  # frequent to rare, no oov
        assert [t.get_text() for t in ax.get_legend().get_texts()] == list(_series(ax))
    # 3CosAdd means over the seeds, in %; no questions in 5001-20000: a gap
    means = _series(imdb)
    assert list(means) == ["Skip-gram", "CBOW"]
    assert np.allclose(means["Skip-gram"], [62.0, 42.0, np.nan, 20.0], equal_nan=True)
    assert np.allclose(means["CBOW"], [51.0, 32.0, np.nan, 15.0], equal_nan=True)
    assert np.allclose(_series(news)["Skip-gram"], [55.0, 45.0, 35.0, 25.0])
    means = _series(sample)
    assert list(means) == ["sample=0", "sample=1e-05", "sample=0.0001"]
    assert np.allclose(means["sample=1e-05"], [64.0, 42.0, np.nan, 14.0], equal_nan=True)
    # the bars: ± sd over the two seeds (0.60 and 0.64: sd 2.83 points)
    (bars,) = imdb.containers[0].lines[2]
    segments = bars.get_segments()
    assert segments[0][1][1] - segments[0][0][1] == pytest.approx(2 * 100 * np.std([0.60, 0.64], ddof=1))


def test_rare_words_without_frequency_tables_is_a_note(summary, tmp_path, drawn):
    assert "rare_words.png" not in [p.name for p in plots.report_figures(summary, tmp_path / "figs")]
    out = plots.rare_words(summary, tmp_path / "rare.png")
    assert png_size(out) == (1050, 600)
    assert [t.get_text() for t in drawn[-1].axes[0].texts] == ["no frequency.csv for skip-gram vs CBOW or subsampling vs none"]


def _classified() -> pd.DataFrame:
    """Classifier results of three data sets (summary rows): w2v baseline over 3 seeds, gensim over 2,
    single-run baselines (TF-IDF of tokens and of tokens + bigrams, random rows); no imdb bigram run."""
    rows = []

    def add(trainer, dataset, seed=None, study=None, **accs):
        row = {"run": f"{trainer}/{dataset}/{seed}", "model_dir": f"{trainer}/{dataset}/{seed}", "trainer": trainer,
               "study": study, "factor": study, "level": study, "dataset": dataset, "variant": "raw",
               "seed": None if seed is None else str(seed)}
        row.update({f"cls.{name}.accuracy": acc for name, acc in accs.items()})
        rows.append(row)

    for dataset, shift in (("imdb", 0.05), ("20newsgroups_stripped", -0.12), ("20newsgroups", 0.0)):
        for seed, d in ((1, -0.01), (2, 0.0), (3, 0.01)):
            add("w2v", dataset, seed, "baseline", mlp_mean=0.66 + shift + d, svm_scdv=0.80 + shift + d)
        for seed, d in ((1, -0.005), (2, 0.005)):
            add("gensim", dataset, seed, "reference", mlp_mean=0.70 + shift + d)
        add("tfidf_logreg", dataset, tfidf_logreg=0.85 + shift)
        if dataset != "imdb":
            add("tfidf_logreg_bigrams", dataset, tfidf_logreg_bigrams=0.87 + shift)
        add("random", dataset, random_mean=0.35 + shift)
    return pd.DataFrame(rows)


def test_classification_figure_one_panel_per_data_set(tmp_path, drawn):
    df = _classified()
    out = plots.classification(df, tmp_path / "c.png")
    # 10 inches wide; per panel 0.27 inch a row + 1.2 (title, axis), 0.8 above for the title and legend
    assert png_size(out) == (1500, round((0.27 * (6 + 6 + 5) + 3 * 1.2 + 0.8) * 150))
    fig = drawn[-1]
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().split("\n")[0] for ax in axes] == [
        "20newsgroups (as distributed)", "20newsgroups_stripped (headers, footers and quotes removed)", "imdb"]
    news = axes[0]
    assert news.get_title().split("\n")[1] == "TF-IDF + logistic regression 85.0 %, target 83.0 %"
    top_down = [t.get_text() for t in news.get_yticklabels()][::-1]
    assert top_down == ["TF-IDF (tokens + bigrams) · tfidf_logreg_bigrams (n=1)",
                        "TF-IDF (tokens) · tfidf_logreg (n=1)", "w2v baseline model · svm_scdv (n=3)", "gensim reference · mlp_mean (n=2)",
                        "w2v baseline model · mlp_mean (n=3)", "random vectors · random_mean (n=1)"]
    # bars for the rows with n >= 2 only: the 95 % t interval, 80/80.. ± t(0.975, 2)·1/√3 = ± 2.48 points
    bars = sorted(news.containers, key=lambda c: c.lines[0].get_ydata()[0])
    assert len(bars) == 3
    (segment,) = bars[-1].lines[2][0].get_segments()  # svm_scdv, the top row with a bar
    assert segment[:, 0] == pytest.approx([80.0 - 2.484, 80.0 + 2.484], abs=1e-3)
    gensim = bars[1].lines[2][0].get_segments()[0][:, 0]
    assert gensim == pytest.approx([70.0 - 6.353, 70.0 + 6.353], abs=1e-3)  # ± 12.706·0.00707/√2
    dashed = [ln.get_xdata()[0] for ln in news.get_lines() if ln.get_linestyle() == "--"]
    dotted = [ln.get_xdata()[0] for ln in news.get_lines() if ln.get_linestyle() == ":"]
    assert dashed == pytest.approx([85.0]) and dotted == pytest.approx([83.0])
    low, high = news.get_xlim()
    assert 30.0 < low < 35.0 and 87.0 < high < 90.0  # from the data: random rows at 35 %, bigrams at 87 %
    imdb = axes[2]
    assert [ln.get_xdata()[0] for ln in imdb.get_lines() if ln.get_linestyle() == ":"] == pytest.approx([89.5])
    assert len(imdb.get_yticklabels()) == 5  # no bigram run on imdb
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["w2v vectors", "gensim / pretrained vectors", "no trained vectors (TF-IDF, random)",
                      "one run: no interval", "TF-IDF + logistic regression (tokens)", "target"]
    renderer = _rendered(fig)
    width, height = fig.bbox.width, fig.bbox.height
    for ax in axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_yticklabels()]
        assert all(a.y1 <= b.y0 for a, b in zip(boxes, boxes[1:]))  # rows apart, none on another
        assert all(b.x0 >= 0 for b in boxes)
        title = ax.title.get_window_extent(renderer)
        assert 0 <= title.x0 and title.x1 <= width and title.y1 <= height


def test_report_figures_draw_the_classifiers_where_any_ran(tmp_path):
    df = _classified()
    for col in [m.column for m in report.METRICS]:
        df[col] = np.nan
    paths = plots.report_figures(df, tmp_path / "figs")
    assert "classification.png" in [p.name for p in paths]
    assert (tmp_path / "figs" / "classification.png").stat().st_size > 1000
