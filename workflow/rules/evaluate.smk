# Evaluation of every model (analogies, word similarity, neighbours, frequency buckets) and word maps.


rule evaluate:
    """Analogies (3CosAdd/3CosMul), WordSim-353, SimLex-999, neighbours of the probe words, frequency buckets;
    the held-out log-likelihood of models trained on a corpus slice."""
    input:
        vectors=f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/vectors.bin",
        analogies=f"{RESULTS}/benchmarks/questions-words.txt",
        wordsim=config["evaluation"]["wordsim"],
        simlex=config["evaluation"]["simlex"],
        ranking=ranking_file,
        heldout=heldout_corpus,
    output:
        evaluation=f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/eval.json",
        neighbours=f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/neighbours.csv",
        frequency=f"{RESULTS}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/frequency.csv",
    log:
        f"{LOGS}/{{dataset}}/evaluate/{{kind}}/{{variant}}/{{name}}/seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/{{dataset}}/evaluate/{{kind}}/{{variant}}/{{name}}/seed{{seed}}.tsv"
    params:
        model=lambda wc, input: str(Path(input.vectors).parent),
        restrict=config["evaluation"]["restrict_vocab"],
        probes=",".join(config["evaluation"]["probes"]),
        heldout=heldout_opts,
    shell:
        "w2v evaluate {params.model:q} --out {output.evaluation:q} --analogies {input.analogies:q} "
        "--wordsim {input.wordsim:q} --simlex {input.simlex:q} --restrict-vocab {params.restrict:q} "
        "--ranking {input.ranking:q} {params.heldout} "
        "--probes {params.probes:q} --neighbours-out {output.neighbours:q} "
        "--frequency-out {output.frequency:q} > {log:q} 2>&1"


rule word_map:
    """2-D map (PCA or t-SNE) of a word set in the first baseline model of a data set."""
    input:
        vectors=lambda wc: f"{map_model_dir(wc.dataset)}/vectors.bin",
        analogies=f"{RESULTS}/benchmarks/questions-words.txt",
    output:
        report(
            f"{RESULTS}/figures/maps/{{dataset}}-{{mapset}}-{{method}}.png",
            caption="../report/word_map.rst",
            category="Word maps",
            subcategory="{dataset}",
            labels={
                "data set": "{dataset}",
                "word set": "{mapset}",
                "method": "{method}",
            },
        ),
    log:
        f"{LOGS}/figures/maps/{{dataset}}-{{mapset}}-{{method}}.log",
    wildcard_constraints:
        method="pca|tsne",
        mapset=r"[A-Za-z0-9_]+",
    params:
        args=map_args,
        model=lambda wc, input: str(Path(input.vectors).parent),
    shell:
        "w2v plot map {params.model:q} --out {output:q} --analogies {input.analogies:q} {params.args} > {log:q} 2>&1"
