"""Worked examples for w2v.vocab: ordering, selection, TSV, counting, encoding, build/load."""

import gzip
import json

import numpy as np
import pytest

from w2v.errors import W2VError
from w2v.vocab import CorpusScan, Vocabulary, build, load_encoded

COUNTS = {"b": 3, "a": 3, "c": 5, "d": 1, "é": 3, "Z": 3}


def test_order_is_count_desc_then_codepoint():
    v = Vocabulary.from_counts(COUNTS, min_count=2)
    assert v.words == ["c", "Z", "a", "b", "é"]
    assert v.counts.dtype == np.int64
    assert v.counts.tolist() == [5, 3, 3, 3, 3]
    assert v.index == {"c": 0, "Z": 1, "a": 2, "b": 3, "é": 4}
    assert len(v) == 5


def test_min_count_and_max_vocab():
    assert Vocabulary.from_counts(COUNTS, min_count=4).words == ["c"]
    assert Vocabulary.from_counts(COUNTS, min_count=1).words == ["c", "Z", "a", "b", "é", "d"]
    # max_vocab applies after min_count and keeps the most frequent (ties by word)
    assert Vocabulary.from_counts(COUNTS, min_count=1, max_vocab=2).words == ["c", "Z"]
    assert Vocabulary.from_counts(COUNTS, min_count=4, max_vocab=10).words == ["c"]
    assert len(Vocabulary.from_counts({}, min_count=1)) == 0
    with pytest.raises(W2VError, match="min_count=0"):
        Vocabulary.from_counts(COUNTS, min_count=0)
    with pytest.raises(W2VError, match="max_vocab=0"):
        Vocabulary.from_counts(COUNTS, max_vocab=0)


def test_words_with_whitespace_are_rejected():
    for bad in ["", "a b", "a\t", "\n"]:
        with pytest.raises(ValueError):
            Vocabulary.from_counts({bad: 9}, min_count=1)


def test_tsv_round_trip(tmp_path):
    v = Vocabulary.from_counts(COUNTS, min_count=2)
    path = tmp_path / "vocab.tsv"
    v.save_tsv(path)
    assert path.read_text(encoding="utf-8") == (
        "index\tword\tcount\n0\tc\t5\n1\tZ\t3\n2\ta\t3\n3\tb\t3\n4\té\t3\n")
    w = Vocabulary.load_tsv(path)
    assert w.words == v.words and w.counts.tolist() == v.counts.tolist() and w.index == v.index


@pytest.mark.parametrize("body, message", [
    ("idx\tword\tcount\n", "line 1"),
    ("index\tword\tcount\n0\tc\t5\n1\tZ\n", "line 3 has 2 tab-separated fields"),
    ("index\tword\tcount\n0\tc\t5\n1\tZ\tmany\n", "line 3: count 'many'"),
    ("index\tword\tcount\n0\tc\t5\n2\tZ\t3\n", "line 3: index '2', expected 1"),
    ("index\tword\tcount\n0\tc\t5\n1\tZ\t7\n", "line 3: 'Z' .7. is out of order"),
    ("index\tword\tcount\n0\tb\t3\n1\ta\t3\n", "line 3: 'a' .3. is out of order"),
    ("index\tword\tcount\n0\tc\t5\n1\tc\t5\n", "line 3: 'c' .5. is out of order or repeated"),
    ("index\tword\tcount\n0\t\t5\n", "line 2: word '' is empty"),
])
def test_malformed_tsv_names_the_line(tmp_path, body, message):
    path = tmp_path / "vocab.tsv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(W2VError, match=message):
        Vocabulary.load_tsv(path)


def test_missing_and_binary_tsv(tmp_path):
    with pytest.raises(W2VError, match="no such vocabulary file"):
        Vocabulary.load_tsv(tmp_path / "none.tsv")
    path = tmp_path / "vocab.tsv"
    path.write_bytes(b"index\tword\tcount\n0\t\xff\t5\n")
    with pytest.raises(W2VError, match="not UTF-8"):
        Vocabulary.load_tsv(path)


CORPUS = "the cat sat\n\nthe  dog\ncat the end\n"


def _reference(path, vocab: Vocabulary | None = None):
    """Count (and with ``vocab`` encode) a corpus in plain Python, independently of w2v.vocab.

    Returns ``(counts, n_docs, n_tokens)`` or ``(ids, offsets)`` as lists.
    """
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
    docs = [line.split() for line in text.split("\n")]
    if text.endswith("\n") or not text:
        docs.pop()  # a final newline ends the last document, it does not start another
    if vocab is None:
        counts: dict[str, int] = {}
        for toks in docs:
            for t in toks:
                counts[t] = counts.get(t, 0) + 1
        return counts, len(docs), sum(map(len, docs))
    rows = [[vocab.index[t] for t in toks if t in vocab.index] for toks in docs]
    return [i for r in rows for i in r], np.cumsum([0] + [len(r) for r in rows]).tolist()


def _scan_encode(path, vocab_of, out, **scan_args):
    """``(vocab, n_ids, ids, offsets)`` of a CorpusScan of ``path``, with ``vocab_of(counts)`` as vocabulary."""
    with CorpusScan(path, scratch_dir=out.parent, **scan_args) as scan:
        vocab = vocab_of(scan.counts())
        n, offsets = scan.encode_to_npy(vocab, out)
    return vocab, n, np.load(out).tolist(), offsets


@pytest.fixture(params=["plain", "gz"])
def corpus(tmp_path, request):
    if request.param == "gz":
        path = tmp_path / "corpus.txt.gz"
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(CORPUS)
    else:
        path = tmp_path / "corpus.txt"
        path.write_text(CORPUS, encoding="utf-8")
    return path


def test_scan_counts(corpus, tmp_path):
    with CorpusScan(corpus, scratch_dir=tmp_path) as scan:
        assert scan.counts() == {"the": 3, "cat": 2, "sat": 1, "dog": 1, "end": 1}
        assert (scan.docs, scan.tokens, scan.types, scan.empty_docs) == (4, 8, 5, 1)
    assert _reference(corpus) == ({"the": 3, "cat": 2, "sat": 1, "dog": 1, "end": 1}, 4, 8)


def test_scan_last_line_without_newline_and_empty_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b\nc", encoding="utf-8")
    with CorpusScan(path) as scan:
        assert (scan.docs, scan.tokens) == (2, 3) == _reference(path)[1:]
    path.write_text("", encoding="utf-8")
    with CorpusScan(path) as scan:
        assert (scan.counts(), scan.docs, scan.tokens) == ({}, 0, 0) == _reference(path)


def test_encode_offsets_with_empty_documents(corpus, tmp_path):
    vocab, n, ids, offsets = _scan_encode(corpus, lambda c: Vocabulary.from_counts(c, min_count=2),
                                          tmp_path / "ids.npy")
    assert vocab.words == ["the", "cat"]
    assert offsets.dtype == np.int64 and np.load(tmp_path / "ids.npy").dtype == np.int32
    assert n == 5 and ids == [0, 1, 0, 1, 0]
    assert offsets.tolist() == [0, 2, 2, 3, 5]
    assert (ids, offsets.tolist()) == _reference(corpus, vocab)


def test_encode_all_out_of_vocabulary_and_empty(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("x y\n\nz\n", encoding="utf-8")
    _, n, ids, offsets = _scan_encode(path, lambda c: Vocabulary.from_counts({"a": 9}), tmp_path / "a.npy")
    assert n == 0 and ids == [] and np.load(tmp_path / "a.npy").dtype == np.int32
    assert offsets.tolist() == [0, 0, 0, 0]
    path.write_text("", encoding="utf-8")
    _, n, ids, offsets = _scan_encode(path, lambda c: Vocabulary.from_counts({"a": 9}), tmp_path / "b.npy")
    assert n == 0 and ids == [] and offsets.tolist() == [0]


def test_build_and_load(corpus, tmp_path):
    out = tmp_path / "vocab"
    stats = build(corpus, out, min_count=2)
    assert {p.name for p in out.iterdir()} == {"vocab.tsv", "ids.npy", "offsets.npy", "stats.json"}
    expected = {"docs": 4, "empty_docs": 1, "docs_without_kept_tokens": 1, "tokens": 8, "types": 5,
                "kept_types": 2, "kept_tokens": 5, "dropped_rare_share": 0.375, "min_count": 2,
                "max_vocab": None, "top_words": [["the", 3], ["cat", 2]]}
    assert {k: stats[k] for k in expected} == expected
    on_disk = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert set(on_disk) == set(stats) - {"seconds"}
    assert {k: on_disk[k] for k in expected} == expected

    vocab, ids, offsets = load_encoded(out)
    assert vocab.words == ["the", "cat"] and vocab.counts.tolist() == [3, 2]
    assert isinstance(ids, np.memmap)
    assert ids.tolist() == [0, 1, 0, 1, 0] and offsets.tolist() == [0, 2, 2, 3, 5]
    vocab, ids, offsets = load_encoded(out, mmap=False)
    assert not isinstance(ids, np.memmap) and ids.dtype == np.int32


def test_build_max_vocab_and_nothing_kept(corpus, tmp_path):
    stats = build(corpus, tmp_path / "v1", min_count=1, max_vocab=1)
    assert stats["kept_types"] == 1 and stats["kept_tokens"] == 3
    assert stats["docs_without_kept_tokens"] == 1
    with pytest.raises(W2VError, match="lower --min-count"):
        build(corpus, tmp_path / "v2", min_count=4)
    assert not (tmp_path / "v2" / "vocab.tsv").exists()


def test_load_encoded_detects_inconsistent_files(corpus, tmp_path):
    out = tmp_path / "v"
    build(corpus, out, min_count=2)
    np.save(out / "offsets.npy", np.array([0, 2, 9], dtype=np.int64))
    with pytest.raises(W2VError, match="does not index ids.npy"):
        load_encoded(out)
    np.save(out / "offsets.npy", np.array([0, 2], dtype=np.int32))
    with pytest.raises(W2VError, match="expected a 1-d int64 array"):
        load_encoded(out)
    np.save(out / "offsets.npy", np.array([0, 5], dtype=np.int64))
    np.save(out / "ids.npy", np.array([0, 1, 2, 0, 0], dtype=np.int32))
    with pytest.raises(W2VError, match="ids outside 0..1"):
        load_encoded(out)
    (out / "ids.npy").unlink()
    with pytest.raises(W2VError, match="missing; run w2v vocab"):
        load_encoded(out)


def test_cli_vocab(corpus, tmp_path, capsys):
    from w2v.cli import main

    assert main(["vocab", str(corpus), "--out", str(tmp_path / "v"), "--min-count", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "kept_types: 2" in out and 'top_words: [["the", 3], ["cat", 2]]' in out
    assert main(["vocab", str(tmp_path / "none.gz"), "--out", str(tmp_path / "v")]) == 2


def _rss_file_kb() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("RssFile:"))


@pytest.mark.parametrize("batch_tokens", [1, 2, 3, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_one_pass_scan_equals_count_then_encode(tmp_path, batch_tokens, gz):
    from w2v.vocab import open_ids

    text = "x the y\n\nthe cat q\nz\ncat cat the w\n\n"
    path = tmp_path / ("c.txt.gz" if gz else "c.txt")
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    counts, n_docs, n_tokens = _reference(path)
    with CorpusScan(path, scratch_dir=tmp_path, batch_tokens=batch_tokens) as scan:
        assert scan.counts() == counts == {"x": 1, "the": 3, "y": 1, "cat": 3, "q": 1, "z": 1, "w": 1}
        assert (scan.docs, scan.tokens, scan.types, scan.empty_docs) == (n_docs, n_tokens, 7, 2) == (6, 11, 7, 2)
        for min_count in (1, 2, 4):
            vocab = Vocabulary.from_counts(scan.counts(), min_count=min_count)
            n, offsets = scan.encode_to_npy(vocab, tmp_path / f"scan{min_count}.npy")  # again and again
            ref_ids, ref_offsets = _reference(path, vocab)
            assert n == len(ref_ids) == {1: 11, 2: 6, 4: 0}[min_count]
            assert offsets.tolist() == ref_offsets
            scanned = open_ids(tmp_path / f"scan{min_count}.npy")
            assert scanned.dtype == np.int32 and scanned.tolist() == ref_ids  # a plain .npy file
    assert ref_offsets == [0, 0, 0, 0, 0, 0, 0]
    assert list(tmp_path.glob("w2v-scan-*")) == []  # the scratch file is anonymous and gone


def test_one_pass_scan_reports_bad_input(tmp_path):
    from w2v.vocab import CorpusScan

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok \xff\n")
    with pytest.raises(W2VError, match="bad.txt: not UTF-8"):
        CorpusScan(bad)
    with pytest.raises(W2VError, match="missing.txt: no such corpus"):
        CorpusScan(tmp_path / "missing.txt")


def _scan_all(path, tmp_path, workers, min_count=2):
    from w2v.vocab import CorpusScan

    with CorpusScan(path, scratch_dir=tmp_path, batch_tokens=3, workers=workers) as scan:
        vocab = Vocabulary.from_counts(scan.counts(), min_count=min_count)
        n, offsets = scan.encode_to_npy(vocab, tmp_path / f"w{workers}.npy")
        totals = (scan.docs, scan.tokens, scan.types, scan.empty_docs)
        return scan.counts(), totals, vocab.words, np.load(tmp_path / f"w{workers}.npy").tolist(), offsets.tolist()


@pytest.mark.parametrize("workers", [2, 3, 7, 50])
def test_parallel_scan_equals_one_process(tmp_path, monkeypatch, workers):
    import w2v.vocab as V

    monkeypatch.setattr(V, "PARALLEL_SCAN_BYTES", 0)  # split even a small file
    rng = np.random.default_rng(workers)
    words = ["the", "cat", "é", "naïve", "x", "y", "z"]
    lines = []
    for i in range(40):
        toks = list(rng.choice(words, rng.integers(0, 6)))
        sep = ["\u00a0", "\u3000", " ", "\t"][i % 4]  # str.split() splits on Unicode spaces too
        lines.append(sep.join(toks) + ("\r\n" if i % 5 == 0 else "\n"))
    path = tmp_path / "c.txt"
    path.write_bytes(("".join(lines) + "the tail").encode("utf-8"))  # no newline at the end
    ranges = V._line_ranges(path, workers)
    data = path.read_bytes()
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data) and 1 < len(ranges) <= workers
    assert len(ranges) == workers or workers > 7
    assert all(b == a2 and data[b - 1:b] == b"\n" for (_, b), (a2, _) in zip(ranges, ranges[1:]))
    one = _scan_all(path, tmp_path, 1)
    many = _scan_all(path, tmp_path, workers)
    assert many == one
    assert one[1] == (41, sum(len(ln.split()) for ln in lines) + 2, len(set(words) | {"tail"}),
                      sum(not ln.split() for ln in lines))
    assert list(tmp_path.glob("w2v-scan-*")) == []  # every scratch file is gone


def test_parallel_scan_reports_bad_input_and_cleans_up(tmp_path, monkeypatch):
    import w2v.vocab as V

    monkeypatch.setattr(V, "PARALLEL_SCAN_BYTES", 0)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"a b c\n" * 50 + b"ok \xff\n" + b"d e\n" * 50)  # the bad byte is in the second half
    with pytest.raises(W2VError, match="bad.txt: not UTF-8"):
        V.CorpusScan(bad, scratch_dir=tmp_path, workers=2)
    assert list(tmp_path.glob("w2v-scan-*")) == []
    gz = tmp_path / "c.txt.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("a b\n" * 100)
    assert V._line_ranges(gz, 2) is None  # compressed: one process
    monkeypatch.setattr(V, "PARALLEL_SCAN_BYTES", 1 << 20)
    assert V._line_ranges(bad, 2) is None  # too small to be worth a second process


def test_page_releaser_drops_resident_pages_and_keeps_the_data(tmp_path):
    from w2v.vocab import open_ids, page_releaser

    data = np.random.default_rng(0).integers(0, 1000, 8_000_000).astype(np.int32)  # 32 MB
    np.save(tmp_path / "ids.npy", data)
    ids = open_ids(tmp_path / "ids.npy")
    assert ids.flags.writeable and page_releaser(data) is None
    release = page_releaser(ids[1000:])
    before = _rss_file_kb()
    assert int(ids.sum(dtype=np.int64)) == int(data.sum(dtype=np.int64))
    assert _rss_file_kb() - before > 20_000  # the whole file became resident
    release()
    assert _rss_file_kb() - before < 5_000  # and left again (all but the first 1000 ids)
    assert np.array_equal(ids, data)  # reading again gives the same ids
    release(0, 10)
    assert np.array_equal(ids[1000:], data[1000:])


def test_loading_a_mapped_corpus_never_makes_it_resident_as_a_whole(tmp_path, monkeypatch):
    import w2v.vocab as V

    n = 8_000_000  # 32 MB of ids, checked 1M (4 MB) at a time
    np.save(tmp_path / "ids.npy", np.random.default_rng(0).integers(0, 3, n).astype(np.int32))
    np.save(tmp_path / "offsets.npy", np.array([0, n], dtype=np.int64))
    Vocabulary.from_counts({"a": 9, "b": 8, "c": 7}).save_tsv(tmp_path / "vocab.tsv")
    monkeypatch.setattr(V, "ID_CHECK_BLOCK", 1 << 20)
    peak = []
    real = V.page_releaser

    def spying(a):  # the resident pages of the file just before each release
        release = real(a)

        def spy(start=0, stop=None):
            peak.append(_rss_file_kb() - base)
            release(start, stop)
        return spy

    monkeypatch.setattr(V, "page_releaser", spying)
    base = _rss_file_kb()
    _, ids, _ = V.load_encoded(tmp_path)
    assert len(peak) == 8 and max(peak) < 10_000  # one block (4 MB) resident at a time, never 32 MB
    assert _rss_file_kb() - base < 5_000
    assert int(ids[-1]) in (0, 1, 2)
    ids_bad = np.load(tmp_path / "ids.npy")
    ids_bad[n - 1] = 3  # a bad id in the last block is still found
    np.save(tmp_path / "ids.npy", ids_bad)
    with pytest.raises(W2VError, match="ids outside 0..2"):
        V.load_encoded(tmp_path)


def test_build_writes_the_same_ids_as_the_reference(corpus, tmp_path):
    build(corpus, tmp_path / "v", min_count=2)
    vocab, ids, offsets = load_encoded(tmp_path / "v")
    ref_ids, ref_offsets = _reference(corpus, vocab)
    assert ids.tolist() == ref_ids and offsets.tolist() == ref_offsets
    assert ids.flags.writeable  # copy-on-write: the kernels get their usual array type
    ids[0] = 7
    assert np.load(tmp_path / "v" / "ids.npy")[0] == ref_ids[0]  # never written back
