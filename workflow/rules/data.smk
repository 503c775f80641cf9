# Data: verified archives (download or mirror) -> document tables.


rule download:
    """Fetch a source into its own folder, sha256-verified (from data.mirror / $W2V_DATA_MIRROR if set)."""
    output:
        directory(f"{DOWNLOADS}/{{source}}"),
    log:
        f"{LOGS}/download/{{source}}.log",
    # The mirror is not a param (so `snakemake --lint` reports the shell command's use of
    # MIRROR_OPT): where a verified file came from does not make it stale, and a param would
    # fetch every archive again when the mirror moves.
    shell:
        "w2v download {wildcards.source} --dest {output:q} {MIRROR_OPT} --quiet > {log:q} 2>&1"


rule extract:
    """Read a data set archive into the document table (20NG: optional header/footer/quote removal)."""
    input:
        # ancient: a re-fetched archive is verified by sha256, so its new mtime alone does not make tables stale
        lambda wc: ancient(f"{DOWNLOADS}/{source_of(wc.dataset)}"),
    output:
        f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
    log:
        f"{LOGS}/{{dataset}}/extract.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/extract.tsv"
    params:
        source=lambda wc: source_of(wc.dataset),
        reader=lambda wc: reader_of(wc.dataset),
        strip=lambda wc: remove_opt(wc.dataset),
    shell:
        "(archive=$(w2v download {params.source:q} --dest {input:q} --quiet) && "
        'w2v extract {params.reader:q} "$archive" --out {output:q} {params.strip} --quiet) > {log:q} 2>&1'


rule analogies:
    """The analogy test set (questions-words.txt), verified."""
    input:
        ancient(f"{DOWNLOADS}/{config['data']['analogies']}"),
    output:
        f"{RESULTS}/benchmarks/questions-words.txt",
    log:
        f"{LOGS}/benchmarks/analogies.log",
    params:
        source=config["data"]["analogies"],
    shell:
        '(cp "$(w2v download {params.source:q} --dest {input:q} --quiet)" {output:q}.tmp && '
        "mv {output:q}.tmp {output:q}) > {log:q} 2>&1"
