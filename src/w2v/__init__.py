"""w2v: a reproducible word2vec laboratory.

The library is organised by stage; every stage is a plain function and the
``w2v`` command line (``w2v.cli``) is a thin layer over them.

- ``w2v.data``        download / mirror / checksum, readers -> document table
- ``w2v.preprocess``  normalisation, tokenisation, variants -> tokenised corpus
- ``w2v.vocab``       vocabulary, encoded corpus (.npy)
- ``w2v.train``       CBOW / skip-gram trainer (Numba kernels in ``w2v.kernels``)
- ``w2v.vectors``     KeyedVectors: similarity, analogies, word2vec formats
- ``w2v.evaluate``    analogy / similarity benchmarks, neighbours
- ``w2v.classify``    document vectors + MLP, baselines
- ``w2v.plots``       PCA / t-SNE maps and report figures
- ``w2v.report``      the summary table: runs collected, seeds averaged
- ``w2v.summary_md``  the written findings and summary.md
"""

__version__ = "0.1.0"

from w2v.errors import W2VError  # noqa: F401
