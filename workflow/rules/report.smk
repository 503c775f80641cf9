# The summary: runs list -> summary.csv -> figures and summary.md (+ .html); tables and figures for the HTML report.


rule runs_list:
    """List every run for the summary; a model shared by several studies is listed once per study (views)."""
    input:
        runs_inputs(),
    output:
        runs=f"{RESULTS}/runs.txt",
        views=directory(f"{RESULTS}/views"),
    log:
        f"{LOGS}/report/runs_list.log",
    run:
        write_runs_list(output.runs, output.views, log[0])


rule summarize:
    """One row per model (tags, settings, speed, analogy/similarity/classification metrics)."""
    input:
        runs=f"{RESULTS}/runs.txt",
        views=f"{RESULTS}/views",
    output:
        report(
            f"{RESULTS}/summary.csv",
            caption="../report/summary.rst",
            category="Summary",
        ),
    log:
        f"{LOGS}/report/summarize.log",
    shell:
        "w2v report summarize --runs-file {input.runs:q} --out {output:q} > {log:q} 2>&1"


rule study_figures:
    """Factor effects, speed vs quality, loss curves (from summary.csv)."""
    input:
        f"{RESULTS}/summary.csv",
    output:
        report(
            directory(f"{RESULTS}/figures/study"),
            patterns=["{name}.png"],
            caption="../report/study_figures.rst",
            category="Study figures",
        ),
    log:
        f"{LOGS}/report/figures.log",
    shell:
        "w2v report figures {input:q} --outdir {output:q} > {log:q} 2>&1"


rule summary_markdown:
    """The written summary (tables per study, comparisons, findings), also as HTML to show inline in the report."""
    input:
        summary=f"{RESULTS}/summary.csv",
        figures=f"{RESULTS}/figures/study",
    output:
        md=report(
            f"{RESULTS}/summary.md",
            caption="../report/summary_md.rst",
            category="Summary",
        ),
        html=report(
            f"{RESULTS}/summary.html",
            caption="../report/summary_html.rst",
            category="Summary",
        ),
    log:
        f"{LOGS}/report/markdown.log",
    shell:
        "w2v report markdown {input.summary:q} --out {output.md:q} --html-out {output.html:q} "
        "--figures-dir {input.figures:q} > {log:q} 2>&1"


rule neighbour_table:
    """Nearest neighbours of the probe words in the first baseline model: the CSV and an HTML table for the report."""
    input:
        lambda wc: f"{map_model_dir(wc.dataset)}/neighbours.csv",
    output:
        csv=report(
            f"{RESULTS}/tables/{{dataset}}-neighbours.csv",
            caption="../report/neighbours.rst",
            category="Neighbours",
            labels={"data set": "{dataset}", "format": "CSV (download)"},
        ),
        html=report(
            f"{RESULTS}/tables/{{dataset}}-neighbours.html",
            caption="../report/neighbours.rst",
            category="Neighbours",
            labels={"data set": "{dataset}", "format": "table"},
        ),
    log:
        f"{LOGS}/report/{{dataset}}-neighbours.log",
    params:
        title=lambda wc: f"Nearest neighbours in the {wc.dataset} baseline model",
    shell:
        "(cp {input:q} {output.csv:q}.tmp && mv {output.csv:q}.tmp {output.csv:q} && "
        "w2v report html {output.csv:q} --out {output.html:q} --title {params.title:q}) > {log:q} 2>&1"
