"""Benchmarks on hand-made vectors with worked answers, gensim agreement, and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from w2v import evaluate as ev
from w2v.cli import main
from w2v.errors import W2VError
from w2v.vectors import KeyedVectors

# Unit vectors: man (1,0), king (.6,.8), woman (0,1), queen (-.8,.6), apple (.8,.6), prince (0,-1), zero (0,0).
WORDS = ["man", "king", "woman", "queen", "apple", "prince", "zero"]
VECS = np.array([[5, 0], [3, 4], [0, 2], [-4, 3], [8, 6], [0, -7], [0, 0]], dtype=np.float32)
COUNTS = np.array([70, 60, 50, 40, 30, 20, 10])

# Worked answers (see test_vectors.py for the arithmetic):
#   man : king :: woman : ?   add -> queen (1.4/sqrt(3.4)), mul -> queen (0.4/0.100001)
#   king : man :: queen : ?   add: man+queen-king = (-.4,-.2) -> prince (.2); mul -> prince (.1/.100001)
#   man : king :: apple : ?   add: (.4,1.4) -> woman (1.4) beats queen (.52);
#                             mul: woman .9*.8/.5 = 1.44 loses to queen .5*.36/.1 = 1.8
QUESTIONS = """\
: family
man king woman queen
MAN KING WOMAN QUEEN
man king woman apple

: gram1-adjective-to-adverb
man king woman unicorn
king man queen prince
man king apple woman
"""

PAIRS = """\
# a comment
# Word 1\tWord 2\tHuman (mean)
king\tapple\t9
KING\twoman\t7
man\tking\t8
man\tprince\t1
king\tprince\t2
king\tunicorn\t5
"""


@pytest.fixture
def kv():
    return KeyedVectors(WORDS, VECS, counts=COUNTS)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "questions.txt").write_text(QUESTIONS)
    (tmp_path / "pairs.tsv").write_text(PAIRS)
    return tmp_path / "questions.txt", tmp_path / "pairs.tsv"


# ------------------------------------------------------------------ analogies
def test_analogy_bookkeeping_worked(kv, files):
    res = ev.evaluate_analogies(kv, files[0], restrict_vocab=30000)
    assert (res["questions"], res["covered"], res["coverage"]) == (6, 5, pytest.approx(5 / 6))
    add, mul = res["methods"]["add"], res["methods"]["mul"]
    assert add["sections"] == [
        {"section": "family", "questions": 3, "correct": 2, "total": 3, "accuracy": pytest.approx(2 / 3)},
        {"section": "gram1-adjective-to-adverb", "questions": 3, "correct": 2, "total": 2, "accuracy": 1.0},
    ]
    assert (add["semantic"]["correct"], add["semantic"]["total"]) == (2, 3)
    assert (add["syntactic"]["correct"], add["syntactic"]["total"]) == (2, 2)
    assert add["total"] == {"correct": 4, "total": 5, "accuracy": 0.8}
    assert [s["correct"] for s in mul["sections"]] == [2, 1]
    assert mul["total"] == {"correct": 3, "total": 5, "accuracy": pytest.approx(0.6)}
    assert json.loads(json.dumps(res)) == res  # plain JSON types only


def test_analogies_restrict_vocab_and_no_coverage(kv, files):
    res = ev.evaluate_analogies(kv, files[0], restrict_vocab=3, methods=("add",))
    assert res["covered"] == 0 and res["coverage"] == 0.0
    assert res["methods"]["add"]["total"] == {"correct": 0, "total": 0, "accuracy": None}
    assert list(res["methods"]) == ["add"]


def test_case_variants_of_question_words_are_excluded(files):
    # "KING" points exactly along king - man + woman: with case folding it is the question word king
    words = WORDS[:4] + ["KING"]
    vecs = np.vstack([VECS[:4], [[-0.4, 1.8]]])
    kv = KeyedVectors(words, vecs)
    path = files[0].with_name("one.txt")
    path.write_text(": family\nman king woman queen\n")
    assert ev.evaluate_analogies(kv, path)["methods"]["add"]["total"]["correct"] == 1
    res = ev.evaluate_analogies(kv, path, case_insensitive=False)
    assert res["methods"]["add"]["total"]["correct"] == 0  # KING wins when it is another word
    gensim_kv = pytest.importorskip("gensim.models").KeyedVectors
    g = gensim_kv(2)
    g.add_vectors(words, vecs.astype(np.float32))
    assert len(g.evaluate_word_analogies(str(path))[1][0]["correct"]) == 1


@pytest.mark.parametrize("text,match", [
    (": s\nman king woman\n", "line 2 has 3 words"),
    ("man king woman queen\n", "before the first"),
    ("", "no analogy questions"),
])
def test_malformed_analogy_files(tmp_path, kv, text, match):
    (tmp_path / "q.txt").write_text(text)
    with pytest.raises(W2VError, match=match):
        ev.evaluate_analogies(kv, tmp_path / "q.txt")


# ------------------------------------------------------------------ word pairs
def test_word_pairs_worked_spearman_and_pearson(kv, files):
    res = ev.evaluate_word_pairs(kv, files[1])
    assert (res["pairs"], res["used"], res["skipped_oov"]) == (6, 5, 1)
    assert res["oov_ratio"] == pytest.approx(1 / 6)
    # gold 9,7,8,1,2 -> ranks 5,3,4,1,2; cosines .96,.8,.6,0,-.8 -> ranks 5,4,3,2,1; sum d^2 = 4
    assert res["spearman"] == pytest.approx(1 - 6 * 4 / (5 * 24))
    # deviations from the means 5.4 and .312: sum of products 9.016, sums of squares 53.2 and 2.07488
    assert res["pearson"] == pytest.approx(9.016 / math.sqrt(53.2 * 2.07488), abs=1e-6)


def test_word_pairs_degenerate_and_malformed(tmp_path, kv):
    (tmp_path / "p.tsv").write_text("king\tunicorn\t3\nman\tking\t2\n")
    res = ev.evaluate_word_pairs(kv, tmp_path / "p.tsv")
    assert res["used"] == 1 and res["spearman"] is None and res["pearson"] is None
    (tmp_path / "bad.tsv").write_text("# c\nking apple 9\n")
    with pytest.raises(W2VError, match="line 2"):
        ev.evaluate_word_pairs(kv, tmp_path / "bad.tsv")
    (tmp_path / "empty.tsv").write_text("# only comments\n")
    with pytest.raises(W2VError, match="no word pairs"):
        ev.evaluate_word_pairs(kv, tmp_path / "empty.tsv")


# ------------------------------------------------------------------ rare words
def test_frequency_buckets_by_rank_and_count(kv):
    b = ev.frequency_buckets(kv, edges=(2, 4))
    assert b.labels == ("1-2", "3-4", "5+")
    assert b.of_index.tolist() == [0, 0, 1, 1, 2, 2, 2]
    assert ev.frequency_buckets(kv).labels == ("1-1000", "1001-5000", "5001-20000", "20001+")
    c = ev.frequency_buckets(kv, edges=(60, 30), by="count")  # counts 70 60 50 40 30 20 10
    assert c.labels == ("count>=60", "count 30-59", "count<30")
    assert c.of_index.tolist() == [0, 0, 1, 1, 1, 2, 2]
    with pytest.raises(W2VError, match="need word counts"):
        ev.frequency_buckets(KeyedVectors(WORDS, VECS), by="count")
    with pytest.raises(W2VError, match="increasing"):
        ev.frequency_buckets(kv, edges=(4, 2))


def test_evaluate_by_frequency_worked(kv, files):
    table = ev.evaluate_by_frequency(kv, files[0], [files[1]], buckets=ev.frequency_buckets(kv, (2, 4)),
                                     methods=("add", "mul"))
    rows = {(r.benchmark, r.method, r.bucket): r for r in table.itertuples()}
    # rarest word: q1, q2 -> queen (rank 4); q3 apple, q5 prince, q6 apple (rank >= 5); q4 has unicorn
    add = [rows["questions.txt", "add", b] for b in ("1-2", "3-4", "5+", "oov")]
    assert [r.n for r in add] == [0, 2, 3, 1]
    assert [r.correct for r in add[1:3]] == [2, 2]
    assert pd.isna(add[0].accuracy) and add[2].accuracy == pytest.approx(2 / 3)
    assert (rows["questions.txt", "mul", "5+"].correct, rows["questions.txt", "mul", "5+"].n) == (1, 3)
    # pairs: man-king -> 1-2; KING-woman -> 3-4; king-apple, man-prince, king-prince -> 5+
    pairs = [rows["pairs.tsv", "cosine", b] for b in ("1-2", "3-4", "5+", "oov")]
    assert [r.n for r in pairs] == [1, 1, 3, 1]
    # 5+: gold 9,1,2 vs cosines .96,0,-.8: ranks 3,1,2 vs 3,2,1 -> 1 - 6*2/(3*8)
    assert pairs[2].spearman == pytest.approx(0.5)
    assert pd.isna(pairs[0].spearman)


def test_neighbours_table_reports_missing_probes(kv):
    table = ev.neighbours_table(kv, ["king", "unicorn"], topn=2)
    assert list(table.columns) == ["probe", "rank", "neighbour", "cosine", "in_vocab"]
    assert table.neighbour.tolist() == ["apple", "woman", ""]
    assert table.cosine.iloc[:2].tolist() == pytest.approx([0.96, 0.8], abs=1e-6)
    assert table.iloc[2].probe == "unicorn" and not table.iloc[2].in_vocab and pd.isna(table.iloc[2].cosine)


# ------------------------------------------------------------------ gensim agreement
def test_analogies_agree_with_gensim_on_structured_vectors(tmp_path):
    gensim_kv = pytest.importorskip("gensim.models").KeyedVectors
    rng = np.random.default_rng(7)
    n, d = 400, 12
    words = [f"w{i}" for i in range(n)]
    vecs = rng.standard_normal((n, d)).astype(np.float32)
    ours = KeyedVectors(words, vecs)
    lines = []
    for sec in ("capital-x", "gram2-y"):
        lines.append(f": {sec}")
        for _ in range(150):
            a, b, c = rng.choice(n, 3, replace=False)
            best = ours.analogy(words[a], words[b], words[c])[0][0]
            dd = best if rng.random() < 0.5 else words[rng.integers(n)]
            lines.append(f"{words[a]} {words[b]} {words[c]} {dd}")
    path = tmp_path / "q.txt"
    path.write_text("\n".join(lines) + "\n")
    theirs = gensim_kv(d)
    theirs.add_vectors(words, vecs)
    for restrict in (400, 250):
        _, g_sections = theirs.evaluate_word_analogies(str(path), restrict_vocab=restrict)
        res = ev.evaluate_analogies(ours, path, restrict_vocab=restrict)
        for g, o in zip(g_sections[:-1], res["methods"]["add"]["sections"]):
            assert (len(g["correct"]), len(g["correct"]) + len(g["incorrect"])) == (o["correct"], o["total"])
        if restrict == 400:
            assert res["methods"]["add"]["total"]["correct"] > 100  # half were made answerable


def test_agrees_with_gensim_on_a_trained_model(tmp_path):
    gensim = pytest.importorskip("gensim")
    from gensim.models import Word2Vec
    from gensim.test.utils import datapath

    model = Word2Vec(corpus_file=datapath("lee_background.cor"), vector_size=24, min_count=2,
                     workers=1, epochs=3, seed=1)
    model.wv.save_word2vec_format(str(tmp_path / "m.bin"), binary=True)
    ours = KeyedVectors.load(tmp_path / "m.bin")
    questions = datapath("questions-words.txt")
    _, g_sections = model.wv.evaluate_word_analogies(questions, restrict_vocab=3000)
    res = ev.evaluate_analogies(ours, questions, restrict_vocab=3000)
    assert res["methods"]["add"]["total"]["total"] == sum(len(s["correct"]) + len(s["incorrect"])
                                                          for s in g_sections[:-1]) > 50
    assert res["methods"]["add"]["total"]["correct"] == len(g_sections[-1]["correct"])
    for name in ("wordsim353.tsv", "simlex999.txt"):
        pearson, spearman, oov = model.wv.evaluate_word_pairs(datapath(name))
        mine = ev.evaluate_word_pairs(ours, datapath(name))
        assert mine["spearman"] == pytest.approx(spearman.statistic, abs=1e-9)
        assert mine["pearson"] == pytest.approx(pearson.statistic, abs=1e-6)
        assert 100 * mine["oov_ratio"] == pytest.approx(oov)
    assert gensim.__version__


def test_shipped_benchmarks_parse():
    root = ev._REPO_DATA / "benchmarks"
    assert len(ev.read_word_pairs(root / "wordsim353.tsv")) == 353
    assert len(ev.read_word_pairs(root / "simlex999.txt")) == 999


def test_default_benchmark_lookup(tmp_path, monkeypatch):
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / ev.WORDSIM_FILE).write_text("a\tb\t1\n")
    monkeypatch.setenv("W2V_BENCHMARKS", str(tmp_path / "custom"))
    monkeypatch.chdir(tmp_path)
    assert ev.default_benchmark(ev.WORDSIM_FILE) == tmp_path / "custom" / ev.WORDSIM_FILE
    assert ev.default_benchmark(ev.SIMLEX_FILE) == ev._REPO_DATA / "benchmarks" / ev.SIMLEX_FILE
    with pytest.raises(W2VError, match="W2V_BENCHMARKS"):
        ev.default_benchmark("nonexistent.txt")


# ------------------------------------------------------------------ CLI
def test_cli_evaluate_writes_json_and_tables(tmp_path, kv, files, capsys):
    kv.save_word2vec_format(tmp_path / "v.bin")
    out = tmp_path / "res" / "eval.json"
    status = main(["evaluate", str(tmp_path / "v.bin"), "--out", str(out), "--analogies", str(files[0]),
                   "--wordsim", str(files[1]), "--simlex", "none", "--probes", "king,unicorn",
                   "--topn", "2", "--neighbours-out", str(tmp_path / "n.csv"),
                   "--frequency-out", str(tmp_path / "f.csv")])
    assert status == 0
    res = json.loads(out.read_text())
    s = res["summary"]
    assert (s["analogy_add_total"], s["analogy_mul_total"]) == (0.8, pytest.approx(0.6))
    assert s["analogy_coverage"] == pytest.approx(5 / 6) and s["wordsim353_spearman"] == pytest.approx(0.8)
    assert "simlex999" not in res and res["probes_missing"] == ["unicorn"]
    assert [w for w, _ in res["neighbours"]["king"]] == ["apple", "woman"]
    assert pd.read_csv(tmp_path / "n.csv").shape == (3, 5)
    freq = pd.read_csv(tmp_path / "f.csv")
    assert set(freq.bucket) == {"1-1000", "1001-5000", "5001-20000", "20001+", "oov"}
    assert "analogy_add_total" in capsys.readouterr().err
    # no probes: the neighbours table is just its header; 'none' skips every benchmark
    assert main(["evaluate", str(tmp_path / "v.bin"), "--out", str(out), "--analogies", "none", "--wordsim",
                 "none", "--simlex", "none", "--neighbours-out", str(tmp_path / "n.csv")]) == 0
    assert (tmp_path / "n.csv").read_text() == "probe,rank,neighbour,cosine,in_vocab\n"
    assert json.loads(out.read_text())["summary"] == {}


def test_cli_query_commands(tmp_path, kv, capsys):
    kv.save_word2vec_format(tmp_path / "vectors.bin")
    assert main(["analogy", str(tmp_path), "man", "king", "woman", "--topn", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("man : king :: woman : ?")
    assert lines[1].split() == ["0.7593", "queen"] and lines[2].split()[1] == "apple"
    assert main(["analogy", str(tmp_path), "man", "king", "apple", "--method", "mul", "--topn", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[1] == "queen"
    assert main(["similar", str(tmp_path / "vectors.bin"), "king", "--topn", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["0.9600", "apple"]
    assert main(["similar", str(tmp_path), "KING"]) == 2
    assert "word 'KING' is not in the vocabulary (7 words); did you mean 'king'?" in capsys.readouterr().err
    assert main(["similar", str(tmp_path / "missing"), "king"]) == 2
    assert "no such model directory" in capsys.readouterr().err


# ------------------------------------------------------------------ one ranking for every trainer
def test_a_shared_ranking_asks_every_vectors_file_the_same_questions(tmp_path, files, capsys):
    from w2v.vocab import Vocabulary

    # queen and apple tie at count 40: one trainer wrote queen first, another apple first
    counts = {"man": 70, "king": 60, "woman": 50, "queen": 40, "apple": 40, "prince": 20, "zero": 10}
    Vocabulary.from_counts(counts, min_count=1).save_tsv(tmp_path / "vocab.tsv")
    assert ev.read_ranking(tmp_path / "vocab.tsv")[:5] == ["man", "king", "woman", "apple", "queen"]
    order = [0, 1, 2, 4, 3, 5, 6]  # apple before queen
    KeyedVectors(WORDS, VECS).save_word2vec_format(tmp_path / "a.bin")
    KeyedVectors([WORDS[i] for i in order], VECS[order]).save_word2vec_format(tmp_path / "b.bin")

    def answers(name, *ranking):
        out = tmp_path / f"{name}{len(ranking)}.json"
        assert main(["evaluate", str(tmp_path / name), "--out", str(out), "--analogies", str(files[0]),
                     "--wordsim", "none", "--simlex", "none", "--restrict-vocab", "4", *ranking]) == 0
        res = json.loads(out.read_text())
        asked = tuple(sec["total"] for sec in res["analogies"]["methods"]["add"]["sections"])
        return asked, res["analogies"]["methods"]["add"]["total"]["correct"], res

    # by file order the first 4 rows differ: a.bin is asked the two family questions about queen,
    # b.bin one family and one syntactic question about apple
    assert answers("a.bin")[:2] == ((2, 0), 2) and answers("b.bin")[:2] == ((1, 1), 2)
    ranked_a, ranked_b = answers("a.bin", "--ranking", str(tmp_path / "vocab.tsv")), \
        answers("b.bin", "--ranking", str(tmp_path / "vocab.tsv"))
    assert ranked_a[:2] == ranked_b[:2] == ((1, 1), 2)  # the ranking's top 4: man, king, woman, apple
    assert ranked_a[2]["ranked_by"] == "shared corpus ranking" and ranked_a[2]["ranked_words_present"] == 4
    assert ranked_a[2]["restrict_vocab"] == 4


def test_ranked_puts_the_ranking_first_and_counts_the_words_present():
    kv = KeyedVectors(["c", "a", "x", "b"], np.eye(4, dtype=np.float32), counts=np.array([9, 8, 7, 6]))
    out, n = ev.ranked(kv, ["a", "b", "missing", "c"], restrict_vocab=3)
    assert out.index_to_key == ["a", "b", "c", "x"] and n == 2  # "missing" has no vector
    assert np.array_equal(out["c"], kv["c"]) and list(out.counts) == [8, 6, 9, 7]
    assert ev.ranked(kv, ["a"], restrict_vocab=None)[1] is None


def test_evaluate_refuses_a_missing_ranking_file(tmp_path, kv, capsys):
    kv.save_word2vec_format(tmp_path / "v.bin")
    assert main(["evaluate", str(tmp_path / "v.bin"), "--out", str(tmp_path / "e.json"),
                 "--ranking", str(tmp_path / "none.tsv")]) == 2
    assert "--ranking" in capsys.readouterr().err
