"""The compiled kernels the trainer calls: ahead of time (default) or Numba's JIT.

The training kernels are written once, in Numba (:mod:`w2v.kernels`). Called
through Numba's JIT dispatcher, even with every function loaded from Numba's
on-disk cache, a process pays for Numba's compiler and LLVM: ``import numba``
and the first call add ~135 MB of memory to a ~30 MB numpy process. So the
trainer calls the same functions compiled ahead of time by ``numba.pycc`` into a
small extension module (the exports are listed in :data:`w2v.kernel_abi.EXPORTS`),
which needs neither Numba nor LLVM at run time:

- The module is built on first use, for this machine's CPU (as the JIT does),
  in a child process (this one never imports Numba), under a file lock (several
  jobs may start at once: one builds, the others wait) and into a temporary name
  renamed into place. Its name carries a fingerprint of the kernel sources, the
  Numba, numpy and Python versions and the CPU, so a change of any of them builds
  a new one. A build takes about a minute on a small machine: its start and end,
  and a wait for another process's build, are one line each on stderr.
- Next to the module, ``<name>.json`` records its size and SHA-256, written once
  the module is in place; both are checked before every import. A module cut
  short (a full disk, a copy interrupted) would otherwise crash the process with
  SIGBUS when loaded: one that does not match, or has no record, is built again.
- Each export is compiled with its JIT options (``fastmath``, ``nogil``...): the
  results are bit for bit those of the JIT (tests/test_engine.py).
- Compiled code cannot check its arguments' types, so every call is checked
  here against the table in :mod:`w2v.kernel_abi` (a wrong dtype would
  otherwise read memory as the wrong type, or crash).

``W2V_KERNELS`` chooses: ``auto`` (default: ahead of time, else the JIT with one
warning), ``aot`` (ahead of time or an error) or ``jit``. ``W2V_CACHE_DIR`` is the
folder of the built modules (default ``$XDG_CACHE_HOME/w2v`` or ``~/.cache/w2v``).
A build that failed leaves ``<name>.failed`` there with the reason; ``auto`` does
not retry it (delete the file, or run with ``W2V_KERNELS=aot``, to try again).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from w2v.errors import W2VError
from w2v.kernel_abi import EXPORTS, numba_signature

ENV_KIND = "W2V_KERNELS"
ENV_CACHE = "W2V_CACHE_DIR"
KINDS = ("auto", "aot", "jit")
BUILD_TIMEOUT_S = 1200  # a build takes 7-30 s; one that hangs counts as failed
# the files whose text is the kernels' code: a change to any of them builds a new module
_SOURCES = ("kernels.py", "kernel_abi.py", "engine.py")


@dataclass(frozen=True)
class Kernels:
    """The exported kernels of one kind: ``aot`` (``path``: the extension module) or ``jit``.

    How this process obtained them: ``built`` (it built the module), ``waited`` (seconds
    spent waiting for another process's build), ``seconds`` (all the time it took: build,
    wait, check and load) and ``started`` (``time.perf_counter()`` when it began).
    """

    kind: str
    train_chunk: Callable
    seed_state: Callable
    vose: Callable
    softmax_examples: Callable
    path: Path | None = None
    built: bool = False
    waited: float = 0.0
    seconds: float = 0.0
    started: float = 0.0


_FUNCTIONS = tuple(EXPORTS)  # the exports, in the order of Kernels' fields
_loaded: dict[str, Kernels] = {}
_load_lock = threading.Lock()


def kernels(kind: str | None = None) -> Kernels:
    """The kernels to call (loaded once per process); ``kind`` defaults to ``$W2V_KERNELS`` or ``auto``."""
    kind = kind or os.environ.get(ENV_KIND, "auto") or "auto"
    if kind not in KINDS:
        raise W2VError(f"{ENV_KIND}={kind!r}: choose one of {', '.join(KINDS)}")
    with _load_lock:
        if kind not in _loaded:
            t0 = time.perf_counter()
            kern = _load(kind)
            _loaded[kind] = replace(kern, seconds=time.perf_counter() - t0, started=t0)
        return _loaded[kind]


def _load(kind: str) -> Kernels:
    if kind == "jit":
        return jit_kernels()
    try:
        return aot_kernels(retry_failed=(kind == "aot"))
    except _BuildFailed as exc:
        if kind == "aot":
            raise W2VError(f"the ahead-of-time kernels could not be built: {exc}") from None
        warnings.warn(f"w2v: no ahead-of-time kernels ({exc}); using Numba's JIT: same results, "
                      f"about 135 MB more memory (set {ENV_KIND}=jit to silence this)",
                      RuntimeWarning, stacklevel=3)
        return jit_kernels()


def jit_kernels() -> Kernels:
    """The kernels through Numba's JIT dispatchers (imports Numba)."""
    from w2v import kernels as k

    return Kernels("jit", *(getattr(k, fn) for fn in _FUNCTIONS))


class _BuildFailed(Exception):
    pass


def cache_dir() -> Path:
    """Folder of the built kernel modules: ``$W2V_CACHE_DIR``, else ``$XDG_CACHE_HOME/w2v`` or ``~/.cache/w2v``."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "w2v"


def _cpu_identity() -> str:
    """The CPU model and its instruction-set flags: the module is compiled for this CPU."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            wanted = {}
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "flags", "Features", "CPU part") and key not in wanted:
                    wanted[key] = value.strip()
                if not line.strip() and wanted:
                    break
        if wanted:
            return repr(sorted(wanted.items()))
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}"


def module_name() -> str:
    """``w2v_kernels_<fingerprint>``: kernel sources, Numba/numpy/Python versions and CPU."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    for dist in ("numba", "llvmlite", "numpy"):
        try:
            h.update(importlib.metadata.version(dist).encode())
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed as a package
            h.update(b"?")
    h.update(sys.version.encode())
    h.update(_cpu_identity().encode())
    return "w2v_kernels_" + h.hexdigest()[:16]


def _ext_suffix() -> str:
    return sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def aot_kernels(directory: str | os.PathLike | None = None, retry_failed: bool = False) -> Kernels:
    """The ahead-of-time kernels, built first if this machine has none yet (raises ``_BuildFailed``)."""
    directory = Path(directory) if directory is not None else cache_dir()
    name = module_name()
    target = directory / (name + _ext_suffix())
    failed = directory / (name + ".failed")
    built, waited = False, 0.0
    if verify(target) is not None:
        if failed.exists() and not retry_failed:
            raise _BuildFailed(f"an earlier build failed, see {failed}")
        built, waited = _build_in_child(directory, name, target, failed)
    module = _import_extension(name, target)
    return Kernels("aot", *(_checked(fn, getattr(module, fn)) for fn in _FUNCTIONS),
                   path=target, built=built, waited=waited)


def _record_path(module: Path) -> Path:
    """``<name>.json`` next to ``<name><suffix>``: the module's size and SHA-256."""
    return module.with_name(module.name.split(".")[0] + ".json")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_record(module: Path) -> None:
    """Record the size and SHA-256 of ``module`` (already in place), through a temporary name."""
    record = _record_path(module)
    tmp = record.with_name(f".{record.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"file": module.name, "size": module.stat().st_size,
                                   "sha256": _sha256(module)}) + "\n", encoding="utf-8")
        os.replace(tmp, record)
    finally:
        tmp.unlink(missing_ok=True)


def verify(module: str | os.PathLike) -> str | None:
    """Why the built ``module`` must not be imported (missing, no record, size or SHA-256 not those
    recorded when it was built), or None when it is intact. Loading a truncated extension module
    kills the process with SIGBUS, which no ``try`` catches: it is checked first."""
    module = Path(module)
    try:
        size = module.stat().st_size
    except OSError:
        return "not built"
    record = _record_path(module)
    try:
        expected = json.loads(record.read_text(encoding="utf-8"))
        want_size, want_sha = int(expected["size"]), str(expected["sha256"])
    except FileNotFoundError:
        return f"no record of its size and checksum ({record.name})"
    except (OSError, ValueError, KeyError, TypeError):
        return f"its record {record.name} is unreadable"
    if size != want_size:
        return f"{size} bytes where {want_size} were written (cut short or overwritten)"
    try:
        if _sha256(module) != want_sha:
            return "its SHA-256 is not the one recorded when it was built"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None


def _say(message: str) -> None:
    print(f"w2v: {message}", file=sys.stderr, flush=True)


def _import_extension(name: str, path: Path):
    try:
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        return module
    except (ImportError, OSError) as exc:
        raise _BuildFailed(f"{path}: cannot be loaded ({exc})") from None


def _build_in_child(directory: Path, name: str, target: Path, failed: Path) -> tuple[bool, float]:
    """Build the module in a child process under a file lock; a failure writes ``failed``.

    Returns ``(built, waited)``: whether this process built it, and the seconds it waited
    for the lock (another process building the same module, which is then used as is).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = open(directory / (name + ".lock"), "w")
    except OSError as exc:
        raise _BuildFailed(f"{directory}: cannot write there ({exc.strerror})") from None
    waited = 0.0
    with lock:
        try:
            import fcntl
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another job is building the same module
                _say(f"waiting for another process building the compiled kernels into {directory}...")
                t0 = time.perf_counter()
                fcntl.flock(lock, fcntl.LOCK_EX)
                waited = time.perf_counter() - t0
                _say(f"waited {waited:.0f} s for the compiled kernels built by another process")
        except ImportError:  # pragma: no cover - not POSIX: builds may race, each renames a whole file
            pass
        problem = verify(target)
        if problem is None:
            return False, waited
        if target.exists():
            _say(f"{target}: {problem}; building it again")
        _say(f"building the compiled kernels for this CPU (once per machine, about a minute) into {directory} ...")
        t_build = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=directory, prefix=".build-") as tmp:
            env = dict(os.environ)
            src = str(Path(__file__).resolve().parent.parent)  # this w2v, installed or not
            env["PYTHONPATH"] = src + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else src
            try:
                proc = subprocess.run(_build_command(tmp, name), env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, timeout=BUILD_TIMEOUT_S)
            except subprocess.TimeoutExpired as exc:
                out = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else exc.output or ""
                proc = subprocess.CompletedProcess(exc.cmd, -1, out + f"\nbuild timed out after {BUILD_TIMEOUT_S} s")
            built = Path(tmp) / (name + _ext_suffix())
            if proc.returncode != 0 or not built.exists():
                lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
                reason = lines[-1] if lines else f"exit status {proc.returncode}"
                failed.write_text(proc.stdout + f"\n(exit status {proc.returncode})\n", encoding="utf-8")
                _say(f"building the compiled kernels failed after {time.perf_counter() - t_build:.0f} s")
                raise _BuildFailed(f"{reason} (full output in {failed})")
            os.replace(built, target)
            try:
                _write_record(target)
            except OSError as exc:
                raise _BuildFailed(f"{_record_path(target)}: cannot be written ({exc.strerror})") from None
        failed.unlink(missing_ok=True)
        _say(f"built the compiled kernels in {time.perf_counter() - t_build:.0f} s: {target}")
    return True, waited


def _build_command(out_dir: str, name: str) -> list[str]:
    return [sys.executable, "-m", "w2v.engine", out_dir, name]


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        order = "C-contiguous" if value.flags.c_contiguous else "non-contiguous"
        ro = "" if value.flags.writeable else " read-only"
        return f"a{ro} {order} {value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:80]


def _checked(name: str, fn: Callable) -> Callable:
    """``fn`` behind a check of its arguments against ``EXPORTS[name]`` (a TypeError naming the bad one)."""
    spec = [(arg, np.dtype(dtype), ndim, written) for arg, dtype, ndim, written in EXPORTS[name][0]]

    def call(*values):
        if len(values) != len(spec):
            raise TypeError(f"{name}() takes {len(spec)} arguments ({len(values)} given)")
        for value, (arg, dtype, ndim, written) in zip(values, spec):
            if ndim == 0:
                ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                want = "an integer"
            else:
                ok = (isinstance(value, np.ndarray) and value.dtype == dtype and value.ndim == ndim
                      and value.flags.c_contiguous and (value.flags.writeable or not written))
                want = f"a C-contiguous{' writeable' if written else ''} {dtype} array of {ndim} dimension(s)"
            if not ok:
                raise TypeError(f"{name}(): argument {arg!r} must be {want}, not {_describe(value)}")
        return fn(*values)

    call.__name__ = call.__qualname__ = name
    sig = numba_signature(name)
    call.__doc__ = f"{name}{sig[sig.index('('):]}, compiled ahead of time"
    return call


# --------------------------------------------------------------------------- the build (child process)
def build(out_dir: str | os.PathLike, name: str) -> Path:
    """Compile the exports of :data:`EXPORTS` into extension module ``name`` in ``out_dir`` (imports Numba).

    Each export gets the options of its ``@njit`` (fastmath, nogil, error model...), as the
    JIT compiles it, and releases the GIL; the code targets this machine's CPU model and the
    instruction sets it reports, as the JIT's does.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba.pycc is "pending deprecation"
        import numba.pycc.compiler as pycc_compiler
        from numba.core import codegen
        from numba.core.compiler import Flags
        from numba.pycc import CC

    from w2v import kernels as k

    dispatchers = {getattr(k, fn).py_func: getattr(k, fn) for fn in EXPORTS}
    compile_extra = pycc_compiler.compile_extra

    def compile_with_jit_options(typingctx, targetctx, func, args, return_type, flags, locals, **kw):
        disp = dispatchers[func]
        own = Flags()
        disp.targetdescr.options.parse_as_flags(own, disp.targetoptions)
        for field in ("no_compile", "nrt", "no_cpython_wrapper", "no_cfunc_wrapper"):
            setattr(own, field, getattr(flags, field))
        own.release_gil = True  # the trainer's threads call it in parallel
        return compile_extra(typingctx, targetctx, func, args, return_type, own, locals, **kw)

    # pycc asks LLVM for the CPU model's default instruction sets; the JIT asks for those this
    # machine reports (a virtual machine may hide some, e.g. AVX-512): do as the JIT does
    aot_features = codegen.AOTCPUCodegen._customize_tm_features
    codegen.AOTCPUCodegen._customize_tm_features = codegen.JITCPUCodegen._customize_tm_features
    pycc_compiler.compile_extra = compile_with_jit_options
    try:
        cc = CC(name)
        cc.output_dir = str(out_dir)
        cc.target_cpu = "host"
        cc.verbose = False
        for fn in EXPORTS:
            cc.export(fn, numba_signature(fn))(getattr(k, fn).py_func)
        cc.compile()
    finally:
        pycc_compiler.compile_extra = compile_extra
        codegen.AOTCPUCodegen._customize_tm_features = aot_features
    return Path(out_dir) / (name + _ext_suffix())


if __name__ == "__main__":  # python -m w2v.engine OUT_DIR NAME (what _build_in_child runs)
    if len(sys.argv) != 3:
        sys.exit("usage: python -m w2v.engine OUT_DIR MODULE_NAME")
    print(build(sys.argv[1], sys.argv[2]))
