"""Hostile or mistaken configurations: alias bombs, non-finite numbers, bad training options,
shell metacharacters in config values, and errors that name the file a value came from."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from w2v.cli import main
from w2v.config import load_config, merge, resolve_config
from w2v.errors import W2VError
from w2v.train import TrainConfig

from test_workflow import copy_workflow  # the workflow files, copied into a test's folder

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config.yaml"


def _limit_memory():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a runaway expansion fails, not the machine


def run_guarded(args, cwd=None, timeout=20) -> subprocess.CompletedProcess:
    """Run a command with a time and memory limit (an alias bomb must not take the machine down)."""
    try:
        return subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{args[:4]} still running after {timeout} s")


def bomb(levels: int = 9, width: int = 10, mapping: bool = False) -> tuple[str, str]:
    """YAML anchors, each level ``width`` aliases of the one below (``width ** levels`` values), and its top alias."""
    if mapping:
        lines = ["  l0: &a0 {" + ", ".join(f"k{j}: x" for j in range(width)) + "}"]
        lines += [f"  l{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(width)) + "}"
                  for i in range(1, levels)]
    else:
        lines = ["  - &a0 [" + ", ".join(["x"] * width) + "]"]
        lines += [f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n", f"*a{levels - 1}"


def bombed_config(mapping: bool = False) -> str:
    """config.yaml with a billion values under evaluation.probes (or a billion keys under evaluation.maps.sets)."""
    anchors, top = bomb(mapping=mapping)
    text = CONFIG.read_text()
    if mapping:
        text = text.replace("\npresets:\n", f"\npresets:\n  bomb: {top}\n", 1)
    else:
        text = re.sub(r"(?m)^  probes: \[.*\]$", f"  probes: {top}", text, count=1)
    assert top in text
    return "anchors:\n" + anchors + text


def snakemake_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", *args]


# --- YAML alias bombs ----------------------------------------------------------------------

@pytest.mark.parametrize("mapping", [False, True], ids=["list", "mapping"])
def test_an_alias_bomb_in_the_config_file_is_refused_at_once(tmp_path, mapping):
    path = tmp_path / "config.yaml"
    path.write_text(bombed_config(mapping))
    code = ("import time, sys\nfrom w2v.config import load_config\nfrom w2v.errors import W2VError\n"
            "t = time.perf_counter()\n"
            f"try:\n    load_config({str(path)!r})\nexcept W2VError as exc:\n    print('ERROR', exc)\n"
            "print('SECONDS', time.perf_counter() - t)\n")
    proc = run_guarded([sys.executable, "-c", code])
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and len(lines) == 2, proc.stdout[-2000:]
    assert lines[0].startswith("ERROR ") and "config.yaml" in lines[0] and "100,000 values" in lines[0]
    assert float(lines[1].split()[1]) < 1.0


def test_shared_values_loaded_by_another_reader_are_refused_before_validation():
    """Snakemake's YAML reader keeps aliases as shared lists: the expanded size is what counts."""
    code = textwrap.dedent(f"""
        import time, yaml
        from w2v.config import resolve_config
        from w2v.errors import W2VError
        raw = yaml.safe_load(open({str(CONFIG)!r}))
        probes = ["x"] * 10
        for _ in range(8):
            probes = [probes] * 10
        raw["evaluation"]["probes"] = probes
        t = time.perf_counter()
        try:
            resolve_config(raw)
        except W2VError as exc:
            print("ERROR", exc)
        print("SECONDS", time.perf_counter() - t)
    """)
    proc = run_guarded([sys.executable, "-c", code])
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and len(lines) == 2, proc.stdout[-2000:]
    assert lines[0].startswith("ERROR config.yaml: the configuration expands to more than 100,000 values")
    assert float(lines[1].split()[1]) < 1.0


def test_a_recursive_alias_is_one_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(re.sub(r"(?m)^  probes: \[", "  probes: &probes [*probes, ", CONFIG.read_text(), count=1))
    with pytest.raises(W2VError, match="recursive alias") as info:
        load_config(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("mapping", [False, True], ids=["list", "mapping"])
def test_snakemake_refuses_an_alias_bomb_in_config_yaml(tmp_path, mapping):
    work = copy_workflow(tmp_path)
    (work / "config.yaml").write_text(bombed_config(mapping))
    proc = run_guarded(snakemake_cmd(), cwd=work, timeout=30)
    assert proc.returncode != 0
    assert "w2v: error: config.yaml: not valid YAML (its aliases expand to more than 100,000 values" \
        in proc.stdout, proc.stdout[-2000:]


# --- non-finite and out-of-range numbers -------------------------------------------------

@pytest.mark.parametrize("override, message", [
    ({"training": {"sample": float("nan")}}, "training.sample = nan: not a finite number"),
    ({"training": {"lr": float("inf")}}, "training.lr = inf: not a finite number"),
    ({"training": {"ns_exponent": float("nan")}}, "training.ns_exponent = nan: not a finite number"),
    ({"studies": {"sample": {"levels": [0.0, float("nan")]}}}, "studies.sample.levels[1] = nan: not a finite"),
    ({"training": {"sample": 2.0}}, "training.sample = 2.0: 2.0 is greater than or equal to the maximum of 1"),
    ({"training": {"sample": 1.0}}, "training.sample = 1.0"),
    ({"training": {"ns_exponent": 1e6}}, "training.ns_exponent = 1000000.0: 1000000.0 is greater than the maximum"),
    ({"training": {"dim": 10**9}}, "training.dim = 1000000000: 1000000000 is greater than the maximum of 10000"),
    ({"training": {"window": 10**6}}, "training.window = 1000000"),
    ({"training": {"seeds": [2**63]}}, "training.seeds[0] = 9223372036854775808"),
])
def test_config_numbers_must_be_finite_and_in_range(override, message):
    with pytest.raises(W2VError) as info:
        load_config(CONFIG, override)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_yaml_nan_in_the_config_file_is_refused(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(CONFIG.read_text().replace("  sample: 1.0e-4 ", "  sample: .nan ", 1))
    assert yaml.safe_load(path.read_text())["training"]["sample"] != 0  # NaN: compares unequal to all
    with pytest.raises(W2VError, match=r"^study.yaml: training.sample = nan: not a finite number"):
        load_config(path)


@pytest.mark.parametrize("settings", [
    {"sample": float("nan")}, {"sample": float("inf")}, {"sample": 2.0}, {"sample": 1.0},
    {"ns_exponent": 1e6}, {"ns_exponent": float("nan")}, {"min_lr_ratio": float("nan")},
    {"min_lr_ratio": 2.0}, {"lr": float("inf")}, {"beta1": 1.0}, {"beta2": 0.9999999},
    {"beta2": float("nan")}, {"eps": 0.0}, {"eps": float("nan")}, {"negative": -5, "loss": "hs"},
    {"seed": -1}, {"seed": 2**63}, {"dim": 10**9}, {"window": 10**9}, {"dim": 2.5},
])
def test_train_config_refuses_out_of_range_settings(settings):
    with pytest.raises(W2VError, match=r"training setting \w+ = .* is not valid; allowed: "):
        TrainConfig(**settings)


def test_train_config_ranges_end_at_their_edges():
    TrainConfig(sample=0.0, negative=0, loss="hs", seed=0, min_lr_ratio=1.0, ns_exponent=0.0, lr=1e30)
    TrainConfig(seed=2**63 - 1, dim=10_000, window=10_000, ns_exponent=-1, beta1=0.0)
    TrainConfig(ns_exponent=2, min_lr_ratio=0.0, sample=0.999)
    from w2v.train import MAX_BETA, adam_bias_table

    TrainConfig(beta1=MAX_BETA, beta2=MAX_BETA)  # Adam's table then has 4.4M entries (35 MB)
    assert adam_bias_table(np.float32(MAX_BETA), np.float32(MAX_BETA)).size < 4.5e6
    for settings in ({"seed": 2**63}, {"dim": 10_001}, {"window": 10_001}, {"ns_exponent": 2.001},
                     {"ns_exponent": -1.001}, {"sample": 1.0}, {"min_lr_ratio": 1.001}):
        with pytest.raises(W2VError):
            TrainConfig(**settings)


# --- `w2v train` options -------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20, encoding="utf-8")
    return path


@pytest.mark.parametrize("options, message", [
    (["--tag", "novalue"], "--tag 'novalue': expected KEY=VALUE"),
    (["--negative", "-5", "--loss", "hs"], "negative = -5"),
    (["--seed", "-1"], "seed = -1"),
    (["--sample", "2.0"], "sample = 2.0"),
    (["--sample", "nan"], "sample = nan"),
    (["--sample", "inf"], "sample = inf"),
    (["--ns-exponent", "1e6"], "ns_exponent = 1000000.0"),
    (["--ns-exponent", "nan"], "ns_exponent = nan"),
    (["--min-lr-ratio", "nan"], "min_lr_ratio = nan"),
    (["--dim", "100001"], "dim = 100001"),
    (["--window", "20000"], "window = 20000"),
])
def test_train_options_out_of_range_are_one_line_and_exit_2(corpus, tmp_path, capsys, options, message):
    out = tmp_path / "model"
    status = main(["train", str(corpus), "--out", str(out), "--min-count", "1", "--epochs", "1",
                   "--dim", "8", "--workers", "1", "--quiet", *options])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("w2v: error: ") and err.count("\n") == 1 and message in err, err
    assert not out.exists()


def test_train_refuses_matrices_larger_than_the_memory_available(corpus, tmp_path, capsys, monkeypatch):
    import w2v.commands.train as command

    assert main(["vocab", str(corpus), "--out", str(tmp_path / "vocab"), "--min-count", "1", "--quiet"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(command, "_available_memory", lambda: 1 << 16, raising=False)
    out = tmp_path / "model"
    status = main(["train", "--vocab", str(tmp_path / "vocab"), "--out", str(out), "--dim", "10000",
                   "--epochs", "1", "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("w2v: error: --dim 10000 with 7 words") and "memory available" in err, err
    assert err.count("\n") == 1
    assert not out.exists()


# --- config values in shell commands -------------------------------------------------------

def test_config_values_reach_the_shell_quoted(tmp_path):
    work = copy_workflow(tmp_path)
    (work / "evil.yaml").write_text(yaml.safe_dump({
        "preprocessing": {"spacy_model": "x; touch pwned"},
        "paths": {"results": "my results/$(touch pwned2)", "logs": "my logs"},
        "data": {"mirror": "data/sample"},
    }))
    proc = run_guarded(snakemake_cmd("--printshellcmds", "--configfile", "evil.yaml", "--config", "preset=demo"),
                       cwd=work, timeout=60)
    assert proc.returncode == 0, proc.stdout[-3000:]
    commands = [line.split("Shell command: ", 1)[1] for line in proc.stdout.splitlines()
                if "Shell command: " in line and not line.endswith("None")]
    seen = set()
    for command in commands:
        words = shlex.split(command)
        seen.add(words[0] if words[0] != "python" else "gensim")
        if "--spacy-model" in words:
            assert words[words.index("--spacy-model") + 1] == "x; touch pwned"
            seen.add("spacy")
        for flag in ("--out", "--dest", "--vocab", "--analogies"):
            if flag in words:
                value = words[words.index(flag) + 1]
                assert not value.startswith("my") or value.startswith("my results/$(touch pwned2)/"), command
        if "my logs" in command:
            assert words[words.index(">") + 1].startswith("my logs/"), command
    assert {"w2v", "gensim", "spacy", "(archive=$(w2v"} <= seen, seen
    assert not (work / "pwned").exists() and not (work / "pwned2").exists()


# --- errors name the file the value came from -----------------------------------------------

def test_snakemake_errors_name_the_configfile_or_the_config_option(tmp_path):
    work = copy_workflow(tmp_path)
    (work / "other.yaml").write_text("training: {loss: foo}\n")
    proc = run_guarded(snakemake_cmd("--configfile", "other.yaml"), cwd=work)
    assert proc.returncode != 0
    assert ("w2v: error: other.yaml: training.loss = 'foo' is not one of "
            "['softmax', 'hs', 'ns', 'nce', 'sampled']; fix other.yaml") in proc.stdout, proc.stdout[-2000:]
    proc = run_guarded(snakemake_cmd("--configfile", "other.yaml", "--config", "training={loss: bar}"), cwd=work)
    assert "w2v: error: --config: training.loss = 'bar' is not one of" in proc.stdout, proc.stdout[-2000:]
    assert "Job stats" not in proc.stdout


def test_an_error_names_the_layer_that_set_the_value():
    """config.yaml < its preset < the --configfile files < --config, as the Snakefile merges them."""
    def check(base, other, cli, pattern):
        layers = [("config.yaml", base), ("other.yaml", other), ("--config", cli)]
        overrides = merge(other, cli)  # Snakemake's overwrite_config
        with pytest.raises(W2VError, match=pattern):
            resolve_config(merge(base, overrides), overrides, origins=layers)

    base = yaml.safe_load(CONFIG.read_text())
    check(base, {"training": {"window": 0}}, {"training": {"window": 0}},
          r"^--config: training.window = 0: .*; fix the --config value$")
    check(base, {"training": {"window": 0}}, {"preset": "demo"}, r"^other.yaml: training.window = 0: .*; fix other.yaml$")
    check(base, {"presets": {"demo": {"vocab": {"min_count": 0}}}}, {"preset": "demo"},
          r"^other.yaml \(preset 'demo'\): vocab.min_count = 0: .*; fix other.yaml$")
    check(merge(base, {"presets": {"demo": {"vocab": {"min_count": 0}}}}), {}, {"preset": "demo"},
          r"^config.yaml \(preset 'demo'\): vocab.min_count = 0: ")
    check(merge(base, {"bogus": 1}), {"training": {"dim": 8}}, {"training": {"window": 2}},
          r"^config.yaml: \(top level\): Additional properties")
    check(base, {"preset": "huge"}, {}, r"^other.yaml: preset = 'huge' is not one of")
