"""Findings decided by confidence intervals (w2v.report.difference_ci), the differences-from-baseline
table and the rare-words section of summary.md (w2v.report.rare_word_table)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from w2v import report, summary_md
from w2v.cli import main
from w2v.errors import W2VError

BUCKETS = ("1-1000", "1001-5000", "5001-20000", "20001+")


def _dump(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")


def _frequency_csv(path: Path, accuracies: dict[str, float | None], questions: int = 100) -> None:
    """A frequency.csv shaped like `w2v evaluate --frequency-out` (analogy rows, oov, one similarity set)."""
    rows = []
    for bucket in BUCKETS:
        acc = accuracies.get(bucket)
        n = 0 if acc is None else questions
        rows.append(dict(benchmark="questions-words.txt", kind="analogy", method="add", bucket=bucket, n=n,
                         correct=0 if acc is None else round(acc * n), accuracy=acc))
    rows.append(dict(benchmark="questions-words.txt", kind="analogy", method="add", bucket="oov", n=50))
    rows += [dict(benchmark="wordsim353.txt", kind="similarity", method="cosine", bucket=b, n=10, spearman=0.5,
                  pearson=0.5) for b in BUCKETS]
    pd.DataFrame(rows, columns=list(report.FREQUENCY_COLUMNS)).to_csv(path, index=False)


def _run(root: Path, name: str, seed: int, tags: dict, config: dict, add: float, wps: float = 1000.0,
         ws: float | None = None, freq: dict | None = None, trainer: str = "w2v") -> Path:
    run = root / "imdb" / ("gensim" if trainer == "gensim" else "models") / "raw" / name / f"seed{seed}"
    tags = {"dataset": "imdb", "variant": "raw", "seed": str(seed), **tags}
    cfg = {"model": "sg", "loss": "ns", "negative": 5, "dim": 100, "window": 5, "sample": 0.0001, "epochs": 5,
           "min_count": 5, "seed": seed, **config}
    train = {"trainer": trainer, "config": cfg, "words_per_sec": wps, "train_seconds": 1e6 / wps}
    if trainer == "w2v":
        train["tags"] = tags
    _dump(run / "train.json", train)
    summary = {"analogy_add_total": add, "analogy_coverage": 0.5}
    if ws is not None:
        summary["wordsim353_spearman"] = ws
    _dump(run / "eval.json", {"restrict_vocab": 30000, "summary": summary})
    if freq is not None:
        _frequency_csv(run / "frequency.csv", freq)
    return run


def _level(root: Path, study: str, level: str, adds, config: dict, wps=(1000.0,) * 3, ws=None,
           freqs=None, seeds=(1, 2, 3), tags: dict | None = None) -> list[Path]:
    tags = tags or {"study": study, "factor": study, "level": level, "studies": f"{study}:{level}"}
    return [_run(root, f"{study}-{level}", seed, tags, config, add, wps[i], None if ws is None else ws[i],
                 None if freqs is None else freqs[i])
            for i, (seed, add) in enumerate(zip(seeds, adds))]


BASE_TAGS = {"study": "baseline", "factor": "baseline", "level": "baseline", "studies": "model:sg;sample:0.0001"}


@pytest.fixture()
def rare(tmp_path) -> list[Path]:
    """imdb, 3 seeds: the baseline (sg, sample 1e-4) shared by the `model` and `sample` studies, CBOW and
    sample=0, each run with its frequency.csv."""
    root = tmp_path / "results"
    sg = [{"1-1000": 0.60, "1001-5000": 0.40, "5001-20000": None, "20001+": 0.10},
          {"1-1000": 0.62, "1001-5000": 0.40, "5001-20000": None, "20001+": 0.20},
          {"1-1000": 0.64, "1001-5000": 0.40, "5001-20000": None, "20001+": 0.30}]
    cbow = [{"1-1000": 0.50, "1001-5000": 0.30, "5001-20000": None, "20001+": 0.15},
            {"1-1000": 0.51, "1001-5000": 0.30, "5001-20000": None, "20001+": 0.15},
            {"1-1000": 0.52, "1001-5000": 0.30, "5001-20000": None, "20001+": 0.15}]
    off = [{"1-1000": 0.70, "1001-5000": 0.35, "5001-20000": None, "20001+": 0.05} for _ in range(3)]
    runs = _level(root, "base", "baseline", (0.40, 0.42, 0.44), {}, wps=(1000.0, 1010.0, 1020.0),
                  freqs=sg, tags=BASE_TAGS)
    runs += _level(root, "model", "cbow", (0.30, 0.31, 0.32), {"model": "cbow"}, wps=(3000.0, 3100.0, 3300.0),
                   freqs=cbow)
    runs += _level(root, "sample", "0", (0.41, 0.42, 0.45), {"sample": 0.0}, wps=(600.0, 610.0, 640.0),
                   freqs=off)
    return runs


# ----------------------------------------------------------------------------
# the statistics


def test_paired_interval_worked_numbers():
    # differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.303 -> 2 ± 4.303/√3 = [−0.484, 4.484]
    d = report.paired_ci([1.0, 2.0, 3.0])
    assert stats.t.ppf(0.975, 2) == pytest.approx(4.303, abs=5e-4)
    assert (d.mean, d.n, d.dof, d.paired) == (2.0, 3, 2.0, True)
    assert (d.low, d.high) == pytest.approx((-0.48414, 4.48414), abs=1e-5)
    assert not d.decided
    # differences 1.0, 1.1, 0.9: mean 1, sd 0.1 -> 1 ± 0.2484 excludes 0
    d = report.paired_ci([1.0, 1.1, 0.9])
    assert (d.low, d.high) == pytest.approx((0.75159, 1.24841), abs=1e-5)
    assert d.decided
    one = report.paired_ci([0.7])
    assert one.mean == 0.7 and math.isnan(one.low) and math.isnan(one.high) and not one.decided and one.n == 1


def test_welch_interval_worked_numbers_match_scipy():
    a, b = [0.35, 0.39, 0.41], [0.30, 0.32]
    d = report.welch_ci(a, b)
    # by hand: va/na = .0009333/3, vb/nb = .0002/2 -> se = 0.020276; Welch–Satterthwaite dof = 2.894
    assert d.mean == pytest.approx(0.073333, abs=1e-6)
    assert d.se == pytest.approx(0.020276, abs=1e-6) and d.dof == pytest.approx(2.8943, abs=1e-4)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert (d.low, d.high) == pytest.approx((0.00745, 0.13921), abs=1e-5)
    assert d.decided and not d.paired and (d.n_a, d.n_b) == (3, 2)
    assert math.isnan(report.welch_ci([1.0, 2.0], [1.5]).low)


def test_difference_pairs_by_seed_else_welch():
    rows = pd.DataFrame({"level": ["a"] * 3 + ["b"] * 3, "seed": ["3", "1", "2", "1", "2", "3"],
                         "m": [3.0, 1.0, 2.0, 0.0, 0.0, 0.0]})
    d = report.paired_difference(rows, "m", "a", "b")  # paired by seed, not by row order
    assert d.paired and d.n == 3 and d.mean == 2.0 and not d.decided
    rows.loc[5, "seed"] = "4"  # seeds 1 and 2 shared: paired over them, a's seed 3 and b's 4 left out
    d = report.paired_difference(rows, "m", "a", "b")
    assert d.paired and d.n == 2 and d.mean == 1.5
    rows.loc[4, "seed"] = "5"  # one shared seed: no pairs to speak of, Welch
    d = report.paired_difference(rows, "m", "a", "b")
    assert not d.paired and (d.n_a, d.n_b) == (3, 3) and d.dof == 2.0  # b has no spread: dof of a alone
    tie = report.paired_ci(np.array([0.1, 0.2, 0.3]) - np.array([0.1, 0.2, 0.3]))
    assert (tie.low, tie.high, tie.decided) == (0.0, 0.0, False)


# ----------------------------------------------------------------------------
# the sentences


def _opt_runs(root: Path, adam: tuple, sgd: tuple, seeds=(1, 2, 3)) -> list[Path]:
    return (_level(root, "optimizer", "sgd", sgd, {}, wps=(1000.0, 1001.0, 999.0), seeds=seeds)
            + _level(root, "optimizer", "adam", adam, {"optimizer": "adam"}, wps=(100.0, 101.0, 99.0),
                     seeds=seeds))


def test_a_tie_is_undecided_not_a_win(tmp_path):
    # sgd − adam = +0.3, −0.3, 0.0 points: the old report said "sgd beats adam by 0.0 ± 0.3 points"
    runs = _opt_runs(tmp_path, adam=(0.064, 0.070, 0.067), sgd=(0.067, 0.067, 0.067))
    text = summary_md.findings(report.collect(runs, progress=False))
    analogy = next(s for s in text if "analogies" in s)
    assert "beats" not in analogy and "within one sd" not in analogy
    assert analogy.endswith("n = 3 seeds: undecided: the interval [−0.7, 0.7] includes 0.")
    assert analogy.startswith("optimizer on imdb, analogies (3CosAdd): ")


def test_a_clear_difference_is_decided(tmp_path):
    # differences 1.2, 1.1, 1.3 points: 1.2 ± 4.303·0.1/√3 = [0.95, 1.45]
    runs = _opt_runs(tmp_path, adam=(0.300, 0.310, 0.320), sgd=(0.312, 0.321, 0.333))
    text = summary_md.findings(report.collect(runs, progress=False))
    assert ("optimizer on imdb: optimizer=sgd beats optimizer=adam on analogies (3CosAdd) by 1.2 points, "
            "95 % CI [1.0, 1.4], n = 3 seeds: decided (32.2 ± 1.1 % vs 31.0 ± 1.0 %) and trains 10.0× faster."
            ) in text


def test_one_seed_has_no_interval(tmp_path):
    runs = _opt_runs(tmp_path, adam=(0.30,), sgd=(0.35,), seeds=(1,))
    text = summary_md.findings(report.collect(runs, progress=False))
    assert text[0] == ("optimizer on imdb, analogies (3CosAdd): optimizer=sgd − optimizer=adam = 5.0 points "
                       "(35.0 % vs 30.0 %), one seed: no interval.")
    assert not any("beats" in s for s in text)


def test_gensim_against_w2v_is_paired_by_seed(tmp_path):
    runs = _level(tmp_path, "model", "sg", (0.40, 0.42, 0.44), {}, wps=(2000.0, 2100.0, 2050.0))
    runs += [_run(tmp_path, "g", seed, {}, {}, add, wps, trainer="gensim")
             for seed, add, wps in ((1, 0.38, 1000.0), (2, 0.41, 1010.0), (3, 0.42, 990.0))]
    gensim = next(s for s in summary_md.findings(report.collect(runs, progress=False)) if s.startswith("w2v vs"))
    # w2v − gensim = 2, 1, 2 points: 1.7 ± 4.303·0.577/√3 = [0.2, 3.1]
    assert "analogies 42.0 % vs 40.3 %: w2v beats gensim by 1.7 points, 95 % CI [0.2, 3.1], n = 3 seeds: decided" \
        in gensim
    assert "w2v beats gensim by 1,050 words/s, 95 % CI [" in gensim


def test_gensim_is_compared_only_with_runs_at_its_own_noise_exponent(tmp_path):
    runs = _level(tmp_path, "model", "sg", (0.40, 0.42, 0.44), {})
    runs += _level(tmp_path, "ns_exponent", "1", (0.10, 0.10, 0.10), {"ns_exponent": 1.0})  # not gensim's 0.75
    runs += [_run(tmp_path, "g", seed, {}, {}, 0.40, trainer="gensim") for seed in (1, 2, 3)]
    (desc, g, mine), = report.gensim_pairs(report.collect(runs, progress=False))
    assert len(g) == 3 and len(mine) == 3 and set(mine["cfg.ns_exponent"].fillna(0.75)) == {0.75}


# ----------------------------------------------------------------------------
# the differences-from-baseline table


def test_table_compares_every_level_with_the_shared_baseline(rare, tmp_path):
    df = report.collect(rare, progress=False)
    out = tmp_path / "summary.md"
    summary_md.write_summary_md(df, out)
    md = out.read_text()
    assert "## Differences from the baseline" in md
    # cbow − sg: −10, −11, −12 points -> −11 ± 2.48
    assert ("| model | imdb (raw) | CBOW | Skip-gram | analogy 3CosAdd (points) | −11.0 | [−13.5, −8.5] | 3 "
            "| decided |") in md
    # sample=0 − sample=1e-4: 1, 0, 1 points -> 0.7 ± 1.43
    assert ("| sample | imdb (raw) | sample=0 | sample=0.0001 | analogy 3CosAdd (points) | 0.7 | [−0.8, 2.1] | 3 "
            "| undecided |") in md
    assert "| model | imdb (raw) | CBOW | Skip-gram | words/s | 2,123 | [" in md
    assert "## Study `model` — factor `model`, dataset `imdb`, variant `raw`" in md  # the mean ± sd tables stay


def test_baseline_level_from_the_factor_setting_when_not_shared(tmp_path):
    base = _level(tmp_path, "base", "baseline", (0.40, 0.42), {}, seeds=(1, 2), tags=BASE_TAGS)
    loss = (_level(tmp_path, "loss", "softmax", (0.10, 0.12), {"loss": "softmax", "max_docs": 600}, seeds=(1, 2))
            + _level(tmp_path, "loss", "ns", (0.20, 0.21), {"max_docs": 600}, seeds=(1, 2)))
    df = report.collect(base + loss, progress=False)
    part = report.study_rows(df)
    assert report.baseline_level(df, part[part["study"] == "loss"]) == "ns"
    assert report.baseline_level(df, part[part["study"] == "model"]) == "sg"
    lone = report.collect(loss, progress=False)
    assert report.baseline_level(lone, report.study_rows(lone)) is None
    summary_md.write_summary_md(lone, tmp_path / "s.md")
    md = (tmp_path / "s.md").read_text()
    # levels in display order: ns before softmax
    assert ("- `loss` on imdb (raw): no level holds the baseline model; its levels are compared with the first, "
            "negative sampling with K=5.") in md


# ----------------------------------------------------------------------------
# rare words


def test_rare_word_table_is_tidy_per_run_and_bucket(rare):
    table = report.rare_word_table(rare)
    assert list(table.columns) == ["study", "factor", "level", "level_label", "dataset", "variant", "seed",
                                   "model_dir", "method", "bucket", "bucket_order", "questions", "correct",
                                   "accuracy"]
    # the baseline appears in both its studies; similarity rows are left out
    assert sorted(set(zip(table["study"], table["level"]))) == [("model", "cbow"), ("model", "sg"),
                                                                 ("sample", "0"), ("sample", "0.0001")]
    assert len(table) == 4 * 3 * 5
    sg = table[(table["level"] == "sg") & (table["seed"] == "2")].set_index("bucket")
    assert list(sg.index) == [*BUCKETS, "oov"] and list(sg["bucket_order"]) == [0, 1, 2, 3, 4]
    assert sg.loc["1-1000", "accuracy"] == pytest.approx(0.62) and sg.loc["1-1000", "questions"] == 100
    assert math.isnan(sg.loc["oov", "accuracy"]) and sg.loc["oov", "questions"] == 50
    assert sg.loc["1-1000", "level_label"] == "Skip-gram"

    diffs = report.rare_word_differences(table, "model", "sg", "cbow").set_index("bucket")
    assert diffs.loc["1-1000", "diff"] == pytest.approx(0.11)
    assert (diffs.loc["1-1000", "low"], diffs.loc["1-1000", "high"]) == pytest.approx((0.08516, 0.13484), abs=1e-5)
    assert diffs.loc["1-1000", "decided"] and diffs.loc["1-1000", "paired"]
    assert not diffs.loc["20001+", "decided"]


def test_rare_words_section_through_the_cli(rare, tmp_path):
    csv, md = tmp_path / "summary.csv", tmp_path / "summary.md"
    assert main(["report", "summarize", *map(str, rare), "--out", str(csv)]) == 0
    assert main(["report", "markdown", str(csv), "--out", str(md)]) == 0
    text = md.read_text()
    section = text[text.index("## Rare words"):text.index("## Classification")]
    assert "### Skip-gram vs CBOW (study `model`), dataset `imdb`, variant `raw`" in section
    assert "| 1-1000 | 100 | 62.0 ± 2.0 | 51.0 ± 1.0 | 11.0 | [8.5, 13.5] | 3 | decided |" in section
    assert "| 1001-5000 | 100 | 40.0 ± 0.0 | 30.0 ± 0.0 | 10.0 | [10.0, 10.0] | 3 | decided |" in section
    # sg − cbow = −5, 5, 15 points: 5 ± 24.8
    assert "| 20001+ | 100 | 20.0 ± 10.0 | 15.0 ± 0.0 | 5.0 | [−19.8, 29.8] | 3 | undecided |" in section
    assert "| 5001-20000 | 0 | – | – | – | – | – | no questions |" in section
    assert "| oov | 50 | – | – | – | – | – | not covered |" in section
    assert "### Subsampling on (sample=0.0001) vs off (study `sample`), dataset `imdb`, variant `raw`" in section
    assert "| 1-1000 | 100 | 62.0 ± 2.0 | 70.0 ± 0.0 | −8.0 | [−13.0, −3.0] | 3 | decided |" in section


def test_rare_words_found_next_to_eval_json_of_study_views(rare, tmp_path):
    """The workflow lists the shared baseline through one view per study, followed by the model's eval.json."""
    lines = []
    for run in rare:
        train = json.loads((run / "train.json").read_text())
        if train["tags"]["study"] != "baseline":
            lines.append((run,))
            continue
        for member in train["tags"]["studies"].split(";"):
            name, level = member.split(":")
            view = tmp_path / "results" / "views" / f"{name}-{level}" / run.name
            _dump(view / "train.json", {**train, "tags": {**train["tags"], "study": name, "factor": name,
                                                          "level": level}})
            lines.append((view, run / "eval.json"))
    table = report.rare_word_table(lines)
    assert sorted(set(zip(table["study"], table["level"]))) == [("model", "cbow"), ("model", "sg"),
                                                                 ("sample", "0"), ("sample", "0.0001")]
    assert report.baseline_level(report.collect(lines, progress=False),
                                 report.study_rows(report.collect(lines, progress=False)).query("study == 'model'")
                                 ) == "sg"


def test_rare_words_absent_studies_and_files_are_said(tmp_path):
    runs = _opt_runs(tmp_path, adam=(0.30, 0.31, 0.32), sgd=(0.35, 0.36, 0.37))
    runs += _level(tmp_path, "model", "cbow", (0.3, 0.3, 0.3), {"model": "cbow"})
    runs += _level(tmp_path, "model", "sg", (0.4, 0.4, 0.4), {})
    summary_md.write_summary_md(report.collect(runs, progress=False), tmp_path / "s.md")
    md = (tmp_path / "s.md").read_text()
    assert ("The `model` study's runs have no frequency.csv next to their eval.json: rerun `w2v evaluate` with "
            "`--frequency-out`.") in md
    assert "No `sample` study among the runs: subsampling on vs off is not compared." in md
    assert report.rare_word_table(runs).empty


def test_rare_words_read_what_evaluate_writes(tmp_path):
    from w2v.evaluate import evaluate_by_frequency
    from w2v.vectors import KeyedVectors

    words = ["king", "queen", "man", "woman", "paris", "france", "rome", "italy"]
    rng = np.random.default_rng(0)
    kv = KeyedVectors(words, rng.normal(size=(len(words), 4)))
    questions = tmp_path / "questions.txt"
    questions.write_text(": capital\nparis france rome italy\n: family\nking queen man woman\nman woman x y\n")
    run = _run(tmp_path, "sg", 1, {"study": "model", "factor": "model", "level": "sg"}, {}, 0.5)
    evaluate_by_frequency(kv, questions, restrict_vocab=None).to_csv(run / "frequency.csv", index=False)
    table = report.rare_word_table([run])
    assert list(table["bucket"]) == ["1-1000", "1001-5000", "5001-20000", "20001+", "oov"]
    assert list(table["questions"]) == [2, 0, 0, 0, 1]


def test_broken_frequency_table_is_a_one_line_error(rare, tmp_path, capsys):
    csv, md = tmp_path / "summary.csv", tmp_path / "summary.md"
    assert main(["report", "summarize", *map(str, rare), "--out", str(csv)]) == 0
    (rare[0] / "frequency.csv").write_text("bucket,accuracy\n1-1000,0.5\n")
    capsys.readouterr()
    with pytest.raises(W2VError, match="frequency.csv: frequency table lacks the column"):
        report.rare_word_table(rare)
    assert main(["report", "markdown", str(csv), "--out", str(md)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("w2v: error: ") and "rerun `w2v evaluate --frequency-out`" in err[0]
    assert not md.exists()


def _with_heldout(runs: list[Path], nlls) -> list[Path]:
    for run, nll in zip(runs, nlls):
        ev = json.loads((run / "eval.json").read_text())
        ev["heldout"] = {"mean_nll": nll, "perplexity": math.exp(nll), "pairs": 1000, "kind": "softmax"}
        _dump(run / "eval.json", ev)
    return runs


def test_a_lower_heldout_nll_is_the_better_one(tmp_path):
    # ns − nce = 1.0, 1.1, 1.05 nats: nce is better (lower), decided
    runs = (_with_heldout(_level(tmp_path, "loss", "nce", (0.2, 0.2, 0.2), {"loss": "nce"}), (5.0, 5.1, 5.05))
            + _with_heldout(_level(tmp_path, "loss", "ns", (0.2, 0.2, 0.2), {"loss": "ns"}), (6.0, 6.2, 6.1)))
    df = report.collect(runs, progress=False)
    assert df["heldout_nll"].notna().all()
    sentence = next(s for s in summary_md.findings(df) if "held-out NLL" in s)
    assert sentence.startswith("loss on imdb: NCE")
    assert "beats negative sampling" in sentence and "by 1.050 nats, 95 % CI [0.926, 1.174]" in sentence
    md = tmp_path / "summary.md"
    summary_md.write_summary_md(df, md)
    text = md.read_text()
    assert "held-out perplexity" in text
    row = next(line for line in text.splitlines() if line.startswith("| NCE reaches a better held-out"))
    assert row.endswith("| agree |") and "−1.050" in row


def test_published_findings_agree_disagree_undecided_or_not_run(tmp_path):
    runs = (_level(tmp_path, "ns_exponent", "0.75", (0.31, 0.32, 0.33), {"ns_exponent": 0.75})
            + _level(tmp_path, "ns_exponent", "1", (0.29, 0.30, 0.31), {"ns_exponent": 1.0})
            + _level(tmp_path, "window", "2", (0.3,) * 3, {"window": 2}, ws=(0.50, 0.51, 0.52))
            + _level(tmp_path, "window", "10", (0.3,) * 3, {"window": 10}, ws=(0.40, 0.40, 0.41))
            + _level(tmp_path, "dim", "100", (0.30, 0.31, 0.30), {"dim": 100})
            + _level(tmp_path, "dim", "200", (0.31, 0.30, 0.30), {"dim": 200}))
    md = tmp_path / "summary.md"
    summary_md.write_summary_md(report.collect(runs, progress=False), md)
    rows = {line.split(" | ")[0][2:]: line for line in md.read_text().splitlines()
            if line.startswith("| ") and " | Mikolov" in line or " | Levy" in line or " | Mnih" in line}
    assert rows["Noise ∝ unigram^0.75 beats the unigram distribution (exponent 1)"].endswith("| agree |")
    assert rows["A wide window (10) beats a narrow one (2) on WordSim-353 (relatedness)"].endswith("| disagree |")
    assert rows["More dimensions (200 vs 100) improve analogy accuracy"].endswith("| undecided |")
    assert rows["15 negative samples beat 5 on analogies"].endswith("| not run in this study | – |")


def test_a_baseline_model_listed_by_one_study_view_is_still_the_baseline(tmp_path):
    model = _run(tmp_path, "cbow", 2, BASE_TAGS, {"model": "cbow"}, 0.31)
    view = tmp_path / "views" / "imdb" / "raw" / "model-cbow" / "seed2"
    _dump(view / "train.json", {"trainer": "w2v", "config": {"model": "cbow", "seed": 2},
                                "tags": {"study": "model", "factor": "model", "level": "cbow", "dataset": "imdb",
                                         "variant": "raw", "seed": "2"}})
    df = report.collect([(str(view), str(model / "eval.json"))], progress=False)
    assert df.loc[0, "study"] == "model" and df.loc[0, "own_study"] == "baseline"
    assert report.unique_models(df).loc[0, "study"] == "baseline"


def test_studies_compare_the_classifier_every_model_has_not_each_runs_best(tmp_path):
    runs = _level(tmp_path, "model", "cbow", (0.3,) * 3, {"model": "cbow"}) \
        + _level(tmp_path, "model", "sg", (0.3,) * 3, {})
    for run, acc in zip(runs, (0.70, 0.71, 0.72, 0.73, 0.74, 0.75)):
        _dump(run / "classify-mlp-mean.json", {"method": "mlp", "pooling": "mean", "accuracy": acc, "macro_f1": acc})
    _dump(runs[0] / "classify-supervised.json", {"method": "supervised", "accuracy": 0.90, "macro_f1": 0.90})
    df = report.collect(runs, progress=False)
    assert report.common_classifier(df) == "mlp_mean"
    assert df["cls_best_accuracy"].iloc[0] == 0.90 and df["cls_accuracy"].iloc[0] == 0.70
    sentence = next(s for s in summary_md.findings(df) if "classification" in s)
    assert "Skip-gram beats CBOW on classification accuracy by 3.0 points" in sentence  # not CBOW's 0.90
