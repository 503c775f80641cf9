# Preprocessing (sharded jobs, then merged) and the vocabulary.


rule prepare_shard:
    """Tokenise one contiguous block of documents under a preprocessing variant."""
    input:
        f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
    output:
        temp(f"{RESULTS}/{{dataset}}/corpus/{{variant}}.shard{{i}}of{{n}}.txt.gz"),
    log:
        f"{LOGS}/{{dataset}}/prepare/{{variant}}.shard{{i}}of{{n}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/prepare/{{variant}}.shard{{i}}of{{n}}.tsv"
    params:
        spacy=(
            f"--spacy-model {shlex.quote(config['preprocessing']['spacy_model'])}"
            if config["preprocessing"].get("spacy_model")
            else ""
        ),
    shell:
        "w2v prepare {input:q} --variant {wildcards.variant:q} --shard {wildcards.i}/{wildcards.n} "
        "--out {output:q} {params.spacy} --quiet > {log:q} 2>&1"


rule merge_shards:
    """Concatenate the shards, in order, into the corpus of a variant (aligned with the document table)."""
    input:
        lambda wc: [
            f"{RESULTS}/{wc.dataset}/corpus/{wc.variant}.shard{i}of{SHARDS}.txt.gz"
            for i in range(SHARDS)
        ],
    output:
        f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    log:
        f"{LOGS}/{{dataset}}/prepare/{{variant}}.merge.log",
    shell:
        "w2v merge {input:q} --out {output:q} > {log:q} 2>&1"


rule vocab:
    """Count the corpus, keep frequent words, encode it (vocab.tsv, ids.npy, offsets.npy, stats.json)."""
    input:
        f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        multiext(
            f"{RESULTS}/{{dataset}}/vocab/{{variant}}/{{vocab}}/",
            "vocab.tsv",
            "ids.npy",
            "offsets.npy",
            "stats.json",
        ),
    log:
        f"{LOGS}/{{dataset}}/vocab/{{variant}}/{{vocab}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/vocab/{{variant}}/{{vocab}}.tsv"
    params:
        settings=vocab_args,
        outdir=lambda wc, output: str(Path(output[0]).parent),
    shell:
        "w2v vocab {input:q} --out {params.outdir:q} {params.settings} --quiet > {log:q} 2>&1"


rule heldout_corpus:
    """The last N documents of a corpus: held out from every model trained on a slice of its first ones."""
    input:
        f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        f"{RESULTS}/{{dataset}}/corpus/{{variant}}.last{{n}}.txt.gz",
    log:
        f"{LOGS}/{{dataset}}/heldout/{{variant}}.last{{n}}.log",
    shell:
        "w2v tail {input:q} --lines {wildcards.n} --out {output:q} > {log:q} 2>&1"
