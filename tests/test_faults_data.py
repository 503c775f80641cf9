"""Faults of the data path: killed corpus scans, damaged shards, archives and corpora, missing files.

Each test feeds a stage a damaged or hostile input (or kills it) and checks that it
ends with one line naming the file, exit status 2, and nothing left behind.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from w2v import data
from w2v.cli import main
from w2v.data import FileSpec, Source
from w2v.errors import W2VError

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
IMDB_SAMPLE = SAMPLE / "aclImdb.sample.tar.gz"


def one_line_error(capsys, *names: str) -> str:
    """The stderr of a failed command: one ``w2v: error:`` line naming every one of ``names``."""
    err = capsys.readouterr().err
    assert err.startswith("w2v: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in err, (name, err)
    return err


def make_tar(path: Path, files: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for name, payload in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    return path


def imdb_files(**extra: bytes) -> dict[str, bytes]:
    return {"aclImdb/train/pos/1_9.txt": b"great", "aclImdb/train/neg/2_1.txt": b"awful",
            "aclImdb/test/pos/3_8.txt": b"fine", **extra}


# --------------------------------------------------------------------------- processes (kill -9)

def _proc_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process visible in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), fields[0], cmdline)
    return table


def _descendants(pid: int, table) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _, _) in table.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _living(pids, marker: str) -> list[str]:
    """Processes of ``pids``, or whose command line holds ``marker``, that still run (zombies are dead)."""
    return [f"{pid} {state} {cmd}" for pid, (_, state, cmd) in _proc_table().items()
            if (pid in pids or marker in cmd) and state not in ("Z", "X") and pid != os.getpid()]


def _big_corpus(path: Path, mib: int = 24) -> Path:
    """A plain-text corpus above PARALLEL_SCAN_BYTES: a random block of lines, repeated."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20_000)]
    block = "\n".join(" ".join(words[j] for j in rng.integers(0, len(words), 100)) for _ in range(2_000)) + "\n"
    with open(path, "w") as fh:
        for _ in range((mib << 20) // len(block) + 1):
            fh.write(block)
    return path


def _kill_during_scan(argv: list[str], marker: str, env=None) -> set[int]:
    """Start ``argv``, SIGKILL it once its forked scanners run; return the processes it had forked."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            table = _proc_table()
            below = _descendants(proc.pid, table)
            # the forked scanner and the range scanners it forked in turn
            if any(_descendants(child, table) for child in below):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
                return below
            time.sleep(0.002)
        err = proc.stderr.read().decode() if proc.poll() is not None else ""
        pytest.fail(f"the parallel corpus scan of {argv} was never seen running: {err}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _wait_gone(pids, marker: str, seconds: float = 5.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (alive := _living(pids, marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@needs_proc
def test_train_killed_during_its_scan_leaves_no_process(tmp_path):
    corpus = _big_corpus(tmp_path / "big.txt")
    out = tmp_path / "model-killed-scan"
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    forked = _kill_during_scan([sys.executable, "-m", "w2v", "train", str(corpus), "--out", str(out),
                                "--workers", "2", "--quiet", "--epochs", "1", "--min-count", "1"],
                               str(out), env=env)
    assert forked
    leftover = _wait_gone(forked, str(out))
    for line in leftover:  # do not leave them running for the rest of the session
        os.kill(int(line.split()[0]), signal.SIGKILL)
    assert not leftover, f"processes outlived the killed w2v train: {leftover}"
    # its scratch files are next to --out (removed by the next run), not in the temporary folder
    assert list((tmp_path / "tmp").iterdir()) == []
    assert len(list(tmp_path.glob(".model-killed-scan.scan-*"))) == 1


SCAN = """
import sys
from w2v.train import load_corpus
load_corpus(sys.argv[1], None, 1, None, None, 2, out_dir=sys.argv[2])
"""


@needs_proc
def test_scan_files_live_next_to_the_output_and_the_next_run_removes_them(tmp_path):
    corpus = _big_corpus(tmp_path / "big.txt")
    out = tmp_path / "model-scan-files"
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    forked = _kill_during_scan([sys.executable, "-c", SCAN, str(corpus), str(out)], str(out), env=env)
    assert not _wait_gone(forked, str(out))
    # what the killed scan wrote is next to the output, not in the system's temporary folder
    assert list((tmp_path / "tmp").iterdir()) == []
    left = list(tmp_path.glob(".model-scan-files.scan-*"))
    assert len(left) == 1 and left[0].is_dir()

    from w2v.train import load_corpus

    small = tmp_path / "small.txt"
    small.write_text("a b c\nb c\n")
    vocab, ids, offsets, _ = load_corpus(small, None, 1, None, None, 2, out_dir=out)
    assert vocab.words == ["b", "c", "a"] and offsets.tolist() == [0, 3, 5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt", "small.txt", "tmp"]


def test_only_scan_directories_of_dead_processes_on_this_host_are_removed(tmp_path):
    from w2v import vocab

    host = vocab._host()
    dead = tmp_path / f".out.scan-999999999@{host}-abcd1234"   # above any pid_max
    mine = tmp_path / f".out.scan-{os.getpid()}@{host}-abcd1234"
    other_host = tmp_path / f".out.scan-999999999@{host}x-abcd1234"
    other_out = tmp_path / f".other.scan-999999999@{host}-abcd1234"
    for d in (dead, mine, other_host, other_out):
        d.mkdir()
        (d / "ids.npy").write_bytes(b"\0" * 64)
    with vocab.scan_directory(tmp_path / "out") as scan:
        assert scan.parent == tmp_path and scan.name.startswith(f".out.scan-{os.getpid()}@")
        assert not dead.exists()
        assert mine.exists() and other_host.exists() and other_out.exists()
    assert not scan.exists()


def test_forked_scan_error_is_raised_and_nothing_is_left(tmp_path):
    from w2v.train import load_corpus

    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(b"fine words\nbad \xff byte\n")
    with pytest.raises(W2VError, match=r"bad.txt: not UTF-8 text"):
        load_corpus(corpus, None, 1, None, None, 1, out_dir=tmp_path / "model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


# --------------------------------------------------------------------------- merge

@pytest.fixture
def shards(tmp_path):
    lines = [" ".join(f"w{(i * 7 + j) % 97}" for j in range(40)) for i in range(3000)]
    paths = []
    for k in range(3):
        p = tmp_path / f"part{k}.txt.gz"
        p.write_bytes(gzip.compress(("\n".join(lines[k * 1000:(k + 1) * 1000]) + "\n").encode()))
        paths.append(p)
    whole = paths[1].read_bytes()
    paths[1].write_bytes(whole[: len(whole) // 2])   # cut in the middle of its deflate stream
    return paths


@pytest.mark.parametrize("out_name", ["merged.txt.gz", "merged.txt"])
def test_merge_names_the_truncated_shard_and_writes_nothing(tmp_path, shards, capsys, out_name):
    out = tmp_path / out_name
    assert main(["merge", *map(str, shards), "--out", str(out)]) == 2
    err = one_line_error(capsys, str(shards[1]), "w2v prepare")
    assert str(shards[0]) not in err and out_name not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part0.txt.gz", "part1.txt.gz", "part2.txt.gz"]


@pytest.mark.parametrize("gz", [False, True])
def test_merge_non_utf8_shard(tmp_path, capsys, gz):
    good, bad = tmp_path / "a.txt", tmp_path / "b.txt"
    good.write_text("one two\n")
    bad.write_bytes(b"caf\xe9 au lait\n")
    if gz:
        for p in (good, bad):
            p.with_name(p.name + ".gz").write_bytes(gzip.compress(p.read_bytes()))
            p.unlink()
        good, bad = tmp_path / "a.txt.gz", tmp_path / "b.txt.gz"
    out = tmp_path / ("m.txt.gz" if gz else "m.txt")
    assert main(["merge", str(good), str(bad), "--out", str(out)]) == 2
    one_line_error(capsys, str(bad), "not UTF-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([good.name, bad.name])


# --------------------------------------------------------------------------- extract

def test_extract_refuses_a_member_over_the_cap(tmp_path, capsys):
    member = "aclImdb/train/pos/7_10.txt"
    archive = make_tar(tmp_path / "bomb.tar.gz", imdb_files(**{member: b"a" * (data.MAX_MEMBER_BYTES + 1)}))
    assert archive.stat().st_size < 200_000
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(archive), member)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.tar.gz"]


def test_extract_does_not_trust_a_member_header_size(tmp_path, capsys):
    member = "aclImdb/train/pos/1_9.txt"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo(member)
        info.size = 100
        tf.addfile(info, io.BytesIO(b"x" * 100))
    raw = bytearray(buf.getvalue())
    raw[124:136] = b"\x80\0\0\0" + (10 ** 11).to_bytes(8, "big")   # GNU base-256 size: 1e11 bytes
    raw[148:156] = b" " * 8
    raw[148:156] = b"%06o\0 " % sum(raw[:512])
    archive = tmp_path / "huge.tar.gz"
    archive.write_bytes(gzip.compress(bytes(raw)))
    assert tarfile.open(archive).next().size == 10 ** 11
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(archive), member)
    assert not out.exists()


def _cut_sample(n_members: int) -> bytes:
    """The IMDb sample's tar, cut after ``n_members`` members (a clean member boundary), gzipped."""
    raw = gzip.decompress(IMDB_SAMPLE.read_bytes())
    members = tarfile.open(fileobj=io.BytesIO(raw)).getmembers()
    return gzip.compress(raw[: members[n_members].offset])


def test_extract_a_registered_archive_name_with_another_sha256(tmp_path, capsys):
    archive = tmp_path / IMDB_SAMPLE.name
    archive.write_bytes(_cut_sample(100))
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(archive), "sha256", "w2v download imdb-sample")
    assert not out.exists()


def test_extract_an_unknown_archive_without_a_train_split(tmp_path, capsys):
    archive = tmp_path / "reviews.tar.gz"
    archive.write_bytes(_cut_sample(100))   # the first 100 members: test reviews only
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(archive), "no train documents")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.tar.gz"]


def test_extract_refuses_duplicate_document_ids(tmp_path, capsys):
    archive = tmp_path / "dup.tar"
    make_tar(archive, imdb_files(), mode="w")
    with tarfile.open(archive, "a") as tf:   # the same member appended again, as `tar -r` does
        info = tarfile.TarInfo("aclImdb/train/pos/1_9.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"again"))
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(archive), "train/pos/1_9", "twice")
    assert not out.exists()


def test_extract_an_unknown_archive_warns(tmp_path, capsys):
    archive = make_tar(tmp_path / "mine.tar.gz", imdb_files())
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["totals"] == {"train": 2, "test": 1}
    warning = [line for line in captured.err.splitlines() if line.startswith("w2v: warning:")]
    assert len(warning) == 1 and str(archive) in warning[0] and "not checked" in warning[0]


@pytest.mark.parametrize("by", ["sha256", "content digest"])
def test_extract_checks_the_counts_of_a_registered_archive(tmp_path, monkeypatch, capsys, by):
    archive = make_tar(tmp_path / "mine.tar.gz", imdb_files())
    digest = data.content_digest(archive)
    spec = FileSpec("imdb-test.tar.gz", data.sha256_file(archive)) if by == "sha256" else \
        FileSpec("imdb-test.tar.gz", "0" * 64, content_digest=digest)
    source = Source(name="imdb-test", description="test", files=(spec,), reader="imdb",
                    split_sizes=(("train", 2), ("test", 1), ("unsup", 1)))
    monkeypatch.setitem(data.SOURCES, "imdb-test", source)
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(archive), "train 2, test 1", "unsup 1", "w2v download imdb-test")
    assert not out.exists()
    # the same numbers as registered: accepted, without the warning of an unknown archive
    monkeypatch.setitem(data.SOURCES, "imdb-test",
                        Source(name="imdb-test", description="test", files=(spec,), reader="imdb",
                               split_sizes=(("train", 2), ("test", 1))))
    assert main(["extract", "imdb", str(archive), "--out", str(out), "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err and out.exists()


def test_registry_records_the_documents_per_split():
    sizes = {name: dict(data.SOURCES[name].split_sizes) for name in
             ("20newsgroups", "imdb", "20newsgroups-sample", "imdb-sample")}
    assert sizes["20newsgroups"] == {"train": 11_314, "test": 7_532}
    assert sizes["imdb"] == {"train": 25_000, "test": 25_000, "unsup": 50_000}
    assert sizes["20newsgroups-sample"] == {"train": 240, "test": 120}
    assert sizes["imdb-sample"] == {"train": 200, "test": 100, "unsup": 200}


# --------------------------------------------------------------------------- corpora and tables

def _corpus_bytes() -> bytes:
    return gzip.compress(("\n".join(" ".join(f"w{(i + j) % 50}" for j in range(30)) for i in range(4000))
                          + "\n").encode())


def _damaged(tmp_path: Path, kind: str) -> Path:
    if kind == "truncated":
        whole = _corpus_bytes()
        path = tmp_path / "corpus.txt.gz"
        path.write_bytes(whole[: len(whole) // 2])
    else:
        path = tmp_path / "corpus.txt.gz"
        path.write_bytes(b"plain text, not gzip\n" * 20)
    return path


@pytest.mark.parametrize("kind", ["truncated", "not-gzip"])
def test_vocab_on_a_damaged_gzip_corpus(tmp_path, capsys, kind):
    corpus = _damaged(tmp_path, kind)
    assert main(["vocab", str(corpus), "--out", str(tmp_path / "vocab"), "--quiet"]) == 2
    one_line_error(capsys, str(corpus), "w2v prepare")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt.gz"]


@pytest.mark.parametrize("kind,extra", [("truncated", []), ("not-gzip", []), ("truncated", ["--max-docs", "3000"]),
                                        ("not-utf8", ["--max-docs", "2"])])
def test_train_on_a_damaged_corpus(tmp_path, capsys, kind, extra):
    if kind == "not-utf8":
        corpus = tmp_path / "corpus.txt"
        corpus.write_bytes(b"fine words\nbad \xff byte\n")
    else:
        corpus = _damaged(tmp_path, kind)
    out = tmp_path / "model"
    assert main(["train", str(corpus), "--out", str(out), "--quiet", "--workers", "2", *extra]) == 2
    one_line_error(capsys, str(corpus), "w2v prepare")
    assert not list(tmp_path.glob(".model.*"))
    assert not out.exists() or list(out.iterdir()) == []


def _table(tmp_path: Path) -> Path:
    docs = [{"id": str(i), "split": "train", "label": "", "text": f"document number {i} " * 20}
            for i in range(3000)]
    path = tmp_path / "documents.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(d) + "\n" for d in docs).encode()))
    return path


def test_prepare_on_a_non_utf8_table(tmp_path, capsys):
    table = tmp_path / "documents.jsonl"
    table.write_bytes(b'{"id": "1", "split": "train", "label": "", "text": "caf\xe9"}\n')
    out = tmp_path / "corpus.txt.gz"
    assert main(["prepare", str(table), "--variant", "raw", "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(table), "not UTF-8", "w2v extract")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents.jsonl"]


@pytest.mark.parametrize("kind", ["truncated", "not-gzip"])
def test_prepare_on_a_damaged_gzip_table(tmp_path, capsys, kind):
    table = _table(tmp_path)
    whole = table.read_bytes()
    table.write_bytes(whole[: len(whole) // 2] if kind == "truncated" else b"not gzip at all")
    out = tmp_path / "corpus.txt.gz"
    assert main(["prepare", str(table), "--variant", "raw", "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(table), "w2v extract")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents.jsonl.gz"]


def test_iter_documents_on_damaged_tables(tmp_path):
    from w2v.documents import iter_documents

    table = _table(tmp_path)
    whole = table.read_bytes()
    table.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(W2VError, match=r"documents.jsonl.gz: a truncated or corrupt gzip file"):
        list(iter_documents(table))
    with pytest.raises(W2VError, match=r"missing.jsonl.gz: no such document table"):
        list(iter_documents(tmp_path / "missing.jsonl.gz"))


# --------------------------------------------------------------------------- evaluate

@pytest.fixture
def vectors(tmp_path):
    from w2v.vectors import KeyedVectors

    kv = KeyedVectors([f"w{i}" for i in range(20)], np.random.default_rng(0).random((20, 8)).astype(np.float32))
    path = tmp_path / "vectors.bin"
    kv.save_word2vec_format(path, binary=True)
    return path


@pytest.mark.parametrize("option", ["--analogies", "--wordsim", "--simlex"])
def test_evaluate_with_a_missing_benchmark_file(tmp_path, capsys, vectors, option):
    others = [o for o in ("--analogies", "--wordsim", "--simlex") if o != option]
    missing = tmp_path / "missing.txt"
    argv = ["evaluate", str(vectors), "--out", str(tmp_path / "eval.json"), option, str(missing)]
    for o in others:
        argv += [o, "none"]
    assert main(argv) == 2
    one_line_error(capsys, str(missing), f"{option} none")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.bin"]


def test_benchmark_readers_name_a_missing_file(tmp_path):
    from w2v.evaluate import read_analogies, read_word_pairs

    with pytest.raises(W2VError, match=r"nope.txt: no such analogy questions file; .*questions-words"):
        read_analogies(tmp_path / "nope.txt")
    with pytest.raises(W2VError, match=r"nope.tsv: no such word-pair file"):
        read_word_pairs(tmp_path / "nope.tsv")
