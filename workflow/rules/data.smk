# Data: verified archives (download or mirror) -> document tables.


rule download:
    """Fetch a source into its own folder, sha256-verified (from data.mirror / $W2V_DATA_MIRROR if set)."""
    output:
        directory(f"{DL}/{{source}}"),
    log:
        f"{L}/download/{{source}}.log",
    # The mirror is not a param: where a verified file came from does not make it stale.
    shell:
        "w2v download {wildcards.source} --dest {output:q} {MIRROR_OPT} --quiet > {log:q} 2>&1"


rule extract:
    """Read a data set archive into the document table (20NG: optional header/footer/quote removal)."""
    input:
        # ancient: a re-fetched archive is verified by sha256, so its new mtime alone does not make tables stale
        lambda wc: ancient(f"{DL}/{source_of(wc.dataset)}"),
    output:
        f"{R}/{{dataset}}/documents.jsonl.gz",
    params:
        source=lambda wc: source_of(wc.dataset),
        strip=lambda wc: remove_opt(wc.dataset),
    log:
        f"{L}/{{dataset}}/extract.log",
    benchmark:
        f"{B}/{{dataset}}/extract.tsv"
    shell:
        "(archive=$(w2v download {params.source:q} --dest {input:q} --quiet) && "
        "w2v extract {wildcards.dataset} \"$archive\" --out {output:q} {params.strip} --quiet) > {log:q} 2>&1"


rule analogies:
    """The analogy test set (questions-words.txt), verified."""
    input:
        ancient(f"{DL}/{config['data']['analogies']}"),
    output:
        f"{R}/benchmarks/questions-words.txt",
    log:
        f"{L}/benchmarks/analogies.log",
    shell:
        "(cp \"$(w2v download {config[data][analogies]:q} --dest {input:q} --quiet)\" {output:q}.tmp && "
        "mv {output:q}.tmp {output:q}) > {log:q} 2>&1"
