"""The compiled kernels' cache under real use: first builds said and timed, damaged modules, provenance.

One real build (into a folder of this module, not the session's): two trainers start on an
empty cache at once; the other tests reuse what they built.
"""

import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from w2v import engine

START = "building the compiled kernels for this CPU"


def _corpus(path):
    rng = np.random.default_rng(0)
    path.write_text("\n".join(" ".join(f"w{int(x)}" for x in rng.zipf(1.5, 200) % 300) for _ in range(50)))
    return path


def _env(cache):
    env = dict(os.environ)
    env["W2V_CACHE_DIR"] = str(cache)
    env["W2V_KERNELS"] = "aot"  # a failed build is an error here, not a quiet fallback
    return env


def _train_cmd(corpus, out):
    return [sys.executable, "-m", "w2v", "train", str(corpus), "--out", str(out), "--epochs", "1",
            "--dim", "8", "--min-count", "1", "--quiet"]


@pytest.fixture(scope="module")
def first_use(tmp_path_factory):
    """Two trainers started together on an empty cache: ``(cache, [(process, train.json), ...])``."""
    root = tmp_path_factory.mktemp("first-use")
    cache = root / "cache"  # does not exist yet
    corpus = _corpus(root / "c.txt")
    procs = [subprocess.Popen(_train_cmd(corpus, root / f"m{i}"), env=_env(cache), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    runs = []
    for i, proc in enumerate(procs):
        out, err = proc.communicate(timeout=900)
        info = root / f"m{i}" / "train.json"
        runs.append((proc.returncode, err, json.loads(info.read_text()) if info.exists() else None))
    return cache, runs


def test_two_first_uses_build_once_say_so_and_record_the_time(first_use):
    cache, runs = first_use
    assert [rc for rc, _, _ in runs] == [0, 0], [err for _, err, _ in runs]
    errs = [err for _, err, _ in runs]
    assert sum(err.count(START) for err in errs) == 1, errs  # one build, announced once
    builder = 0 if START in errs[0] else 1
    waiter = 1 - builder
    assert f"into {cache}" in errs[builder] and "built the compiled kernels in" in errs[builder]
    assert "waiting for another process building the compiled kernels" in errs[waiter]
    assert "waited" in errs[waiter] and "built the compiled kernels" not in errs[waiter]
    built, waited = runs[builder][2], runs[waiter][2]
    assert built["kernels"]["kind"] == "aot" and built["kernels"]["built"] is True
    assert waited["kernels"]["built"] is False and waited["kernels"]["waited_seconds"] > 1
    for info in (built, waited):
        # the time spent obtaining the kernels is in compile_seconds, not lost in the wall time
        assert info["kernels"]["seconds"] > 1
        assert info["compile_seconds"] >= info["kernels"]["seconds"]
        assert info["compile_seconds"] > 0.5 * info["wall_seconds"] - 5
    assert len(list(cache.glob("*.so"))) == 1 and len(list(cache.glob("w2v_kernels_*.json"))) == 1
    assert not list(cache.glob(".build-*")) and not list(cache.glob(".*.tmp"))


def test_a_later_run_loads_the_kernels_silently_and_records_versions(first_use, tmp_path):
    cache, _ = first_use
    proc = subprocess.run(_train_cmd(_corpus(tmp_path / "c.txt"), tmp_path / "m"), env=_env(cache),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "w2v:" not in proc.stderr  # nothing to build, nothing to say
    info = json.loads((tmp_path / "m" / "train.json").read_text())
    assert info["kernels"]["kind"] == "aot" and info["kernels"]["built"] is False
    assert info["kernels"]["waited_seconds"] == 0 and info["kernels"]["seconds"] < 5
    assert info["kernels"]["module"].startswith(str(cache))
    versions = info["versions"]
    assert versions["python"] == platform.python_version()
    for dist in ("numpy", "numba", "w2v"):
        assert versions[dist] == importlib.metadata.version(dist)


def _intact_copy(first_use, directory):
    """The module built by ``first_use`` and its record, copied into ``directory``."""
    cache, _ = first_use
    directory.mkdir()
    (module,) = cache.glob("*.so")
    record = cache / (module.name.split(".")[0] + ".json")
    shutil.copy(module, directory / module.name)
    if record.exists():
        shutil.copy(record, directory / record.name)
    return directory / module.name, directory / record.name


def test_verify_refuses_a_module_cut_short_altered_or_without_record(first_use, tmp_path):
    module, record = _intact_copy(first_use, tmp_path / "cache")
    assert engine.verify(module) is None
    data = module.read_bytes()
    module.write_bytes(data[:4096])
    assert "4096 bytes where" in engine.verify(module)
    module.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    assert "SHA-256" in engine.verify(module)
    module.write_bytes(data)
    record.write_text("{not json")
    assert "unreadable" in engine.verify(module)
    record.unlink()
    assert "no record of its size and checksum" in engine.verify(module)
    assert engine.verify(tmp_path / "none.so") == "not built"


def test_a_truncated_module_is_built_again_instead_of_a_crash(first_use, tmp_path):
    # loading a module cut short kills the process with SIGBUS; it must be refused and rebuilt
    intact, record = _intact_copy(first_use, tmp_path / "intact")
    cache = tmp_path / "cache"
    cache.mkdir()
    target = cache / (engine.module_name() + engine._ext_suffix())
    target.write_bytes(intact.read_bytes()[:4096])
    if record.exists():
        shutil.copy(record, cache)
    # the rebuild copies the intact module (a real build is what the first test times)
    code = textwrap.dedent(f"""
        import shutil, sys
        from w2v import engine
        from w2v.cli import main
        engine._build_command = lambda out, name: [
            sys.executable, "-c", "import shutil, sys; shutil.copy(sys.argv[1], sys.argv[2])",
            {str(intact)!r}, out + "/" + name + engine._ext_suffix()]
        sys.exit(main({_train_cmd(_corpus(tmp_path / "c.txt"), tmp_path / "m")[3:]!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=_env(cache), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert "4096 bytes where" in proc.stderr and "building it again" in proc.stderr
    assert proc.stderr.count(START) == 1
    assert engine.verify(target) is None
    info = json.loads((tmp_path / "m" / "train.json").read_text())
    assert info["kernels"]["built"] is True


def test_versions_name_python_and_the_installed_packages_without_importing_them():
    code = textwrap.dedent("""
        import json, sys
        from w2v.provenance import versions
        found = versions()
        heavy = sorted(m for m in ("numba", "sklearn", "spacy", "snakemake", "gensim") if m in sys.modules)
        print(json.dumps([found, heavy, versions(("numpy", "surely-not-installed-w2v"))]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    found, heavy, some = json.loads(out)
    assert heavy == []  # read from the metadata, never imported
    assert found["python"] == platform.python_version()
    for dist in ("numpy", "numba", "scikit-learn", "spacy", "snakemake", "gensim"):
        try:
            assert found[dist] == importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            assert dist not in found
    assert some == {"python": platform.python_version(), "numpy": importlib.metadata.version("numpy")}
