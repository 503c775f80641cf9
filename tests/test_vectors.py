"""KeyedVectors: worked query examples and the word2vec file formats (incl. gensim interop)."""

from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pytest

from w2v.errors import W2VError
from w2v.vectors import KeyedVectors

# 2-d vectors chosen so that the unit vectors are 3-4-5 triangles:
# man (1,0), king (.6,.8), woman (0,1), queen (-.8,.6), apple (.8,.6), prince (0,-1), zero (0,0).
WORDS = ["man", "king", "woman", "queen", "apple", "prince", "zero"]
VECS = np.array([[5, 0], [3, 4], [0, 2], [-4, 3], [8, 6], [0, -7], [0, 0]], dtype=np.float32)


@pytest.fixture
def kv():
    return KeyedVectors(WORDS, VECS, counts=np.array([70, 60, 50, 40, 30, 20, 10]))


# ------------------------------------------------------------------ basics
def test_lookup_and_keyerror_names_word(kv):
    assert len(kv) == 7 and kv.vector_size == 2
    assert "king" in kv and "unicorn" not in kv
    np.testing.assert_array_equal(kv["king"], [3, 4])
    np.testing.assert_array_equal(kv[["man", "zero"]], [[5, 0], [0, 0]])
    with pytest.raises(KeyError, match="unicorn"):
        kv["unicorn"]
    with pytest.raises(KeyError, match="unicorn"):
        kv.similarity("king", "unicorn")


def test_constructor_rejects_duplicates_and_bad_shapes():
    with pytest.raises(ValueError, match="duplicate"):
        KeyedVectors(["a", "a"], np.zeros((2, 3)))
    with pytest.raises(ValueError):
        KeyedVectors(["a"], np.zeros((2, 3)))
    kv = KeyedVectors(["a"], np.zeros((1, 3), dtype=np.float64))
    assert kv.vectors.dtype == np.float32 and kv.vectors.flags.c_contiguous


def test_normed_vectors_keep_zero_rows_zero(kv):
    normed = kv.get_normed_vectors()
    np.testing.assert_allclose(normed[1], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(normed[6], [0, 0])
    assert kv.get_normed_vectors() is normed  # cached


def test_similarity_worked(kv):
    assert kv.similarity("king", "apple") == pytest.approx(0.96, abs=1e-6)  # .6*.8 + .8*.6
    assert kv.similarity("king", "queen") == pytest.approx(0.0, abs=1e-6)
    assert kv.similarity("king", "zero") == 0.0


# ------------------------------------------------------------------ queries
def test_most_similar_single_word_and_restrict_vocab(kv):
    top = kv.most_similar("king", topn=2)
    assert [w for w, _ in top] == ["apple", "woman"]
    assert [s for _, s in top] == pytest.approx([0.96, 0.8], abs=1e-6)
    # only man, king, woman are candidates; king itself is excluded
    top = kv.most_similar("king", topn=5, restrict_vocab=3)
    assert [w for w, _ in top] == ["woman", "man"]


def test_most_similar_3cosadd_worked(kv):
    # king + woman - man on unit vectors = (-0.4, 1.8), |.| = sqrt(3.4)
    res = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=10)
    assert [w for w, _ in res] == ["queen", "apple", "zero", "prince"]
    r = math.sqrt(3.4)
    assert [s for _, s in res] == pytest.approx([1.4 / r, 0.76 / r, 0.0, -1.8 / r], abs=1e-6)
    assert kv.analogy("man", "king", "woman") == [("queen", pytest.approx(1.4 / r, abs=1e-6))]
    scores = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=None)
    assert scores.shape == (7,) and scores[3] == pytest.approx(1.4 / r, abs=1e-6)


def test_most_similar_cosmul_worked(kv):
    # queen: (1+0)/2 * (1+.6)/2 / ((1-.8)/2 + 1e-6); apple: .98*.8/(.9+1e-6); zero: .25/(.5+1e-6)
    res = kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=4)
    assert [w for w, _ in res] == ["queen", "apple", "zero", "prince"]
    expected = [0.4 / (0.1 + 1e-6), 0.784 / (0.9 + 1e-6), 0.25 / (0.5 + 1e-6), 0.0]
    assert [s for _, s in res] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert kv.analogy("man", "king", "woman", method="mul", topn=2)[1][0] == "apple"
    with pytest.raises(ValueError):
        kv.analogy("man", "king", "woman", method="div")


def test_doesnt_match_worked(kv):
    # mean of unit vectors of man, king, apple, prince = (0.6, 0.1): prince has cosine < 0
    assert kv.doesnt_match(["man", "king", "apple", "prince"]) == "prince"
    assert kv.doesnt_match(["man", "king", "apple", "unicorn", "prince"]) == "prince"
    with pytest.raises(ValueError):
        kv.doesnt_match(["unicorn"])


def test_queries_agree_with_gensim(kv):
    gensim_kv = pytest.importorskip("gensim.models").KeyedVectors
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)]
    vecs = rng.standard_normal((300, 16)).astype(np.float32)
    ours = KeyedVectors(words, vecs)
    theirs = gensim_kv(16)
    theirs.add_vectors(words, vecs)
    for pos, neg in [(["w1"], []), (["w1", "w2"], ["w3"]), (["w5", "w6", "w7"], ["w8", "w9"])]:
        a = ours.most_similar(pos, neg, topn=10)
        b = theirs.most_similar(pos, neg, topn=10)
        assert [w for w, _ in a] == [w for w, _ in b]
        assert [s for _, s in a] == pytest.approx([s for _, s in b], abs=1e-5)
        a = ours.most_similar_cosmul(pos, neg, topn=10)
        b = theirs.most_similar_cosmul(pos, neg, topn=10)
        assert [w for w, _ in a] == [w for w, _ in b]
        assert [s for _, s in a] == pytest.approx([s for _, s in b], rel=1e-5)
    group = ["w1", "w2", "w3", "w4", "w5"]
    assert ours.doesnt_match(group) == theirs.doesnt_match(group)


# ------------------------------------------------------------------ formats
@pytest.mark.parametrize("name,binary", [("v.bin", True), ("v.txt", False), ("v.bin.gz", True), ("v.txt.gz", False)])
def test_round_trip_and_sniffing(tmp_path, kv, name, binary):
    path = tmp_path / name
    kv.save_word2vec_format(path, binary=binary)
    assert not list(tmp_path.glob(".*.tmp"))
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    for flag in (None, binary):
        back = KeyedVectors.load_word2vec_format(path, binary=flag)
        assert back.index_to_key == WORDS
        np.testing.assert_array_equal(back.vectors, VECS)
    assert KeyedVectors.load(path).index_to_key == WORDS


def test_exact_bytes_of_both_formats(tmp_path):
    kv = KeyedVectors(["a", "bé"], np.array([[0.5, -1.0], [0.1, 2.0]], dtype=np.float32))
    kv.save_word2vec_format(tmp_path / "v.txt", binary=False)
    assert (tmp_path / "v.txt").read_bytes() == "2 2\na 0.5 -1.0\nbé 0.1 2.0\n".encode()
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    expected = (b"2 2\na " + struct.pack("<2f", 0.5, -1.0) + b"\n"
                + "bé ".encode() + struct.pack("<2f", 0.1, 2.0) + b"\n")
    assert (tmp_path / "v.bin").read_bytes() == expected


def test_text_values_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(0)
    vecs = (rng.standard_normal((50, 7)) * 10.0 ** rng.integers(-8, 8, (50, 7))).astype(np.float32)
    kv = KeyedVectors([f"w{i}" for i in range(50)], vecs)
    kv.save_word2vec_format(tmp_path / "v.txt", binary=False)
    np.testing.assert_array_equal(KeyedVectors.load_word2vec_format(tmp_path / "v.txt").vectors, vecs)


def test_limit_reads_only_the_first_words(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v.bin")
    data = (tmp_path / "v.bin").read_bytes()
    # header claims 7 words but the file is cut inside word 4: limit=3 must not notice
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: data.index(b"queen ") + 8])
    back = KeyedVectors.load_word2vec_format(cut, limit=3)
    assert back.index_to_key == ["man", "king", "woman"]
    np.testing.assert_array_equal(back.vectors, VECS[:3])
    assert len(KeyedVectors.load_word2vec_format(tmp_path / "v.bin", limit=100)) == 7


def test_empty_vocabulary(tmp_path):
    (tmp_path / "e.bin").write_bytes(b"0 5\n")
    kv = KeyedVectors.load_word2vec_format(tmp_path / "e.bin")
    assert len(kv) == 0 and kv.vectors.shape == (0, 5)


def _google_bin(records, d=3, newline=True):
    """A binary file as word2vec.c writes it, words given as raw bytes."""
    out = f"{len(records)} {d}\n".encode()
    for word, vec in records:
        out += word + b" " + np.asarray(vec, dtype="<f4").tobytes() + (b"\n" if newline else b"")
    return out


def test_latin1_words_strict_replace_ignore(tmp_path):
    path = tmp_path / "latin1.bin"
    records = [(b"cafe", [1, 2, 3]), (b"caf\xe9", [4, 5, 6]), (b"na\xefve", [7, 8, 9])]
    path.write_bytes(_google_bin(records))
    with pytest.raises(W2VError) as err:
        KeyedVectors.load_word2vec_format(path)
    msg = str(err.value)
    # word 2 starts after the header "3 3\n" (4 bytes) and record 1 (5 + 12 + 1 bytes); its 0xe9 is 3 bytes in
    assert str(path) in msg and "word 2 (byte offset 22)" in msg and "byte 0xe9 at offset 25" in msg
    kv = KeyedVectors.load_word2vec_format(path, unicode_errors="replace")
    assert kv.index_to_key == ["cafe", "caf\ufffd", "na\ufffdve"]
    np.testing.assert_array_equal(kv["na\ufffdve"], [7, 8, 9])
    assert KeyedVectors.load_word2vec_format(path, unicode_errors="ignore").index_to_key == ["cafe", "caf", "nave"]
    assert KeyedVectors.load_word2vec_format(path, encoding="latin-1").index_to_key == ["cafe", "café", "naïve"]
    gensim_kv = pytest.importorskip("gensim.models").KeyedVectors
    theirs = gensim_kv.load_word2vec_format(path, binary=True, unicode_errors="replace")
    assert theirs.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(theirs.vectors, kv.vectors)


def test_latin1_in_text_file(tmp_path):
    path = tmp_path / "latin1.txt.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"2 2\nok 1 2\ncaf\xe9 3 4\n")
    with pytest.raises(W2VError, match=r"word 2 \(byte offset 11\)"):
        KeyedVectors.load_word2vec_format(path)
    kv = KeyedVectors.load_word2vec_format(path, unicode_errors="replace")
    assert kv.index_to_key == ["ok", "caf\ufffd"]


def test_repeated_words_keep_the_first(tmp_path):
    path = tmp_path / "dup.bin"
    path.write_bytes(_google_bin([(b"a", [1, 1, 1]), (b"b", [2, 2, 2]), (b"a", [3, 3, 3])], newline=False))
    with pytest.warns(UserWarning, match="1 repeated"):
        kv = KeyedVectors.load_word2vec_format(path)
    assert kv.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(kv["a"], [1, 1, 1])


def test_truncated_binary_names_word_and_bytes(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v.bin")
    data = (tmp_path / "v.bin").read_bytes()
    (tmp_path / "t.bin").write_bytes(data[:-5])  # last record: 8 bytes of floats + "\n" -> 4 left
    with pytest.raises(W2VError, match=r"t\.bin: word 7 .*expected 2 floats \(8 bytes\) for word 7, found 4 bytes"):
        KeyedVectors.load_word2vec_format(tmp_path / "t.bin")
    (tmp_path / "t2.bin").write_bytes(data[: data.index(b"prince")])
    with pytest.raises(W2VError, match="file ends before word 6 of 7"):
        KeyedVectors.load_word2vec_format(tmp_path / "t2.bin")


def test_truncated_and_wrong_dimension_text(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"2 3\nx 1 2 3\ny 1 2\n")
    with pytest.raises(W2VError, match=r"a\.txt: word 2 \(byte offset 12\): expected 3 floats, found 2"):
        KeyedVectors.load_word2vec_format(tmp_path / "a.txt", binary=False)
    (tmp_path / "b.txt").write_bytes(b"3 2\nx 1 2\ny 1 2\n")
    with pytest.raises(W2VError, match="ends before word 3 of 3"):
        KeyedVectors.load_word2vec_format(tmp_path / "b.txt")
    (tmp_path / "c.txt").write_bytes(b"1 2\nx 1 two\n")
    with pytest.raises(W2VError, match="c.txt: word 1"):
        KeyedVectors.load_word2vec_format(tmp_path / "c.txt", binary=False)


def test_wrong_dimension_binary(tmp_path):
    records = [(f"w{i}".encode(), [i, i, i]) for i in range(20)]
    data = _google_bin(records, d=3)
    (tmp_path / "d.bin").write_bytes(b"20 4" + data[data.index(b"\n"):])  # header says 4, records have 3
    with pytest.raises(W2VError, match="d.bin: word"):
        KeyedVectors.load_word2vec_format(tmp_path / "d.bin")


@pytest.mark.parametrize("content,match", [(b"", "empty file"), (b"hello world\n", "not a word2vec header"),
                                           (b"3\n", "not a word2vec header"), (b"3 0\n", "positive")])
def test_bad_headers(tmp_path, content, match):
    (tmp_path / "h.bin").write_bytes(content)
    with pytest.raises(W2VError, match=match):
        KeyedVectors.load_word2vec_format(tmp_path / "h.bin")


def test_missing_paths(tmp_path):
    with pytest.raises(W2VError, match="cannot open"):
        KeyedVectors.load_word2vec_format(tmp_path / "nope.bin")
    with pytest.raises(W2VError, match="no such model"):
        KeyedVectors.load(tmp_path / "nope")
    with pytest.raises(W2VError, match="no vectors.bin"):
        KeyedVectors.load(tmp_path)


def test_save_rejects_words_with_whitespace(tmp_path):
    kv = KeyedVectors(["new york"], np.ones((1, 2)))
    with pytest.raises(W2VError, match="whitespace"):
        kv.save_word2vec_format(tmp_path / "v.bin")
    assert not list(tmp_path.iterdir())


def test_load_model_directory_with_counts(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "vectors.bin")
    rows = "".join(f"{i}\t{w}\t{c}\n" for i, (w, c) in enumerate(zip(WORDS, [70, 60, 50, 40, 30, 20, 10])))
    (tmp_path / "vocab.tsv").write_text("index\tword\tcount\n" + rows)
    back = KeyedVectors.load(tmp_path)
    assert back.index_to_key == WORDS
    np.testing.assert_array_equal(back.counts, [70, 60, 50, 40, 30, 20, 10])
    (tmp_path / "vocab.tsv").write_text("index\tword\tcount\n0\tman\t70\n")
    with pytest.raises(W2VError, match="not in the vocabulary"):
        KeyedVectors.load(tmp_path)


# ------------------------------------------------------------------ gensim interop
@pytest.mark.parametrize("name,binary", [("g.bin", True), ("g.txt", False), ("g.bin.gz", True), ("g.txt.gz", False)])
def test_gensim_reads_ours_and_we_read_gensims(tmp_path, name, binary):
    gensim_kv = pytest.importorskip("gensim.models").KeyedVectors
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(200)] + ["café", "naïve", "日本"]
    vecs = rng.standard_normal((len(words), 25)).astype(np.float32)
    ours = KeyedVectors(words, vecs)
    ours.save_word2vec_format(tmp_path / ("ours_" + name), binary=binary)
    theirs = gensim_kv.load_word2vec_format(tmp_path / ("ours_" + name), binary=binary)
    assert theirs.index_to_key == words
    np.testing.assert_array_equal(theirs.vectors, vecs)
    theirs.save_word2vec_format(str(tmp_path / ("theirs_" + name)), binary=binary)
    back = KeyedVectors.load_word2vec_format(tmp_path / ("theirs_" + name))
    assert back.index_to_key == words
    np.testing.assert_array_equal(back.vectors, vecs)


def test_large_binary_loads_across_block_boundaries(tmp_path):
    rng = np.random.default_rng(2)
    n, d = 3000, 100  # 1.2 MB: crosses the 1 MiB read block
    words = [("x" * (i % 37)) + str(i) for i in range(n)]
    vecs = rng.standard_normal((n, d)).astype(np.float32)
    KeyedVectors(words, vecs).save_word2vec_format(tmp_path / "big.bin")
    back = KeyedVectors.load_word2vec_format(tmp_path / "big.bin")
    assert back.index_to_key == words
    np.testing.assert_array_equal(back.vectors, vecs)
