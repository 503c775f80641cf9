"""The demo workflow on a real one-node SLURM cluster: same results as a local run, and recovery.

A module-scoped fixture starts a SLURM cluster on localhost
(``tests/slurm_cluster.py``; the binaries come from ``.ci/install-slurm.sh``).
The repository's files are copied once (a frozen snapshot, see ``job_env``)
and from there into two run directories: one runs the demo preset's models of
20 Newsgroups (every model family but full softmax, seed 1, with the stages
before training) locally with ``--cores 2``, the other through SLURM with
``workflow/profiles/slurm``.  During the SLURM run one training job
is cancelled (``scancel``) while its ``w2v train`` process runs; snakemake
reports it failed, and running the same command again finishes the study
without touching the outputs of jobs that had finished before.  At the end
the SLURM outputs must equal the local ones (vectors byte-identical).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from slurm_cluster import (
    INSTALL_HINT,
    PARTITION,
    ClusterError,
    LocalSlurmCluster,
    interrupt_on_sigterm,
    missing_binaries,
    render_config,
    running_slurm_daemons,
)

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
DEMO = ["--config", "preset=demo"]
DATASET = "20newsgroups"          # the demo's models of this data set and the base variant
TRAIN_RULE = "train"              # the rule whose job gets cancelled
LOCAL_TIMEOUT_S = 240
SLURM_TIMEOUT_S = 300
SLURM_ARGS = [
    "--executor", "slurm", "--profile", "workflow/profiles/slurm",
    "--slurm-status-command", "squeue",   # no accounting database here
    "--slurm-no-account",
    "--max-threads", "2",                 # the test node has 2 CPUs
    # poll often: the demo's jobs take seconds, not hours
    "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2",
]
# Numbers that measure time or speed differ between two runs of the same job, and so does
# whether a job built the compiled kernels or found them built (train.json "kernels").
TIMING_KEY = re.compile(r"seconds|per_sec|(^|_)(time|wall|elapsed|date|duration|speed|rss)|_s$|^kernels$",
                        re.IGNORECASE)
BYTE_EQUAL_SUFFIXES = (".bin", ".gz", ".tsv", ".npy", ".txt", ".vec")
TEMPORARY = re.compile(r"^\..+\.tmp$")   # w2v.io's name for a file being written


# -- helpers ------------------------------------------------------------------
def copy_workflow(dst: Path) -> Path:
    """Copy the repository's files (tracked and untracked, not ignored; no tests/) to ``dst``."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                         capture_output=True, check=True).stdout.decode()
    for rel in filter(None, out.split("\0")):
        src = REPO / rel
        if rel.startswith("tests/") or not src.is_file():
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    assert (dst / "Snakefile").is_file(), f"{REPO}: no Snakefile to run"
    return dst


def demo_targets(workdir: Path) -> list[str]:
    """The vectors of the demo models of DATASET, base variant, seed 1 (every model family but softmax).

    Running these targets rather than the whole demo keeps the test within a few
    minutes: SLURM adds seconds per job, and the evaluation and report stages
    add nothing to what this test checks.
    """
    from w2v import config as w2vconfig

    cfg = w2vconfig.load_config(workdir / "config.yaml", overrides={"preset": "demo"})
    variant = cfg["preprocessing"]["variant"]
    # Seed 1 only, and no full softmax: it costs more than all the other demo models together.
    points = [p for p in w2vconfig.model_points(cfg) if p["dataset"] == DATASET and p["seed"] == 1
              and p["variant"] == variant and p["settings"]["loss"] != "softmax"]
    assert points, f"the demo preset has no {DATASET}/{variant} model"
    return [f"{p['dir']}/vectors.bin" for p in points]


def snakemake_cmd(args: list[str], timeout_s: int) -> list[str]:
    """The snakemake command line, bounded with ``timeout -k``."""
    return ["timeout", "-k", "10", str(timeout_s), sys.executable, "-m", "snakemake", *args]


def run_snakemake(workdir: Path, args: list[str], timeout_s: int) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir``; return the finished process (stdout+stderr in ``.stdout``)."""
    return subprocess.run(snakemake_cmd(args, timeout_s), cwd=workdir, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=job_env(workdir),
                          check=False)


def job_env(workdir: Path) -> dict[str, str]:
    """The environment of a run: ``w2v`` imported from the snapshot next to ``workdir``.

    Both runs (and every SLURM job, which inherits it) use one frozen copy of
    the package, so an edit of the repository during the test cannot make them
    differ, and Numba compiles the kernels once into that copy's cache.
    """
    env = dict(os.environ)
    env.pop("SLURM_CONF", None)
    src = str(workdir.parent / "snapshot" / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def file_state(root: Path) -> dict[str, tuple[str, int]]:
    """``{relative path: (sha256, mtime_ns)}`` of every file under ``root/results`` (not temporaries)."""
    state = {}
    for path in sorted((root / "results").rglob("*")):
        if path.is_file() and not TEMPORARY.match(path.name):
            state[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                  path.stat().st_mtime_ns)
    return state


def temporaries(root: Path) -> list[str]:
    """Temporary files (``.NAME.XXXX.tmp``) left under ``root/results``."""
    return sorted(str(p.relative_to(root)) for p in (root / "results").rglob(".*.tmp"))


def _normalise(obj, roots: tuple[str, ...]):
    """Drop timing values and make paths relative, so two runs of one job compare equal."""
    if isinstance(obj, dict):
        return {k: _normalise(v, roots) for k, v in obj.items() if not TIMING_KEY.search(str(k))}
    if isinstance(obj, list):
        return [_normalise(v, roots) for v in obj]
    if isinstance(obj, str):
        for root in roots:
            obj = obj.replace(root, "<root>")
        return obj
    if isinstance(obj, float) and math.isnan(obj):
        return "nan"
    return obj


def same_content(a: Path, b: Path, roots: tuple[str, ...]) -> str | None:
    """Compare two output files of the same job; return a description of the difference or None.

    Vectors, corpora, vocabularies and arrays must be byte-identical; npz arrays
    equal; JSON and CSV equal once timings are dropped; other files (figures,
    HTML, Markdown) only have to exist.
    """
    name = a.name
    if name.endswith(BYTE_EQUAL_SUFFIXES):
        return None if a.read_bytes() == b.read_bytes() else "bytes differ"
    if name.endswith(".npz"):
        with np.load(a) as za, np.load(b) as zb:
            if sorted(za.files) != sorted(zb.files):
                return f"arrays {sorted(za.files)} != {sorted(zb.files)}"
            bad = [k for k in za.files if not np.array_equal(za[k], zb[k])]
            return f"arrays differ: {bad}" if bad else None
    if name.endswith(".json"):
        ja, jb = (_normalise(json.loads(p.read_text()), roots) for p in (a, b))
        if name == "manifest.json":  # train.json's size and sha256 cover its timings
            for j in (ja, jb):
                j.get("files", {}).pop("train.json", None)
        return None if ja == jb else "JSON differs (timings ignored)"
    if name.endswith(".csv"):
        da, db = (pd.read_csv(p) for p in (a, b))
        keep = [c for c in da.columns if not TIMING_KEY.search(str(c))]
        if list(da.columns) != list(db.columns):
            return "CSV columns differ"
        da, db = (_normalise(d[keep].to_dict("records"), roots) for d in (da, db))
        return None if da == db else "CSV rows differ (timings ignored)"
    return None


def compare_results(reference: Path, other: Path, rels) -> list[str]:
    """Differences between ``other`` and ``reference`` for the relative paths ``rels``."""
    roots = (str(reference), str(other))
    problems = []
    for rel in sorted(rels):
        if not (reference / rel).is_file():
            problems.append(f"{rel}: not produced by the local run")
        elif not (other / rel).is_file():
            problems.append(f"{rel}: missing")
        else:
            diff = same_content(reference / rel, other / rel, roots)
            if diff:
                problems.append(f"{rel}: {diff}")
    return problems


def w2v_train_running_in(workdir: Path) -> bool:
    """Whether a ``w2v train`` process runs with its working directory inside ``workdir``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in argv]
        if "train" in words[:4] and any(w.endswith("w2v") or w == "w2v.cli" for w in words[:3]) \
                and Path(cwd).is_relative_to(workdir):
            return True
    return False


def killed_outputs(log: str, rule: str) -> list[str]:
    """The ``output:`` paths of the failed job of ``rule`` in snakemake's log."""
    match = re.search(rf"Error in rule {re.escape(rule)}:\n(?:.*\n)*?\s+output: (.+)", log)
    assert match, f"no 'Error in rule {rule}' with an output line in the log:\n{tail(log)}"
    return [p.strip() for p in match.group(1).split(",")]


# -- fixtures -----------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A running one-node SLURM cluster (fails, not skips, when SLURM is not installed)."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"SLURM binaries missing ({', '.join(missing)}): {INSTALL_HINT}")
    try:
        instance = LocalSlurmCluster(tmp_path_factory.mktemp("slurm-state")).start()
    except ClusterError as exc:
        pytest.fail(str(exc))
    previous = signal.signal(signal.SIGTERM, interrupt_on_sigterm)   # a killed run still stops it
    try:
        yield instance
    finally:
        instance.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """A frozen copy of the repository files; each run works in a copy of it (see job_env)."""
    root = tmp_path_factory.mktemp("runs")
    copy_workflow(root / "snapshot")
    return root / "snapshot"


def run_dir(snapshot: Path, name: str) -> Path:
    """A fresh copy of the snapshot next to it, for one run."""
    return Path(shutil.copytree(snapshot, snapshot.parent / name, symlinks=True,
                                ignore=shutil.ignore_patterns("__pycache__")))


@pytest.fixture(scope="module")
def local_run(snapshot) -> Path:
    """The demo targets run locally with 2 cores; returns its directory."""
    workdir = run_dir(snapshot, "local")
    proc = run_snakemake(workdir, ["--cores", "2", *demo_targets(workdir), *DEMO], LOCAL_TIMEOUT_S)
    assert proc.returncode == 0, f"local demo run failed ({proc.returncode}):\n{tail(proc.stdout)}"
    return workdir


@dataclass
class SlurmRuns:
    workdir: Path
    first: subprocess.CompletedProcess
    killed_job: dict
    before_kill: dict = field(default_factory=dict)    # file states just before scancel
    end_of_first: dict = field(default_factory=dict)   # file states when the first run had stopped
    after_first: Path | None = None                     # a copy of the run directory's results then
    killed: list = field(default_factory=list)         # output paths of the cancelled job
    second: subprocess.CompletedProcess | None = None


@pytest.fixture(scope="module")
def slurm_runs(cluster, snapshot, local_run) -> SlurmRuns:
    """Run the demo targets through SLURM, cancel one training job mid-run, then run the same command again.

    Runs after ``local_run``, which leaves the compiled Numba kernels in the
    snapshot's cache, so the cancelled job is training, not compiling.
    """
    workdir = run_dir(snapshot, "slurm")
    args = [*SLURM_ARGS, *demo_targets(workdir), *DEMO]   # --config last: it takes every word after it
    log_path = workdir.parent / "first-run.log"
    with open(log_path, "w") as log:
        # --retries 0: the cancelled job must fail this run, so the rerun is what recovers.
        proc = subprocess.Popen(snakemake_cmd(["--retries", "0", *args], SLURM_TIMEOUT_S),
                                cwd=workdir, stdout=log, stderr=subprocess.STDOUT, text=True,
                                env=job_env(workdir))
    victim, before = None, {}
    prefix = f"rule_{TRAIN_RULE}"
    while proc.poll() is None and victim is None:
        running = [j for j in cluster.jobs() if j["state"] == "RUNNING"
                   and (j["comment"] == prefix or j["comment"].startswith(prefix + "_wildcards_"))]
        if running and w2v_train_running_in(workdir):
            before = file_state(workdir)
            subprocess.run(["scancel", running[0]["id"]], check=True)
            victim = running[0]
        time.sleep(0.2)
    proc.wait()
    end_of_first = file_state(workdir)
    first = subprocess.CompletedProcess(proc.args, proc.returncode, log_path.read_text())
    assert victim is not None, f"no running '{TRAIN_RULE}' job was seen to cancel:\n{tail(first.stdout)}"
    after_first = Path(shutil.copytree(workdir / "results", workdir.parent / "after-first" / "results",
                                       copy_function=shutil.copy2))
    runs = SlurmRuns(workdir, first, victim, before, end_of_first, after_first.parent)
    runs.killed = killed_outputs(first.stdout, TRAIN_RULE)
    runs.second = run_snakemake(workdir, args, SLURM_TIMEOUT_S)
    return runs


# -- tests --------------------------------------------------------------------
def test_config_describes_the_node_from_slurmd(tmp_path):
    node = {"NodeName": "box", "CPUs": "2", "Boards": "1", "SocketsPerBoard": "1",
            "CoresPerSocket": "2", "ThreadsPerCore": "1", "RealMemory": "24105"}
    lines = render_config(tmp_path, node).splitlines()
    assert ("NodeName=box NodeAddr=127.0.0.1 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 "
            "ThreadsPerCore=1 RealMemory=24105 State=UNKNOWN") in lines
    assert f"PartitionName={PARTITION} Nodes=box Default=YES MaxTime=INFINITE State=UP" in lines
    assert f"AuthInfo=socket={tmp_path}/munge/munge.socket.2" in lines
    assert f"StateSaveLocation={tmp_path}/state" in lines
    assert {"ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "ReturnToService=2"} <= set(lines)


def test_a_second_cluster_is_refused_while_one_runs(cluster, tmp_path):
    assert set(cluster.pids) == {"munged", "slurmctld", "slurmd"}
    daemons = running_slurm_daemons()
    assert daemons[cluster.pids["slurmctld"]] == "slurmctld" and daemons[cluster.pids["slurmd"]] == "slurmd"
    with pytest.raises(ClusterError, match="another test run holds the local SLURM cluster"):
        LocalSlurmCluster(tmp_path).start()
    assert cluster.node_idle()                 # the refused start left the running cluster alone


def test_cancelled_training_job_fails_the_first_run(slurm_runs):
    first = slurm_runs.first
    assert first.returncode != 0, f"the run with a cancelled job succeeded:\n{tail(first.stdout)}"
    assert f"SLURM-job '{slurm_runs.killed_job['id']}' failed" in first.stdout
    assert "CANCELLED" in first.stdout


def test_no_partial_file_under_a_final_name(slurm_runs, local_run):
    """After the failed run, the cancelled job's outputs are gone and every file left is complete."""
    left = slurm_runs.after_first
    for rel in slurm_runs.killed:
        assert not (left / rel).exists(), f"{rel}: output of the cancelled job remains"
    problems = compare_results(local_run, left, file_state(left))
    assert not problems, "files left by the failed run differ from the local run:\n" + "\n".join(problems)


def test_rerun_finishes_without_touching_finished_outputs(slurm_runs):
    second = slurm_runs.second
    assert second.returncode == 0, f"rerun failed ({second.returncode}):\n{tail(second.stdout)}"
    assert f"rule {TRAIN_RULE}:" in second.stdout, "the cancelled training job was not rerun"
    killed_dirs = {str(Path(k).parent) for k in slurm_runs.killed}   # its outputs and what it wrote beside them
    # finished at the kill: there then, and not written again by the first run after it (the log of
    # another job running at that moment, which went on or was cancelled too, was not finished)
    finished = {rel: st for rel, st in slurm_runs.before_kill.items()
                if str(Path(rel).parent) not in killed_dirs and slurm_runs.end_of_first.get(rel) == st}
    assert finished, "no output had finished before the job was cancelled"
    now = file_state(slurm_runs.workdir)
    changed = [rel for rel, st in finished.items() if now.get(rel) != st]
    assert not changed, f"outputs finished before the failure were rewritten: {changed}"
    for rel in slurm_runs.killed:
        assert (slurm_runs.workdir / rel).exists(), f"{rel}: not produced by the rerun"


def test_cancelled_job_leaves_no_temporary_file(slurm_runs):
    """A job killed by SLURM (SIGTERM, then SIGKILL) must not leave its temporary file behind."""
    left = temporaries(slurm_runs.after_first) + temporaries(slurm_runs.workdir)
    assert not left, f"temporary files of the cancelled job remain: {left}"


def test_slurm_outputs_identical_to_local(slurm_runs, local_run):
    assert slurm_runs.second.returncode == 0, tail(slurm_runs.second.stdout)
    local_files = set(file_state(local_run))
    slurm_files = set(file_state(slurm_runs.workdir))
    assert slurm_files == local_files, (
        f"only local: {sorted(local_files - slurm_files)}; only SLURM: {sorted(slurm_files - local_files)}")
    assert any(rel.endswith("vectors.bin") for rel in local_files), "the demo trained no vectors"
    problems = compare_results(local_run, slurm_runs.workdir, local_files)
    assert not problems, "SLURM outputs differ from the local run:\n" + "\n".join(problems)
