"""The ahead-of-time kernels (w2v.engine): same results as the JIT, checked calls, builds, fallback."""

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from w2v import engine
from w2v.errors import W2VError
from w2v.kernel_abi import EXPORTS, numba_signature
from w2v.train import TrainConfig, train
from w2v.vocab import Vocabulary


def _corpus(n=60_000, types=800, seed=0):
    """A Zipf-like encoded corpus: ids by descending count, documents of 300 tokens."""
    rng = np.random.default_rng(seed)
    raw = rng.zipf(1.3, n) % types
    counts = np.bincount(raw, minlength=types)
    rank = np.empty(types, np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(types)
    ids = rank[raw]
    counts = np.bincount(ids)
    keep = counts > 0
    ids = ids[ids < keep.sum()].astype(np.int32)
    vocab = Vocabulary.from_counts({f"w{i}": int(c) for i, c in enumerate(counts[keep])}, min_count=1)
    offsets = np.append(np.arange(0, ids.size, 300), ids.size)
    return vocab, ids, offsets


def _train(monkeypatch, kind, **kw):
    monkeypatch.setenv("W2V_KERNELS", kind)
    vocab, ids, offsets = _corpus()
    return train(vocab, ids, offsets, TrainConfig(epochs=1, dim=24, min_count=1, **kw), progress=False)


@pytest.mark.parametrize("model,loss,optimizer,workers", [
    ("sg", "ns", "sgd", 1), ("cbow", "ns", "adam", 1), ("sg", "hs", "adagrad", 1), ("cbow", "hs", "sgd", 1),
    ("sg", "softmax", "sgd", 1), ("cbow", "nce", "adam", 1), ("sg", "sampled", "sgd", 1),
])
def test_ahead_of_time_kernels_train_bit_for_bit_as_the_jit(monkeypatch, model, loss, optimizer, workers):
    lr = 0.005 if optimizer != "sgd" else None
    jit = _train(monkeypatch, "jit", model=model, loss=loss, optimizer=optimizer, workers=workers, lr=lr)
    aot = _train(monkeypatch, "aot", model=model, loss=loss, optimizer=optimizer, workers=workers, lr=lr)
    assert jit.info["kernels"]["kind"] == "jit" and aot.info["kernels"]["kind"] == "aot"
    assert np.array_equal(jit.wi, aot.wi) and np.array_equal(jit.wo, aot.wo)
    assert jit.info["final_loss"] == aot.info["final_loss"]
    assert np.isfinite(aot.info["final_loss"]) and aot.info["epochs_log"][0]["examples"] > 0


def test_two_threads_run_the_ahead_of_time_kernels_in_parallel(monkeypatch):
    # Hogwild with 2 threads is not bit-reproducible; it must train (hot HS rows included) and
    # give vectors close in quality, i.e. the GIL is released and the threads did the work
    one = _train(monkeypatch, "aot", loss="hs", workers=1)
    two = _train(monkeypatch, "aot", loss="hs", workers=2)
    assert two.info["epochs_log"][0]["words"] == one.info["epochs_log"][0]["words"]
    assert abs(two.info["final_loss"] - one.info["final_loss"]) < 0.05 * one.info["final_loss"]


def test_alias_table_is_the_same_both_ways():
    p = np.random.default_rng(3).dirichlet(np.full(1000, 0.3))
    a_prob, a_alias = engine.kernels("aot").vose(p)
    j_prob, j_alias = engine.kernels("jit").vose(p)
    assert np.array_equal(a_prob, j_prob) and np.array_equal(a_alias, j_alias)


def test_ahead_of_time_module_is_built_once_per_fingerprint(monkeypatch):
    kern = engine.kernels("aot")
    assert kern.path.parent == engine.cache_dir() and kern.path.name.startswith(engine.module_name())
    monkeypatch.setattr(engine, "_cpu_identity", lambda: "another cpu")
    assert engine.module_name() != kern.path.name.split(".")[0]  # another CPU: another module


@pytest.mark.parametrize("position,value,message", [
    (0, np.zeros(3, np.int64),
     "argument 'ids' must be a C-contiguous int32 array of 1 dimension(s), not a C-contiguous int64"),
    (4, np.zeros((4, 6), np.float32)[:, ::2], "argument 'wi' must be a C-contiguous writeable float32 array of 2"),
    (2, 1.5, "argument 's0' must be an integer, not float 1.5"),
    (2, True, "argument 's0' must be an integer"),
    (9, np.zeros((2, 2), np.float32), "argument 'log_q' must be a C-contiguous float32 array of 1 dimension"),
])
def test_ahead_of_time_calls_are_checked(position, value, message):
    kern = engine.kernels("aot")
    args = _tiny_args(kern)
    args[position] = value
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kern.train_chunk(*args)
    with pytest.raises(TypeError, match="takes 26 arguments"):
        kern.train_chunk(*args[:-1])


def test_read_only_arrays_are_refused_where_the_kernel_writes():
    kern = engine.kernels("aot")
    args = _tiny_args(kern)
    args[5].flags.writeable = False  # wo
    with pytest.raises(TypeError, match="argument 'wo' must be a C-contiguous writeable float32 array"):
        kern.train_chunk(*args)
    args = _tiny_args(kern)
    args[0].flags.writeable = False  # ids are only read (a memory-mapped corpus is read-only)
    kern.train_chunk(*args)


def _tiny_args(kern):
    from w2v import kernel_abi as abi

    dim = 4
    ip = np.zeros(abi.N_IPARAMS, np.int64)
    ip[abi.I_LOSS], ip[abi.I_NEG], ip[abi.I_WINDOW] = abi.NS, 2, 2
    fp = np.zeros(abi.N_FPARAMS, np.float32)
    fp[abi.F_LR] = 0.025
    return [np.array([0, 1, 2, 1], np.int32), np.array([0, 4], np.int64), 0, 1,
            np.full((3, dim), 0.1, np.float32), np.zeros((3, dim), np.float32), np.ones(3, np.float32),
            np.ones(3, np.float32), np.zeros(3, np.int32), np.full(3, -1.1, np.float32),
            np.zeros((1, 1), np.int32), np.zeros((1, 1), np.int8), np.zeros(1, np.int32),
            np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.int64),
            np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros(1, np.int64), np.ones(1),
            ip, fp, kern.seed_state(1, 0, 0), np.zeros(0, np.int64), np.zeros(0, np.int32),
            np.zeros((0, dim), np.float32)]


def test_signatures_follow_the_table():
    assert numba_signature("seed_state") == "u8[::1](i8, i8, i8)"
    assert numba_signature("train_chunk").startswith("Tuple((f8, i8, i8, i8))(i4[::1], i8[::1], i8, i8, f4[:, ::1]")
    assert numba_signature("softmax_examples") == ("Tuple((i8, i8, i8))(i4[::1], i8[::1], i8, i8, f4[::1], i8[::1], "
                                                   "u8[::1], i4[::1], i8[::1], i4[::1], i8[::1])")
    assert set(EXPORTS) == {"train_chunk", "seed_state", "vose", "softmax_examples"}


def test_training_process_never_loads_numba(tmp_path):
    # the point of the ahead-of-time kernels: a trainer is numpy plus a small extension module
    corpus = tmp_path / "c.txt"
    rng = np.random.default_rng(0)
    corpus.write_text("\n".join(" ".join(f"w{int(x)}" for x in rng.zipf(1.5, 200) % 300) for _ in range(50)))
    code = textwrap.dedent(f"""
        import sys
        from w2v.cli import main
        main(["train", {str(corpus)!r}, "--out", {str(tmp_path / "m")!r}, "--epochs", "1", "--dim", "8",
              "--min-count", "1", "--workers", "2", "--quiet"])
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("numba", "llvmlite"))
        print("LOADED", loaded)
        rss = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
        print("PEAK_KB", rss)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "LOADED []" in out
    assert int(out.split("PEAK_KB")[1].split()[0]) < 90_000  # numpy + w2v; with Numba's JIT ~180 MB


def _failing_build(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    monkeypatch.setenv("W2V_CACHE_DIR", str(cache))
    monkeypatch.setattr(engine, "_loaded", {})
    monkeypatch.setattr(engine, "_build_command", lambda out, name: [
        sys.executable, "-c", "import sys; print('compiling...'); print('error: no C compiler found'); sys.exit(3)"])
    return cache


def test_a_failed_build_falls_back_to_the_jit_with_one_warning(monkeypatch, tmp_path):
    cache = _failing_build(monkeypatch, tmp_path)
    expected = r"no ahead-of-time kernels \(error: no C compiler found .*using Numba's JIT"
    with pytest.warns(RuntimeWarning, match=expected):
        kern = engine.kernels("auto")
    assert kern.kind == "jit"
    failed = list(cache.glob("*.failed"))
    assert len(failed) == 1 and "no C compiler found" in failed[0].read_text()
    assert not list(cache.glob("*.so")) and not list(cache.glob(".build-*"))
    # auto does not try again (a failed build is not paid at every run); the warning says why
    monkeypatch.setattr(engine, "_loaded", {})
    monkeypatch.setattr(engine, "_build_command", lambda out, name: pytest.fail("built again"))
    with pytest.warns(RuntimeWarning, match="an earlier build failed, see .*failed"):
        assert engine.kernels().kind == "jit"


def test_aot_asked_for_explicitly_fails_with_the_reason(monkeypatch, tmp_path):
    _failing_build(monkeypatch, tmp_path)
    with pytest.raises(W2VError, match="could not be built: error: no C compiler found"):
        engine.kernels("aot")


def test_unknown_kind_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("W2V_KERNELS", "fast")
    with pytest.raises(W2VError, match="W2V_KERNELS='fast': choose one of auto, aot, jit"):
        engine.kernels()


def test_concurrent_builds_build_once(monkeypatch, tmp_path):
    log = tmp_path / "builds.log"
    name = engine.module_name()
    script = ("import sys, time, pathlib; open(sys.argv[3], 'a').write('build\\n'); time.sleep(0.5); "
              "pathlib.Path(sys.argv[1], sys.argv[2] + sys.argv[4]).write_bytes(b'not really')")
    monkeypatch.setattr(engine, "_build_command", lambda out, n: [
        sys.executable, "-c", script, out, n, str(log), engine._ext_suffix()])
    cache = tmp_path / "cache"
    target = cache / (name + engine._ext_suffix())
    threads = [threading.Thread(target=engine._build_in_child, args=(cache, name, target, cache / "x.failed"))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.read_text() == "build\n" and target.read_bytes() == b"not really"
    assert not list(cache.glob(".build-*"))
    # and a file that is not a module is one clear failure, not a crash
    with pytest.raises(engine._BuildFailed, match="cannot be loaded"):
        engine.aot_kernels(cache)


def test_a_build_that_hangs_counts_as_failed(monkeypatch, tmp_path):
    _failing_build(monkeypatch, tmp_path)
    monkeypatch.setattr(engine, "BUILD_TIMEOUT_S", 1)
    monkeypatch.setattr(engine, "_build_command", lambda out, name: [
        sys.executable, "-c", "import time; print('compiling', flush=True); time.sleep(30)"])
    with pytest.raises(W2VError, match="build timed out after 1 s"):
        engine.kernels("aot")
