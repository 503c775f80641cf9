"""Tests of the data stage: registry, download (HTTP + mirror), readers, extract, CLI, sample."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from w2v import data
from w2v.cli import main
from w2v.data import FileSpec, Source
from w2v.documents import iter_documents
from w2v.errors import W2VError

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
# the real archives: $W2V_DATA_MIRROR, else shared/data next to the repository (as in CI)
SHARED = Path(os.environ.get("W2V_DATA_MIRROR") or REPO.parent / "shared" / "data")
NEEDS_SHARED = pytest.mark.skipif(not (SHARED / "MANIFEST.md").is_file(),
                                  reason=f"{SHARED} (the real archives) is absent on this machine")


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture(autouse=True)
def _no_env_mirror(monkeypatch):
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setattr(data, "RETRY_BACKOFF_S", 0.0)


def make_tar(path: Path, files: dict[str, bytes], mode: str = "w:gz", dirs=()) -> Path:
    with tarfile.open(path, mode) as tf:
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
        for name, payload in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    return path


# --------------------------------------------------------------------------- registry, checksums

def test_registry_is_well_formed():
    names = set()
    for source in data.SOURCES.values():
        assert source.files, source.name
        for spec in source.files:
            assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
            assert spec.name not in names
            names.add(spec.name)
    assert data.SOURCES["20newsgroups"].file == "20news-bydate.tar.gz"
    assert data.SOURCES["imdb"].accepted()["aclImdb_v1.reviews.tar.xz"].startswith("ddcc4a56")
    assert data.SOURCES["googlenews"].files[0].size == 1_647_046_227
    assert not data.SOURCES["imdb-sample"].urls


def test_unknown_source():
    with pytest.raises(W2VError, match=r"text9: unknown data source; choose one of: 20newsgroups"):
        data.get_source("text9")


def test_sha256_file(tmp_path):
    (tmp_path / "abc").write_bytes(b"abc")
    assert data.sha256_file(tmp_path / "abc") == \
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_content_digest_ignores_order_metadata_and_compression(tmp_path):
    a = make_tar(tmp_path / "a.tar.gz", {"d/x": b"1", "d/y": b"22"}, dirs=["d"])
    b = make_tar(tmp_path / "b.tar.xz", {"d/y": b"22", "d/x": b"1"}, mode="w:xz")
    c = make_tar(tmp_path / "c.tar", {"d/x": b"1", "d/y": b"23"}, mode="w")
    expected = sha(f"d/x\t{sha(b'1')}\nd/y\t{sha(b'22')}\n".encode())
    assert data.content_digest(a) == data.content_digest(b) == expected
    assert data.content_digest(c) != expected


# --------------------------------------------------------------------------- HTTP download

class _Server:
    """A tiny HTTP server on 127.0.0.1 serving ``payload`` at any path, with Range support."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.drop_first = False      # first full response stops half-way
        self.ignore_range = False
        self.status = 200
        self.requests: list[str | None] = []   # the Range header of each request
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                server.requests.append(rng)
                if server.status != 200:
                    self.send_error(server.status)
                    return
                body, code = server.payload, 200
                if rng and not server.ignore_range:
                    start = int(rng.removeprefix("bytes=").rstrip("-"))
                    body, code = server.payload[start:], 206
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                if code == 206:
                    self.send_header("Content-Range", f"bytes {len(server.payload) - len(body)}-"
                                                      f"{len(server.payload) - 1}/{len(server.payload)}")
                self.end_headers()
                if server.drop_first and len(server.requests) == 1:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tiny.bin"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def server():
    srv = _Server(PAYLOAD)
    yield srv
    srv.close()


def _register(monkeypatch, urls, digest=sha(PAYLOAD), name="tiny"):
    source = Source(name=name, description="test", urls=tuple(urls),
                    files=(FileSpec("tiny.bin", digest, size=len(PAYLOAD)),
                           FileSpec("tiny.rebuilt.bin", sha(b"rebuilt"))))
    monkeypatch.setitem(data.SOURCES, name, source)
    return source


def test_http_full_download(tmp_path, server, monkeypatch):
    _register(monkeypatch, [server.url])
    path = data.download("tiny", tmp_path / "dl", progress=False)
    assert path == tmp_path / "dl" / "tiny.bin"
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [None]
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["tiny.bin"]
    # Second call: the verified file is there, no request is made.
    assert data.download("tiny", tmp_path / "dl", progress=False) == path
    assert server.requests == [None]


def test_http_resume_after_dropped_connection(tmp_path, server, monkeypatch):
    _register(monkeypatch, [server.url])
    server.drop_first = True
    path = data.download("tiny", tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [None, f"bytes={len(PAYLOAD) // 2}-"]
    assert not (tmp_path / "tiny.bin.part").exists()


def test_http_resumes_a_part_left_by_an_earlier_run(tmp_path, server, monkeypatch):
    _register(monkeypatch, [server.url])
    (tmp_path / "tiny.bin.part").write_bytes(PAYLOAD[:1000])
    assert data.download("tiny", tmp_path, progress=False).read_bytes() == PAYLOAD
    assert server.requests == ["bytes=1000-"]


def test_http_server_ignoring_range_restarts(tmp_path, server, monkeypatch):
    _register(monkeypatch, [server.url])
    server.ignore_range = True
    (tmp_path / "tiny.bin.part").write_bytes(b"garbage that is not the start")
    assert data.download("tiny", tmp_path, progress=False).read_bytes() == PAYLOAD


def test_http_wrong_checksum(tmp_path, server, monkeypatch):
    wrong = sha(b"something else")
    _register(monkeypatch, [server.url], digest=wrong)
    with pytest.raises(W2VError) as err:
        data.download("tiny", tmp_path, progress=False)
    msg = str(err.value)
    assert f"expected {wrong}" in msg and f"found {sha(PAYLOAD)}" in msg
    assert "tiny.bin" in msg and data.MIRROR_ENV in msg and "\n" not in msg
    assert list(tmp_path.iterdir()) == []  # neither the final name nor the .part


def test_http_server_down(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/tiny.bin"
    _register(monkeypatch, [url])
    with pytest.raises(W2VError) as err:
        data.download("tiny", tmp_path, progress=False, retries=2, timeout=5)
    msg = str(err.value)
    assert url in msg and "refused" in msg.lower()
    assert f"set {data.MIRROR_ENV}" in msg and "tiny.rebuilt.bin" in msg
    assert not (tmp_path / "tiny.bin").exists()


def test_http_404_falls_back_to_second_url(tmp_path, monkeypatch):
    bad, good = _Server(PAYLOAD), _Server(PAYLOAD)
    bad.status = 404
    try:
        _register(monkeypatch, [bad.url, good.url])
        assert data.download("tiny", tmp_path, progress=False, retries=3).read_bytes() == PAYLOAD
        assert len(bad.requests) == 1  # a 404 is not retried
    finally:
        bad.close()
        good.close()


# --------------------------------------------------------------------------- mirror

def test_mirror_copies_an_accepted_file(tmp_path, monkeypatch):
    _register(monkeypatch, [])
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.rebuilt.bin").write_bytes(b"rebuilt")
    path = data.download("tiny", tmp_path / "dest", mirror=mirror, progress=False)
    assert path == tmp_path / "dest" / "tiny.rebuilt.bin" and path.read_bytes() == b"rebuilt"


def test_mirror_from_environment_with_several_folders(tmp_path, monkeypatch):
    _register(monkeypatch, [])
    (tmp_path / "empty").mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "tiny.bin").write_bytes(PAYLOAD)
    monkeypatch.setenv(data.MIRROR_ENV, f"{tmp_path / 'empty'}{os.pathsep}{tmp_path / 'm'}")
    assert data.download("tiny", tmp_path / "dest", progress=False).read_bytes() == PAYLOAD


def test_mirror_file_with_unknown_checksum(tmp_path, monkeypatch):
    _register(monkeypatch, [])
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.bin").write_bytes(PAYLOAD[:-1])
    with pytest.raises(W2VError) as err:
        data.download("tiny", tmp_path / "dest", mirror=mirror, progress=False)
    msg = str(err.value)
    assert str(mirror / "tiny.bin") in msg
    assert f"expected {sha(PAYLOAD)}" in msg and f"found {sha(PAYLOAD[:-1])}" in msg
    assert list((tmp_path / "dest").iterdir()) == []


def test_no_url_and_no_mirror(tmp_path, monkeypatch):
    _register(monkeypatch, [])
    with pytest.raises(W2VError, match=r"tiny.bin: no download URL .* set W2V_DATA_MIRROR"):
        data.download("tiny", tmp_path, progress=False)


def test_missing_mirror_folder(tmp_path, monkeypatch):
    _register(monkeypatch, [])
    with pytest.raises(W2VError, match="data mirror folder does not exist"):
        data.download("tiny", tmp_path, mirror=tmp_path / "nope", progress=False)


def test_existing_verified_file_is_kept_and_a_bad_one_replaced(tmp_path, monkeypatch):
    _register(monkeypatch, [])
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "tiny.rebuilt.bin").write_bytes(b"rebuilt")
    assert data.download("tiny", dest, progress=False) == dest / "tiny.rebuilt.bin"
    (dest / "tiny.rebuilt.bin").write_bytes(b"corrupted")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.rebuilt.bin").write_bytes(b"rebuilt")
    assert data.download("tiny", dest, mirror=mirror, progress=False).read_bytes() == b"rebuilt"


@NEEDS_SHARED
def test_real_mirror_files(tmp_path):
    for name, fname in [("20newsgroups", "20news-bydate.rebuilt.tar.gz"),
                        ("imdb", "aclImdb_v1.reviews.tar.xz"),
                        ("questions-words", "questions-words.txt")]:
        path = data.download(name, tmp_path, mirror=SHARED, progress=False)
        assert path == tmp_path / fname
        assert data.sha256_file(path) == data.SOURCES[name].accepted()[fname]
    assert data.content_digest(tmp_path / "20news-bydate.rebuilt.tar.gz") == \
        "715a53e30cecc9372e05bf3a2bb3ea7662f79baf2db7811d424df27a86b87dd7"


def test_sample_mirror_files_match_registry(tmp_path):
    for name in ("20newsgroups-sample", "imdb-sample", "questions-words"):
        path = data.download(name, tmp_path, mirror=SAMPLE, progress=False)
        spec = data.SOURCES[name].files[0]
        assert path.name == spec.name and path.stat().st_size == (spec.size or path.stat().st_size)
    total = sum(p.stat().st_size for p in SAMPLE.iterdir())
    assert total < 2_000_000


# --------------------------------------------------------------------------- 20 Newsgroups

MESSAGE = ("From: bob@example.org\nSubject: hi\n\n"
           "In article <1@x>, alice writes:\n> quoted line\nMy own text.\n| also quoted\nMore text\n"
           "\n--\nBob\n")


def test_strip_rules_worked_example():
    body = data.strip_newsgroup_header(MESSAGE)
    assert body.startswith("In article <1@x>")
    no_footer = data.strip_newsgroup_footer(body)
    assert no_footer == ("In article <1@x>, alice writes:\n> quoted line\nMy own text.\n"
                         "| also quoted\nMore text\n")
    assert data.strip_newsgroup_quoting(no_footer) == "My own text.\nMore text\n"


@pytest.mark.parametrize("text,expected", [
    ("one line", "one line"),          # no separator: unchanged
    ("\n\nsig only", "\n\nsig only"),  # separator only before the first line: unchanged
    ("a\n\nb", "a"),
    ("a\n----\nb\n\n\n", "a"),         # trailing blank lines ignored, hyphen line cuts
    ("", ""),
])
def test_strip_footer_edge_cases(text, expected):
    assert data.strip_newsgroup_footer(text) == expected


def test_strip_header_without_blank_line_drops_everything():
    assert data.strip_newsgroup_header("From: x\nSubject: y\n") == ""


def _ng_archive(tmp_path):
    files = {
        "20news-bydate-train/sci.space/10": b"Subject: ten\n\nbody ten\n",
        "20news-bydate-train/sci.space/9": b"Subject: nine\n\ncaf\xe9 au lait\r\n",
        "20news-bydate-test/alt.atheism/5": MESSAGE.encode(),
        "20news-bydate-train/alt.atheism/100": b"x",
        "20news-bydate-train/.DS_Store": b"\x00\x01",
        "20news-bydate-train/alt.atheism/.hidden": b"junk",
    }
    return make_tar(tmp_path / "ng.tar.gz", files,
                    dirs=["20news-bydate-train", "20news-bydate-train/alt.atheism"])


def test_read_20newsgroups_order_ids_and_latin1(tmp_path):
    docs = list(data.read_20newsgroups(_ng_archive(tmp_path)))
    assert [d["id"] for d in docs] == ["train/alt.atheism/100", "train/sci.space/9",
                                       "train/sci.space/10", "test/alt.atheism/5"]
    assert [(d["split"], d["label"]) for d in docs] == [
        ("train", "alt.atheism"), ("train", "sci.space"), ("train", "sci.space"), ("test", "alt.atheism")]
    assert docs[1]["text"] == "Subject: nine\n\ncafé au lait\r\n"
    assert docs[3]["text"] == MESSAGE


def test_read_20newsgroups_remove(tmp_path):
    docs = list(data.read_20newsgroups(_ng_archive(tmp_path), remove=("headers", "footers", "quotes")))
    assert docs[3]["text"] == "My own text.\nMore text\n"
    assert docs[1]["text"] == "café au lait\r\n"   # header gone; single line, no footer cut
    with pytest.raises(W2VError, match="signatures: unknown part to strip"):
        list(data.read_20newsgroups(_ng_archive(tmp_path), remove=("signatures",)))


def test_strip_rules_agree_with_sklearn_on_sample():
    sk = pytest.importorskip("sklearn.datasets._twenty_newsgroups")
    docs = list(data.read_20newsgroups(SAMPLE / "20news-bydate.sample.tar.gz"))
    ours = list(data.read_20newsgroups(SAMPLE / "20news-bydate.sample.tar.gz",
                                       remove=("headers", "footers", "quotes")))
    for raw, stripped in zip(docs, ours):
        text = sk.strip_newsgroup_quoting(sk.strip_newsgroup_footer(sk.strip_newsgroup_header(raw["text"])))
        assert stripped["text"] == text, raw["id"]
    assert sum(a["text"] != b["text"] for a, b in zip(docs, ours)) == len(docs)


def test_read_20newsgroups_wrong_archive(tmp_path):
    archive = make_tar(tmp_path / "x.tar.gz", {"other/file.txt": b"x"})
    with pytest.raises(W2VError, match="no 20news-bydate-train/ or -test/ messages"):
        list(data.read_20newsgroups(archive))


# --------------------------------------------------------------------------- IMDb

@pytest.mark.parametrize("raw,n", [
    (b"plain", 0),
    (b"bad \xff byte", 1),
    (b"\xff\xfe", 2),
    (b"cut \xe2\x82", 1),           # a truncated 3-byte sequence is one replacement
    ("fine é €".encode(), 0),
    (b"\xe2\x82 mid \xc3", 2),
])
def test_decode_utf8_counts_replacements(raw, n):
    text, count = data._decode_utf8(raw)
    assert text == raw.decode("utf-8", errors="replace")
    assert count == n


def _imdb_files():
    return {
        "aclImdb/README": b"readme",
        "aclImdb/train/urls_pos.txt": b"http://x\n",
        "aclImdb/train/pos/10_7.txt": b"ten",
        "aclImdb/train/pos/2_9.txt": b"Great.<br /><br />Loved it.",
        "aclImdb/train/neg/0_3.txt": b"bad \xff byte",
        "aclImdb/test/neg/1_1.txt": b"awful",
        "aclImdb/train/unsup/5_0.txt": b"unlabelled",
    }


@pytest.mark.parametrize("mode,suffix", [("w:gz", ".tar.gz"), ("w:xz", ".tar.xz")])
def test_read_imdb(tmp_path, mode, suffix):
    archive = make_tar(tmp_path / ("imdb" + suffix), _imdb_files(), mode=mode)
    stats: dict = {}
    docs = list(data.read_imdb(archive, stats=stats))
    assert [d["id"] for d in docs] == ["train/neg/0_3", "train/pos/2_9", "train/pos/10_7",
                                       "test/neg/1_1", "train/unsup/5_0"]
    assert [(d["split"], d["label"], d["rating"]) for d in docs] == [
        ("train", "neg", 3), ("train", "pos", 9), ("train", "pos", 7), ("test", "neg", 1), ("unsup", "", 0)]
    assert docs[0]["text"] == "bad \ufffd byte"
    assert docs[1]["text"] == "Great.<br /><br />Loved it."
    assert stats == {"replaced_chars": 1, "replaced_docs": 1}


# --------------------------------------------------------------------------- extract

def test_extract_imdb_counts_and_table(tmp_path):
    archive = make_tar(tmp_path / "imdb.tar.gz", _imdb_files())
    out = tmp_path / "docs.jsonl.gz"
    counts = data.extract("imdb", archive, out, progress=False)
    assert counts == {"dataset": "imdb", "archive": str(archive), "documents": 5,
                      "totals": {"train": 3, "test": 1, "unsup": 1},
                      "splits": {"train": {"neg": 1, "pos": 2}, "test": {"neg": 1}, "unsup": {"": 1}},
                      "replaced_chars": 1, "replaced_docs": 1}
    docs = list(iter_documents(out))
    assert docs[4] == {"id": "train/unsup/5_0", "split": "unsup", "label": "", "text": "unlabelled",
                       "rating": 0}
    with gzip.open(out, "rb") as fh:
        assert fh.read().count(b"\n") == 5


def test_extract_20newsgroups_remove_and_errors(tmp_path):
    out = tmp_path / "ng.jsonl.gz"
    counts = data.extract("20newsgroups", _ng_archive(tmp_path), out, remove=["headers"], progress=False)
    assert counts["totals"] == {"train": 3, "test": 1}
    assert counts["splits"]["train"] == {"alt.atheism": 1, "sci.space": 2}
    assert list(iter_documents(out))[0]["text"] == ""   # "x" has no blank line: all header
    with pytest.raises(W2VError, match="only applies to 20newsgroups"):
        data.extract("imdb", tmp_path / "x", out, remove=["headers"])
    with pytest.raises(W2VError, match="questions-words: not a data set with documents"):
        data.extract("questions-words", tmp_path / "x", out)


def test_extract_corrupt_archives(tmp_path):
    out = tmp_path / "docs.jsonl.gz"
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not an archive at all" * 10)
    with pytest.raises(W2VError, match=r"garbage.tar.gz: not a readable tar archive"):
        data.extract("imdb", garbage, out, progress=False)
    whole = (SAMPLE / "aclImdb.sample.tar.gz").read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(W2VError, match=r"truncated.tar.gz: corrupt or truncated archive"):
        data.extract("imdb", truncated, out, progress=False)
    with pytest.raises(W2VError, match=r"missing.tar.gz: archive not found"):
        data.extract("imdb", tmp_path / "missing.tar.gz", out, progress=False)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.tar.gz", "truncated.tar.gz"]


# --------------------------------------------------------------------------- sample archives

def test_sample_archives_counts(tmp_path):
    ng = data.extract("20newsgroups-sample", SAMPLE / "20news-bydate.sample.tar.gz",
                      tmp_path / "ng.jsonl.gz", progress=False)
    assert ng["totals"] == {"train": 240, "test": 120}
    assert len(ng["splits"]["train"]) == 20
    assert set(ng["splits"]["train"].values()) == {12} and set(ng["splits"]["test"].values()) == {6}
    imdb = data.extract("imdb", SAMPLE / "aclImdb.sample.tar.gz", tmp_path / "imdb.jsonl.gz", progress=False)
    assert imdb["splits"] == {"train": {"neg": 100, "pos": 100}, "test": {"neg": 50, "pos": 50},
                              "unsup": {"": 200}}
    for name in ("20newsgroups-sample", "imdb-sample"):
        spec = data.SOURCES[name].files[0]
        assert data.content_digest(SAMPLE / spec.name) == spec.content_digest


# --------------------------------------------------------------------------- CLI

def test_cli_datasets(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for source in data.SOURCES.values():
        assert source.name in out
        for spec in source.files:
            assert f"{spec.name}  sha256 {spec.sha256}" in out


def test_cli_download_and_extract(tmp_path, capsys):
    assert main(["download", "imdb-sample", "--dest", str(tmp_path), "--mirror", str(SAMPLE), "--quiet"]) == 0
    path = capsys.readouterr().out.strip()
    assert path == str(tmp_path / "aclImdb.sample.tar.gz")
    out = tmp_path / "docs.jsonl.gz"
    assert main(["extract", "imdb", path, "--out", str(out), "--quiet"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["totals"] == {"train": 200, "test": 100, "unsup": 200} and out.exists()


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["download", "imdb-sample", "--dest", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2v: error: aclImdb.sample.tar.gz: no download URL") and err.count("\n") == 1
    assert main(["extract", "20newsgroups", str(SAMPLE / "20news-bydate.sample.tar.gz"),
                 "--out", str(tmp_path / "o.jsonl.gz"), "--remove", "headers,sigs"]) == 2
    assert "sigs: unknown part to strip" in capsys.readouterr().err


# --------------------------------------------------------------------------- real data (slow)

@pytest.mark.slow
@NEEDS_SHARED
def test_real_archives_counts(tmp_path):
    ng = data.extract("20newsgroups", SHARED / "20news-bydate.rebuilt.tar.gz", tmp_path / "ng.jsonl.gz",
                      progress=False)
    assert ng["totals"] == {"train": 11_314, "test": 7_532}
    assert ng["splits"]["train"]["rec.sport.hockey"] == 600 and ng["splits"]["test"]["alt.atheism"] == 319
    assert len(ng["splits"]["test"]) == 20
    imdb = data.extract("imdb", SHARED / "aclImdb_v1.reviews.tar.xz", tmp_path / "imdb.jsonl.gz",
                        progress=False)
    assert imdb["splits"] == {"train": {"neg": 12_500, "pos": 12_500}, "test": {"neg": 12_500, "pos": 12_500},
                              "unsup": {"": 50_000}}


def test_sample_notes_name_the_script_that_builds_them():
    notes = [f.note for s in data.SOURCES.values() for f in s.files if f.note.startswith("built by ")]
    assert notes and all((REPO / n.removeprefix("built by ")).is_file() for n in notes), notes


@pytest.mark.slow
@NEEDS_SHARED
def test_make_sample_reproduces_committed_sample(tmp_path):
    import runpy

    script = runpy.run_path(str(REPO / "tools" / "make_sample.py"))
    assert script["main"](["--src", str(SHARED), "--out", str(tmp_path)]) == 0
    for name in ("20news-bydate.sample.tar.gz", "aclImdb.sample.tar.gz", "questions-words.txt"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes()
