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


configfile: "config.yaml"


# Merge the preset, re-apply the --config overrides over it, and check everything
# (one line naming the key and the allowed values on a wrong setting).
try:
    _resolved = w2vconfig.resolve_config(
        config,
        overrides=workflow.config_settings.overwrite_config,
        source="config.yaml",
        schema=Path(workflow.basedir) / "workflow/schemas/config.schema.yaml",
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
