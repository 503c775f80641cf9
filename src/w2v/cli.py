"""The ``w2v`` command line: one subcommand per stage.

Each module in :mod:`w2v.commands` defines ``register(subparsers)``, which adds
its subcommands and sets ``func`` (a callable taking the parsed ``args`` and
returning an exit status or ``None``). The command modules stay thin: they parse
arguments and call the library functions, so every stage also runs from Python.
"""

from __future__ import annotations

import argparse
import importlib
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        status = args.func(args)
    except W2VError as exc:
        print(f"w2v: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("w2v: interrupted; no partial output was left under a final name", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
