# Preprocessing (sharded jobs, then merged) and the vocabulary.


rule prepare_shard:
    """Tokenise one contiguous block of documents under a preprocessing variant."""
    input:
        f"{R}/{{dataset}}/documents.jsonl.gz",
    output:
        temp(f"{R}/{{dataset}}/corpus/{{variant}}.shard{{i}}of{{n}}.txt.gz"),
    params:
        spacy=(f"--spacy-model {shlex.quote(config['preprocessing']['spacy_model'])}"
               if config["preprocessing"].get("spacy_model") else ""),
    log:
        f"{L}/{{dataset}}/prepare/{{variant}}.shard{{i}}of{{n}}.log",
    benchmark:
        f"{B}/{{dataset}}/prepare/{{variant}}.shard{{i}}of{{n}}.tsv"
    shell:
        "w2v prepare {input:q} --variant {wildcards.variant:q} --shard {wildcards.i}/{wildcards.n} "
        "--out {output:q} {params.spacy} --quiet > {log:q} 2>&1"


rule merge_shards:
    """Concatenate the shards, in order, into the corpus of a variant (aligned with the document table)."""
    input:
        lambda wc: [f"{R}/{wc.dataset}/corpus/{wc.variant}.shard{i}of{SHARDS}.txt.gz" for i in range(SHARDS)],
    output:
        f"{R}/{{dataset}}/corpus/{{variant}}.txt.gz",
    log:
        f"{L}/{{dataset}}/prepare/{{variant}}.merge.log",
    shell:
        "w2v merge {input:q} --out {output:q} > {log:q} 2>&1"


rule vocab:
    """Count the corpus, keep frequent words, encode it (vocab.tsv, ids.npy, offsets.npy, stats.json)."""
    input:
        f"{R}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        multiext(f"{R}/{{dataset}}/vocab/{{variant}}/{{vocab}}/", "vocab.tsv", "ids.npy", "offsets.npy",
                 "stats.json"),
    params:
        settings=vocab_settings,
        outdir=lambda wc, output: str(Path(output[0]).parent),
    log:
        f"{L}/{{dataset}}/vocab/{{variant}}/{{vocab}}.log",
    benchmark:
        f"{B}/{{dataset}}/vocab/{{variant}}/{{vocab}}.tsv"
    shell:
        "w2v vocab {input:q} --out {params.outdir:q} {params.settings} --quiet > {log:q} 2>&1"
