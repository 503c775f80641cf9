# Training: our trainer for every model point, gensim as a reference.


rule train:
    """Train one model point (settings and study tags from w2v.config.train_args)."""
    input:
        corpus=f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
        vocab=lambda wc: multiext(
            f"{train_vocab_dir(wc)}/", "vocab.tsv", "ids.npy", "offsets.npy"
        ),
    output:
        vectors=f"{RESULTS}/{{dataset}}/models/{{variant}}/{{name}}/seed{{seed}}/vectors.bin",
        model=f"{RESULTS}/{{dataset}}/models/{{variant}}/{{name}}/seed{{seed}}/model.npz",
        info=f"{RESULTS}/{{dataset}}/models/{{variant}}/{{name}}/seed{{seed}}/train.json",
    log:
        f"{LOGS}/{{dataset}}/train/{{variant}}/{{name}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/train/{{variant}}/{{name}}/seed{{seed}}.tsv"
    threads: config["training"]["workers"]
    params:
        args=train_params,
        vocab=lambda wc, input: str(Path(input.vocab[0]).parent),
        outdir=lambda wc, output: str(Path(output.info).parent),
    shell:
        "w2v train {input.corpus:q} --vocab {params.vocab:q} --out {params.outdir:q} {params.args} "
        "--workers {threads} --quiet > {log:q} 2>&1"


rule train_gensim:
    """The gensim reference with the baseline settings (workflow/scripts/train_gensim.py)."""
    input:
        f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        vectors=f"{RESULTS}/{{dataset}}/gensim/{{variant}}/{{name}}/seed{{seed}}/vectors.bin",
        info=f"{RESULTS}/{{dataset}}/gensim/{{variant}}/{{name}}/seed{{seed}}/train.json",
    log:
        f"{LOGS}/{{dataset}}/train_gensim/{{variant}}/{{name}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/train_gensim/{{variant}}/{{name}}/seed{{seed}}.tsv"
    threads: config["training"]["workers"]
    params:
        args=lambda wc: gensim_args(gensim_point_of(wc)),
        outdir=lambda wc, output: str(Path(output.info).parent),
        script=str(Path(workflow.basedir) / "workflow/scripts/train_gensim.py"),
    shell:
        "python {params.script:q} {input:q} --out {params.outdir:q} {params.args} --workers {threads} > {log:q} 2>&1"
