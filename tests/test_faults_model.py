"""Model directories and vectors files under faults: crashed or concurrent saves, mixed or damaged files."""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from w2v.cli import main
from w2v.errors import W2VError
from w2v.train import Model, TrainConfig, load_model
from w2v.vectors import KeyedVectors
from w2v.vocab import Vocabulary

WORDS = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)]


def _model(dim: int, seed: int = 0, words=WORDS) -> Model:
    """A model as training returns it, without training (random matrices)."""
    rng = np.random.default_rng(seed)
    vocab = Vocabulary.from_counts({w: 100 - i for i, w in enumerate(words)}, min_count=1)
    cfg = TrainConfig(dim=dim, min_count=1, workers=1)
    wi = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    return Model(vocab, wi, np.zeros_like(wi), cfg, {"trainer": "w2v", "config": cfg.to_dict()})


def _consistent_dim(d: Path) -> int:
    """The dimension of the model in ``d``, after checking that all its files agree on it."""
    kv = KeyedVectors.load(d)
    model = load_model(d)
    info = json.loads((d / "train.json").read_text())
    assert kv.vector_size == model.wi.shape[1] == info["config"]["dim"]
    assert kv.index_to_key == model.vocab.words
    np.testing.assert_array_equal(kv.vectors, model.wi)
    return kv.vector_size


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("w2v: error: ") and err.strip().count("\n") == 0, err
    return err


# ----------------------------------------------------------------- a model directory changes as a unit
def test_a_save_that_fails_midway_leaves_the_previous_model_whole(tmp_path, monkeypatch):
    import w2v.train as train_mod

    out = tmp_path / "m"
    _model(10).save(out)
    (out / "eval.json").write_text("{}\n")  # another stage's result beside the model

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(train_mod, "_save_npz", no_space)  # vectors.bin is written, model.npz fails
        with pytest.raises(OSError):
            _model(24).save(out)
    assert _consistent_dim(out) == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary directory left
    _model(24).save(out)
    assert _consistent_dim(out) == 24
    assert (out / "eval.json").read_text() == "{}\n"
    assert sorted(os.listdir(out)) == ["eval.json", "manifest.json", "model.npz", "train.json", "vectors.bin",
                                       "vocab.tsv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_a_failure_between_the_renames_puts_the_previous_model_back(tmp_path, monkeypatch):
    out = tmp_path / "m"
    _model(10).save(out)
    real_rename = os.rename

    def rename(src, dst, **kw):  # the new directory cannot be renamed in (the old one is already aside)
        if ".m.tmp-" in str(src):
            raise OSError(errno.EIO, "Input/output error")
        return real_rename(src, dst, **kw)

    with monkeypatch.context() as m:
        m.setattr(os, "rename", rename)
        with pytest.raises(OSError, match=str(out)):
            _model(24).save(out)
    assert _consistent_dim(out) == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


# A `w2v train` whose save can be held at chosen points (marker files in FLAGS):
#   hang: after vectors.bin is written, report "saving" and sleep (to be killed);
#   first: after vectors.bin is written, report "first-vectors" and wait for "second-done";
#   second: wait for "first-vectors" before saving, report "second-done" after.
RUNNER = """
import sys, time
from pathlib import Path
import w2v.train as T
from w2v.cli import main

mode, flags = sys.argv[1], Path(sys.argv[2])

def wait(name):
    deadline = time.time() + 120
    while not (flags / name).exists():
        if time.time() > deadline:
            sys.exit(f"timed out waiting for {name}")
        time.sleep(0.05)

save_npz, save = T._save_npz, T.Model.save
if mode == "hang":
    def held(*a, **k):
        (flags / "saving").touch()
        time.sleep(600)
    T._save_npz = held
elif mode == "first":
    def held(*a, **k):
        (flags / "first-vectors").touch()
        wait("second-done")
        return save_npz(*a, **k)
    T._save_npz = held
elif mode == "second":
    def held(self, *a, **k):
        wait("first-vectors")
        out = save(self, *a, **k)
        (flags / "second-done").touch()
        return out
    T.Model.save = held
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    topics = [WORDS[:10], WORDS[10:]]
    path.write_text("\n".join(" ".join(rng.choice(topics[d % 2], 20)) for d in range(100)) + "\n")
    return path


def _train(corpus, out, dim, mode="plain", flags=None, **popen):
    script = Path(flags or out.parent) / "runner.py"
    script.write_text(RUNNER)
    args = [sys.executable, str(script), mode, str(flags or out.parent), "train", str(corpus), "--out", str(out),
            "--dim", str(dim), "--epochs", "1", "--min-count", "1", "--workers", "1", "--quiet"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **popen)


def _wait_for(path: Path, proc, seconds=120):
    deadline = time.time() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_kill_9_during_the_save_leaves_the_previous_model_and_the_next_save_cleans_up(corpus, tmp_path):
    flags = tmp_path / "flags"
    flags.mkdir()
    out = tmp_path / "results" / "m"
    first = _train(corpus, out, 10, flags=flags)
    assert first.wait(120) == 0, first.stderr.read()
    proc = _train(corpus, out, 24, "hang", flags)
    _wait_for(flags / "saving", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert _consistent_dim(out) == 10
    again = _train(corpus, out, 16, flags=flags)
    assert again.wait(120) == 0, again.stderr.read()
    assert _consistent_dim(out) == 16
    assert [p.name for p in out.parent.iterdir()] == ["m"]  # the killed run's temporary directory is gone


def test_concurrent_trainers_of_one_directory_leave_one_whole_model(corpus, tmp_path):
    flags = tmp_path / "flags"
    flags.mkdir()
    out = tmp_path / "results" / "m"
    # the first writes its vectors, then the second saves all of it, then the first finishes
    a = _train(corpus, out, 10, "first", flags)
    b = _train(corpus, out, 24, "second", flags)
    assert b.wait(180) == 0, b.stderr.read()
    assert a.wait(180) == 0, a.stderr.read()
    assert _consistent_dim(out) == 10  # the last save wins, whole
    assert [p.name for p in out.parent.iterdir()] == ["m"]


def test_files_of_different_models_in_one_directory_are_refused(tmp_path, capsys):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _model(10).save(a)
    _model(24).save(b)
    _model(10, seed=1).save(c)  # same sizes as a, other values
    shutil.copy(b / "vectors.bin", a / "vectors.bin")
    assert main(["similar", str(a), "a1"]) == 2
    err = _one_line_error(capsys)
    assert f"{a}: vectors.bin does not belong with train.json" in err and f"w2v train --out {a}" in err
    assert main(["analogy", str(a), "a1", "a2", "b1"]) == 2
    _one_line_error(capsys)
    shutil.copy(c / "vectors.bin", a / "vectors.bin")  # same size: told by the sha256
    with pytest.raises(W2VError, match="vectors.bin does not belong .*sha256"):
        KeyedVectors.load(a)
    shutil.copy(c / "model.npz", b / "model.npz")
    with pytest.raises(W2VError, match="model.npz does not belong"):
        load_model(b)
    # without a manifest (older models, gensim's) a directory is read as it is
    (a / "manifest.json").unlink()
    assert main(["similar", str(a), "a1"]) == 0
    assert len(KeyedVectors.load(a)) == len(WORDS)


# ----------------------------------------------------------------- headers against the file's size
def test_a_device_is_refused_at_once(tmp_path):
    import resource

    def small():  # on a reader that grows without bound this ends in MemoryError, not hours of swapping
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would wait for a writer that never comes
    for path in ("/dev/zero", str(fifo)):
        try:
            res = subprocess.run([sys.executable, "-m", "w2v", "similar", path, "x"], capture_output=True,
                                 text=True, timeout=60, preexec_fn=small, env=env)
        except subprocess.TimeoutExpired:
            pytest.fail(f"w2v similar {path} x still runs after 60 s")
        assert res.returncode == 2
        assert f"{path}: not a regular file" in res.stderr and res.stderr.count("\n") == 1


@pytest.mark.parametrize("name,binary", [("v.bin", True), ("v.txt", False), ("v.bin.gz", True), ("v.txt.gz", False)])
def test_a_header_larger_than_the_file_is_refused_before_allocating(tmp_path, name, binary):
    path = tmp_path / name
    body = b"1000000000 1000000000\nw " + b"\x00" * 8
    path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    with pytest.raises(W2VError, match=f"{name}: word 1 of 1000000000 is past the end: .* need at least"):
        KeyedVectors.load_word2vec_format(path, binary=binary)
    path.write_bytes(b"2 100000000\nw " + b"\x00" * 8)  # the dimension alone is too large
    with pytest.raises(W2VError, match="the file ends before word 1 of 2"):
        KeyedVectors.load_word2vec_format(path)


def test_an_npz_header_larger_than_its_data_is_refused(tmp_path):
    out = tmp_path / "m"
    _model(10).save(out)
    (out / "manifest.json").unlink(missing_ok=True)  # an older model: nothing but the arrays' own headers to go by
    header = {"descr": "<f4", "fortran_order": False, "shape": (1_000_000, 1_000_000)}
    import io
    import zipfile

    with zipfile.ZipFile(out / "model.npz", "w") as zf:
        for name in ("wi", "wo", "counts"):
            buf = io.BytesIO()
            np.lib.format.write_array_header_1_0(buf, header)
            zf.writestr(name + ".npy", buf.getvalue() + b"\x00" * 64)
    with pytest.raises(W2VError, match=r"model.npz: array 'wi' declares shape \(1000000, 1000000\)"):
        load_model(out)


# ----------------------------------------------------------------- what the writer writes, the reader reads
def test_a_70000_character_word_is_written_and_read_back(tmp_path):
    long = "x" * 70_000
    kv = KeyedVectors([long, "b"], np.arange(6, dtype=np.float32).reshape(2, 3))
    for name in ("v.bin", "v.txt"):
        kv.save_word2vec_format(tmp_path / name, binary=name.endswith(".bin"))
        back = KeyedVectors.load_word2vec_format(tmp_path / name)
        assert back.index_to_key == [long, "b"]
        np.testing.assert_array_equal(back.vectors, kv.vectors)
    _model(4, words=[long] + WORDS).save(tmp_path / "m")
    assert long in KeyedVectors.load(tmp_path / "m") and long in load_model(tmp_path / "m").vocab.words
    absurd = KeyedVectors(["y" * (2 << 20)], np.zeros((1, 3)))
    with pytest.raises(W2VError, match=r"w.bin: word 1 \('yyy.*is 2097152 bytes long"):
        absurd.save_word2vec_format(tmp_path / "w.bin")
    assert not list(tmp_path.glob("*w.bin*"))


def test_nan_or_infinite_vectors_are_refused_on_load(tmp_path, capsys):
    vecs = np.ones((4, 3), dtype=np.float32)
    vecs[1, 2] = np.nan
    vecs[3, 0] = -np.inf
    kv = KeyedVectors(["a", "b", "c", "d"], vecs)
    for name in ("v.bin", "v.txt"):
        kv.save_word2vec_format(tmp_path / name, binary=name.endswith(".bin"))
        with pytest.raises(W2VError, match=rf"{name}: 2 of 4 vectors hold NaN or infinite values .*'b'"):
            KeyedVectors.load_word2vec_format(tmp_path / name)
        back = KeyedVectors.load_word2vec_format(tmp_path / name, allow_nonfinite=True)
        assert np.isnan(back["b"][2]) and np.isneginf(back["d"][0])
    assert main(["similar", str(tmp_path / "v.bin"), "a"]) == 2
    assert "2 of 4 vectors" in _one_line_error(capsys)
    model = _model(5)
    model.wi[3] = np.nan
    model.save(tmp_path / "m")
    with pytest.raises(W2VError, match="1 of 20 vectors hold NaN"):
        KeyedVectors.load(tmp_path / "m")
    with pytest.raises(W2VError, match="1 of 20 rows of wi hold NaN"):
        load_model(tmp_path / "m")
    assert np.isnan(load_model(tmp_path / "m", allow_nonfinite=True).wi[3]).all()


# ----------------------------------------------------------------- --out is checked before training
def test_an_unwritable_out_is_refused_before_training(corpus, tmp_path, monkeypatch, capsys):
    import w2v.train as train_mod

    def never(*args, **kwargs):
        raise AssertionError("the corpus was read or the model trained before --out was checked")

    monkeypatch.setattr(train_mod, "load_corpus", never)
    monkeypatch.setattr(train_mod, "train", never)
    blocker = tmp_path / "somefile"
    blocker.write_text("x")
    args = [str(corpus), "--dim", "8", "--min-count", "1", "--quiet", "--out"]
    assert main(["train", *args, str(blocker / "sub")]) == 2
    assert f"{blocker} is not a directory; choose another --out" in _one_line_error(capsys)
    assert main(["train", *args, str(blocker)]) == 2
    assert "exists and is not a directory" in _one_line_error(capsys)
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)  # not a model directory: it is not replaced as a whole
    assert main(["train", *args, str(project)]) == 2
    assert "holds the subdirectory 'src'" in _one_line_error(capsys)

    # a read-only directory (simulated: tests may run as root, for whom permissions do not hold)
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != ro and real_access(p, mode, **kw))
    assert main(["train", *args, str(ro)]) == 2
    assert f"{ro} is not writable" in _one_line_error(capsys)
    assert main(["train", *args, str(ro / "new" / "deeper")]) == 2
    assert f"{ro} is not writable" in _one_line_error(capsys)
    assert not (ro / "new").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_read_only_out_is_refused_before_training(corpus, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        start = time.perf_counter()
        assert main(["train", str(corpus), "--out", str(ro / "m"), "--min-count", "1", "--quiet"]) == 2
        assert f"{ro} is not writable" in _one_line_error(capsys)
        assert time.perf_counter() - start < 5
    finally:
        ro.chmod(0o755)
