# Shared definitions: paths, the model points of the studies, lookups and targets.

import re
import shlex

R = config["paths"]["results"]  # results root
L = config["paths"]["logs"]  # logs root
B = config["paths"]["benchmarks"]  # benchmarks root
DL = config["paths"]["downloads"]  # verified archives, one folder per source

DATASETS = list(config["data"]["datasets"])
BASE_VARIANT = config["preprocessing"]["variant"]
SHARDS = config["preprocessing"]["shards"]

# Every distinct model of the enabled studies (see w2v.config.model_points).
POINTS = w2vconfig.model_points(config)
POINT_BY_DIR = {p["dir"]: p for p in POINTS}

wildcard_constraints:
    dataset="|".join(DATASETS),
    variant=r"(raw|stem|lemma)(\+nostop)?(\+num)?(\+ner)?",
    name=r"[^/]+",
    seed=r"\d+",
    i=r"\d+",
    n=r"\d+",
    source=r"[A-Za-z0-9_.-]+",
    vocab=r"vocab-mc\d+(-mv\d+)?",
    kind="models|gensim",
    pooling="mean|tfidf|sif|swem|cluster|scdv",


def mirror_opt():
    """`--mirror DIR` when data.mirror is set (else w2v download uses $W2V_DATA_MIRROR)."""
    mirror = config["data"].get("mirror")
    return f"--mirror {shlex.quote(mirror)}" if mirror else ""


MIRROR_OPT = mirror_opt()


def source_of(dataset):
    return config["data"]["datasets"][dataset]["source"]


def remove_opt(dataset):
    parts = config["data"]["datasets"][dataset].get("remove") or []
    return f"--remove {shlex.quote(','.join(parts))}" if parts else ""


# One ranking of the words per data set and variant, shared by every model evaluated there: the
# baseline vocabulary (corpus counts, then the word), so that w2v's and gensim's vectors, which
# break count ties in their own orders, are asked the same analogy questions.
RANKING_VOCAB = w2vconfig.vocab_name(
    {"min_count": config["vocab"]["min_count"], "max_vocab": config["vocab"].get("max_vocab")}
)


def ranking_file(wc):
    return f"{R}/{wc.dataset}/vocab/{wc.variant}/{RANKING_VOCAB}/vocab.tsv"


def point_of(wc):
    return POINT_BY_DIR[f"{R}/{wc.dataset}/models/{wc.variant}/{wc.name}/seed{wc.seed}"]


def vocab_settings(wc):
    """min_count / max_vocab parsed back from a vocabulary directory name."""
    m = re.fullmatch(r"vocab-mc(\d+)(?:-mv(\d+))?", wc.vocab)
    return f"--min-count {m.group(1)}" + (f" --max-vocab {m.group(2)}" if m.group(2) else "")


def train_params(wc):
    return " ".join(shlex.quote(a) for a in w2vconfig.train_args(point_of(wc)))


def train_vocab_dir(wc):
    p = point_of(wc)
    return f"{R}/{wc.dataset}/vocab/{wc.variant}/{p['vocab']}"


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
    base = w2vconfig.model_points({**config, "studies": {"reference": {
        "factor": "model", "levels": [config["training"]["model"]], "datasets": gensim_datasets(),
        "seeds": config["reference"]["gensim"].get("seeds", config["training"]["seeds"])}}})
    return [p for p in base if p["dataset"] in gensim_datasets()]


GENSIM_POINTS = gensim_points()
GENSIM_BY_DIR = {p["dir"].replace("/models/", "/gensim/", 1): p for p in GENSIM_POINTS}


def gensim_args(point):
    """train_gensim.py options for a gensim point (the baseline settings and the seed), shell-quoted."""
    s = point["settings"]
    args = ["--model", s["model"], "--loss", s["loss"], "--dim", s["dim"], "--window", s["window"],
            "--negative", s["negative"], "--sample", s["sample"], "--epochs", s["epochs"],
            "--min-count", s["min_count"], "--seed", point["seed"]]
    if s.get("lr") is not None:
        args += ["--alpha", s["lr"]]
    return " ".join(shlex.quote(str(a)) for a in args)


def gensim_point_of(wc):
    return GENSIM_BY_DIR[f"{R}/{wc.dataset}/gensim/{wc.variant}/{wc.name}/seed{wc.seed}"]


# --- targets --------------------------------------------------------------------
def model_dirs():
    """Run directories of every trained model (ours, then gensim's)."""
    return [p["dir"] for p in POINTS] + list(GENSIM_BY_DIR)


def classify_outputs(run_dir, point, extra=True):
    """classify JSONs of one model: the study pooling, plus the extra poolings on the first-seed baseline.

    In the default grid only the baseline and the models of `classification.studies` are classified.
    """
    cls = config["classification"]
    studies = cls.get("studies")
    if (config["grid"] != "full" and studies is not None and not point.get("baseline")
            and not any(m["study"] in studies for m in point["studies"])):
        return []
    poolings = [cls["pooling"]]
    if extra and point.get("baseline") and point["seed"] == config["training"]["seeds"][0]:
        poolings += [x for x in cls["baseline_poolings"] if x not in poolings]
    return [f"{run_dir}/classify-mlp-{pool}.json" for pool in poolings]


def classify_baselines(dataset):
    """Baseline classifier directories of a data set (on the baseline variant)."""
    out = []
    base = f"{R}/{dataset}/baselines/{BASE_VARIANT}"
    for method in config["classification"]["baselines"]:
        if method == "random":
            out.append(f"{base}/random-d{config['training']['dim']}")
        else:
            out.append(f"{base}/{method}")
    if config["classification"]["pretrained"]["enabled"]:
        out.append(f"{base}/pretrained")
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
                out.append(f"{R}/figures/maps/{ds}-{name}-{method}.png")
    return out


def map_model_dir(dataset):
    return [p for p in POINTS if p["dataset"] == dataset and p["baseline"]][0]["dir"]


def all_targets():
    """Everything `snakemake` builds by default: models, evaluations, classifiers, report files."""
    tables = [f"{R}/tables/{ds}-neighbours.csv" for ds in DATASETS
              if any(p["dataset"] == ds and p["baseline"] for p in POINTS)]
    return (model_outputs() + baseline_outputs() + map_targets() + tables
            + [f"{R}/summary.csv", f"{R}/summary.md", f"{R}/figures/study"])
