"""Tests of w2v.plots: every figure is a non-empty PNG of the expected pixel size."""

from __future__ import annotations

import json
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
         losses=(3.0, 2.0), trainer="w2v") -> Path:
    run = root / name / f"seed{seed}"
    run.mkdir(parents=True)
    train = {"trainer": trainer, "config": {"model": "sg"}, "tags": {"seed": str(seed), **tags},
             "loss_per_epoch": list(losses)}
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
                                                  "dataset": "imdb"}, 3000.0, 0.30 + seed / 100))
        runs.append(_run(tmp_path, "sg", seed, {"study": "model", "factor": "model", "level": "sg",
                                                "dataset": "imdb"}, 1000.0, 0.40 + seed / 100))
    for level in ("2", "5", "10"):  # a single seed: no error bars, no crash
        runs.append(_run(tmp_path, f"w{level}", 1, {"study": "window", "factor": "window", "level": level,
                                                    "dataset": "20newsgroups"}, 900.0, 0.3, losses=(4, 3, 2.5)))
    runs.append(_run(tmp_path, "gensim", 1, {"dataset": "imdb"}, 5000.0, 0.42, losses=(), trainer="gensim"))
    return report.collect(runs, progress=False)


def test_factor_effects_one_panel_per_study(summary, tmp_path):
    out = plots.factor_effects(summary, "analogy_add_total", tmp_path / "fx.png")
    assert png_size(out) == (1500, 600)  # two studies: 2 panels of 5 x 4 inches at 150 dpi
    one = plots.factor_effects(summary[summary["study"] == "window"], "words_per_sec", tmp_path / "w.png")
    assert png_size(one) == (1050, 600)  # one panel, widened to 7 inches for the title
    empty = plots.factor_effects(summary, "simlex_spearman", tmp_path / "none.png")  # no data: a note
    assert png_size(empty) == (1050, 600)


def test_speed_vs_quality_and_loss_curves(summary, tmp_path):
    assert png_size(plots.speed_vs_quality(summary, tmp_path / "s.png")) == (1050, 675)
    summary = summary.assign(cls_best_accuracy=0.8)  # with classification: a second panel
    assert png_size(plots.speed_vs_quality(summary, tmp_path / "s2.png")) == (1800, 675)
    assert png_size(plots.loss_curves(summary, tmp_path / "l.png")) == (1125, 750)
    runs = list(summary["run"]) + [str(tmp_path / "no-such-run")]
    assert png_size(plots.loss_curves(runs, tmp_path / "l2.png")) == (1125, 750)
    assert png_size(plots.loss_curves(summary.iloc[0:0], tmp_path / "l3.png")) == (1125, 750)


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
    assert png_size(paths[0]) == (1050, 675) and png_size(paths[1]) == (1125, 750)


@pytest.fixture()
def drawn(monkeypatch):
    """The matplotlib figures the plotting functions save, to check what they show (not just their size)."""
    figures = []
    save = plots._save

    def keep(fig, out):
        figures.append(fig)
        return save(fig, out)

    monkeypatch.setattr(plots, "_save", keep)
    return figures


def test_factor_effects_draw_the_means_over_seeds(summary, tmp_path, drawn):
    plots.factor_effects(summary, "analogy_add_total", tmp_path / "fx.png")
    model_ax, window_ax = drawn[-1].axes[:2]
    assert model_ax.get_title() == "model: model"
    assert [t.get_text() for t in model_ax.get_xticklabels()] == ["CBOW", "Skip-gram"]
    (line,) = model_ax.get_lines()[:1]
    # cbow seeds 0.31 / 0.32, sg 0.41 / 0.42: means in %
    assert np.allclose(line.get_ydata(), [31.5, 41.5])
    assert [t.get_text() for t in model_ax.get_legend().get_texts()] == ["imdb"]
    assert np.allclose(window_ax.get_lines()[0].get_ydata(), [30.0, 30.0, 30.0])


def test_speed_vs_quality_places_every_model_and_gensim(summary, tmp_path, drawn):
    plots.speed_vs_quality(summary, tmp_path / "s.png")
    ax = drawn[-1].axes[0]
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == ["gensim [imdb]", "model: CBOW [imdb]", "model: Skip-gram [imdb]",
                      "window: window=10 [20newsgroups]", "window: window=2 [20newsgroups]",
                      "window: window=5 [20newsgroups]"]
    points = {t.get_text(): t.xy for t in ax.texts}
    assert points["gensim [imdb]"] == pytest.approx((5000.0, 42.0))
    assert points["model: CBOW [imdb]"] == pytest.approx((3000.0, 31.5))


def test_loss_curves_draw_one_line_per_run(summary, tmp_path, drawn):
    plots.loss_curves(summary, tmp_path / "l.png")
    ax = drawn[-1].axes[0]
    curves = sorted(tuple(line.get_ydata()) for line in ax.get_lines() if len(line.get_ydata()))
    # 4 model-study runs and 3 window levels; gensim recorded no loss
    assert curves == [(3.0, 2.0)] * 4 + [(4.0, 3.0, 2.5)] * 3
