# Document classification: MLP on pooled word vectors of every model, and per-data-set baselines.


rule classify_model:
    """MLP (or linear SVM) on document vectors pooled from a model's word vectors (official train/test split)."""
    input:
        docs=f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
        corpus=f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
        vectors=f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/vectors.bin",
    output:
        f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/classify-{{method}}-{{pooling}}.json",
    log:
        f"{LOGS}/{{dataset}}/classify/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/{{method}}-{{pooling}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/classify/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/{{method}}-{{pooling}}.tsv"
    wildcard_constraints:
        method="mlp|svm",
    shell:
        "w2v classify {input.docs:q} {input.corpus:q} --vectors {input.vectors:q} --method {wildcards.method} "
        "--pooling {wildcards.pooling} --seed {wildcards.seed} --out {output:q} > {log:q} 2>&1"


rule classify_supervised:
    """fastText's supervised model (bag of words and hashed bigrams, softmax over the labels), its word rows
    initialised with a model's vectors and fine-tuned; hyper-parameters chosen on a validation split.
    """
    input:
        docs=f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
        corpus=f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
        vectors=f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/vectors.bin",
    output:
        f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/classify-supervised.json",
    log:
        f"{LOGS}/{{dataset}}/classify/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/supervised.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/classify/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/supervised.tsv"
    threads: 1  # one thread: the same seed gives the same model
    shell:
        "NUMBA_NUM_THREADS={threads} w2v classify {input.docs:q} {input.corpus:q} --vectors {input.vectors:q} --method supervised "
        "--seed {wildcards.seed} --out {output:q} > {log:q} 2>&1"


rule classify_supervised_random:
    """Baseline: the same supervised model from random word rows (what the w2v initialisation adds)."""
    input:
        docs=f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
        corpus=f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        f"{RESULTS}/{{dataset}}/baselines/{{variant}}/supervised-random-d{{dim}}/classify.json",
    log:
        f"{LOGS}/{{dataset}}/classify/baselines/{{variant}}/supervised-random-d{{dim}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/classify/baselines/{{variant}}/supervised-random-d{{dim}}.tsv"
    wildcard_constraints:
        dim=r"\d+",
    threads: 1
    params:
        seed=config["training"]["seeds"][0],
    shell:
        "NUMBA_NUM_THREADS={threads} w2v classify {input.docs:q} {input.corpus:q} --method supervised --dim {wildcards.dim} "
        "--seed {params.seed:q} --out {output:q} > {log:q} 2>&1"


rule classify_tfidf:
    """Baseline: TF-IDF on the same tokens (tfidf_*), or on tokens and bigrams (tfidf_*_bigrams), + logistic
    regression (C = 10) or a linear SVM (C chosen on a validation split)."""
    input:
        docs=f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
        corpus=f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        f"{RESULTS}/{{dataset}}/baselines/{{variant}}/tfidf_{{model}}{{bigrams}}/classify.json",
    log:
        f"{LOGS}/{{dataset}}/classify/baselines/{{variant}}/tfidf_{{model}}{{bigrams}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/classify/baselines/{{variant}}/tfidf_{{model}}{{bigrams}}.tsv"
    wildcard_constraints:
        model="logreg|svm",
        bigrams="|_bigrams",
    params:
        ngrams=lambda wc: 2 if wc.bigrams else 1,
    shell:
        "w2v classify {input.docs:q} {input.corpus:q} --method tfidf_{wildcards.model} --ngrams {params.ngrams} "
        "--out {output:q} > {log:q} 2>&1"


rule classify_random:
    """Baseline (sanity floor): random word vectors of the same dimension + the same MLP."""
    input:
        docs=f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
        corpus=f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        f"{RESULTS}/{{dataset}}/baselines/{{variant}}/random-d{{dim}}/classify.json",
    log:
        f"{LOGS}/{{dataset}}/classify/baselines/{{variant}}/random-d{{dim}}.log",
    wildcard_constraints:
        dim=r"\d+",
    params:
        pooling=config["classification"]["pooling"],
        seed=config["training"]["seeds"][0],
    shell:
        "w2v classify {input.docs:q} {input.corpus:q} --method random --dim {wildcards.dim} "
        "--pooling {params.pooling:q} --seed {params.seed:q} --out {output:q} > {log:q} 2>&1"


rule classify_pretrained:
    """Pretrained Google News vectors (a missing file gives an "absent" row instead of failing)."""
    input:
        docs=f"{RESULTS}/{{dataset}}/documents.jsonl.gz",
        corpus=f"{RESULTS}/{{dataset}}/corpus/{{variant}}.txt.gz",
    output:
        f"{RESULTS}/{{dataset}}/baselines/{{variant}}/pretrained/classify.json",
    log:
        f"{LOGS}/{{dataset}}/classify/baselines/{{variant}}/pretrained.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/classify/baselines/{{variant}}/pretrained.tsv"
    params:
        vectors=config["classification"]["pretrained"]["path"],
        limit=(
            f"--limit {shlex.quote(str(config['classification']['pretrained']['limit']))}"
            if config["classification"]["pretrained"].get("limit")
            else ""
        ),
        pooling=config["classification"]["pooling"],
    shell:
        "w2v classify {input.docs:q} {input.corpus:q} --vectors {params.vectors:q} --method mlp "
        "--pooling {params.pooling:q} {params.limit} --allow-missing --out {output:q} > {log:q} 2>&1"
