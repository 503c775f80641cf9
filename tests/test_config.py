"""The study configuration: presets, schema validation, model points, run names, views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from w2v.config import (
    load_config,
    merge,
    model_points,
    point_tags,
    resolve_config,
    run_name,
    study_runs,
    train_args,
    vocab_name,
    write_study_runs,
)
from w2v.errors import W2VError

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config.yaml"


def small_config(**studies) -> dict:
    """The repository's config with only the given studies (two seeds by default) around a
    skip-gram baseline."""
    raw = yaml.safe_load(CONFIG.read_text())
    raw["studies"] = studies
    cls = raw["classification"]  # classifiers of the given studies only
    cls["studies"] = [n for n in cls["studies"] if n in studies]
    cls["recipes"] = {n: r for n, r in cls["recipes"].items() if n in studies}
    cls["supervised"]["studies"] = [n for n in cls["supervised"]["studies"] if n in studies]
    raw["training"]["model"] = "sg"
    raw["training"]["seeds"] = [1, 2]
    raw["presets"] = {"full": {}}
    return resolve_config(raw)


# --- loading, presets, overrides ----------------------------------------------------

def test_default_config_is_valid_and_full():
    cfg = load_config(CONFIG)
    assert cfg["preset"] == "full"
    assert cfg["paths"]["results"] == "results"
    assert cfg["training"]["loss"] == "ns"
    assert cfg["training"]["seeds"] == [1, 2, 3]
    assert cfg["evaluation"]["restrict_vocab"] == 30000


def test_demo_preset_is_merged_over_the_defaults():
    cfg = load_config(CONFIG, {"preset": "demo"})
    assert cfg["paths"]["results"] == "results/demo"
    assert cfg["paths"]["downloads"] == "data/downloads"          # untouched by the preset
    assert cfg["data"]["mirror"] == "data/sample"
    assert cfg["data"]["datasets"]["20newsgroups"] == {"source": "20newsgroups-sample", "remove": []}
    assert cfg["training"]["workers"] == 1
    assert cfg["training"]["loss"] == "ns"                          # default kept
    assert cfg["studies"]["negative"]["enabled"] is False
    assert cfg["studies"]["loss"]["levels"] == ["softmax", "hs", "ns", "nce", "sampled"]


def test_demo_covers_every_model_family_and_is_deterministic():
    cfg = load_config(CONFIG, {"preset": "demo"})
    points = model_points(cfg)
    families = {p["settings"]["model"] for p in points} | {p["settings"]["loss"] for p in points} \
        | {p["settings"]["optimizer"] for p in points}
    assert {"sg", "cbow", "softmax", "hs", "ns", "nce", "sampled", "sgd", "adam"} <= families
    assert {p["variant"] for p in points} == {"raw", "stem", "lemma", "raw+nostop+num"}
    assert cfg["training"]["workers"] == 1


def test_command_line_overrides_win_over_the_preset():
    cfg = load_config(CONFIG, {"preset": "demo", "training": {"dim": 8}, "paths": {"results": "out"}})
    assert cfg["training"]["dim"] == 8
    assert cfg["training"]["epochs"] == 2                           # from the preset
    assert cfg["paths"]["results"] == "out"


def test_merge_is_recursive_for_mappings_and_replaces_lists():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    out = merge(base, {"a": {"y": [3], "z": 4}, "c": None})
    assert out == {"a": {"x": 1, "y": [3], "z": 4}, "b": 2, "c": None}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}            # not modified
    assert merge(base, None) == base


# --- validation messages ---------------------------------------------------------------

@pytest.mark.parametrize("override, message", [
    ({"training": {"loss": "foo"}},
     "config.yaml: training.loss = 'foo' is not one of ['softmax', 'hs', 'ns', 'nce', 'sampled']"),
    ({"training": {"model": "skipgram"}}, "training.model = 'skipgram' is not one of ['sg', 'cbow']"),
    ({"training": {"sample": "1e-4"}}, "training.sample = '1e-4': '1e-4' is not of type 'number'"),
    ({"training": {"dim": 0}}, "training.dim = 0: 0 is less than the minimum of 1"),
    ({"grid": "huge"}, "grid = 'huge' is not one of ['default', 'full']"),
    ({"studies": {"dim": {"levels": [100, -3]}}}, "studies.dim.levels[1] = -3: -3 is less than the minimum of 1"),
    ({"studies": {"loss": {"levels": ["ns", "bar"]}}},
     "studies.loss.levels[1] = 'bar' is not one of ['softmax', 'hs', 'ns', 'nce', 'sampled']"),
    ({"studies": {"variant": {"levels": ["raw+foo"]}}}, "studies.variant.levels[0] = 'raw+foo'"),
    ({"studies": {"model": {"datasets": ["text8"]}}},
     "studies.model.datasets: 'text8' is not one of ['20newsgroups', '20newsgroups_stripped', 'imdb'] "
     "(data.datasets); fix config.yaml"),
    ({"data": {"datasets": {"my data": {"source": "imdb"}}}},
     "config.yaml: data.datasets: key 'my data': 'my data' does not match '^[A-Za-z0-9][A-Za-z0-9_]*$'"),
    ({"data": {"datasets": {"text8": {"source": "text8"}}}},
     "data.datasets.text8.source = 'text8' is not one of ['20newsgroups', 'imdb', '20newsgroups-sample', "
     "'imdb-sample']"),
    ({"classification": {"recipes": {"scdv2": ["svm-scdv"]}}},
     "classification.recipes: 'scdv2' is not one of ['model', "),
    ({"classification": {"recipes": {"scdv": ["svm-pca"]}}},
     "classification.recipes.scdv[0] = 'svm-pca': 'svm-pca' does not match"),
    ({"classification": {"supervised": {"studies": ["modle"]}}},
     "classification.supervised.studies: 'modle' is not one of ['model', "),
    ({"data": {"datasets": {"20newsgroups": {"remove": ["signatures"]}}}},
     "data.datasets.20newsgroups.remove[0] = 'signatures' is not one of ['headers', 'footers', 'quotes']"),
    ({"training": {"min_count": 3}}, "training: Additional properties are not allowed ('min_count' was unexpected)"),
    ({"bogus": 1}, "(top level): Additional properties are not allowed ('bogus' was unexpected)"),
    ({"preset": "huge"}, "config.yaml: preset = 'huge' is not one of ['demo', 'full']"),
])
def test_a_wrong_value_names_the_key_and_the_allowed_values(override, message):
    with pytest.raises(W2VError) as info:
        load_config(CONFIG, override)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_study_dataset_must_be_one_of_the_configured_data_sets():
    raw = yaml.safe_load(CONFIG.read_text())
    raw["data"]["datasets"] = {"20newsgroups": {"source": "20newsgroups"}}
    with pytest.raises(W2VError, match=r"studies.model.datasets: '20newsgroups_stripped' is not one of "
                                       r"\['20newsgroups'\]"):
        resolve_config(raw)
    for study in raw["studies"].values():
        study["datasets"] = ["20newsgroups"]
    with pytest.raises(W2VError, match=r"reference.gensim.datasets: 'imdb' is not one of"):
        resolve_config(raw)


def test_unreadable_config_files(tmp_path):
    with pytest.raises(W2VError, match="configuration file not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [unclosed\n")
    with pytest.raises(W2VError, match=r"bad.yaml: not valid YAML at line 2"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(W2VError, match="must be a mapping"):
        load_config(listy)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(W2VError, match=r"preset = 'full' is not one of \[\]"):
        load_config(empty)


# --- names -------------------------------------------------------------------------

def test_run_name_worked_examples():
    base = {"model": "sg", "loss": "ns", "negative": 5, "dim": 100, "window": 5, "sample": 1e-4,
            "epochs": 5, "optimizer": "sgd", "lr": None, "ns_exponent": 0.75, "subsample": "word2vec",
            "cbow_sum": False, "min_count": 5, "max_vocab": None, "max_docs": None}
    assert run_name(base) == "sg-ns5-d100-w5-t0.0001-e5-sgd-mc5"
    assert run_name({**base, "loss": "hs"}) == "sg-hs-d100-w5-t0.0001-e5-sgd-mc5"
    assert run_name({**base, "loss": "softmax", "max_vocab": 10000, "max_docs": 3000}) == \
        "sg-softmax-d100-w5-t0.0001-e5-sgd-mc5-mv10000-md3000"
    assert run_name({**base, "model": "cbow", "cbow_sum": True, "sample": 0.0, "lr": 0.05}) == \
        "cbowsum-ns5-d100-w5-t0-e5-sgd-lr0.05-mc5"
    assert run_name({**base, "sample": 1e-5, "ns_exponent": 1.0, "subsample": "paper"}) == \
        "sg-ns5-d100-w5-t1e-05-e5-sgd-alpha1-subpaper-mc5"
    assert run_name({**base, "shared_negatives": True}) == "sg-ns5-d100-w5-t0.0001-e5-sgd-shneg-mc5"
    assert vocab_name(base) == "vocab-mc5"
    assert vocab_name({**base, "max_vocab": 2000}) == "vocab-mc5-mv2000"


# --- model points --------------------------------------------------------------------

def test_points_shared_by_studies_appear_once():
    cfg = small_config(
        model={"factor": "model", "levels": ["cbow", "sg"], "datasets": ["20newsgroups", "imdb"]},
        negative={"factor": "negative", "levels": [5, 10], "datasets": ["20newsgroups"]},
        variant={"factor": "variant", "levels": ["raw", "stem"], "datasets": ["20newsgroups"], "seeds": [1]},
    )
    points = model_points(cfg)
    # 20NG: cbow x2, sg (= baseline) x2, ns10 x2, stem x1; IMDb: cbow x2, sg x2  -> 11
    assert len(points) == 11
    dirs = [p["dir"] for p in points]
    assert len(set(dirs)) == 11
    base1 = next(p for p in points if p["dir"] == "results/20newsgroups/models/raw/sg-ns5-d100-w5-t0.0001-e5-sgd-mc5/seed1")
    assert base1["baseline"] is True
    assert [m["study"] for m in base1["studies"]] == ["model", "negative", "variant"]
    base2 = next(p for p in points if p["dir"].endswith("raw/sg-ns5-d100-w5-t0.0001-e5-sgd-mc5/seed2")
                 and p["dataset"] == "20newsgroups")
    assert [m["study"] for m in base2["studies"]] == ["model", "negative"]   # the variant study has seed 1 only
    stem = [p for p in points if p["variant"] == "stem"]
    assert len(stem) == 1 and stem[0]["baseline"] is False
    assert stem[0]["dir"] == "results/20newsgroups/models/stem/sg-ns5-d100-w5-t0.0001-e5-sgd-mc5/seed1"


def test_overrides_and_disabled_studies_and_the_full_grid():
    studies = dict(
        loss={"factor": "loss", "levels": ["softmax", "ns"], "datasets": ["20newsgroups"], "seeds": [1],
              "overrides": {"max_docs": 100, "max_vocab": 50}},
        dim={"factor": "dim", "levels": [100, 300], "datasets": ["20newsgroups"], "enabled": False},
    )
    points = model_points(small_config(**studies))
    assert [p["name"] for p in points] == ["sg-softmax-d100-w5-t0.0001-e5-sgd-mc5-mv50-md100",
                                           "sg-ns5-d100-w5-t0.0001-e5-sgd-mc5-mv50-md100"]
    assert [p["vocab"] for p in points] == ["vocab-mc5-mv50"] * 2
    assert not any(p["baseline"] for p in points)          # the slice differs from the baseline
    cfg = small_config(**studies)
    cfg["grid"] = "full"                                    # every data set, every seed
    full = model_points(cfg)
    assert len(full) == 2 * 3 * 2
    assert {p["dataset"] for p in full} == {"20newsgroups", "20newsgroups_stripped", "imdb"}


def test_tags_and_train_arguments():
    cfg = small_config(model={"factor": "model", "levels": ["cbow", "sg"], "datasets": ["imdb"], "seeds": [3]},
                       window={"factor": "window", "levels": [5], "datasets": ["imdb"], "seeds": [3]})
    cbow, sg = model_points(cfg)
    assert point_tags(cbow) == {"study": "model", "factor": "model", "level": "cbow", "dataset": "imdb",
                                "variant": "raw", "seed": "3", "studies": "model:cbow"}
    assert point_tags(sg)["study"] == "baseline"
    assert point_tags(sg)["studies"] == "model:sg;window:5"
    args = train_args(cbow)
    assert args[:8] == ["--model", "cbow", "--loss", "ns", "--negative", "5", "--dim", "100"]
    assert args[args.index("--sample") + 1] == "0.0001"
    assert args[args.index("--seed") + 1] == "3"
    assert "--lr" not in args and "--max-vocab" not in args and "--cbow-sum" not in args
    assert "--shared-negatives" not in args
    sg_args = train_args({**sg, "settings": {**sg["settings"], "shared_negatives": True, "lr": 0.01}})
    assert "--shared-negatives" in sg_args and sg_args[sg_args.index("--lr") + 1] == "0.01"
    assert "study=model" in args and "level=cbow" in args


def test_study_runs_list_the_baseline_once_per_study(tmp_path):
    cfg = small_config(model={"factor": "model", "levels": ["cbow", "sg"], "datasets": ["imdb"], "seeds": [1]},
                       window={"factor": "window", "levels": [2, 5], "datasets": ["imdb"], "seeds": [1]})
    results = str(tmp_path / "results")
    points = [{**p, "dir": str(tmp_path / p["dir"]), "classify": [str(tmp_path / p["dir"] / "classify-mlp-mean.json")]}
              for p in model_points(cfg)]
    for p in points:
        Path(p["dir"]).mkdir(parents=True)
        (Path(p["dir"]) / "train.json").write_text(json.dumps({"trainer": "w2v", "tags": point_tags(p),
                                                                 "config": {"dim": 100}}))
    base_dir = tmp_path / "results/imdb/baselines/raw/pretrained"
    base_dir.mkdir(parents=True)
    (base_dir / "classify.json").write_text(json.dumps({"status": "absent", "reason": "no file"}))
    lines, views = study_runs(points, results, baselines=[(str(base_dir), "imdb", "raw", "pretrained")])
    # cbow and window=2 by their own directory, the baseline twice (model:sg, window:5), the pretrained view
    assert len(lines) == 5
    sg = next(p for p in points if p["baseline"])
    view_model = f"{results}/views/imdb/raw/model-sg/seed1"
    view_window = f"{results}/views/imdb/raw/window-5/seed1"
    assert [view_model, f"{sg['dir']}/eval.json", f"{sg['dir']}/classify-mlp-mean.json"] in lines
    runs_file = tmp_path / "runs.txt"
    write_study_runs(lines, views, runs_file)
    written = json.loads((Path(view_window) / "train.json").read_text())
    assert written["tags"]["study"] == "window" and written["tags"]["level"] == "5"
    assert written["tags"]["factor"] == "window" and written["config"] == {"dim": 100}
    pre = json.loads((Path(results) / "views/imdb/raw/pretrained/train.json").read_text())
    assert pre == {"trainer": "pretrained", "tags": {"dataset": "imdb", "variant": "raw"},
                   "status": "absent", "reason": "no file"}
    rows = [line for line in runs_file.read_text().splitlines() if not line.startswith("#")]
    assert len(rows) == 5 and rows[0] == str(tmp_path / points[0]["dir"])
