"""The training settings are declared once, by ``TrainConfig``'s fields: the command line, the
configuration's key lists, the schema and ``config.yaml`` all agree with that declaration."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import jsonschema
import pytest
import yaml

from w2v import cli, config
from w2v import train as trainer
from w2v.errors import W2VError
from w2v.train import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())

#: ``w2v train``'s options that are not training settings.
NOT_SETTINGS = {"-h", "--help", "--out", "--vocab", "--tag", "--quiet"}

FIELDS = dataclasses.fields(TrainConfig)


def setting(f) -> str:
    """A setting's name on the command line and in config.yaml (the field's unless its metadata renames it)."""
    return f.metadata.get("name") or f.name


def configured(section: str) -> dict:
    """``{key: field}`` of the fields the declaration says config.yaml's ``section`` sets."""
    out = {}
    for f in FIELDS:
        where = f.metadata.get("config")
        if where and where.split(".")[0] == section:
            out[where.split(".")[1]] = f
    return out


STUDY = [f for f in FIELDS if f.metadata.get("study")]
CONFIGURED = {(section, key): f for section in ("training", "vocab") for key, f in configured(section).items()}


def resolve(node: dict) -> dict:
    """A schema node with its ``$ref`` (``#/...`` in the schema file) followed."""
    while "$ref" in node:
        target = SCHEMA
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator(node: dict):
    return jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], **node})


def field_value(f, value):
    """A setting's value as the field holds it (a renamed boolean is the field's opposite)."""
    return (not value) if f.metadata.get("invert") and isinstance(value, bool) else value


def setting_default(f):
    return field_value(f, f.default)


def test_the_declaration_has_the_settings_the_study_and_the_command_line_use():
    assert [setting(f) for f in STUDY] == list(config.SETTING_KEYS)
    assert {"model", "loss", "dim", "cbow_sum", "min_count", "max_docs"} <= set(config.SETTING_KEYS)
    assert {section: {key: setting(f) for key, f in configured(section).items()}
            for section in ("training", "vocab")} == config.CONFIG_KEYS


@pytest.mark.parametrize("section", ["training", "vocab"])
def test_schema_sections_have_exactly_the_declared_keys(section):
    declared = set(configured(section))
    assert declared, f"the declaration sets nothing in {section}"
    assert set(SCHEMA["properties"][section]["properties"]) == declared


def test_schema_study_settings_and_factors_are_the_declared_study_settings():
    names = [setting(f) for f in STUDY]
    assert set(SCHEMA["$defs"]["settings"]["properties"]) == set(names)
    factors = SCHEMA["properties"]["studies"]["additionalProperties"]["properties"]["factor"]["enum"]
    assert set(factors) == set(names) | {"variant"}


#: Every place the schema holds a training setting: config.yaml's sections and a study's settings.
SCHEMA_KEYS = [(section, key) for section in ("training", "vocab")
               for key in SCHEMA["properties"][section]["properties"]] \
    + [("settings", key) for key in SCHEMA["$defs"]["settings"]["properties"]]


def declared(section: str, key: str):
    """The field the declaration has for a schema key (KeyError: none)."""
    if section == "settings":
        return {setting(f): f for f in STUDY}[key]
    return CONFIGURED[section, key]


def schema_node(section: str, key: str) -> dict:
    if section == "settings":
        return resolve(SCHEMA["$defs"]["settings"]["properties"][key])
    return resolve(SCHEMA["properties"][section]["properties"][key])


@pytest.mark.parametrize("section,key", [sk for sk in SCHEMA_KEYS if sk[0] != "settings"])
def test_config_yaml_and_schema_defaults_are_the_declared_ones(section, key):
    """config.yaml's baseline is the trainer's default unless the declaration records the difference."""
    f = declared(section, key)
    expected = f.metadata.get("baseline", setting_default(f))
    actual = CONFIG[section][key]
    assert (tuple(actual) if isinstance(actual, list) else actual) == expected, (section, key)
    prop = schema_node(section, key)
    if "default" in prop:
        assert prop["default"] == expected, (section, key)


def _probes(f) -> list:
    """Values around every bound TrainConfig and the schema draw (JSON schema's ``integer`` also
    takes 2.0, which the workflow passes on as ``2``: integral floats are probed for numbers only)."""
    values = [None, True, False, "bogus", "", -(2**63), -2, -1, 0, 1, 2, 3, 9, trainer.MAX_DIM,
              trainer.MAX_DIM + 1, trainer.MAX_SEGMENT, trainer.MAX_SEGMENT + 1, trainer.MAX_SEED,
              trainer.MAX_SEED + 1, -1.5, -0.5, 1e-9, 0.5, 0.75, 0.999, 1.5, 2.5]
    if "float" in str(f.type):
        values += [-1.0, 0.0, 1.0, 2.0, 3.0]
    return values + list(f.metadata.get("choices") or [])


@pytest.mark.parametrize("section,key", SCHEMA_KEYS)
def test_schema_accepts_exactly_what_the_trainer_accepts(section, key):
    """The workflow never starts a training TrainConfig refuses, nor refuses one it would run."""
    f = declared(section, key)
    node = schema_node(section, key)
    if node.get("type") == "array":  # training.seeds: one model per seed
        node = resolve(node["items"])
    check = validator(node)
    base = {"model": "cbow", "loss": "ns"}
    for value in _probes(f) + list(node.get("enum", [])):
        try:
            TrainConfig(**{**base, f.name: field_value(f, value)})
            trains = True
        except W2VError:
            trains = False
        assert check.is_valid(value) == trains, (section, key, value, node)


def _train_parser() -> argparse.ArgumentParser:
    parser = cli.build_parser("train")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["train"]


def test_every_train_option_is_a_declared_setting_and_every_setting_an_option():
    from w2v.commands.train import option_name

    by_option = {option_name(f): f for f in FIELDS if f.metadata.get("cli")}
    options = {}
    for action in _train_parser()._actions:
        for opt in action.option_strings:
            if opt not in NOT_SETTINGS:
                options[opt] = action
    assert set(options) == set(by_option)
    for opt, action in options.items():
        f = by_option[opt]
        assert action.dest == f.name and action.default == f.default, opt
        assert "default" in (action.help or ""), opt
        if f.metadata.get("choices"):
            assert list(action.choices) == list(f.metadata["choices"]), opt
    assert {"--cbow-sum", "--max-docs", "--workers", "--seed", "--min-lr-ratio"} <= set(options)
    assert not {"--beta1", "--chunk-words", "--hot-rows", "--cbow-mean"} & set(options)


def test_train_help_shows_every_setting_with_its_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    from w2v.commands.train import option_name

    for f in FIELDS:
        if f.metadata.get("cli"):
            assert option_name(f) in text
    assert "--dim DIM vector dimensions (default: 100)" in text
    assert "--sample SAMPLE subsampling threshold t, 0 = off (default: 0.001)" in text
    assert "--lr LR learning rate (default: 0.025 sg" in text


def test_defaults_and_switches_reach_the_trainer():
    from w2v.commands.train import config_from_args

    parser = cli.build_parser("train")
    assert config_from_args(parser.parse_args(["train", "--out", "x"])) == TrainConfig()
    cfg = config_from_args(parser.parse_args(["train", "--out", "x", "--cbow-sum", "--shared-negatives",
                                              "--max-docs", "7", "--seed", "9", "--min-lr-ratio", "0.5"]))
    assert cfg == TrainConfig(cbow_mean=False, shared_negatives=True, max_docs=7, seed=9, min_lr_ratio=0.5)


def _points():
    cfg = config.load_config(REPO / "config.yaml", {"preset": "demo", "grid": "full"})
    points = config.model_points(cfg)
    unusual = {"model": "cbow", "loss": "nce", "negative": 3, "lr": 0.01, "ns_exponent": 0.5,
               "subsample": "paper", "cbow_sum": True, "shared_negatives": True, "max_vocab": 50,
               "max_docs": 7, "sample": 1e-5, "optimizer": "adagrad"}
    points.append({**points[0], "seed": 4, "settings": {**points[0]["settings"], **unusual}})
    return points


def test_train_args_reach_the_trainer_as_the_point_says():
    """Every setting of a model point arrives in TrainConfig through ``w2v train``'s options."""
    from w2v.commands.train import config_from_args

    parser = cli.build_parser("train")
    for point in _points():
        cfg = config_from_args(parser.parse_args(["train", "--out", "x", *config.train_args(point)]))
        by_name = {setting(f): f for f in STUDY}
        for name, value in point["settings"].items():
            f = by_name[name]
            assert getattr(cfg, f.name) == (f.default if value is None else field_value(f, value)), name
        assert cfg.seed == point["seed"]


def test_every_study_setting_names_the_run():
    """Two models that differ in one setting never share a directory."""
    assert len(STUDY) == len(config.SETTING_KEYS) > 10
    base = {setting(f): setting_default(f) for f in STUDY}
    base.update(model="cbow", loss="ns")  # where every setting counts
    other = {"model": "sg", "loss": "nce", "optimizer": "adam", "subsample": "paper"}
    for f in STUDY:
        name = setting(f)
        if name in other:
            value = other[name]
        elif isinstance(base[name], bool):
            value = not base[name]
        elif base[name] is None:
            value = 7
        else:
            value = base[name] * 2
        assert config.run_name({**base, name: value}) != config.run_name(base), name


def test_a_switch_on_by_default_is_refused_at_declaration():
    with pytest.raises(ValueError, match="off by default"):
        trainer._setting(True, "a switch")
    with pytest.raises(ValueError, match="command line"):
        trainer._setting(1, "a study setting", cli=False, study=True)


@pytest.mark.parametrize("value", ["false", 0, None])
def test_switches_must_be_booleans(value):
    with pytest.raises(W2VError, match="shared_negatives"):
        TrainConfig(shared_negatives=value)
