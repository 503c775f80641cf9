# Evaluation of every model (analogies, word similarity, neighbours, frequency buckets) and word maps.


rule evaluate:
    """Analogies (3CosAdd/3CosMul), WordSim-353, SimLex-999, neighbours of the probe words, frequency buckets."""
    input:
        vectors=f"{R}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/vectors.bin",
        analogies=f"{R}/benchmarks/questions-words.txt",
        wordsim=config["evaluation"]["wordsim"],
        simlex=config["evaluation"]["simlex"],
        ranking=ranking_file,
    output:
        evaluation=f"{R}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/eval.json",
        neighbours=f"{R}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/neighbours.csv",
        frequency=f"{R}/{{dataset}}/{{kind}}/{{variant}}/{{name}}/seed{{seed}}/frequency.csv",
    params:
        model=lambda wc, input: str(Path(input.vectors).parent),
        restrict=config["evaluation"]["restrict_vocab"],
        probes=",".join(config["evaluation"]["probes"]),
    log:
        f"{L}/{{dataset}}/evaluate/{{kind}}/{{variant}}/{{name}}/seed{{seed}}.log",
    benchmark:
        f"{B}/{{dataset}}/evaluate/{{kind}}/{{variant}}/{{name}}/seed{{seed}}.tsv"
    shell:
        "w2v evaluate {params.model:q} --out {output.evaluation:q} --analogies {input.analogies:q} "
        "--wordsim {input.wordsim:q} --simlex {input.simlex:q} --restrict-vocab {params.restrict:q} "
        "--ranking {input.ranking:q} "
        "--probes {params.probes:q} --neighbours-out {output.neighbours:q} "
        "--frequency-out {output.frequency:q} > {log:q} 2>&1"


def map_args(wc):
    spec = config["evaluation"]["maps"]["sets"][wc.mapset]
    args = f"--method {wc.method} --title {shlex.quote(f'{wc.dataset}: {wc.mapset} ({wc.method})')}"
    if spec.get("section"):
        args += f" --section {shlex.quote(spec['section'])}"
    if spec.get("words"):
        args += f" --words {shlex.quote(','.join(spec['words']))}"
    return args


rule word_map:
    """2-D map (PCA or t-SNE) of a word set in the first baseline model of a data set."""
    input:
        vectors=lambda wc: f"{map_model_dir(wc.dataset)}/vectors.bin",
        analogies=f"{R}/benchmarks/questions-words.txt",
    output:
        report(
            f"{R}/figures/maps/{{dataset}}-{{mapset}}-{{method}}.png",
            caption="../report/word_map.rst",
            category="Word maps",
            subcategory="{dataset}",
            labels={"data set": "{dataset}", "word set": "{mapset}", "method": "{method}"},
        ),
    params:
        args=map_args,
        model=lambda wc, input: str(Path(input.vectors).parent),
    wildcard_constraints:
        method="pca|tsne",
        mapset=r"[A-Za-z0-9_]+",
    log:
        f"{L}/figures/maps/{{dataset}}-{{mapset}}-{{method}}.log",
    shell:
        "w2v plot map {params.model:q} --out {output:q} --analogies {input.analogies:q} {params.args} > {log:q} 2>&1"
