"""Operating-system faults reach the user as one line, exit 2, and leave nothing behind.

A full disk and a read-only file system are real ones: a tmpfs of a few KiB, or mounted
read-only (the suite runs as root, as CI does; elsewhere these tests are skipped).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from w2v import cli
from w2v.vectors import KeyedVectors


def _corpus(path: Path, n_docs: int = 300, n_words: int = 400, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n_words)]
    with open(path, "w") as fh:
        for _ in range(n_docs):
            fh.write(" ".join(rng.choice(words, size=30)) + "\n")
    return path


@contextlib.contextmanager
def _tmpfs(where: Path, size: str, read_only: bool = False):
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if read_only else "")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _run(capsys, *argv):
    status = cli.main(list(argv))
    err = capsys.readouterr().err
    return status, err


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("w2v: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    return lines[0]


def test_os_error_message_names_the_file_and_the_fix():
    exc = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/model/vectors.bin")
    assert cli.os_error_message(exc) == ("/data/model/vectors.bin: no space left on the device: "
                                         "free some space, or write elsewhere")
    exc = OSError(errno.EXDEV, os.strerror(errno.EXDEV), "a", None, "b")
    assert cli.os_error_message(exc) == f"a -> b: {os.strerror(errno.EXDEV)}"


def test_a_full_disk_during_training_is_one_line_and_leaves_nothing(tmp_path, capsys):
    corpus = _corpus(tmp_path / "corpus.txt")
    with _tmpfs(tmp_path / "small", "48k") as small:
        status, err = _run(capsys, "train", str(corpus), "--out", str(small / "model"), "--dim", "40",
                           "--epochs", "1", "--workers", "1", "--min-count", "1", "--quiet")
        assert status == 2
        line = _one_error_line(err)
        assert "no space left" in line and str(small) in line
        assert sorted(p.name for p in small.iterdir()) == [], "a full disk left files behind"


def test_a_read_only_out_is_refused_before_training(tmp_path, capsys):
    corpus = _corpus(tmp_path / "corpus.txt")
    with _tmpfs(tmp_path / "ro", "64k", read_only=True) as ro:
        status, err = _run(capsys, "train", str(corpus), "--out", str(ro / "model"), "--dim", "8",
                           "--epochs", "1", "--workers", "1", "--min-count", "1", "--quiet")
        assert status == 2
        line = _one_error_line(err)
        assert str(ro) in line
        assert "epoch" not in err.lower()  # refused before any training


def test_out_is_an_existing_file(tmp_path, capsys):
    corpus = _corpus(tmp_path / "corpus.txt")
    (tmp_path / "taken").write_text("not a directory\n")
    status, err = _run(capsys, "train", str(corpus), "--out", str(tmp_path / "taken"), "--dim", "8",
                       "--epochs", "1", "--workers", "1", "--min-count", "1", "--quiet")
    assert status == 2
    assert "taken" in _one_error_line(err)
    assert (tmp_path / "taken").read_text() == "not a directory\n"


def test_output_piped_into_head_stops_without_a_traceback(tmp_path):
    words = [f"w{i}" for i in range(3000)]
    kv = KeyedVectors(words, np.random.default_rng(0).standard_normal((3000, 8)).astype(np.float32))
    kv.save_word2vec_format(tmp_path / "v.txt", binary=False)
    proc = subprocess.run(
        f"{sys.executable} -m w2v similar {tmp_path / 'v.txt'} w0 --topn 2999 | head -n 1",
        shell=True, capture_output=True, text=True, executable="/bin/bash",
        env={**os.environ, "PYTHONUNBUFFERED": "0"}, timeout=120,
    )
    assert len(proc.stdout.splitlines()) == 1
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "BrokenPipe" not in proc.stderr, proc.stderr
