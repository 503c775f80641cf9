"""Worked examples for w2v.preprocess: variants, normalisation, word steps, entities, corpus files."""

import gzip
import itertools
import json

import pytest
import spacy

from w2v.cli import main
from w2v.errors import W2VError
from w2v.preprocess import (
    DEFAULT_VARIANTS,
    Variant,
    load_nlp,
    merge_shards,
    normalise,
    prepare_corpus,
    preprocess_text,
    shard_range,
    tail_lines,
    tokenize,
)


# ------------------------------------------------------------------ variant names

def test_variant_parse_and_str():
    v = Variant.parse("lemma+nostop+num+ner")
    assert v == Variant("lemma", True, True, True)
    assert str(v) == "lemma+nostop+num+ner"
    assert Variant.parse("raw") == Variant()
    assert str(Variant("stem", digits_normalised=True)) == "stem+num"


def test_every_variant_name_round_trips():
    names = set()
    for morph in ("raw", "stem", "lemma"):
        for on in itertools.product([False, True], repeat=3):
            v = Variant(morph, *on)
            assert Variant.parse(str(v)) == v
            names.add(str(v))
    assert len(names) == 24
    assert all(str(Variant.parse(n)) == n for n in DEFAULT_VARIANTS)


@pytest.mark.parametrize("bad", ["", "foo", "Raw", "raw+num+nostop", "raw+num+num", "raw+", "stem+digits"])
def test_bad_variant_names_list_the_allowed_parts(bad):
    with pytest.raises(W2VError, match=r"raw\|stem\|lemma") as exc:
        Variant.parse(bad)
    assert "[+nostop][+num][+ner]" in str(exc.value)


# ------------------------------------------------------------------ normalisation and tokens

def test_normalise_turns_separators_into_spaces():
    assert normalise("Hello, World!") == "hello  world "
    assert normalise("") == ""


def test_markup_is_removed():
    assert tokenize("<b>Great</b> movie!<br /><br />10/10") == ["great", "movie", "10", "10"]
    assert tokenize('a <a href="http://x.org/">link</a> b') == ["a", "link", "b"]
    # A lone '<' is not a tag: the words after it survive.
    assert tokenize("a < b and c > d") == ["a", "b", "and", "c", "d"]


def test_html_entities_are_unescaped():
    assert tokenize("Tom &amp; Jerry &eacute;t&eacute;") == ["tom", "jerry", "été"]
    # Escaped markup becomes markup and is removed as well.
    assert tokenize("&lt;i&gt;x&lt;/i&gt; a &lt; b") == ["x", "a", "b"]


def test_urls_and_emails_are_dropped():
    text = ("See http://www.imdb.com/title/tt0111161/ now, www.example.org/page?x=1 ok; "
            "HTTPS://A.B/c mail john.doe@example.com today")
    assert tokenize(text) == ["see", "now", "ok", "mail", "today"]
    # 20 Newsgroups message ids and addresses in angle brackets
    assert tokenize("In article <1993Apr5.123@foo.bar.edu> joe writes") == ["in", "article", "joe", "writes"]
    assert tokenize("From: <smith@cs.umd.edu>") == ["from"]


def test_apostrophes_inside_words_are_kept():
    assert tokenize("Don't") == ["don't"]
    assert tokenize("Mary's rock'n'roll") == ["mary's", "rock'n'roll"]
    # quotes around words and trailing possessive apostrophes go
    assert tokenize("'quoted' the dogs' bones") == ["quoted", "the", "dogs", "bones"]
    # look-alikes become "'" (typographic, backtick, cp1252 read as latin-1)
    assert tokenize("don\u2019t don`t don\x92t") == ["don't"] * 3
    # a doubled apostrophe is a separator
    assert tokenize("can''t") == ["can", "t"]
    # analogy-test words are plain words
    assert tokenize("King, queen; walking.") == ["king", "queen", "walking"]


def test_underscore_and_punctuation_separate_words():
    assert tokenize("_under_score well-known e.g. x/y") == ["under", "score", "well", "known", "e", "g", "x", "y"]


def test_latin1_decoded_bytes():
    text = b"caf\xe9 na\xefve \x92s co\xadoperate \xa0x".decode("latin-1")
    assert tokenize(text) == ["café", "naïve", "s", "cooperate", "x"]


def test_unicode_is_nfkc_normalised():
    tokens = tokenize("Cafe\u0301 \ufb01lm x\u00b2 \uff21\uff22")
    assert tokens == ["café", "film", "x2", "ab"]
    assert len(tokens[0]) == 4  # composed: one code point for é


@pytest.mark.parametrize("text", ["", "   ", "<br /><br />", "!!! ... ---", "http://only.a.url/"])
def test_empty_documents_give_no_tokens(text):
    assert tokenize(text) == []
    for name in DEFAULT_VARIANTS:
        assert preprocess_text(text, name) == []


@pytest.mark.parametrize("text", [
    "Hello, World!", "<p>It's 1984's best</p>", "a__b 'c' d''e", "caf\xe9 \u2019tis\u2019",
    "x@y.z http://a.b c", "\t\r\nline\u2028sep\x85arated",
])
def test_tokenize_equals_split_normalise(text):
    assert tokenize(text) == normalise(text).split()


def test_no_token_contains_whitespace():
    text = "a\u2028b\x85c\u3000d\u00a0e"
    assert tokenize(text) == ["a", "b", "c", "d", "e"]


# ------------------------------------------------------------------ word-level steps

def test_digits_become_zero():
    assert preprocess_text("1984 3D R2-D2 1,000 ٣", "raw+num") == ["0000", "0d", "r0", "d0", "0", "000", "0"]
    assert preprocess_text("1984 3D", "raw") == ["1984", "3d"]


def test_stop_words_use_spacy_list_and_contractions():
    assert preprocess_text("The movie wasn't good at all", "raw+nostop") == ["movie", "good"]
    assert preprocess_text("Don't, it's, won't; the movie's end", "raw+nostop") == ["movie's", "end"]


def test_stop_words_are_checked_before_stemming_and_lemmatising():
    # "makes" is not a stop word, its stem/lemma "make" is: it stays.
    assert preprocess_text("make makes", "stem+nostop") == ["make"]
    assert preprocess_text("see seen", "lemma+nostop") == ["see"]


def test_stemming():
    assert preprocess_text("Running studies generously movies", "stem") == ["run", "studi", "generous", "movi"]


def test_lemmatising_with_lookup_table():
    assert preprocess_text("studies was better mice children went", "lemma") == [
        "study", "be", "well", "mouse", "child", "go"]
    # unknown words stay as they are
    assert preprocess_text("zxqv don't", "lemma") == ["zxqv", "don't"]


def test_combined_flags():
    assert preprocess_text("In 1999 the studies were <i>better</i>!", "lemma+nostop+num") == [
        "0000", "study", "well"]


# ------------------------------------------------------------------ named entities

@pytest.fixture
def nlp():
    pipeline = spacy.blank("en")
    ruler = pipeline.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "PERSON", "pattern": "Tom Hanks"},
        {"label": "GPE", "pattern": "Paris"},
        {"label": "CARDINAL", "pattern": "two"},
    ])
    return pipeline


def test_entities_replaced_by_type_token(nlp):
    text = "<b>Tom Hanks</b> was in Paris with two friends; tom hanks is lower-case."
    assert preprocess_text(text, "raw+ner", nlp=nlp) == [
        "<person>", "was", "in", "<gpe>", "with", "two", "friends", "tom", "hanks", "is", "lower", "case"]


def test_entity_tokens_skip_the_word_steps(nlp):
    assert preprocess_text("The studies of Tom Hanks in Paris 1999", "lemma+nostop+num+ner", nlp=nlp) == [
        "study", "<person>", "<gpe>", "0000"]


def test_ner_without_model_is_a_clear_error(monkeypatch):
    def missing(name, *a, **k):
        raise OSError(f"[E050] Can't find model '{name}'")

    monkeypatch.setattr(spacy, "load", missing)
    with pytest.raises(W2VError, match="install en_core_web_sm or pass --spacy-model"):
        preprocess_text("Tom Hanks", "raw+ner")
    with pytest.raises(W2VError, match="'xx_model'"):
        load_nlp("xx_model")


def test_ner_with_pipeline_lacking_ner_is_an_error():
    with pytest.raises(W2VError, match="has no 'ner'"):
        preprocess_text("Tom Hanks", "raw+ner", nlp=spacy.blank("en"))


# ------------------------------------------------------------------ corpus files

TEXTS = ["Hello <br />World 1984", "", "The the cat sat.", "Cats &amp; dogs don\u2019t", "x"]
EXPECTED_RAW = ["hello world 1984", "", "the the cat sat", "cats dogs don't", "x"]


def _table(tmp_path, texts=TEXTS, name="docs.jsonl.gz"):
    path = tmp_path / name
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": str(i), "split": "train", "label": "", "text": t}) + "\n")
    return path


def _lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read().split("\n")[:-1]


def test_prepare_corpus_writes_one_line_per_document(tmp_path):
    out = tmp_path / "c.txt.gz"
    stats = prepare_corpus(_table(tmp_path), out, "raw", progress=False)
    assert _lines(out) == EXPECTED_RAW
    assert (stats["docs"], stats["empty_docs"], stats["tokens"], stats["variant"]) == (5, 1, 11, "raw")
    assert stats["tokens_per_s"] > 0
    assert not list(tmp_path.glob("*.tmp"))


def test_prepare_corpus_empty_table(tmp_path):
    out = tmp_path / "c.txt.gz"
    stats = prepare_corpus(_table(tmp_path, []), out, "stem", progress=False)
    assert stats["docs"] == 0 and _lines(out) == []


def test_prepare_corpus_plain_text_output(tmp_path):
    out = tmp_path / "c.txt"
    prepare_corpus(_table(tmp_path), out, "raw+num", progress=False)
    assert out.read_text(encoding="utf-8") == "hello world 0000\n\nthe the cat sat\ncats dogs don't\nx\n"


def test_shard_ranges():
    assert [shard_range(5, (i, 3)) for i in range(3)] == [(0, 1), (1, 3), (3, 5)]
    assert [shard_range(2, (i, 3)) for i in range(3)] == [(0, 0), (0, 1), (1, 2)]
    assert shard_range(7, None) == (0, 7)
    for bad in [(3, 3), (-1, 2), (0, 0)]:
        with pytest.raises(W2VError, match="shard"):
            shard_range(5, bad)


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_shards_concatenate_to_the_full_corpus(tmp_path, n):
    docs = _table(tmp_path)
    parts = []
    for i in range(n):
        parts.append(tmp_path / f"part{i}.txt.gz")
        stats = prepare_corpus(docs, parts[-1], "raw", shard=(i, n), progress=False)
        assert stats["docs"] == (i + 1) * 5 // n - i * 5 // n
    merged = tmp_path / "merged.txt.gz"
    assert merge_shards(parts, merged) == 5
    assert _lines(merged) == EXPECTED_RAW
    # a single gzip stream reader sees one text
    with gzip.open(merged, "rt", encoding="utf-8") as fh:
        assert fh.read() == "\n".join(EXPECTED_RAW) + "\n"


def test_merge_plain_and_gzip_parts(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("x y\n\n", encoding="utf-8")
    b = tmp_path / "b.txt.gz"
    with gzip.open(b, "wt", encoding="utf-8") as fh:
        fh.write("z")  # no final newline: merge adds it
    out = tmp_path / "m.txt.gz"
    assert merge_shards([a, b], out) == 3
    assert _lines(out) == ["x y", "", "z"]


def test_tail_keeps_the_last_documents_in_order_and_refuses_nonsense(tmp_path, capsys):
    corpus = tmp_path / "c.txt.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as fh:
        fh.write("a b\n\nc\nd e f\ng")  # an empty document, no final newline
    out = tmp_path / "held.txt.gz"
    assert tail_lines(corpus, 3, out) == 3
    assert _lines(out) == ["c", "d e f", "g"]
    assert tail_lines(corpus, 50, tmp_path / "all.txt") == 5  # a short corpus: all of it
    assert (tmp_path / "all.txt").read_text(encoding="utf-8") == "a b\n\nc\nd e f\ng\n"
    assert main(["tail", str(corpus), "--lines", "1", "--out", str(tmp_path / "one.txt")]) == 0
    assert (tmp_path / "one.txt").read_text(encoding="utf-8") == "g\n"
    with pytest.raises(W2VError, match="--lines 0: must be at least 1"):
        tail_lines(corpus, 0, tmp_path / "x.txt")
    with pytest.raises(W2VError, match="no such corpus"):
        tail_lines(tmp_path / "missing.txt", 2, tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_merge_errors(tmp_path):
    with pytest.raises(W2VError, match="not found"):
        merge_shards([tmp_path / "missing.txt.gz"], tmp_path / "m.txt.gz")
    fake = tmp_path / "fake.txt.gz"
    fake.write_bytes(b"plain text")
    with pytest.raises(W2VError, match="not a gzip file"):
        merge_shards([fake], tmp_path / "m.txt.gz")
    assert not (tmp_path / "m.txt.gz").exists()


def test_prepare_corpus_bad_table(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "0", "text": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(W2VError, match="line 2 is not valid JSON"):
        prepare_corpus(path, tmp_path / "c.txt.gz", "raw", progress=False)
    assert not (tmp_path / "c.txt.gz").exists()
    with pytest.raises(W2VError, match="no such document table"):
        prepare_corpus(tmp_path / "nope.jsonl.gz", tmp_path / "c.txt.gz", "raw", progress=False)


def test_prepare_corpus_with_entities(tmp_path, nlp):
    docs = _table(tmp_path, ["Tom Hanks in Paris.", "", "no entity here"])
    out = tmp_path / "c.txt.gz"
    stats = prepare_corpus(docs, out, "raw+ner", nlp=nlp, progress=False)
    assert _lines(out) == ["<person> in <gpe>", "", "no entity here"]
    assert stats["tokens"] == 6


def test_cli_prepare_and_merge(tmp_path, capsys):
    from w2v.cli import main

    docs = _table(tmp_path)
    for i in range(2):
        assert main(["prepare", str(docs), "--variant", "raw", "--shard", f"{i}/2", "--quiet",
                     "--out", str(tmp_path / f"p{i}.txt.gz")]) == 0
    assert main(["merge", str(tmp_path / "p0.txt.gz"), str(tmp_path / "p1.txt.gz"),
                 "--out", str(tmp_path / "all.txt.gz")]) == 0
    assert _lines(tmp_path / "all.txt.gz") == EXPECTED_RAW
    assert main(["prepare", str(docs), "--variant", "raw", "--shard", "x", "--out", "o.gz"]) == 2
    assert "--shard 'x'" in capsys.readouterr().err
