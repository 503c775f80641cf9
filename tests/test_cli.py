"""The command line builds only the parser of the command it runs."""

import argparse
import subprocess
import sys

import pytest

from w2v import cli


def _names(modules):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    for m in modules:
        m.register(sub)
    return set(sub.choices)


@pytest.mark.parametrize("module", cli._command_modules(), ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_each_command_module_declares_the_commands_it_registers(module):
    assert set(module.COMMANDS) == _names([module])


def test_one_command_parses_alone_and_the_rest_still_answer():
    every = _names(cli._command_modules())
    assert {"train", "vocab", "evaluate", "similar", "analogy", "classify", "report"} <= every
    sub = [a for a in cli.build_parser("train")._actions if isinstance(a, argparse._SubParsersAction)][0]
    assert set(sub.choices) == {"train"}
    sub = [a for a in cli.build_parser("no-such")._actions if isinstance(a, argparse._SubParsersAction)][0]
    assert set(sub.choices) == every  # unknown or no command: argparse lists them all


def test_w2v_train_help_loads_no_analysis_libraries():
    code = ("import sys; from w2v.cli import build_parser; build_parser('train').parse_args(['train', '--out', 'x']);"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'scipy', 'sklearn', 'numba', 'spacy'}))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
