"""Pruning the count table while counting a corpus (``CorpusScan(prune_at=...)``, ``--max-vocab-memory``).

The pruned counts are checked against exact counts and against a plain reference of the
documented rule; the size of every count table is watched through :class:`w2v.vocab._FirstSeen`,
the class that holds the table's words.
"""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

import w2v.vocab as V
from w2v.errors import W2VError
from w2v.vocab import CorpusScan, Vocabulary


def zipf_lines(n_tokens=40_000, seed=0, per_line=17):
    """Lines of a Zipf corpus (exponent 1.3) in which a few hundred words are frequent and most occur once."""
    rng = np.random.default_rng(seed)
    toks = [f"w{r}" for r in rng.zipf(1.3, n_tokens).tolist()]
    return [" ".join(toks[i:i + per_line]) for i in range(0, len(toks), per_line)]


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def reference_counts(lines, cap):
    """The documented rule, word by word on a plain dict: ``(counts, prunings, max threshold, sum of thresholds)``."""
    table: dict[str, int] = {}
    step = cap - cap // 2
    prunings = top = total = 0
    for line in lines:
        toks = line.split()
        pieces = [toks] if len(table) + len(toks) <= cap else [toks[i:i + step] for i in range(0, len(toks), step)]
        for piece in pieces:
            if len(table) + len(piece) > cap:
                m = 1
                while sum(c > m for c in table.values()) > cap // 2:
                    m += 1
                table = {w: c for w, c in table.items() if c > m}
                prunings, top, total = prunings + 1, max(top, m), total + m
            for w in piece:
                table[w] = table.get(w, 0) + 1
    return table, prunings, top, total


class CappedTable(V._FirstSeen):
    """A count table that records its largest size and refuses to grow past ``cap`` (in forked children too)."""

    cap = None
    largest = 0

    def __missing__(self, key):
        i = super().__missing__(key)
        if len(self) > CappedTable.cap:
            raise AssertionError(f"count table of {len(self)} words, over the cap of {CappedTable.cap}")
        CappedTable.largest = max(CappedTable.largest, len(self))
        return i


@pytest.fixture
def watch(monkeypatch):
    """Set the cap the table watch enforces; returns the watch class."""
    def set_cap(cap):
        CappedTable.cap, CappedTable.largest = cap, 0
        monkeypatch.setattr(V, "_FirstSeen", CappedTable)
        return CappedTable

    return set_cap


def scan_all(path, tmp_path, name, vocab_of=lambda c: Vocabulary.from_counts(c, min_count=1), **scan_args):
    """``(counts, vocab words, ids, offsets, totals, pruning record)`` of a scan of ``path``."""
    with CorpusScan(path, scratch_dir=tmp_path, **scan_args) as scan:
        counts = dict(scan.counts())
        vocab = vocab_of(counts)
        n, offsets = scan.encode_to_npy(vocab, tmp_path / f"{name}.npy")
        ids = np.load(tmp_path / f"{name}.npy")
        assert n == ids.size
        totals = (scan.docs, scan.tokens, scan.types, scan.empty_docs)
        record = (scan.prunings, scan.threshold, scan.undercount)
    return counts, vocab, ids, offsets, totals, record


def exact_rows(lines, vocab):
    """The ids and offsets of ``lines`` encoded with ``vocab`` (words outside it dropped)."""
    ids, offsets = [], [0]
    for line in lines:
        ids += [vocab.index[w] for w in line.split() if w in vocab.index]
        offsets.append(len(ids))
    return ids, offsets


@pytest.mark.parametrize("cap", [60, 301, 2000])
def test_pruned_counts_follow_the_rule_and_the_bounds(tmp_path, watch, capfd, cap):
    lines = zipf_lines()
    exact = collections.Counter(t for line in lines for t in line.split())
    path = write(tmp_path / "zipf.txt", lines)
    table = watch(cap)
    counts, vocab, ids, offsets, totals, (prunings, top, undercount) = scan_all(
        path, tmp_path, "p", prune_at=cap, batch_tokens=997)
    assert cap // 2 < table.largest <= cap  # the table filled up and never went past the cap
    assert len(exact) > 2 * cap and prunings > 0 and len(counts) <= cap

    # the documented rule, run on a plain dict, gives the same counts and record
    ref, ref_prunings, ref_top, ref_total = reference_counts(lines, cap)
    assert counts == ref and (prunings, top, undercount) == (ref_prunings, ref_top, ref_total)

    # no count is too high or low by more than the sum of the thresholds; a word seen more often is kept
    assert all(counts[w] <= exact[w] for w in counts)
    assert all(exact[w] - counts.get(w, 0) <= undercount for w in exact)
    assert all(w in counts for w in exact if exact[w] > undercount)
    # words far above the bound keep their exact counts: the frequent words are never removed
    frequent = [w for w in exact if exact[w] > 10 * undercount]
    assert frequent and [counts[w] for w in frequent] == [exact[w] for w in frequent]

    # the tokens and documents are exact; every occurrence of a kept word is encoded
    assert totals[:2] == (len(lines), sum(exact.values())) and totals[2] == len(counts)
    assert np.bincount(ids, minlength=len(vocab)).tolist() == [exact[w] for w in vocab.words]
    ref_ids, ref_offsets = exact_rows(lines, vocab)
    assert ids.tolist() == ref_ids and offsets.tolist() == ref_offsets

    err = capfd.readouterr().err
    assert (f"w2v: vocabulary pruned while counting ({cap:,} words at most, {prunings} prunings, threshold up "
            f"to {top}): words seen fewer than {undercount + 1} times may be missing or undercounted") in err
    assert list(tmp_path.glob("w2v-scan-*")) == []


def test_the_batches_do_not_change_a_pruned_scan(tmp_path):
    path = write(tmp_path / "zipf.txt", zipf_lines(8000))
    runs = [scan_all(path, tmp_path, f"b{b}", prune_at=100, batch_tokens=b) for b in (1, 50, 1 << 20)]
    for run in runs[1:]:
        assert run[0] == runs[0][0] and run[1].words == runs[0][1].words
        assert run[2].tolist() == runs[0][2].tolist() and run[3].tolist() == runs[0][3].tolist()
        assert run[4:] == runs[0][4:]


def test_a_line_longer_than_the_cap_is_counted_in_pieces(tmp_path, watch):
    lines = ["a b a c", " ".join(f"u{i}" for i in range(50)) + " a a", "", "a u3 u3 b"]
    path = write(tmp_path / "long.txt", lines)
    table = watch(8)
    counts, vocab, ids, offsets, totals, record = scan_all(path, tmp_path, "l", prune_at=8, batch_tokens=5)
    assert 4 < table.largest <= 8
    ref, *ref_record = reference_counts(lines, 8)
    assert counts == ref and list(record) == ref_record
    assert counts["a"] == 5  # never counted at most the threshold at a pruning
    assert totals == (4, 60, len(counts), 1)
    ref_ids, ref_offsets = exact_rows(lines, vocab)
    assert ids.tolist() == ref_ids and offsets.tolist() == ref_offsets


def test_without_pruning_the_scan_is_exact(tmp_path, capfd):
    lines = zipf_lines(6000) + ["", "tail"]
    exact = collections.Counter(t for line in lines for t in line.split())
    path = write(tmp_path / "c.txt", lines)
    plain = scan_all(path, tmp_path, "n", vocab_of=lambda c: Vocabulary.from_counts(c, min_count=2))
    roomy = scan_all(path, tmp_path, "r", vocab_of=lambda c: Vocabulary.from_counts(c, min_count=2),
                     prune_at=len(exact) + 17, batch_tokens=100)
    assert plain[0] == dict(exact) and plain[5] == (0, 0, 0)
    ref_ids, ref_offsets = exact_rows(lines, plain[1])
    assert plain[2].tolist() == ref_ids and plain[3].tolist() == ref_offsets
    assert plain[4] == (len(lines), sum(exact.values()), len(exact), 1)
    # a cap the corpus never reaches changes nothing
    assert roomy[0] == plain[0] and roomy[1].words == plain[1].words
    assert roomy[2].tolist() == ref_ids and roomy[3].tolist() == ref_offsets and roomy[4:] == plain[4:]
    assert "pruned" not in capfd.readouterr().err


@pytest.mark.parametrize("prune_at", [None, 10_000])
def test_two_workers_give_one_workers_vocabulary_without_pruning(tmp_path, monkeypatch, prune_at):
    monkeypatch.setattr(V, "PARALLEL_SCAN_BYTES", 0)  # split even a small file
    lines = zipf_lines(20_000, seed=3) + ["", "é naïve"]
    path = write(tmp_path / "c.txt", lines)
    assert V._line_ranges(path, 2) is not None
    one = scan_all(path, tmp_path, "w1", prune_at=prune_at, batch_tokens=333)
    two = scan_all(path, tmp_path, "w2", prune_at=prune_at, batch_tokens=333, workers=2)
    assert one[5] == two[5] == (0, 0, 0)
    assert two[0] == one[0] and two[1].words == one[1].words and two[1].counts.tolist() == one[1].counts.tolist()
    assert two[2].tolist() == one[2].tolist() and two[3].tolist() == one[3].tolist() and two[4] == one[4]
    assert list(tmp_path.glob("w2v-scan-*")) == []


def test_two_workers_prune_each_range_and_the_merge(tmp_path, monkeypatch, watch):
    monkeypatch.setattr(V, "PARALLEL_SCAN_BYTES", 0)
    lines = zipf_lines(30_000, seed=4)
    exact = collections.Counter(t for line in lines for t in line.split())
    path = write(tmp_path / "c.txt", lines)
    table = watch(300)  # a child whose table passes the cap fails the scan
    counts, vocab, ids, offsets, totals, (prunings, top, undercount) = scan_all(
        path, tmp_path, "w2", prune_at=300, workers=2, batch_tokens=1000)
    assert cap_reached(table, 300)  # the merge, in this process, filled its table
    # each range reaches the cap alone (its words are more than the cap)
    half = collections.Counter(t for line in lines[:len(lines) // 2] for t in line.split())
    assert len(half) > 3 * 300 and prunings >= 3 and len(counts) <= 300
    assert all(counts[w] <= exact[w] for w in counts)
    assert all(exact[w] - counts.get(w, 0) <= undercount for w in exact)
    assert all(w in counts for w in exact if exact[w] > undercount)
    assert np.bincount(ids, minlength=len(vocab)).tolist() == [exact[w] for w in vocab.words]
    ref_ids, ref_offsets = exact_rows(lines, vocab)
    assert ids.tolist() == ref_ids and offsets.tolist() == ref_offsets
    assert totals[:2] == (len(lines), sum(exact.values()))
    assert list(tmp_path.glob("w2v-scan-*")) == []


def cap_reached(table, cap):
    return cap // 2 < table.largest <= cap


def test_memory_sizes():
    assert V.memory_bytes("1K") == 1024 and V.memory_bytes("500M") == 500 << 20
    assert V.memory_bytes("2g") == 2 << 30 and V.memory_bytes("3T") == 3 << 40
    assert V.prune_words(None) is None
    assert V.prune_words("2G") == (2 << 30) // V.VOCAB_ENTRY_BYTES
    assert V.prune_words("1K") >= 2  # the smallest size still holds a table that can be pruned
    for bad in ["", "2", "2GB", "0K", "02G", "1.5G", "-1G", "G", " 2G", "2 G", "١K", 2048, 1.0]:
        with pytest.raises(W2VError, match="not a memory size; write a whole number followed by K, M, G or T"):
            V.memory_bytes(bad)
    with pytest.raises(W2VError, match="at least 2 words"):
        CorpusScan("unused.txt", prune_at=1)


def test_cli_vocab_prunes_and_says_so(tmp_path, capsys):
    from w2v.cli import main

    lines = ["the cat the dog", "the a1 a2 a3 a4 a5 a6", "cat the b1 b2 b3", "the cat"]
    corpus = write(tmp_path / "tiny.txt", lines)
    exact = collections.Counter(t for line in lines for t in line.split())
    cap = 1024 // V.VOCAB_ENTRY_BYTES
    assert 2 <= cap < len(exact)
    out = tmp_path / "v"
    assert main(["vocab", str(corpus), "--out", str(out), "--min-count", "1", "--max-vocab-memory", "1K",
                 "--quiet"]) == 0
    captured = capsys.readouterr()
    ref, prunings, top, undercount = reference_counts(lines, cap)
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert {k: stats[k] for k in ("max_vocab_memory", "prune_at", "prunings", "prune_threshold",
                                  "max_undercount", "tokens", "types")} == {
        "max_vocab_memory": "1K", "prune_at": cap, "prunings": prunings, "prune_threshold": top,
        "max_undercount": undercount, "tokens": sum(exact.values()), "types": len(ref)}
    assert prunings > 0 and f"prune_at: {cap}" in captured.out
    assert "w2v: vocabulary pruned while counting" in captured.err
    vocab, ids, offsets = V.load_encoded(out)
    assert dict(zip(vocab.words, vocab.counts.tolist())) == ref
    assert np.bincount(ids, minlength=len(vocab)).tolist() == [exact[w] for w in vocab.words]

    # without the option: exact counts, no pruning recorded
    assert main(["vocab", str(corpus), "--out", str(tmp_path / "e"), "--min-count", "1", "--quiet"]) == 0
    stats = json.loads((tmp_path / "e" / "stats.json").read_text(encoding="utf-8"))
    assert (stats["max_vocab_memory"], stats["prune_at"], stats["prunings"], stats["max_undercount"]) == \
        (None, None, 0, 0)
    assert stats["types"] == len(exact) and "pruned" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["vocab", "train"])
def test_cli_refuses_a_bad_memory_size_in_one_line(tmp_path, capsys, command):
    from w2v.cli import main

    corpus = write(tmp_path / "tiny.txt", ["a b c"])
    out = tmp_path / "out"
    assert main([command, str(corpus), "--out", str(out), "--max-vocab-memory", "12Q", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("w2v: error: ") and "max_vocab_memory" in err
    assert "'12Q'" in err and "K, M, G or T" in err
    assert not out.exists()


def test_train_passes_the_cap_to_the_scan(tmp_path, monkeypatch):
    from w2v import cli
    from w2v import train as trainer
    from w2v.commands.train import config_from_args

    args = cli.build_parser("train").parse_args(["train", "c.txt", "--out", "x", "--max-vocab-memory", "64M"])
    cfg = config_from_args(args)
    assert cfg.max_vocab_memory == "64M" and trainer.TrainConfig().max_vocab_memory is None
    seen = []

    class Spy(CorpusScan):
        def __init__(self, *a, **kw):
            seen.append(kw.get("prune_at"))
            super().__init__(*a, **kw)

    monkeypatch.setattr(V, "CorpusScan", Spy)
    corpus = write(tmp_path / "c.txt", ["a b a c", "b a d"])
    vocab, offsets = trainer._scan_text(corpus, tmp_path / "ids.npy", 1, None, 1, "1K")
    assert seen == [1024 // V.VOCAB_ENTRY_BYTES]
    assert dict(zip(vocab.words, vocab.counts.tolist())) == reference_counts(["a b a c", "b a d"], seen[0])[0]
