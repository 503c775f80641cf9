"""The ``w2v`` command line: one subcommand per stage.

Each module in :mod:`w2v.commands` defines ``register(subparsers)``, which adds
its subcommands and sets ``func`` (a callable taking the parsed ``args`` and
returning an exit status or ``None``). The command modules stay thin: they parse
arguments and call the library functions, so every stage also runs from Python.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import signal
import sys

from w2v import __version__
from w2v.errors import W2VError

# Order in ``w2v --help``; modules not listed here are appended alphabetically.
_ORDER = ["data", "prepare", "vocab", "train", "query", "evaluate", "classify", "plots", "report"]


def _command_modules():
    import w2v.commands as pkg

    names = [m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    return [importlib.import_module(f"w2v.commands.{n}") for n in names]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or only of ``command`` when a module (its ``COMMANDS``) has it.

    A command module's ``register`` imports the library it needs (constants for its help),
    so parsing one command imports only that command's library: ``w2v train`` loads
    neither pandas nor scipy.
    """
    modules = _command_modules()
    chosen = [m for m in modules if command in getattr(m, "COMMANDS", ())]
    parser = argparse.ArgumentParser(
        prog="w2v",
        description="w2v: a reproducible word2vec laboratory (CBOW / skip-gram from scratch).",
    )
    parser.add_argument("--version", action="version", version=f"w2v {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in chosen or modules:
        module.register(sub)
    return parser


def _terminated(signum, frame):
    """SIGTERM (a scheduler cancelling the job) unwinds like Ctrl-C, so temporary files are removed."""
    raise KeyboardInterrupt


# What to do about an operating-system error, by errno (the message names the file).
_OS_HINTS = {
    errno.ENOSPC: "no space left on the device: free some space, or write elsewhere",
    errno.EDQUOT: "disk quota exceeded: free some space, or write elsewhere",
    errno.EACCES: "permission denied: choose a writable location or fix the permissions",
    errno.EPERM: "operation not permitted: choose a writable location or fix the permissions",
    errno.EROFS: "read-only file system: write elsewhere",
    errno.ENOTDIR: "a file stands where a directory is needed: choose another path",
    errno.EISDIR: "a directory stands where a file is needed: choose another path",
    errno.EEXIST: "a file of that name is in the way: remove it or choose another path",
    errno.ENOENT: "no such file or directory: check the path",
}


def os_error_message(exc: OSError) -> str:
    """One line for an operating-system error: the file, what happened and what to do."""
    where = exc.filename if exc.filename is not None else "(a file)"
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    hint = _OS_HINTS.get(exc.errno) or (exc.strerror or str(exc) or type(exc).__name__)
    return f"{where}: {hint}"


def _stdout_closed() -> int:
    """The reader of our output went away (``w2v similar … | head``): stop quietly, without a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    except (OSError, ValueError):
        pass
    print("w2v: error: the output was closed before it was complete (broken pipe)", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        status = args.func(args)
        sys.stdout.flush()
    except W2VError as exc:
        print(f"w2v: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("w2v: interrupted; no partial output was left under a final name", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except OSError as exc:
        print(f"w2v: error: {os_error_message(exc)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("w2v: error: not enough memory for this run: use smaller settings (--dim, --max-vocab) "
              "or a machine with more memory", file=sys.stderr)
        return 2
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
