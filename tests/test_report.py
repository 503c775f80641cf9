"""Tests of w2v.report (collecting run directories, mean ± sd over seeds) and w2v.summary_md (findings)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from w2v import report, summary_md
from w2v.cli import main
from w2v.errors import W2VError

BASE = {"model": "sg", "loss": "ns", "negative": 5, "dim": 100, "window": 5, "sample": 0.0001,
        "epochs": 5, "min_count": 5, "max_vocab": None, "max_docs": None, "seed": 1}


def _dump(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")


def _eval(add: float, mul: float | None = None, ws: float | None = None) -> dict:
    """An eval.json shaped like w2v.evaluate.evaluate_all's output."""
    methods = {"add": {"sections": [{"section": "family", "questions": 4, "correct": 1, "total": 2,
                                     "accuracy": 0.5}],
                       "semantic": {"correct": 1, "total": 2, "accuracy": 0.5},
                       "syntactic": {"correct": 0, "total": 0, "accuracy": None},
                       "total": {"correct": 1, "total": 2, "accuracy": add}}}
    summary = {"analogy_add_total": add, "analogy_coverage": 0.5}
    if mul is not None:
        summary["analogy_mul_total"] = mul
    out = {"vectors": "x", "restrict_vocab": 30000, "summary": summary,
           "analogies": {"restrict_vocab": 30000, "coverage": 0.5, "methods": methods}}
    if ws is not None:
        summary["wordsim353_spearman"] = ws
        out["wordsim353"] = {"pairs": 353, "used": 300, "skipped_oov": 53, "spearman": ws}
    return out


def _w2v_run(root: Path, dataset: str, name: str, seed: int, tags: dict, config: dict, wps: float,
             add: float | None = None, mlp: float | None = None, ws: float | None = None) -> Path:
    run = root / dataset / "models" / "raw" / name / f"seed{seed}"
    tags = {"dataset": dataset, "variant": "raw", "seed": str(seed), **tags}
    _dump(run / "train.json", {"trainer": "w2v", "config": {**BASE, **config, "seed": seed}, "tags": tags,
                               "words_per_sec": wps, "train_seconds": 1e6 / wps, "final_loss": 2.0,
                               "loss_per_epoch": [3.0, 2.5, 2.0]})
    if add is not None:
        _dump(run / "eval.json", _eval(add, add + 0.01, ws))
    if mlp is not None:
        _dump(run / "classify-mlp-mean.json", {"status": "ok", "method": "mlp", "pooling": "mean",
                                               "accuracy": mlp, "macro_f1": mlp - 0.01})
    return run


@pytest.fixture()
def study(tmp_path) -> list[Path]:
    """imdb: baseline (sg, window 5) shared by the `model` and `window` studies, cbow, window 2;
    gensim with the baseline settings; TF-IDF and an absent pretrained baseline."""
    root = tmp_path / "results"
    runs = []
    base_tags = {"study": "baseline", "factor": "baseline", "level": "baseline", "studies": "model:sg;window:5"}
    for seed, (b, c, w, m) in enumerate(zip([0.40, 0.42, 0.44], [0.36, 0.37, 0.38], [0.30, 0.33, 0.36],
                                            [0.85, 0.86, 0.87]), start=1):
        runs.append(_w2v_run(root, "imdb", "base", seed, base_tags, {}, 1000.0, b, m, ws=0.60))
        runs.append(_w2v_run(root, "imdb", "cbow", seed,
                             {"study": "model", "factor": "model", "level": "cbow", "studies": "model:cbow"},
                             {"model": "cbow"}, 3200.0, c, 0.84, ws=0.50))
        runs.append(_w2v_run(root, "imdb", "w2", seed,
                             {"study": "window", "factor": "window", "level": "2", "studies": "window:2"},
                             {"window": 2}, 1100.0, w, 0.80))
    gensim = root / "imdb" / "gensim" / "raw" / "base" / "seed1"
    _dump(gensim / "train.json", {"trainer": "gensim", "settings": {k: BASE[k] for k in (
        "model", "loss", "negative", "dim", "window", "sample", "epochs", "min_count")},
        "seconds": 250.0, "words_per_second": 2000.0})
    _dump(gensim / "eval.json", _eval(0.43))
    runs.append(gensim)
    tfidf = root / "imdb" / "baselines" / "raw" / "tfidf_logreg"
    _dump(tfidf / "classify.json", {"status": "ok", "method": "tfidf_logreg", "pooling": None,
                                    "accuracy": 0.88, "macro_f1": 0.87})
    pre = root / "imdb" / "baselines" / "raw" / "pretrained"
    _dump(pre / "classify.json", {"status": "absent", "method": "mlp", "pooling": "mean",
                                  "reason": "GoogleNews.bin.gz: no such vectors file"})
    return runs + [tfidf, pre]


@pytest.fixture()
def views(study, tmp_path) -> list[tuple]:
    """The same study listed as the workflow does (w2v.config.study_runs): the shared baseline
    through one view per study, gensim and the classifier baselines through views too."""
    root = tmp_path / "results"
    lines: list[tuple] = []

    def view(path: Path, train: dict, *files: Path) -> None:
        _dump(path / "train.json", train)
        lines.append((path, *files))

    for run in study:
        train = json.loads((run / "train.json").read_text()) if (run / "train.json").exists() else None
        if train and train.get("tags", {}).get("study") == "baseline":
            for member in train["tags"]["studies"].split(";"):
                name, level = member.split(":")
                tags = {**train["tags"], "study": name, "factor": name, "level": level}
                view(root / "views" / "imdb" / "raw" / f"{name}-{level}" / run.name, {**train, "tags": tags},
                     run / "eval.json", run / "classify-mlp-mean.json")
        elif train and train["trainer"] == "gensim":
            tags = {"study": "reference", "factor": "trainer", "level": "gensim", "dataset": "imdb",
                    "variant": "raw", "seed": "1"}
            view(root / "views" / "imdb" / "raw" / "gensim" / "seed1", {**train, "tags": tags}, run / "eval.json")
        elif train:
            lines.append((run,))
        else:
            method = run.name
            result = json.loads((run / "classify.json").read_text())
            info = {"trainer": method, "tags": {"dataset": "imdb", "variant": "raw"}}
            if result["status"] == "absent":
                info.update(status="absent", reason=result["reason"])
            view(root / "views" / "imdb" / "raw" / method, info, run / "classify.json")
    return lines


def test_workflow_views_give_the_same_findings_without_double_counting(study, views, tmp_path):
    direct = report.collect(study, progress=False)
    listed = report.collect(views, progress=False)
    assert len(listed) == len(direct) + 3  # the baseline model appears in two views per seed
    assert len(report.unique_models(listed)) == len(direct)
    assert len(report.study_rows(listed)) == 12
    found = summary_md.findings(listed)
    assert [f for f in found if "TF-IDF" not in f] == [f for f in summary_md.findings(direct) if "tfidf" not in f]
    assert [f for f in found if f.startswith("Best classifier")] == [
        f for f in summary_md.findings(direct) if f.startswith("Best classifier")]
    table = report.classifier_table(listed)
    mine = table[table["source"] == "w2v baseline model"]
    assert len(mine) == 1 and mine.iloc[0]["n"] == 3
    assert set(table["source"]) == {"w2v baseline model", "w2v, model: CBOW", "w2v, window: window=2",
                                    "TF-IDF (tokens)"}
    out = tmp_path / "views.md"
    summary_md.write_summary_md(listed, out)
    md = out.read_text()
    assert "| w2v | 3 | 42.0 ± 2.0" in md
    assert "Absent: GoogleNews.bin.gz: no such vectors file." in md
    assert "from 15 row(s), 12 distinct model(s)" in md


def test_collect_flattens_tags_config_and_metrics(study):
    df = report.collect(study, progress=False)
    assert len(df) == 9 + 3
    row = df[(df["level"] == "cbow") & (df["seed"] == "2")].iloc[0]
    assert row["trainer"] == "w2v" and row["study"] == "model" and row["dataset"] == "imdb"
    assert row["cfg.model"] == "cbow" and row["cfg.window"] == 5
    assert row["analogy_add_total"] == pytest.approx(0.37)
    assert row["analogy_mul_total"] == pytest.approx(0.38)
    assert row["ws353_spearman"] == pytest.approx(0.50) and row["ws353_skipped"] == 53
    assert row["restrict_vocab"] == 30000 and row["analogy_coverage"] == 0.5
    assert row["words_per_sec"] == 3200.0 and row["train_seconds"] == pytest.approx(312.5)
    assert row["cls.mlp_mean.accuracy"] == pytest.approx(0.84)
    assert row["cls_best_name"] == "mlp_mean" and row["cls_best_macro_f1"] == pytest.approx(0.83)
    assert row["eval.analogies.methods.add.sections.family.accuracy"] == 0.5
    assert json.loads(row["loss_per_epoch"]) == [3.0, 2.5, 2.0]
    assert math.isnan(row["simlex_spearman"])  # not in eval.json -> NaN


def test_collect_gensim_and_baselines_take_tags_from_the_path(study):
    df = report.collect(study, progress=False).set_index("trainer")
    g = df.loc["gensim"]
    assert (g["dataset"], g["variant"], g["seed"]) == ("imdb", "raw", "1")
    assert g["words_per_sec"] == 2000.0 and g["train_seconds"] == 250.0 and g["cfg.model"] == "sg"
    assert df.loc["baseline", "cls.tfidf_logreg.accuracy"] == pytest.approx(0.88)
    assert df.loc["pretrained", "cls_absent"] == "mlp_mean: GoogleNews.bin.gz: no such vectors file"
    assert math.isnan(df.loc["pretrained", "cls_best_accuracy"])


def test_missing_files_give_nan_not_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    only_train = tmp_path / "t"
    _dump(only_train / "train.json", {"config": {"model": "sg"}})
    df = report.collect([empty, only_train], progress=False)
    assert list(df["trainer"]) == ["baseline", "w2v"]
    assert df[[m.column for m in report.METRICS]].isna().all().all()
    agg = report.aggregate(df)
    assert agg["analogy_add_total_n"].tolist() == [0, 0]
    assert summary_md.findings(df) == []
    summary_md.write_summary_md(df, tmp_path / "s.md")
    assert "restrict-vocab N of the analogy evaluation is not recorded" in (tmp_path / "s.md").read_text()


def test_collect_rejects_bad_json_and_missing_directories(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "train.json").write_bytes(b"{\"trainer\": \"w2v\xff\"}")
    with pytest.raises(W2VError, match="train.json: not valid JSON"):
        report.collect([bad], progress=False)
    (bad / "train.json").write_text("[1, 2]")
    with pytest.raises(W2VError, match="expected a JSON object"):
        report.collect([bad], progress=False)
    with pytest.raises(W2VError, match="run directory does not exist"):
        report.collect([tmp_path / "nope"], progress=False)


def test_explicit_eval_and_classify_paths(tmp_path):
    run = tmp_path / "run"
    _dump(run / "train.json", {"trainer": "w2v", "config": {}, "tags": {"seed": "1"}})
    _dump(tmp_path / "elsewhere" / "eval-x.json", _eval(0.25))
    _dump(tmp_path / "elsewhere" / "mine.json", {"method": "mlp", "pooling": "sif", "accuracy": 71.5,
                                                "macro_f1": 70.0})
    df = report.collect([(run, tmp_path / "elsewhere" / "eval-x.json", tmp_path / "elsewhere" / "mine.json")],
                        progress=False)
    assert df.loc[0, "analogy_add_total"] == 0.25
    assert df.loc[0, "cls.mlp_sif.accuracy"] == pytest.approx(0.715)  # percentages read as fractions


def test_aggregate_mean_sd_over_seeds(study):
    df = report.collect(study, progress=False)
    agg = report.aggregate(df[df["trainer"] == "w2v"], ["analogy_add_total", "words_per_sec"])
    by = agg.set_index("level")
    assert list(agg["level"]) == ["baseline", "cbow", "2"]  # by study: baseline, model, window
    assert by.loc["baseline", "n_seeds"] == 3
    assert by.loc["baseline", "analogy_add_total_mean"] == pytest.approx(0.42)
    assert by.loc["baseline", "analogy_add_total_sd"] == pytest.approx(0.02)  # sample sd of .40 .42 .44
    assert by.loc["2", "analogy_add_total_sd"] == pytest.approx(0.03)
    assert by.loc["cbow", "words_per_sec_sd"] == 0.0
    one = report.aggregate(df[df["seed"] == "1"], ["analogy_add_total"])
    assert one["analogy_add_total_sd"].isna().all()  # a single seed has no sd


def test_study_rows_place_the_baseline_in_every_study(study):
    rows = report.study_rows(report.collect(study, progress=False))
    assert len(rows) == 3 * 4  # baseline twice (model:sg, window:5), cbow, window 2
    assert sorted(set(zip(rows["study"], rows["factor"], rows["level"]))) == [
        ("model", "model", "cbow"), ("model", "model", "sg"), ("window", "window", "2"), ("window", "window", "5")]


def test_findings_name_the_winner_with_the_right_numbers(study):
    text = summary_md.findings(report.collect(study, progress=False))
    # paired differences 4, 5, 6 points: 5 ± t(0.975, 2)·1/√3 = 5 ± 2.48
    assert ("model on imdb: Skip-gram beats CBOW on analogies (3CosAdd) by 5.0 points, 95 % CI [2.5, 7.5], "
            "n = 3 seeds: decided (42.0 ± 2.0 % vs 37.0 ± 1.0 %) but trains 3.2× slower.") in text
    assert ("window on imdb: window=5 beats window=2 on analogies (3CosAdd) by 9.0 points, 95 % CI [6.5, 11.5], "
            "n = 3 seeds: decided (42.0 ± 2.0 % vs 33.0 ± 3.0 %) but trains 1.1× slower.") in text
    assert any(s.startswith("model on imdb: Skip-gram beats CBOW on WordSim-353 (Spearman ρ) by 0.100, "
                            "95 % CI [0.100, 0.100], n = 3 seeds: decided") for s in text)
    # classifier accuracy 85/86/87 vs 84/84/84: differences 1, 2, 3 -> 2 ± 2.48, no winner
    assert ("model on imdb, classification accuracy: Skip-gram − CBOW = 2.0 points (86.0 ± 1.0 % vs 84.0 ± 0.0 %), "
            "n = 3 seeds: undecided: the interval [−0.5, 4.5] includes 0.") in text
    assert ("model on imdb: CBOW beats Skip-gram on training speed by 2,200 words/s (3.2×), 95 % CI [2,200, 2,200], "
            "n = 3 seeds: decided (3,200 ± 0 words/s vs 1,000 ± 0 words/s).") in text
    # 85/86/87: 86.0 ± t(0.975, 2)·1/√3 = 86.0 ± 2.48, below the target's 89.5
    assert ("Best classifier on imdb: tfidf_logreg on TF-IDF (tokens) with 88.0 % accuracy (n = 1), 1.5 points "
            "below the 89.5 % target; the best with w2v vectors: mlp_mean on w2v baseline model with 86.0 % "
            "accuracy (95 % CI [83.5, 88.5], n = 3), 3.5 points below the 89.5 % target (the interval excludes "
            "it).") in text
    gensim = [s for s in text if s.startswith("w2v vs gensim")]
    assert len(gensim) == 1
    assert ("analogies 42.0 % vs 43.0 %: w2v − gensim = −1.0 points, 3 vs 1 seeds: no interval; speed 0.50× "
            "gensim's (1,000 vs 2,000 words/s): w2v − gensim = −1,000 words/s, 3 vs 1 seeds: no interval."
            ) in gensim[0]


def test_findings_three_levels_unpaired_and_ties(tmp_path):
    runs = []
    for level, seeds, accs, wps in (("5", [3, 4], [0.30, 0.32], 900.0), ("10", [1, 2], [0.35, 0.39], 600.0),
                                    ("15", [1], [0.20], 300.0)):
        for seed, acc in zip(seeds, accs):
            runs.append(_w2v_run(tmp_path, "20newsgroups", f"n{level}", seed,
                                 {"study": "negative", "factor": "negative", "level": level},
                                 {"negative": int(level)}, wps, acc, ws=0.5))
    text = summary_md.findings(report.collect(runs, progress=False))
    best = next(s for s in text if "analogies" in s)
    # different seeds -> Welch: 37 - 31 = 6 points, se = sqrt(.0008/2 + .0002/2), 1.47 degrees of freedom
    assert best == ("negative on 20newsgroups, analogies (3CosAdd): negative=10 − negative=5 = 6.0 points "
                    "(37.0 ± 2.8 % vs 31.0 ± 1.4 %, the two highest of 3 levels), n = 2 vs 2 seeds, unpaired "
                    "(Welch): undecided: the interval [−7.8, 19.8] includes 0.")
    tie = next(s for s in text if "WordSim-353" in s)
    assert tie.startswith("negative on 20newsgroups, WordSim-353 (Spearman ρ): negative=5 − negative=10 = 0.000 ")
    assert tie.endswith("undecided: the interval [0.000, 0.000] includes 0.") and "beats" not in tie


def test_findings_flag_differences_within_noise(tmp_path):
    runs = [_w2v_run(tmp_path, "imdb", f"{lvl}{seed}", seed, {"study": "dim", "factor": "dim", "level": lvl},
                     {"dim": int(lvl)}, wps, acc)
            for lvl, wps, accs in (("100", 2000.0, (0.30, 0.34)), ("300", 1000.0, (0.33, 0.29)))
            for seed, acc in zip((1, 2), accs)]
    # paired differences -0.03 and +0.05: mean 1.0 point, sd 5.7 points, t(0.975, 1) = 12.71
    assert summary_md.findings(report.collect(runs, progress=False))[0] == (
        "dim on imdb, analogies (3CosAdd): dim=100 − dim=300 = 1.0 points (32.0 ± 2.8 % vs 31.0 ± 2.8 %), "
        "n = 2 seeds: undecided: the interval [−49.8, 51.8] includes 0.")


def test_loss_labels_and_softmax_slice(tmp_path):
    runs = [_w2v_run(tmp_path, "20newsgroups", lvl, 1, {"study": "loss", "factor": "loss", "level": lvl},
                     {"loss": lvl, "negative": 15, "max_docs": 3000, "max_vocab": 10000}, wps, acc)
            for lvl, wps, acc in (("softmax", 50.0, 0.10), ("ns", 5000.0, 0.20))]
    df = report.collect(runs, progress=False)
    text = summary_md.findings(df)
    assert text[0] == ("loss on 20newsgroups, analogies (3CosAdd): negative sampling with K=15 − full softmax "
                       "= 10.0 points (20.0 % vs 10.0 %), one seed: no interval.")
    out = tmp_path / "s.md"
    summary_md.write_summary_md(df, out)
    md = out.read_text()
    assert ("- 2 models (ns, softmax) were trained on a corpus slice / vocabulary cap: max_docs=3,000, "
            "max_vocab=10,000; compare them only with each other.") in md
    assert "No gensim reference runs were given" in md


def test_csv_round_trip_keeps_tags_as_strings(study, tmp_path):
    df = report.collect(study, progress=False)
    path = tmp_path / "out" / "summary.csv"
    report.write_summary_csv(df, path)
    back = report.read_summary_csv(path)
    assert list(back.columns) == list(df.columns)
    assert set(back["level"].dropna()) == {"baseline", "cbow", "2"} and set(back["seed"].dropna()) == {"1", "2", "3"}
    assert summary_md.findings(back) == summary_md.findings(df)
    assert not list(path.parent.glob("*.tmp"))


def test_markdown_has_tables_comparisons_and_figures(study, tmp_path):
    df = report.collect(study, progress=False)
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "a.png").write_bytes(b"\x89PNG")
    out = tmp_path / "md" / "summary.md"
    summary_md.write_summary_md(df, out, figures=figs)
    md = out.read_text()
    assert "## Study `model` — factor `model`, dataset `imdb`, variant `raw`" in md
    # a metric no run of the study has (SimLex, held-out perplexity) gets no column
    assert ("| level | n | analogy 3CosAdd % | analogy 3CosMul % | questions covered % | WS-353 ρ | classifier % "
            "| words/s | train s |") in md
    assert ("| Skip-gram | 3 | 42.0 ± 2.0 | 43.0 ± 2.0 | 50.0 ± 0.0 | 0.600 ± 0.000 | 86.0 ± 1.0 | 1,000 ± 0 "
            "| 1000.0 ± 0.0 |") in md
    assert "| vectors | classifier | imdb |\n" in md
    assert "| TF-IDF (tokens) | tfidf_logreg | 88.0 (1) |\n" in md
    assert "| w2v baseline model | mlp_mean | 86.0 ± 1.0 (3) |\n" in md
    assert "w2v | 3 | 42.0 ± 2.0" in md and "gensim | 1 | 43.0 |" in md
    assert "Absent: mlp_mean: GoogleNews.bin.gz: no such vectors file." in md
    assert "30,000 most frequent words (restrict-vocab N)" in md
    assert "![a](../figs/a.png)" in md
    for sentence in summary_md.findings(df):
        assert f"- {sentence}" in md


def test_cli_summarize_markdown_and_runs_file(study, tmp_path):
    runs_file = tmp_path / "runs.txt"
    runs_file.write_text("# runs\n" + "\n".join(str(r) for r in study[3:]) + "\n\n")
    csv = tmp_path / "summary.csv"
    assert main(["report", "summarize", *map(str, study[:3]), "--runs-file", str(runs_file),
                 "--out", str(csv)]) == 0
    assert len(pd.read_csv(csv)) == len(study)
    md = tmp_path / "summary.md"
    assert main(["report", "markdown", str(csv), "--out", str(md)]) == 0
    assert "Skip-gram beats CBOW" in md.read_text()


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["report", "summarize", "--out", str(tmp_path / "s.csv")]) == 2
    assert main(["report", "summarize", "--runs-file", str(tmp_path / "none.txt"), "--out", "x.csv"]) == 2
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe")
    assert main(["report", "summarize", "--runs-file", str(tmp_path / "bad.txt"), "--out", "x.csv"]) == 2
    assert main(["report", "markdown", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m.md")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.split(":")[0] for line in err] == ["w2v"] * 4
    assert "no run directories given" in err[0] and "runs file not found" in err[1]
    assert "not UTF-8" in err[2] and "summary CSV not found" in err[3]
    assert not (tmp_path / "m.md").exists()


def test_variant_study_is_one_table_and_flags_other_question_sets(tmp_path):
    runs = []
    for variant, accs, coverage in (("raw", (0.30, 0.32), 0.50), ("stem", (0.40, 0.44), 0.15)):
        for seed, acc in zip((1, 2), accs):
            run = _w2v_run(tmp_path, "20newsgroups", variant, seed,
                           {"study": "variant", "factor": "variant", "level": variant, "variant": variant},
                           {}, 1000.0, acc)
            ev = json.loads((run / "eval.json").read_text())
            ev["summary"]["analogy_coverage"] = ev["analogies"]["coverage"] = coverage
            _dump(run / "eval.json", ev)
            runs.append(run)
    df = report.collect(runs, progress=False)
    text = summary_md.findings(df)
    assert text[0] == ("variant on 20newsgroups, analogies (3CosAdd): variant=stem − variant=raw = 11.0 points "
                       "(42.0 ± 2.8 % vs 31.0 ± 1.4 %), n = 2 seeds: undecided: the interval [−1.7, 23.7] "
                       "includes 0 — on different question sets: 15 % vs 50 % of the questions covered.")
    out = tmp_path / "s.md"
    summary_md.write_summary_md(df, out)
    md = out.read_text()
    assert md.count("## Study `variant`") == 1
    assert "## Study `variant` — factor `variant`, dataset `20newsgroups`\n" in md
    assert "| variant=stem | 2 | 42.0 ± 2.8 |" in md and "| variant=raw | 2 | 31.0 ± 1.4 |" in md


def test_gensim_comparison_ignores_other_optimizers_and_corpus_slices(study, tmp_path):
    root = tmp_path / "results"
    extra = [_w2v_run(root, "imdb", "adam", 1, {"study": "optimizer", "factor": "optimizer", "level": "adam"},
                      {"optimizer": "adam"}, 10.0, 0.01),
             _w2v_run(root, "imdb", "slice", 1, {"study": "loss", "factor": "loss", "level": "ns"},
                      {"max_docs": 600, "max_vocab": 2000}, 10.0, 0.01)]
    text = summary_md.findings(report.collect(study + extra, progress=False))
    gensim = [s for s in text if s.startswith("w2v vs gensim")]
    assert len(gensim) == 1
    assert "analogies 42.0 % vs 43.0 %: w2v − gensim = −1.0 points" in gensim[0]
    assert "speed 0.50× gensim's (1,000 vs 2,000 words/s)" in gensim[0]


def test_package_versions_reach_the_summary(tmp_path):
    for seed, numpy_version in ((1, "2.4.6"), (2, "2.4.6"), (3, "2.3.0")):
        run = _w2v_run(tmp_path, "imdb", "sg", seed, {"study": "model", "factor": "model", "level": "sg"},
                       {}, 1e6, add=0.3)
        info = json.loads((run / "train.json").read_text())
        info["versions"] = {"python": "3.11.7", "numpy": numpy_version, "numba": "0.68.1"}
        _dump(run / "train.json", info)
    df = report.collect(sorted((tmp_path / "imdb" / "models").glob("*/*/seed*")), progress=False)
    assert set(df["version.numba"]) == {"0.68.1"}
    out = tmp_path / "summary.md"
    summary_md.write_summary_md(df, out)
    text = out.read_text()
    assert "python 3.11.7, numpy 2.3.0 / 2.4.6, numba 0.68.1" in text


def test_summary_says_when_no_versions_were_recorded(study, tmp_path):
    out = tmp_path / "summary.md"
    summary_md.write_summary_md(report.collect(study, progress=False), out)
    assert "recorded no package versions" in out.read_text()
