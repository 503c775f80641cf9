# Shared definitions: paths, the model points of the studies, lookups and targets.

import re
import shlex

from w2v.data import SOURCES as DATA_SOURCES
from w2v.preprocess import variant_pattern

RESULTS = config["paths"]["results"]  # results root
LOGS = config["paths"]["logs"]  # logs root
BENCHMARKS = config["paths"]["benchmarks"]  # benchmarks root
DOWNLOADS = config["paths"]["downloads"]  # verified archives, one folder per source

DATASETS = list(config["data"]["datasets"])
BASE_VARIANT = config["preprocessing"]["variant"]
SHARDS = config["preprocessing"]["shards"]

# Every distinct model of the enabled studies (see w2v.config.model_points).
POINTS = w2vconfig.model_points(config)
POINT_BY_DIR = {p["dir"]: p for p in POINTS}


def vocab_settings(settings):
    """The vocabulary settings among a model's settings."""
    return {"min_count": settings["min_count"], "max_vocab": settings.get("max_vocab")}


# One ranking of the words per data set and variant, shared by every model evaluated there: the
# baseline vocabulary (corpus counts, then the word), so that w2v's and gensim's vectors, which
# break count ties in their own orders, are asked the same analogy questions.
RANKING_SETTINGS = vocab_settings(config["vocab"])
RANKING_VOCAB = w2vconfig.vocab_name(RANKING_SETTINGS)

# Every vocabulary directory name the workflow builds -> its settings. Names are only produced
# (w2v.config.vocab_name), never read back: the vocab rule looks its settings up here.
VOCAB_BY_DIR = {
    w2vconfig.vocab_name(s): s
    for s in [RANKING_SETTINGS] + [vocab_settings(p["settings"]) for p in POINTS]
}


wildcard_constraints:
    dataset="|".join(DATASETS),
    variant=variant_pattern(),
    name=r"[^/]+",
    seed=r"\d+",
    i=r"\d+",
    n=r"\d+",
    source=r"[A-Za-z0-9_.-]+",
    vocab="|".join(re.escape(name) for name in VOCAB_BY_DIR),
    kind="models|gensim",
    pooling="mean|tfidf|sif|swem|cluster|scdv",


def mirror_opt():
    """`--mirror DIR` when data.mirror is set (else w2v download uses $W2V_DATA_MIRROR)."""
    mirror = config["data"].get("mirror")
    return f"--mirror {shlex.quote(mirror)}" if mirror else ""


MIRROR_OPT = mirror_opt()


def source_of(dataset):
    return config["data"]["datasets"][dataset]["source"]


def reader_of(dataset):
    """The archive reader of a data set (`w2v extract`'s DATASET): its source's, e.g. 20newsgroups."""
    return DATA_SOURCES[source_of(dataset)].reader


def remove_opt(dataset):
    parts = config["data"]["datasets"][dataset].get("remove") or []
    return f"--remove {shlex.quote(','.join(parts))}" if parts else ""


def ranking_file(wc):
    return f"{RESULTS}/{wc.dataset}/vocab/{wc.variant}/{RANKING_VOCAB}/vocab.tsv"


def heldout_corpus(wc):
    """The held-out corpus of a model trained on a slice of the first documents (`max_docs`): the
    data set's last `evaluation.heldout.docs` documents; none for the other models."""
    if wc.kind != "models":
        return []
    if point_of(wc)["settings"].get("max_docs") is None:
        return []
    docs = config["evaluation"]["heldout"]["docs"]
    return f"{RESULTS}/{wc.dataset}/corpus/{wc.variant}.last{docs}.txt.gz"


def heldout_opts(wc, input):
    if not input.heldout:
        return ""
    pairs = config["evaluation"]["heldout"]["pairs"]
    return f"--heldout {shlex.quote(input.heldout)} --heldout-pairs {pairs}"


def point_of(wc):
    return POINT_BY_DIR[
        f"{RESULTS}/{wc.dataset}/models/{wc.variant}/{wc.name}/seed{wc.seed}"
    ]


def vocab_args(wc):
    """`w2v vocab` options of a vocabulary directory (its settings from the configuration), shell-quoted."""
    settings = VOCAB_BY_DIR[wc.vocab]
    args = ["--min-count", settings["min_count"]]
    if settings["max_vocab"] is not None:
        args += ["--max-vocab", settings["max_vocab"]]
    if config["vocab"].get("max_vocab_memory") is not None:
        args += ["--max-vocab-memory", config["vocab"]["max_vocab_memory"]]
    return " ".join(shlex.quote(str(a)) for a in args)


def train_params(wc):
    return " ".join(shlex.quote(a) for a in w2vconfig.train_args(point_of(wc)))


def train_vocab_dir(wc):
    p = point_of(wc)
    return f"{RESULTS}/{wc.dataset}/vocab/{wc.variant}/{p['vocab']}"


# --- the gensim reference -------------------------------------------------------
def gensim_enabled():
    ref = config["reference"]["gensim"]
    return ref["enabled"] and config["training"]["loss"] in ("ns", "hs")


def gensim_datasets():
    if not gensim_enabled():
        return []
    return list(config["reference"]["gensim"].get("datasets", DATASETS))


def gensim_points():
    """One gensim model per data set and seed, with the baseline settings and variant."""
    base = w2vconfig.model_points(
        {
            **config,
            "studies": {
                "reference": {
                    "factor": "model",
                    "levels": [config["training"]["model"]],
                    "datasets": gensim_datasets(),
                    "seeds": config["reference"]["gensim"].get(
                        "seeds", config["training"]["seeds"]
                    ),
                }
            },
        }
    )
    return [p for p in base if p["dataset"] in gensim_datasets()]


def gensim_dir(point):
    """The run directory of a gensim point: beside our models, under gensim/ instead of models/."""
    return f"{RESULTS}/{point['dataset']}/gensim/{point['variant']}/{point['name']}/seed{point['seed']}"


GENSIM_POINTS = gensim_points()
GENSIM_BY_DIR = {gensim_dir(p): p for p in GENSIM_POINTS}


def gensim_args(point):
    """train_gensim.py options for a gensim point (the baseline settings and the seed), shell-quoted."""
    s = point["settings"]
    args = [
        "--model",
        s["model"],
        "--loss",
        s["loss"],
        "--dim",
        s["dim"],
        "--window",
        s["window"],
        "--negative",
        s["negative"],
        "--sample",
        s["sample"],
        "--epochs",
        s["epochs"],
        "--min-count",
        s["min_count"],
        "--seed",
        point["seed"],
    ]
    if s.get("lr") is not None:
        args += ["--alpha", s["lr"]]
    return " ".join(shlex.quote(str(a)) for a in args)


def gensim_point_of(wc):
    return GENSIM_BY_DIR[
        f"{RESULTS}/{wc.dataset}/gensim/{wc.variant}/{wc.name}/seed{wc.seed}"
    ]


# --- targets --------------------------------------------------------------------
def model_dirs():
    """Run directories of every trained model (ours, then gensim's)."""
    return [p["dir"] for p in POINTS] + list(GENSIM_BY_DIR)


def classify_outputs(run_dir, point, extra=True):
    """classify JSONs of one model: the study pooling, plus the extra poolings on the first-seed baseline,
    the recipes of its studies (`classification.recipes`) and the supervised model (`classification.supervised`).

    In the default grid only the baseline and the models of `classification.studies` get the study pooling.
    """
    cls = config["classification"]
    studies = cls.get("studies")
    member_of = {m["study"] for m in point["studies"]}
    out = []
    if (
        config["grid"] == "full"
        or studies is None
        or point.get("baseline")
        or member_of & set(studies)
    ):
        poolings = [cls["pooling"]]
        if (
            extra
            and point.get("baseline")
            and point["seed"] == config["training"]["seeds"][0]
        ):
            poolings += [x for x in cls["baseline_poolings"] if x not in poolings]
        out += [f"{run_dir}/classify-mlp-{pool}.json" for pool in poolings]
    if extra:
        for study, specs in (cls.get("recipes") or {}).items():
            if study in member_of:
                out += [f"{run_dir}/classify-{spec}.json" for spec in specs]
    supervised = cls.get("supervised") or {}
    if (
        extra
        and supervised.get("enabled")
        and (point.get("baseline") or member_of & set(supervised.get("studies", [])))
        and point["seed"] in supervised.get("seeds", [])
    ):
        out.append(f"{run_dir}/classify-supervised.json")
    return list(dict.fromkeys(out))


def classify_baselines(dataset):
    """Baseline classifiers of a data set (on the baseline variant): directory -> method."""
    out = {}
    base = f"{RESULTS}/{dataset}/baselines/{BASE_VARIANT}"
    for method in config["classification"]["baselines"]:
        if method == "random":
            out[f"{base}/random-d{config['training']['dim']}"] = method
        elif method == "supervised_random":
            out[f"{base}/supervised-random-d{config['training']['dim']}"] = method
        else:
            out[f"{base}/{method}"] = method
    if config["classification"]["pretrained"]["enabled"]:
        out[f"{base}/pretrained"] = "pretrained"
    return out


def model_outputs():
    """eval.json and classify JSONs of every model."""
    out = []
    for p in POINTS:
        out += [f"{p['dir']}/eval.json"] + classify_outputs(p["dir"], p)
    for d, p in GENSIM_BY_DIR.items():
        out += [f"{d}/eval.json"] + classify_outputs(d, p, extra=False)
    return out


def baseline_outputs():
    return [f"{d}/classify.json" for ds in DATASETS for d in classify_baselines(ds)]


def map_targets():
    """Word maps of the first baseline model of each data set."""
    out = []
    maps = config["evaluation"]["maps"]
    for ds in DATASETS:
        base = [p for p in POINTS if p["dataset"] == ds and p["baseline"]]
        if not base:
            continue
        for name in maps["sets"]:
            for method in maps["methods"]:
                out.append(f"{RESULTS}/figures/maps/{ds}-{name}-{method}.png")
    return out


def map_model_dir(dataset):
    return [p for p in POINTS if p["dataset"] == dataset and p["baseline"]][0]["dir"]


def map_args(wc):
    """`w2v plot map` options of a word map: method, title and the word set (shell-quoted)."""
    spec = config["evaluation"]["maps"]["sets"][wc.mapset]
    args = f"--method {wc.method} --title {shlex.quote(f'{wc.dataset}: {wc.mapset} ({wc.method})')}"
    if spec.get("section"):
        args += f" --section {shlex.quote(spec['section'])}"
    if spec.get("words"):
        args += f" --words {shlex.quote(','.join(spec['words']))}"
    return args


def all_targets():
    """Everything `snakemake` builds by default: models, evaluations, classifiers, report files."""
    tables = [
        f"{RESULTS}/tables/{ds}-neighbours.{ext}"
        for ds in DATASETS
        if any(p["dataset"] == ds and p["baseline"] for p in POINTS)
        for ext in ("csv", "html")
    ]
    return (
        model_outputs()
        + baseline_outputs()
        + map_targets()
        + tables
        + [
            f"{RESULTS}/summary.csv",
            f"{RESULTS}/summary.md",
            f"{RESULTS}/summary.html",
            f"{RESULTS}/figures/study",
        ]
    )


# --- the runs list of the summary ------------------------------------------------
def runs_inputs():
    return (
        model_outputs() + baseline_outputs() + [f"{d}/train.json" for d in model_dirs()]
    )


def baseline_specs():
    """(directory, data set, variant, method) of every baseline classifier."""
    return [
        (d, ds, BASE_VARIANT, method)
        for ds in DATASETS
        for d, method in classify_baselines(ds).items()
    ]


def write_runs_list(runs_file, views_dir, log_file):
    """The runs list and its views (w2v.config.study_runs) of every model and baseline classifier."""
    points = [{**p, "classify": classify_outputs(p["dir"], p)} for p in POINTS]
    gensim = [
        {**p, "dir": d, "classify": classify_outputs(d, p, extra=False)}
        for d, p in GENSIM_BY_DIR.items()
    ]
    lines, views = w2vconfig.study_runs(points, RESULTS, gensim, baseline_specs())
    w2vconfig.write_study_runs(lines, views, runs_file)
    Path(views_dir).mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as fh:
        print(f"{len(lines)} runs, {len(views)} views", file=fh)
