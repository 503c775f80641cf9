# w2v study: word2vec from scratch on 20 Newsgroups and IMDb.
#
#   snakemake --cores 2 --config preset=demo   # offline demo on data/sample (a few minutes)
#   snakemake --cores 2                        # the default study on the real data
#   snakemake --cores 2 --report results/report.html
#
# Every rule calls the `w2v` command line, so each stage also runs by hand; the
# settings live in config.yaml (checked against workflow/schemas/config.schema.yaml).

import os
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

# Use the package next to this Snakefile (also when it is not installed).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
import w2v.config as w2vconfig
from w2v.errors import W2VError


# One BLAS/OpenMP thread per job: Snakemake runs jobs side by side, and oversubscribed
# BLAS threads made one MLP fit 20x slower on a busy 2-core machine.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _shown(path):
    """A config file's name as the user gave it: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


# The configuration layers, lowest precedence first: config.yaml, the --configfile files,
# the --config values. They are read here with w2v's YAML reader before `configfile:` reads
# config.yaml: that refuses nested aliases expanding past any real configuration in one line,
# where Snakemake's merge would expand them into new mappings for minutes. (The --configfile
# files were already read and merged by Snakemake when it parsed its command line.)
try:
    _CONFIG_LAYERS = [(_shown(str(p)), w2vconfig.read_config_file(_shown(str(p))))
                      for p in workflow.overwrite_configfiles]
    if os.path.exists("config.yaml"):
        _CONFIG_LAYERS.insert(0, ("config.yaml", w2vconfig.read_config_file("config.yaml")))
    else:
        _CONFIG_LAYERS.insert(0, (_CONFIG_LAYERS[0][0] if _CONFIG_LAYERS else "config.yaml", {}))
except W2VError as exc:
    sys.exit(f"w2v: error: {exc}")
_CONFIG_LAYERS.append(("--config", dict(workflow.config_settings.config)))


configfile: "config.yaml"


# Merge the preset, re-apply the --config overrides over it, and check everything
# (one line naming the file or --config, the key and the allowed values on a wrong setting).
try:
    _resolved = w2vconfig.resolve_config(
        config,
        overrides=workflow.config_settings.overwrite_config,
        source=_CONFIG_LAYERS[0][0],
        schema=Path(workflow.basedir) / "workflow/schemas/config.schema.yaml",
        origins=_CONFIG_LAYERS,
    )
except W2VError as exc:
    sys.exit(f"w2v: error: {exc}")
config.clear()
config.update(_resolved)
validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/prepare.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/classify.smk"
include: "workflow/rules/report.smk"


# Light bookkeeping jobs run in the main process (also under a cluster executor).
localrules:
    all,
    download,
    analogies,
    runs_list,
    neighbour_table,


rule all:
    input:
        all_targets(),
    default_target: True
