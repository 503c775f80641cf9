"""``w2v classify``: document classification with word-vector features or a baseline."""

from __future__ import annotations

import sys

from w2v.errors import W2VError


COMMANDS = ("classify",)  # the subcommands register() adds (w2v.cli builds only the one run)


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise W2VError(f"--hidden {text!r}: expected comma-separated positive layer sizes, e.g. 256 or 256,64")
    return sizes


def _c_value(text: str):
    if text == "auto":
        return text
    try:
        c = float(text)
    except ValueError:
        c = 0.0
    if not c > 0 or c == float("inf"):
        raise W2VError(f"--C {text!r}: expected a positive number or auto")
    return c


def register(subparsers) -> None:
    """Add the ``classify`` subcommand."""
    from w2v.classify import (COVARIANCES, DEFAULT_HIDDEN, METHODS, N_CLUSTERS, NGRAM_MIN_DF, NGRAMS, POOLINGS,
                              SCALES, SCDV_CLUSTERS, SCDV_SPARSITY)
    from w2v.supervised import SUPERVISED

    p = subparsers.add_parser(
        "classify", help="classify documents with word-vector features (or a baseline); write metrics JSON",
        description="Fit a classifier on the official train split and report accuracy and macro-F1 "
                    "on the test split (unsup documents are never used).")
    p.add_argument("docs", help="document table (documents.jsonl.gz)")
    p.add_argument("corpus", help="tokenised corpus aligned with DOCS (corpus.txt.gz)")
    p.add_argument("--out", required=True, help="result JSON, written atomically")
    p.add_argument("--vectors", default=None,
                   help="model directory (DIR/vectors.bin) or word2vec-format file (text, binary, .gz)")
    p.add_argument("--method", choices=METHODS + (SUPERVISED,), default="mlp",
                   help="mlp: MLP on pooled word vectors; svm: linear SVM on them (C chosen on a "
                        "validation split); random: the same with seeded random vectors; "
                        "tfidf_logreg: TF-IDF + logistic regression; tfidf_svm: TF-IDF + linear SVM; "
                        "supervised: fastText's classifier (words and hashed bigrams), word rows started "
                        "from --vectors (random rows of --dim dimensions without), epochs, learning rate "
                        "and bigrams chosen on a seeded validation split (default: mlp)")
    p.add_argument("--ngrams", type=int, choices=NGRAMS, default=1,
                   help="TF-IDF methods: 1 tokens, 2 tokens and the bigrams in at least "
                        f"{NGRAM_MIN_DF} training documents (default: 1)")
    p.add_argument("--C", type=str, default=None,
                   help="TF-IDF methods: inverse regularisation strength, or auto: chosen on a "
                        "seeded validation split of the training documents (default: 10 for "
                        "tfidf_logreg, auto for tfidf_svm)")
    p.add_argument("--pooling", choices=POOLINGS, default="mean", help="document vector (default: mean)")
    p.add_argument("--scale", choices=SCALES, default="auto",
                   help="feature scaling before the MLP, fitted on train; auto: none for the cluster "
                        "and scdv poolings, standard otherwise (default: auto)")
    p.add_argument("--hidden", type=str, default=",".join(map(str, DEFAULT_HIDDEN)),
                   help="MLP hidden layer sizes, comma-separated (default: %(default)s)")
    p.add_argument("--alpha", type=float, default=1e-4, help="MLP L2 penalty (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dim", type=int, default=100,
                   help="dimension of random vectors (random, supervised) when --vectors is not given "
                        "(default: 100)")
    p.add_argument("--clusters", type=int, default=None,
                   help=f"k-means clusters of the cluster pooling (default: {N_CLUSTERS}), mixture "
                        f"components of the scdv pooling (default: {SCDV_CLUSTERS})")
    p.add_argument("--covariance", choices=COVARIANCES, default="tied",
                   help="scdv: the mixture's covariance, one full matrix shared by the components (tied, "
                        "SCDV's) or a diagonal one per component (default: %(default)s)")
    p.add_argument("--sparsity", type=float, default=SCDV_SPARSITY,
                   help="scdv: zero entries below this fraction of the mean extreme value "
                        "(default: %(default)s)")
    p.add_argument("--limit", type=int, default=None,
                   help="read only the first N words of the vectors file (large pretrained files)")
    p.add_argument("--allow-missing", action="store_true",
                   help="when the --vectors file is missing, write a {\"status\": \"absent\"} row instead of failing")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run the classification and print a one-line summary to stderr."""
    from w2v.classify import classify

    result = classify(args.docs, args.corpus, args.vectors, method=args.method, pooling=args.pooling,
                      seed=args.seed, hidden=_hidden(args.hidden), out=args.out, scale=args.scale,
                      alpha=args.alpha, dim=args.dim, n_clusters=args.clusters, limit=args.limit,
                      allow_missing=args.allow_missing, sparsity=args.sparsity, ngrams=args.ngrams,
                      covariance=args.covariance, C=None if args.C is None else _c_value(args.C))
    if result["status"] == "absent":
        print(f"w2v classify: vectors absent ({result['reason']}); wrote {args.out}", file=sys.stderr)
    else:
        extra = ""
        if result["method"] == "supervised":
            s = result["settings"]
            extra = f" {s['init']} init, epochs {s['epochs']} lr {s['lr']:g} bigrams {'on' if s['bigrams'] else 'off'}"
        elif result["method"] == "svm":
            extra = f" C {result['settings']['C']:g}"
        elif result["pooling"] is None:
            extra = f" ngrams {result['settings']['ngrams']} C {result['settings']['C']:g}"
        print(f"w2v classify: {result['method']}/{result['pooling']}{extra} accuracy {result['accuracy']:.4f} "
              f"macro-F1 {result['macro_f1']:.4f} (oov {result['oov_rate']:.3f}) -> {args.out}",
              file=sys.stderr)
    return 0

