# w2v study: word2vec from scratch on 20 Newsgroups and IMDb.
#
#   snakemake --cores 2 --config preset=demo   # offline demo on data/sample (a few minutes)
#   snakemake --cores 2                        # the default study on the real data
#   snakemake --cores 2 --report results/report.html
#
# Every rule calls the `w2v` command line, so each stage also runs by hand; the
# settings live in config.yaml (checked against workflow/schemas/config.schema.yaml).
#
# Software: the rules run the `w2v` command line (and gensim) of the one Python
# environment installed with pip from requirements/*.lock (`make install`), so no rule
# names a conda environment or container, and `snakemake --lint` reports "Specify a
# conda environment or container for each rule" for each of them.

import os
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# Use the package next to this Snakefile (also when it is not installed).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
import w2v.config as w2vconfig
from w2v.errors import W2VError

# One BLAS/OpenMP thread per job: Snakemake runs jobs side by side, and oversubscribed
# BLAS threads made one MLP fit 20x slower on a busy 2-core machine.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


# The configuration layers, lowest precedence first: config.yaml, the --configfile files,
# the --config values, read with w2v's YAML reader before `configfile:` reads config.yaml
# (see w2v.config.config_layers). The --configfile files were already read and merged by
# Snakemake when it parsed its command line.
try:
    _CONFIG_LAYERS = w2vconfig.config_layers(
        workflow.overwrite_configfiles, workflow.config_settings.config
    )
except W2VError as exc:
    sys.exit(f"w2v: error: {exc}")


configfile: "config.yaml"


# Merge the preset, re-apply the --config overrides over it, and check everything against
# workflow/schemas/config.schema.yaml, once: resolve_config's error is one line naming the
# file or --config that set the wrong value, the key and the allowed values. (Snakemake's
# `validate` would repeat the same check with a longer message; the schema sets no
# defaults for it to fill in.)
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
    default_target: True
    input:
        all_targets(),
