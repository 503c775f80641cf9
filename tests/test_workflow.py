"""The Snakemake workflow: dry runs of the full study, the demo end to end, caching and reruns.

Every test runs snakemake as a subprocess in a copy of the workflow files in a
temporary folder, so nothing is written into the repository's results/.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from w2v.config import load_config, model_points, vocab_name
from w2v.documents import iter_documents
from w2v.errors import W2VError
from w2v.preprocess import FLAGS, MORPHS, Variant

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "data"     # ../shared/data, beside the repository
COPIED = ["Snakefile", "config.yaml", "workflow", "data/sample", "data/benchmarks"]


def copy_workflow(dest: Path) -> Path:
    """Copy the workflow files (not results/ or logs/) into ``dest``."""
    for name in COPIED:
        src = REPO / name
        assert src.exists(), f"{src} is missing: the workflow needs it"
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir``; return the finished process (stdout and stderr merged)."""
    full_env = {k: v for k, v in os.environ.items() if k != "W2V_DATA_MIRROR"}
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    return subprocess.run(cmd, cwd=workdir, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout)


def job_counts(output: str) -> dict[str, int]:
    """The "Job stats" table of a snakemake run: rule -> number of jobs."""
    counts: dict[str, int] = {}
    table = output.split("Job stats:", 1)[1] if "Job stats:" in output else ""
    for line in table.splitlines()[3:]:
        m = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if not m:
            break
        if m.group(1) != "total":
            counts[m.group(1)] = int(m.group(2))
    return counts


def planned_outputs(output: str) -> list[str]:
    """Every output file a dry run plans to write."""
    files = []
    for m in re.finditer(r"^\s+output: (.+)$", output, flags=re.M):
        files += [f.strip() for f in m.group(1).split(",")]
    return files


# --- dry runs (fast) -----------------------------------------------------------------

def test_dry_run_of_the_full_default_study_with_the_mirror(tmp_path):
    work = copy_workflow(tmp_path)
    proc = snakemake(work, "--dry-run", env={"W2V_DATA_MIRROR": str(MIRROR)})
    assert proc.returncode == 0, proc.stdout[-3000:]
    counts = job_counts(proc.stdout)
    cfg = load_config(REPO / "config.yaml")
    points = model_points(cfg)
    assert counts["train"] == len(points)
    assert counts["download"] == 3                      # 20newsgroups, imdb, questions-words
    assert counts["extract"] == len(cfg["data"]["datasets"]) == 3  # 20NG as distributed and stripped, IMDb
    variants = {(p["dataset"], p["variant"]) for p in points}
    shards = cfg["preprocessing"]["shards"]
    assert counts["merge_shards"] == len(variants)
    assert counts["prepare_shard"] == shards * counts["merge_shards"]
    gensim = len(cfg["reference"]["gensim"]["datasets"]) * len(cfg["reference"]["gensim"]["seeds"])
    assert counts["train_gensim"] == gensim
    assert counts["evaluate"] == len(points) + gensim
    assert counts["summarize"] == counts["summary_markdown"] == counts["study_figures"] == 1
    outputs = planned_outputs(proc.stdout)
    assert "results/summary.csv" in outputs and "results/summary.md" in outputs
    assert "data/downloads/imdb" in outputs
    assert not any(o.startswith("results/demo") for o in outputs)


def test_a_wrong_setting_stops_the_run_with_one_clear_line(tmp_path):
    work = copy_workflow(tmp_path)
    proc = snakemake(work, "--dry-run", "--config", "training={loss: foo}")
    assert proc.returncode != 0
    assert ("--config: training.loss = 'foo' is not one of ['softmax', 'hs', 'ns', 'nce', 'sampled']"
            in proc.stdout)
    assert "Job stats" not in proc.stdout


def test_dry_run_of_the_demo_plans_every_stage(tmp_path):
    work = copy_workflow(tmp_path)
    proc = snakemake(work, "--dry-run", "--config", "preset=demo")
    assert proc.returncode == 0, proc.stdout[-3000:]
    counts = job_counts(proc.stdout)
    for rule in ("download", "analogies", "extract", "prepare_shard", "merge_shards", "vocab", "train",
                 "train_gensim", "evaluate", "classify_model", "classify_tfidf", "classify_random",
                 "classify_pretrained", "word_map", "neighbour_table", "runs_list", "summarize",
                 "study_figures", "summary_markdown"):
        assert counts.get(rule, 0) >= 1, rule
    outputs = planned_outputs(proc.stdout)
    assert all(o.startswith(("results/demo/", "data/downloads/")) for o in outputs), outputs


def test_a_vocabulary_takes_its_settings_from_the_configuration_not_its_name(tmp_path):
    work = copy_workflow(tmp_path)
    cfg = load_config(REPO / "config.yaml", {"preset": "demo"})
    proc = snakemake(work, "--dry-run", "--printshellcmds", "--config", "preset=demo")
    assert proc.returncode == 0, proc.stdout[-3000:]
    commands = re.findall(r"\bw2v vocab \S+ --out (\S+) (.*?) --quiet", proc.stdout)
    planned = {Path(out).name: args for out, args in commands}
    for point in model_points(cfg):
        settings = point["settings"]
        expected = f"--min-count {settings['min_count']}"
        if settings["max_vocab"] is not None:
            expected += f" --max-vocab {settings['max_vocab']}"
        assert planned[point["vocab"]] == expected, (point["vocab"], planned)
    # A directory named like a vocabulary that the configuration does not produce is not
    # read back into settings: no rule builds it.
    assert vocab_name({"min_count": 7}) not in planned
    proc = snakemake(work, "--dry-run", "results/demo/20newsgroups/vocab/raw/vocab-mc7/vocab.tsv",
                     "--config", "preset=demo")
    assert proc.returncode != 0
    assert "MissingRuleException" in proc.stdout
    assert "results/demo/20newsgroups/vocab/raw/vocab-mc7/vocab.tsv" in proc.stdout
    assert "Job stats" not in proc.stdout


def test_the_variant_grammar_is_declared_once():
    from w2v.preprocess import variant_pattern

    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["$defs"]["variant"]["pattern"] == f"^{variant_pattern()}$"
    # Variant.parse accepts exactly the names the pattern matches: every morphology (and a
    # wrong one) with every sequence of up to four flags (repeated, out of order, unknown, empty).
    morphs, parts = [*MORPHS, "Raw"], [*FLAGS, "digits", ""]
    names = [" raw", "raw "] + morphs
    for n in range(1, 5):
        names += ["+".join([m, *flags]) for m in morphs for flags in itertools.product(parts, repeat=n)]
    accepted = set()
    for name in names:
        matched = re.fullmatch(variant_pattern(), name) is not None
        try:
            parsed = str(Variant.parse(name))
        except W2VError:
            parsed = None
        assert (parsed is not None) == matched, name
        if parsed is not None:
            assert parsed == name
            accepted.add(name)
    assert len(accepted) == len(MORPHS) * 2 ** len(FLAGS)
    assert "lemma+nostop+num+ner" in accepted and "raw+num+nostop" not in accepted


# The lints `snakemake --lint` may report, each justified in a comment where it arises: no rule
# names a conda environment or container (the Snakefile's header: one pip environment from
# requirements/*.lock), and the download rule's shell command reads MIRROR_OPT, which is not a
# param on purpose (workflow/rules/data.smk).
JUSTIFIED_LINTS = {
    "Specify a conda environment or container for each rule.": re.compile(r"rule \w+ \("),
    "Shell command directly uses variable MIRROR_OPT from outside of the rule": re.compile(r"rule download \("),
}


def lints(output: str) -> list[tuple[str, str]]:
    """(linted item, lint title) of every lint in `snakemake --lint`'s text output."""
    found, item = [], None
    for line in output.splitlines():
        if m := re.fullmatch(r"Lints for (.+):", line):
            item = m.group(1)
        elif m := re.fullmatch(r"    \* (.+):", line):
            found.append((item, m.group(1)))
    return found


@pytest.mark.parametrize("config", [[], ["--config", "preset=demo"]], ids=["default", "demo"])
def test_lint_reports_only_the_justified_lints(tmp_path, config):
    work = copy_workflow(tmp_path)
    proc = snakemake(work, "--lint", *config)
    found = lints(proc.stdout)
    assert found, proc.stdout[-3000:]             # the linter ran (every rule lacks a conda env)
    unjustified = [(item, title) for item, title in found
                   if not (title in JUSTIFIED_LINTS and JUSTIFIED_LINTS[title].match(item))]
    assert not unjustified, "\n".join(f"{item}: {title}" for item, title in unjustified)


def test_the_workflow_files_are_formatted_with_snakefmt():
    snakefmt = shutil.which("snakefmt")
    if snakefmt is None:
        pytest.skip("snakefmt is not installed (it comes with the dev extra)")
    proc = subprocess.run([snakefmt, "--check", "--compact-diff", "."], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


# --- the demo end to end (one run shared by the checks) ------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo preset run once, end to end, in a copy of the workflow."""
    work = copy_workflow(tmp_path_factory.mktemp("demo"))
    proc = snakemake(work, "--config", "preset=demo", timeout=1500)
    assert proc.returncode == 0, proc.stdout[-5000:]
    return work, proc


def test_demo_runs_every_stage(demo):
    work, _ = demo
    res = work / "results" / "demo"
    cfg = load_config(work / "config.yaml", {"preset": "demo"})
    points = model_points(cfg)
    for p in points:
        run = work / p["dir"]
        info = json.loads((run / "train.json").read_text())
        assert info["tags"]["dataset"] == p["dataset"] and info["tags"]["seed"] == str(p["seed"])
        assert info["config"]["loss"] == p["settings"]["loss"]
        assert (run / "vectors.bin").stat().st_size > 0
        assert json.loads((run / "eval.json").read_text())
        assert list(run.glob("classify-mlp-*.json"))
    assert {json.loads((work / p["dir"] / "train.json").read_text())["config"]["loss"] for p in points} == \
        {"softmax", "hs", "ns", "nce", "sampled"}
    recipe = [p for p in points if any(m["study"] == "scdv" for m in p["studies"])]
    assert recipe and all(p["settings"]["window"] == 10 and p["vocab"] == "vocab-mc2" for p in recipe)
    for p in recipe:  # SCDV's own classifier next to the MLP on the recipe's vectors
        svm = json.loads((work / p["dir"] / "classify-svm-scdv.json").read_text())
        assert svm["method"] == "svm" and svm["settings"]["covariance"] == "tied" and svm["peak_rss_mb"] > 0
        assert (work / p["dir"] / "classify-mlp-scdv.json").exists()
    base = res / "20newsgroups_stripped" / "baselines" / "raw"
    for name, ngrams in (("tfidf_logreg", 1), ("tfidf_svm", 1), ("tfidf_logreg_bigrams", 2), ("tfidf_svm_bigrams", 2)):
        r = json.loads((base / name / "classify.json").read_text())
        assert r["method"] == name.removesuffix("_bigrams") and r["settings"]["ngrams"] == ngrams
    # the same posts without headers, footers and quotes
    as_given, stripped = ([d["text"] for d in iter_documents(res / ds / "documents.jsonl.gz")]
                          for ds in ("20newsgroups", "20newsgroups_stripped"))
    assert len(as_given) == len(stripped) and sum(map(len, stripped)) < sum(map(len, as_given))
    # (a body may itself start with a forwarded header: 2 of the sample's 360 posts)
    assert sum(t.startswith("From:") for t in as_given) > len(as_given) / 2
    assert sum(t.startswith("From:") for t in stripped) < len(stripped) / 50
    summary = (res / "summary.csv").read_text().splitlines()
    assert len(summary) > len(points)                     # + views of the baseline, gensim, baselines
    assert (res / "summary.md").stat().st_size > 0
    assert list((res / "figures" / "study").glob("*.png"))
    assert len(list((res / "figures" / "maps").glob("*.png"))) == 12
    logs = work / "logs" / "demo"
    assert (logs / "20newsgroups" / "extract.log").exists()
    assert list((work / "benchmarks" / "demo").rglob("*.tsv"))
    assert not list(res.rglob("*.shard*")), "prepared shards are temporary"


def test_second_run_has_nothing_to_do(demo):
    work, _ = demo
    proc = snakemake(work, "--config", "preset=demo")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Nothing to be done" in proc.stdout


def test_changing_a_preprocessing_option_reruns_only_what_depends_on_it(demo):
    work, _ = demo
    proc = snakemake(work, "--dry-run", "--config", "preset=demo",
                     "data={datasets: {20newsgroups: {remove: [headers]}}}")
    assert proc.returncode == 0, proc.stdout[-3000:]
    outputs = planned_outputs(proc.stdout)
    assert "results/demo/20newsgroups/documents.jsonl.gz" in outputs
    assert any(o.startswith("results/demo/20newsgroups/models/") for o in outputs)
    assert not any("/imdb/" in o for o in outputs), [o for o in outputs if "/imdb/" in o]
    assert not any(o.startswith("data/downloads") for o in outputs)
    counts = job_counts(proc.stdout)
    assert counts["extract"] == 1
    assert "train" in counts and counts["train"] == sum(
        1 for p in model_points(load_config(work / "config.yaml", {"preset": "demo"}))
        if p["dataset"] == "20newsgroups")


def test_the_html_report_is_self_contained(demo):
    work, _ = demo
    out = work / "results" / "demo" / "report.html"
    proc = snakemake(work, "--config", "preset=demo", "--report", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:]
    html = out.read_text(errors="replace")
    assert "summary.csv" in html and "Word maps" in html
