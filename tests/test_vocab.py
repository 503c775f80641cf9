"""Worked examples for w2v.vocab: ordering, selection, TSV, counting, encoding, build/load."""

import gzip
import json

import numpy as np
import pytest

from w2v.errors import W2VError
from w2v.vocab import Vocabulary, build, count_corpus, encode_corpus, load_encoded

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


def test_count_corpus(corpus):
    counts, n_docs, n_tokens = count_corpus(corpus)
    assert counts == {"the": 3, "cat": 2, "sat": 1, "dog": 1, "end": 1}
    assert (n_docs, n_tokens) == (4, 8)


def test_count_corpus_last_line_without_newline_and_empty_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b\nc", encoding="utf-8")
    assert count_corpus(path)[1:] == (2, 3)
    path.write_text("", encoding="utf-8")
    assert count_corpus(path) == ({}, 0, 0)


def test_count_corpus_bad_bytes_and_missing_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"ok caf\xe9\n")
    with pytest.raises(W2VError, match="not UTF-8"):
        count_corpus(path)
    with pytest.raises(W2VError, match="no such corpus"):
        count_corpus(tmp_path / "missing.txt.gz")


def test_encode_offsets_with_empty_documents(corpus):
    vocab = Vocabulary.from_counts(count_corpus(corpus)[0], min_count=2)
    assert vocab.words == ["the", "cat"]
    ids, offsets = encode_corpus(corpus, vocab)
    assert ids.dtype == np.int32 and offsets.dtype == np.int64
    assert ids.tolist() == [0, 1, 0, 1, 0]
    assert offsets.tolist() == [0, 2, 2, 3, 5]


def test_encode_all_out_of_vocabulary_and_empty(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("x y\n\nz\n", encoding="utf-8")
    ids, offsets = encode_corpus(path, Vocabulary.from_counts({"a": 9}))
    assert ids.tolist() == [] and ids.dtype == np.int32
    assert offsets.tolist() == [0, 0, 0, 0]
    path.write_text("", encoding="utf-8")
    ids, offsets = encode_corpus(path, Vocabulary.from_counts({"a": 9}))
    assert ids.tolist() == [] and offsets.tolist() == [0]


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
