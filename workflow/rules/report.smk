# The summary: runs list -> summary.csv -> figures and summary.md; tables and figures for the HTML report.


def runs_inputs():
    return model_outputs() + baseline_outputs() + [f"{d}/train.json" for d in model_dirs()]


def baseline_specs():
    out = []
    for ds in DATASETS:
        for d in classify_baselines(ds):
            out.append((d, ds, BASE_VARIANT, Path(d).name.split("-d")[0]))
    return out


rule runs_list:
    """List every run for the summary; a model shared by several studies is listed once per study (views)."""
    input:
        runs_inputs(),
    output:
        runs=f"{R}/runs.txt",
        views=directory(f"{R}/views"),
    log:
        f"{L}/report/runs_list.log",
    run:
        points = [{**p, "classify": classify_outputs(p["dir"], p)} for p in POINTS]
        gensim = [{**p, "dir": d, "classify": classify_outputs(d, p, extra=False)} for d, p in GENSIM_BY_DIR.items()]
        lines, views = w2vconfig.study_runs(points, R, gensim, baseline_specs())
        w2vconfig.write_study_runs(lines, views, output.runs)
        Path(output.views).mkdir(parents=True, exist_ok=True)
        with open(log[0], "w") as fh:
            print(f"{len(lines)} runs, {len(views)} views", file=fh)


rule summarize:
    """One row per model (tags, settings, speed, analogy/similarity/classification metrics)."""
    input:
        runs=f"{R}/runs.txt",
        views=f"{R}/views",
    output:
        report(f"{R}/summary.csv", caption="../report/summary.rst", category="Summary"),
    log:
        f"{L}/report/summarize.log",
    shell:
        "w2v report summarize --runs-file {input.runs:q} --out {output:q} > {log:q} 2>&1"


rule study_figures:
    """Factor effects, speed vs quality, loss curves (from summary.csv)."""
    input:
        f"{R}/summary.csv",
    output:
        report(
            directory(f"{R}/figures/study"),
            patterns=["{name}.png"],
            caption="../report/study_figures.rst",
            category="Study figures",
        ),
    log:
        f"{L}/report/figures.log",
    shell:
        "w2v report figures {input:q} --outdir {output:q} > {log:q} 2>&1"


rule summary_markdown:
    """The written summary: tables per study, gensim/pretrained comparisons, findings from the numbers."""
    input:
        summary=f"{R}/summary.csv",
        figures=f"{R}/figures/study",
    output:
        report(f"{R}/summary.md", caption="../report/summary_md.rst", category="Summary"),
    log:
        f"{L}/report/markdown.log",
    shell:
        "w2v report markdown {input.summary:q} --out {output:q} --figures-dir {input.figures:q} > {log:q} 2>&1"


rule neighbour_table:
    """Nearest neighbours of the probe words in the first baseline model, for the HTML report."""
    input:
        lambda wc: f"{map_model_dir(wc.dataset)}/neighbours.csv",
    output:
        report(f"{R}/tables/{{dataset}}-neighbours.csv", caption="../report/neighbours.rst",
               category="Neighbours", labels={"data set": "{dataset}"}),
    log:
        f"{L}/report/{{dataset}}-neighbours.log",
    shell:
        "(cp {input:q} {output:q}.tmp && mv {output:q}.tmp {output:q}) > {log:q} 2>&1"
