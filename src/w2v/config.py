"""The study configuration: load, merge the preset, validate, expand into model points.

``config.yaml`` holds every setting a user may vary; a *preset* (``preset: demo``)
is a partial configuration merged over the defaults, and command-line overrides
(``snakemake --config key=value``) are merged last, so they win over the preset.
The merged configuration is checked against ``workflow/schemas/config.schema.yaml``;
a wrong value stops with one line naming the key and what is allowed, e.g.
``config.yaml: training.loss = 'foo' is not one of ['softmax', 'hs', 'ns', 'nce', 'sampled']``.

The *studies* vary one factor at a time around the training baseline.
:func:`model_points` turns them into the list of models to train: one point per
(dataset, variant, settings, seed), shared by every study that contains it (the
baseline is trained once per seed and data set, not once per study), each with a
stable, readable directory name (:func:`run_name`).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from pathlib import Path
from typing import Mapping, Sequence

from w2v.errors import W2VError
from w2v.train import TrainConfig

__all__ = [
    "SETTING_KEYS",
    "CONFIG_KEYS",
    "default_schema_path",
    "merge",
    "load_config",
    "read_config_file",
    "config_layers",
    "check_size",
    "resolve_config",
    "validate_config",
    "model_points",
    "run_name",
    "train_args",
    "point_tags",
    "vocab_name",
    "study_runs",
    "write_study_runs",
]

# The training settings (those ``w2v train`` has an option for) as (name, field), named as on the
# command line and in config.yaml: declared once, by w2v.train.TrainConfig's fields and their metadata.
_SETTINGS = tuple((f.metadata.get("name") or f.name, f) for f in dataclasses.fields(TrainConfig)
                  if f.metadata.get("cli"))

#: Settings that define one trained model (training baseline + vocabulary + slice): what a study
#: varies and what names a run (:func:`run_name`).
SETTING_KEYS = tuple(name for name, f in _SETTINGS if f.metadata["study"])

#: The keys of config.yaml that set a training setting: ``{section: {key: setting}}``
#: (``training.seeds`` lists the seeds, one model each).
CONFIG_KEYS: dict[str, dict[str, str]] = {}
_CONFIG_KEY = {name: tuple(f.metadata["config"].split(".")) for name, f in _SETTINGS if f.metadata["config"]}
for _name, (_section, _key) in _CONFIG_KEY.items():
    CONFIG_KEYS.setdefault(_section, {})[_key] = _name
del _name, _section, _key

# Settings passed to ``w2v train`` as ``--<key> VALUE`` when not None, then the switches
# (booleans) as ``--<key>`` when true (see train_args).
_TRAIN_FLAGS = tuple(name for name, f in _SETTINGS if f.metadata["study"] and not isinstance(f.default, bool))
_TRAIN_SWITCHES = tuple(name for name, f in _SETTINGS if f.metadata["study"] and isinstance(f.default, bool))

# Losses that draw negative/noise samples (their name carries K).
_SAMPLED_LOSSES = ("ns", "nce", "sampled")


def default_schema_path() -> Path:
    """The schema file of the repository this package lives in (``workflow/schemas/config.schema.yaml``)."""
    return Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def merge(base: Mapping, override: Mapping | None) -> dict:
    """Return ``base`` with ``override`` merged in: mappings merge recursively, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in (override or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


#: At most this many values in a YAML document once its aliases are expanded (config.yaml holds
#: about 400): nested aliases ("billion laughs") expand exponentially, and validating
#: or merging the expanded values took minutes and gigabytes.
MAX_VALUES = 100_000

#: At most this many bytes in a YAML file read here (config.yaml is about 10 kB).
MAX_YAML_BYTES = 4 << 20


def _expanded_size(root, children, limit: int) -> int | None:
    """Values under ``root`` with every shared child counted each time it is referenced.

    ``children(node)`` lists a node's children. Each distinct node is visited once
    (its expanded size is memoised), so the cost is linear in the distinct nodes
    however often they are referenced. Returns None past ``limit``; raises
    ValueError on a node that contains itself.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ValueError("a value contains itself, a recursive alias")
        active.add(key)
        total = 1
        for child in children(node):
            total += size(child)
            if total > limit:
                raise OverflowError
        active.discard(key)
        sizes[key] = total
        return total

    try:
        return size(root)
    except OverflowError:
        return None


def _yaml_children(node):
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return ()


def _value_children(value):
    if isinstance(value, Mapping):
        return [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple)):
        return value
    return ()


def _safe_loader():
    """A ``yaml.SafeLoader`` that refuses a document expanding to more than :data:`MAX_VALUES` values."""
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_document(self):
            node = super().compose_document()
            try:
                size = _expanded_size(node, _yaml_children, MAX_VALUES)
            except ValueError as exc:
                raise yaml.YAMLError(str(exc)) from None
            if size is None:
                raise yaml.YAMLError(f"its aliases expand to more than {MAX_VALUES:,} values, "
                                     f"nested aliases?")
            return node

    return Loader


def check_size(config: Mapping, source: str = "config.yaml") -> None:
    """Refuse a configuration whose shared values expand past :data:`MAX_VALUES` (or contain themselves).

    A file loaded by another YAML reader (Snakemake's ``configfile:``) keeps its
    aliases as shared objects; this walk counts them as they would be expanded,
    before validation or merging iterates over them.
    """
    try:
        size = _expanded_size(config, _value_children, MAX_VALUES)
    except (ValueError, RecursionError) as exc:
        raise W2VError(f"{source}: {exc if isinstance(exc, ValueError) else 'values nested too deeply'}; "
                       f"write the values out") from None
    if size is None:
        raise W2VError(f"{source}: the configuration expands to more than {MAX_VALUES:,} values "
                       f"(nested YAML aliases?); write the values out")


def _read_yaml(path: Path, what: str) -> dict:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise W2VError(f"{path}: {what} not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise W2VError(f"{path}: cannot read the {what} ({exc}); check the path") from None
    if len(text) > MAX_YAML_BYTES:
        raise W2VError(f"{path}: {what} is larger than {MAX_YAML_BYTES >> 20} MiB; "
                       f"is it the right file?")
    try:
        data = yaml.load(text, Loader=_safe_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise W2VError(f"{path}: not valid YAML{where} ({getattr(exc, 'problem', None) or exc}); "
                       f"fix the file") from None
    except RecursionError:
        raise W2VError(f"{path}: not valid YAML (values nested too deeply); fix the file") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise W2VError(f"{path}: {what} must be a mapping of keys to values, found {type(data).__name__}")
    return data


def read_config_file(path: str | os.PathLike) -> dict:
    """The mapping in a configuration file, read as YAML without presets, merging or validation."""
    return _read_yaml(Path(path), "configuration file")


def config_layers(configfiles: Sequence[str | os.PathLike] = (), cli_config: Mapping | None = None,
                  base: str = "config.yaml") -> list[tuple[str, dict]]:
    """The layers of a Snakemake run's configuration, lowest precedence first (``origins`` of :func:`resolve_config`).

    ``base`` (empty when it does not exist; the first of ``configfiles`` then names
    it), each of ``configfiles`` (``--configfile``), then ``cli_config`` (the
    ``--config`` values). The files are read here, with :func:`read_config_file`,
    before Snakemake's ``configfile:`` reads the base: that refuses nested aliases
    expanding past any real configuration, where Snakemake's merge would expand
    them into new mappings for minutes. A file is named as the user gave it:
    relative to the working directory when inside it.
    """
    def shown(path) -> str:
        rel = os.path.relpath(path)
        return str(path) if rel.startswith("..") else rel

    layers = [(shown(p), read_config_file(shown(p))) for p in configfiles]
    if os.path.exists(base):
        layers.insert(0, (base, read_config_file(base)))
    else:
        layers.insert(0, (layers[0][0] if layers else base, {}))
    layers.append(("--config", dict(cli_config or {})))
    return layers


def load_config(path: str | os.PathLike, overrides: Mapping | None = None,
                schema: str | os.PathLike | None = None) -> dict:
    """Read ``path`` (YAML), merge its preset and ``overrides``, validate; return the config.

    ``overrides`` (a nested mapping, like ``snakemake --config``) are merged over
    the file first (so they may choose the preset) and again over the preset (so
    they win over it).
    """
    path = Path(path)
    raw = merge(_read_yaml(path, "configuration file"), overrides)
    return resolve_config(raw, overrides, source=path.name, schema=schema)


def resolve_config(config: Mapping, overrides: Mapping | None = None, source: str = "config.yaml",
                   schema: str | os.PathLike | None = None,
                   origins: Sequence[tuple[str, Mapping]] | None = None) -> dict:
    """Apply the preset named by ``config['preset']`` and then ``overrides``; validate; return a new dict.

    ``config`` is the configuration as read (``overrides`` may already be merged
    into it, as Snakemake does). ``source`` names the file in error messages;
    ``origins``, when given, are the layers the configuration was merged from,
    ``(name, mapping)`` lowest precedence first: the base file, then the ones
    merged over the preset (further files, ``--config``). An error then names
    the layer that set the wrong value (see :func:`validate_config`).
    """
    check_size(config, source)
    if overrides:
        check_size(overrides, "--config")
    config = dict(config)
    presets = config.get("presets") or {}
    preset = config.get("preset", "full")
    if not isinstance(presets, Mapping) or not isinstance(preset, str) or preset not in presets:
        known = sorted(presets) if isinstance(presets, Mapping) else []
        where, _ = _where(("preset",), source, origins, None)
        raise W2VError(f"{where}: preset = {preset!r} is not one of {known}; "
                       f"choose one of the presets defined under 'presets:'")
    resolved = merge(merge(config, presets[preset]), overrides)
    validate_config(resolved, source=source, schema=schema, origins=origins)
    return resolved


def _load_schema(schema: str | os.PathLike | None) -> dict:
    path = Path(schema) if schema is not None else default_schema_path()
    return _read_yaml(path, "configuration schema")


def _key_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _sets(layer, path) -> bool:
    """Whether a configuration layer sets the value at ``path`` (or a list or value above it)."""
    node = layer
    for part in path:
        if not isinstance(node, Mapping):
            return True  # a list or value set here replaces everything below it
        if part not in node:
            return False
        node = node[part]
    return True


def _where(path, source: str, origins, preset) -> tuple[str, str | None]:
    """``(name, fix)`` for a wrong value at key ``path``: the layer of ``origins`` it came from.

    The layers above the base win over the preset, which wins over the base file
    (see :func:`resolve_config`). Without ``origins`` everything is ``source``
    and ``fix`` is None (the caller's own advice).
    """
    if not origins:
        return source, None
    (base, _), *above = origins
    found = None
    for name, layer in reversed(above):
        if _sets(layer, path):
            found = name
            break
    if found is None and isinstance(preset, str):
        for name, layer in reversed(origins):
            if _sets(layer, ("presets", preset, *path)):
                return f"{name} (preset {preset!r})", f"fix {name}"
    found = found or base
    return found, ("fix the --config value" if found == "--config" else f"fix {found}")


def _culprit(error) -> tuple:
    """The key path of a jsonschema error, down to the unexpected, missing or misnamed key."""
    path = tuple(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        extra = [k for k in instance if k not in error.schema.get("properties", {})]
        return path + tuple(extra[:1])
    if error.validator == "required" and isinstance(instance, Mapping):
        missing = [k for k in error.validator_value if k not in instance]
        return path + tuple(missing[:1])
    if "propertyNames" in error.absolute_schema_path:
        return path + (instance,)
    return path


def _message(error, prefix=()) -> str:
    """One line for a jsonschema error: the dotted key, the value and what is allowed."""
    key = _key_path(list(prefix) + list(error.absolute_path))
    if error.validator == "enum" and "propertyNames" in error.absolute_schema_path:
        return f"{key}: key {error.instance!r} is not one of {list(error.validator_value)}"
    if "propertyNames" in error.absolute_schema_path:
        return f"{key}: key {error.instance!r}: {error.message}"
    if error.validator == "enum":
        return f"{key} = {error.instance!r} is not one of {list(error.validator_value)}"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{key}: {error.message}; allowed keys are {allowed}"
    return f"{key} = {error.instance!r}: {error.message}"


def _best_error(validator, instance):
    import jsonschema

    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    return jsonschema.exceptions.best_match(errors)


def _non_finite(value, path=()):
    """The key path of the first NaN or infinite number in ``value``, or None.

    (JSON schema's ``type: number`` accepts YAML's ``.nan`` and ``.inf``, and NaN
    passes every ``minimum``/``maximum``, as its comparisons are all false.)
    """
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _non_finite(item, path + (key,))
        if found is not None:
            return found
    return None


def validate_config(config: Mapping, source: str = "config.yaml",
                    schema: str | os.PathLike | None = None,
                    origins: Sequence[tuple[str, Mapping]] | None = None) -> None:
    """Check a resolved config against the schema and the cross-references between keys.

    Raises :class:`W2VError` with one line naming the file (``source``, or the
    layer of ``origins`` that set the value, ``--config`` for a command-line
    override), the key, the wrong value and the allowed values.
    """
    import jsonschema

    preset = config.get("preset") if isinstance(config, Mapping) else None

    def fail(path, text, fix):
        where, layer_fix = _where(tuple(path), source, origins, preset)
        raise W2VError(f"{where}: {text}; {layer_fix or fix}")

    check_size(config, source)
    bad = _non_finite(config)
    if bad is not None:
        value = config
        for part in bad:
            value = value[part]
        fail(bad, f"{_key_path(bad)} = {value!r}: not a finite number",
             f"fix {source} or the --config override")
    schema_doc = _load_schema(schema)
    validator = jsonschema.Draft202012Validator(schema_doc)
    error = _best_error(validator, config)
    if error is not None:
        fail(_culprit(error), _message(error), f"fix {source} or the --config override")

    datasets = list(config["data"]["datasets"])

    def refer(path, names, allowed, where):
        """Every name of ``names`` (set at key ``path``) must be one of ``allowed`` (the keys of ``where``)."""
        for name in names:
            if name not in allowed:
                fail(tuple(path), f"{'.'.join(map(str, path))}: {name!r} is not one of {list(allowed)} ({where})",
                     f"fix {source}")

    settings_schema = dict(schema_doc["$defs"]["settings"])
    settings_schema["$defs"] = schema_doc["$defs"]
    settings_validator = jsonschema.Draft202012Validator(settings_schema)
    for name, study in config["studies"].items():
        refer(("studies", name, "datasets"), study.get("datasets", []), datasets, "data.datasets")
        factor = study["factor"]
        for i, level in enumerate(study["levels"]):
            prefix = ("studies", name, "levels", i)
            if factor == "variant":
                probe = {"variant": level}
                error = _best_error(jsonschema.Draft202012Validator(
                    {"$defs": schema_doc["$defs"], "properties": {"variant": {"$ref": "#/$defs/variant"}}}), probe)
            else:
                probe = _baseline(config)
                probe.update(study.get("overrides") or {})
                probe[factor] = level
                error = _best_error(settings_validator, probe)
            if error is not None:
                error.path.clear()
                fail(prefix, _message(error, prefix), f"fix {source} or the --config override")
    cls = config.get("classification") or {}
    named = [("classification", "studies", cls.get("studies") or []),
             ("classification", "recipes", list(cls.get("recipes") or {})),
             ("classification", "supervised", "studies", (cls.get("supervised") or {}).get("studies", []))]
    for *path, names in named:
        refer(path, names, list(config["studies"]), "studies")
    refer(("reference", "gensim", "datasets"), config["reference"]["gensim"].get("datasets", []), datasets,
          "data.datasets")


def _baseline(config: Mapping) -> dict:
    """The settings of the baseline model (training + vocabulary), before study overrides."""
    settings = {}
    for name in SETTING_KEYS:
        section, key = _CONFIG_KEY.get(name, (None, None))
        if section == "training":
            if key in config["training"]:  # left out: the trainer's default
                settings[name] = config["training"][key]
        else:  # the vocabulary's (None when unset), or a slice only a study sets
            settings[name] = config[section].get(key) if section else None
    return settings


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run_name(settings: Mapping) -> str:
    """A stable, readable directory name for a model's settings.

    >>> run_name({"model": "sg", "loss": "ns", "negative": 5, "dim": 100, "window": 5,
    ...           "sample": 1e-4, "epochs": 5, "optimizer": "sgd", "min_count": 5})
    'sg-ns5-d100-w5-t0.0001-e5-sgd-mc5'

    Optional settings appear only when set: ``lr`` (``-lr0.01``), ``max_vocab``
    (``-mv10000``), ``max_docs`` (``-md2000``), ``ns_exponent`` other than 0.75,
    ``subsample`` other than ``word2vec``, ``cbow_sum`` (``cbowsum``),
    ``shared_negatives`` (``shneg``).
    """
    model = settings["model"]
    if model == "cbow" and settings.get("cbow_sum"):
        model = "cbowsum"
    loss = settings["loss"]
    if loss in _SAMPLED_LOSSES:
        loss = f"{loss}{settings['negative']}"
    parts = [model, loss, f"d{settings['dim']}", f"w{settings['window']}", f"t{_fmt(settings['sample'])}",
             f"e{settings['epochs']}", settings["optimizer"]]
    if settings.get("lr") is not None:
        parts.append(f"lr{_fmt(settings['lr'])}")
    if settings.get("ns_exponent") not in (None, 0.75) and loss != "softmax":
        parts.append(f"alpha{_fmt(settings['ns_exponent'])}")
    if settings.get("subsample") not in (None, "word2vec"):
        parts.append(f"sub{settings['subsample']}")
    if settings.get("shared_negatives"):
        parts.append("shneg")
    parts.append(f"mc{settings['min_count']}")
    if settings.get("max_vocab") is not None:
        parts.append(f"mv{settings['max_vocab']}")
    if settings.get("max_docs") is not None:
        parts.append(f"md{settings['max_docs']}")
    return "-".join(parts)


def vocab_name(settings: Mapping) -> str:
    """The vocabulary directory name for a model's ``min_count`` / ``max_vocab`` (``vocab-mc5[-mv10000]``)."""
    name = f"vocab-mc{settings['min_count']}"
    if settings.get("max_vocab") is not None:
        name += f"-mv{settings['max_vocab']}"
    return name


def _study_datasets(config: Mapping, study: Mapping) -> list[str]:
    if config.get("grid") == "full":
        return list(config["data"]["datasets"])
    return list(study.get("datasets", config["data"]["datasets"]))


def _study_seeds(config: Mapping, study: Mapping) -> list[int]:
    if config.get("grid") == "full" or study.get("seeds") is None:
        return list(config["training"]["seeds"])
    return list(study["seeds"])


def model_points(config: Mapping) -> list[dict]:
    """Expand the enabled studies into the models to train, one entry per distinct model.

    Each point is a dict with ``dataset``, ``variant``, ``seed``, ``settings``
    (every key of :data:`SETTING_KEYS`), ``name`` (:func:`run_name`), ``vocab``
    (:func:`vocab_name`), ``dir`` (``<results>/<dataset>/models/<variant>/<name>/seed<seed>``),
    ``baseline`` (True for the baseline settings and variant) and ``studies``: the
    list of ``{"study", "factor", "level"}`` memberships. Points shared by several
    studies appear once. The order is deterministic: by study order, then level,
    dataset and seed, as first met.
    """
    results = config["paths"]["results"]
    base = _baseline(config)
    base_variant = config["preprocessing"]["variant"]
    points: dict[tuple, dict] = {}
    for name, study in config["studies"].items():
        if not study.get("enabled", True):
            continue
        factor = study["factor"]
        for level in study["levels"]:
            settings = dict(base)
            settings.update(study.get("overrides") or {})
            variant = base_variant
            if factor == "variant":
                variant = level
            else:
                settings[factor] = level
            for dataset in _study_datasets(config, study):
                for seed in _study_seeds(config, study):
                    key = (dataset, variant, tuple(sorted((k, repr(v)) for k, v in settings.items())), seed)
                    point = points.get(key)
                    if point is None:
                        rname = run_name(settings)
                        point = points[key] = {
                            "dataset": dataset, "variant": variant, "seed": int(seed),
                            "settings": dict(settings), "name": rname, "vocab": vocab_name(settings),
                            "dir": f"{results}/{dataset}/models/{variant}/{rname}/seed{seed}",
                            "baseline": settings == base and variant == base_variant,
                            "studies": [],
                        }
                    member = {"study": name, "factor": factor, "level": level}
                    if member not in point["studies"]:
                        point["studies"].append(member)
    return list(points.values())


def point_tags(point: Mapping) -> dict[str, str]:
    """The study bookkeeping passed to ``w2v train --tag``.

    A point in one study is tagged with that study, its factor and level. The
    baseline (and any point shared by several studies) is tagged
    ``study=baseline factor=baseline level=baseline``; the tag ``studies`` lists
    every membership as ``study:level`` separated by ``;``, and :func:`study_runs`
    lists it once per study so each study's table has its baseline level.
    """
    members = point["studies"]
    if len(members) == 1 and not point["baseline"]:
        study, factor, level = members[0]["study"], members[0]["factor"], _fmt(members[0]["level"])
    else:
        study = factor = level = "baseline"
    return {
        "study": study, "factor": factor, "level": level,
        "dataset": point["dataset"], "variant": point["variant"], "seed": str(point["seed"]),
        "studies": ";".join(f"{m['study']}:{_fmt(m['level'])}" for m in members),
    }


def train_args(point: Mapping) -> list[str]:
    """The ``w2v train`` options for a point (settings and tags; not corpus, output, vocab or workers)."""
    settings = point["settings"]
    args: list[str] = []
    for key in _TRAIN_FLAGS:
        value = settings.get(key)
        if value is None:
            continue
        args += [f"--{key.replace('_', '-')}", _fmt(value)]
    for key in _TRAIN_SWITCHES:
        if settings.get(key):
            args.append(f"--{key.replace('_', '-')}")
    args += ["--seed", str(point["seed"])]
    for key, value in point_tags(point).items():
        args += ["--tag", f"{key}={value}"]
    return args


def study_runs(points, results: str, gensim_points=(), baselines=()) -> tuple[list[list[str]], dict[str, dict]]:
    """The runs list for ``w2v report summarize --runs-file`` and the *views* it needs.

    A model in one study is listed by its directory. A model shared by several
    studies (the baseline) is listed once per study through a view directory
    ``<results>/views/<dataset>/<variant>/<study>-<level>/seed<seed>`` whose
    ``train.json`` is the model's with the tags ``study``/``factor``/``level`` of
    that study, followed by the model's own ``eval.json`` and classify JSONs, so
    each study's table has its baseline level. gensim models (``gensim_points``,
    with their ``dir``) get a view tagged ``trainer=gensim``-style
    (``study=reference``). Points may carry ``classify``, the list of their
    classify JSON paths (listed after a view). ``baselines`` are ``(dir, dataset, variant, method)``
    of the baseline classifiers, given a view with ``trainer=<method>``.

    Returns ``(lines, views)``: each line is a list of paths, and ``views`` maps
    a view directory to ``{"source": <train.json to copy or None>, "tags": {...},
    "trainer": <name or None>, "classify": <classify JSON or None>}``.
    """
    lines: list[list[str]] = []
    views: dict[str, dict] = {}

    def files(run_dir, point):
        return [f"{run_dir}/eval.json"] + list(point.get("classify", []))

    for point in points:
        tags = point_tags(point)
        if tags["study"] != "baseline":
            lines.append([point["dir"]])
            continue
        for member in point["studies"]:
            level = _fmt(member["level"])
            view = (f"{results}/views/{point['dataset']}/{point['variant']}/"
                    f"{member['study']}-{level}/seed{point['seed']}")
            views[view] = {"source": f"{point['dir']}/train.json", "trainer": None, "classify": None,
                           "tags": {**tags, "study": member["study"], "factor": member["factor"],
                                    "level": level}}
            lines.append([view] + files(point["dir"], point))
    for point in gensim_points:
        view = f"{results}/views/{point['dataset']}/{point['variant']}/gensim/seed{point['seed']}"
        views[view] = {"source": f"{point['dir']}/train.json", "trainer": None, "classify": None,
                       "tags": {"study": "reference", "factor": "trainer", "level": "gensim",
                                "dataset": point["dataset"], "variant": point["variant"],
                                "seed": str(point["seed"])}}
        lines.append([view] + files(point["dir"], point))
    for run_dir, dataset, variant, method in baselines:
        view = f"{results}/views/{dataset}/{variant}/{method}"
        views[view] = {"source": None, "trainer": method, "classify": f"{run_dir}/classify.json",
                       "tags": {"dataset": dataset, "variant": variant}}
        lines.append([view, f"{run_dir}/classify.json"])
    return lines, views


def write_study_runs(lines, views, runs_file: str | os.PathLike) -> None:
    """Write the views of :func:`study_runs` (their ``train.json``) and the runs file, atomically.

    A view of a baseline classifier whose JSON says ``"status": "absent"`` carries
    that status and reason in its ``train.json`` (how the report finds absent
    pretrained vectors).
    """
    from w2v.io import atomic_open, read_json, write_json

    for view, spec in views.items():
        if spec["source"] is not None:
            info = read_json(spec["source"])
            info["tags"] = {**(info.get("tags") or {}), **spec["tags"]}
        else:
            info = {"trainer": spec["trainer"], "tags": spec["tags"]}
            result = read_json(spec["classify"])
            if str(result.get("status", "")).lower() == "absent":
                info["status"] = "absent"
                info["reason"] = result.get("reason", "")
        write_json(Path(view) / "train.json", info)
    with atomic_open(runs_file, "w") as fh:
        fh.write("# run directory, then its eval/classify JSON files when they live elsewhere\n")
        for line in lines:
            fh.write(" ".join(line) + "\n")
