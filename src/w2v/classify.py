"""Document classification with word-vector features, and its baselines.

The pipeline reads the document table (``id, split, label, text``) and the
tokenised corpus aligned with it line by line, keeps the labelled documents of
the official ``train`` and ``test`` splits (IMDb's ``unsup`` documents never
enter the classifier), and counts tokens into a sparse document x token-type
matrix. Document vectors are then sparse-matrix products with the embedding
matrix (no Python loop per token):

- ``mean``  the mean of the vectors of the document's in-vocabulary tokens;
- ``tfidf`` the TF-IDF-weighted mean, weight ``count x idf``,
  ``idf = ln((1 + N) / (1 + df)) + 1`` with N and df from the training documents;
- ``sif``   smooth inverse frequency (Arora et al. 2017): the mean of
  ``a / (a + p(w)) v_w`` with ``a = 1e-3`` and ``p(w)`` the relative frequency of
  ``w`` among all tokens of the training documents, then the projection on the
  first singular vector of the training documents' vectors is removed;
- ``swem``  mean and max pooling concatenated (Shen et al. 2018), 2d dimensions;
- ``cluster`` clustered TF-IDF mean (in the spirit of BoWV, Gupta et al. 2016, and
  SCDV, Mekala et al. 2017, with hard assignments): the unit-length vectors of
  the token types of the training documents are clustered with k-means
  (``n_clusters`` = 50, seeded), every type goes to its nearest centroid, and
  the document vector is the concatenation over clusters of the TF-IDF-weighted
  sums of its tokens' vectors in that cluster, divided by the document's total
  TF-IDF weight; ``n_clusters x d`` dimensions. Clusters are numbered in the
  order of their first member type, so the layout does not depend on k-means'
  label numbering.
- ``scdv``  sparse composite document vectors (Mekala et al. 2017): a Gaussian
  mixture (``n_clusters`` = 60 components, one covariance matrix shared by all
  components (``covariance="tied"``, the paper's; ``"diag"``: a diagonal one per
  component), seeded) is fitted on the vectors of the token types of the training documents; every
  type's word-topic vector is the concatenation over components of
  ``p(k|w) v_w`` (posteriors below ``SCDV_PRUNE`` are dropped, the rest kept as
  they are), weighted by ``idf(w)``; the document vector is the count-weighted sum
  of its tokens' word-topic vectors scaled to unit length, and entries whose
  absolute value is below ``sparsity`` (default 0.04) times
  ``(|mean max| + |mean min|) / 2`` (means over the training documents of each
  vector's largest and smallest entry) are set to zero; ``n_clusters x d``
  dimensions, returned as a sparse matrix. Components are numbered in the order
  of the first type whose most probable component they are.

A document without in-vocabulary tokens gets the zero vector. Everything that
is fitted (IDF, p(w), the principal component, the feature scaler, the
classifier) sees the training documents only.

Methods (every result has the same fields):

- ``mlp``          scikit-learn ``MLPClassifier`` on the document vectors
  (early stopping on 10% of the training split, fixed seed); with
  ``scale="auto"`` the vectors are standardised (scaler fitted on the training
  documents), except those of the ``cluster`` and ``scdv`` poolings, which go
  in unscaled (``scdv`` vectors are unit length already);
- ``random``       the same with seeded random vectors (a sanity floor): one
  standard-normal vector per token type that has a vector in ``vectors`` when
  vectors are given (same vocabulary and dimension), else per token type of the
  training documents, with ``dim`` dimensions;
- ``svm``          a linear SVM (``LinearSVC``) on the same document vectors, scaled
  as for the MLP, ``C`` chosen on a validation split (below); SCDV's classifier;
- ``tfidf_logreg`` TF-IDF of the same tokens (sublinear tf, smooth idf, L2 rows,
  fitted on the training documents) and ``LogisticRegression(C=10)``; on 20NG
  (lower-cased ``[a-z0-9]+`` tokens, headers kept) this gives 85.8% where the
  scikit-learn defaults (raw tf, C=1) give 82.8%.
- ``tfidf_svm``    the same features and a linear SVM (``LinearSVC``), ``C``
  chosen on a validation split by default.

Both TF-IDF baselines take ``ngrams`` 1 (the corpus tokens) or 2 (plus the
bigrams of adjacent tokens within a document, kept when they occur in at least
``NGRAM_MIN_DF`` training documents; bigram columns are integer pairs of token
ids, never strings, so memory stays that of a sparse matrix). ``C="auto"``
(the default of ``tfidf_svm``, always for ``svm``) picks ``C`` from a grid by the accuracy on a
stratified validation split of ``VALIDATION_FRACTION`` of the training documents
(drawn with ``seed``; the TF-IDF weights of the selection runs are fitted on the
rest of the training documents), then refits on all training documents; the test
documents never take part.

Pretrained vectors (e.g. Google News) are case-sensitive and write digits as
``#``. When the vectors' vocabulary holds upper-case words (``case_fallback``
``None`` detects this from the first 10,000 words), a corpus token is looked up
as is, then capitalised (``paris`` -> ``Paris``), then upper-cased (``nasa`` ->
``NASA``), and for tokens with digits the same three forms with every digit
replaced by ``#`` (``1993`` -> ``####``). Google's multi-word phrases
(``New_York``) are not assembled from the corpus: only single tokens are looked
up.
"""

from __future__ import annotations

import functools
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from w2v import supervised
from w2v.documents import iter_documents
from w2v.errors import W2VError
from w2v.io import open_text, write_json
from w2v.supervised import SUPERVISED

__all__ = [
    "POOLINGS",
    "METHODS",
    "SCALES",
    "TFIDF_METHODS",
    "TokenCounts",
    "LabelledCorpus",
    "count_tokens",
    "load_corpus",
    "lookup_rows",
    "document_vectors",
    "score",
    "classify",
]

POOLINGS = ("mean", "tfidf", "sif", "swem", "cluster", "scdv")
METHODS = ("mlp", "svm", "random", "tfidf_logreg", "tfidf_svm")
TFIDF_METHODS = ("tfidf_logreg", "tfidf_svm")
NGRAMS = (1, 2)
NGRAM_MIN_DF = 2  # bigrams in fewer training documents are dropped (most bigrams occur once)
LOGREG_C = 10.0  # the fixed C of tfidf_logreg (see the module docstring)
C_GRIDS = {"tfidf_logreg": (1.0, 10.0, 100.0), "tfidf_svm": (0.1, 0.3, 1.0, 3.0, 10.0),
           "svm": (0.01, 0.1, 1.0, 10.0, 100.0)}
VALIDATION_FRACTION = 0.1
SCALES = ("auto", "standard", "l2", "none")
SIF_A = 1e-3
N_CLUSTERS = 50  # k-means clusters of the cluster pooling
SCDV_CLUSTERS = 60  # mixture components of the scdv pooling (Mekala et al. 2017 on 20NG)
COVARIANCES = ("tied", "diag")  # the scdv mixture's covariance: one shared full matrix, or diagonal per component
SCDV_SPARSITY = 0.04  # SCDV's p = 4%: zero entries below 4% of the mean extreme value
SCDV_PRUNE = 1e-3  # posteriors p(k|w) below this are dropped (keeps the word-topic matrix sparse)
DEFAULT_HIDDEN = (256,)
_DIGIT = re.compile(r"[0-9]")
_SWEM_CHUNK = 2048  # documents per block in max pooling (bounds the gathered token x d block)


@dataclass
class TokenCounts:
    """A sparse document x token-type count matrix and the token type of each column."""

    counts: sp.csr_matrix
    types: list[str]


@dataclass
class LabelledCorpus(TokenCounts):
    """The labelled train and test documents of a data set, counted.

    ``labels[i]`` is the label of row ``i``; ``is_train[i]`` is True for the
    official training split and False for the test split. ``n_skipped`` counts
    the unlabelled (``unsup``) documents that were left out.
    """

    labels: np.ndarray
    is_train: np.ndarray
    n_skipped: int = 0
    tokens: np.ndarray | None = None
    token_indptr: np.ndarray | None = None


def count_tokens(docs: Sequence[Sequence[str]]) -> TokenCounts:
    """Count token lists into a :class:`TokenCounts` (types in order of first occurrence)."""
    index: dict[str, int] = {}
    ids: list[int] = []
    indptr = [0]
    for tokens in docs:
        ids.extend([index.setdefault(t, len(index)) for t in tokens])
        indptr.append(len(ids))
    return _build(ids, indptr, index)


def _build(ids: list[int], indptr: list[int], index: dict[str, int]) -> TokenCounts:
    col = np.asarray(ids, dtype=np.int64)
    counts = sp.csr_matrix((np.ones(len(col), dtype=np.float64), col, np.asarray(indptr, dtype=np.int64)),
                           shape=(len(indptr) - 1, len(index)))
    counts.sum_duplicates()
    return TokenCounts(counts, list(index))


def load_corpus(docs_path: str | os.PathLike, corpus_path: str | os.PathLike,
                keep_tokens: bool = False) -> LabelledCorpus:
    """Read the document table and the aligned tokenised corpus into a :class:`LabelledCorpus`.

    ``keep_tokens`` also keeps each document's token sequence (``tokens``: int32
    column ids, ``token_indptr``: row boundaries), which bigrams need.

    Only documents of the ``train`` and ``test`` splits are kept (``unsup`` is
    skipped without being tokenised). Raises :class:`W2VError` when the two files
    are not aligned, a kept document has no label, a split is unknown or the
    corpus is not valid UTF-8.
    """
    index: dict[str, int] = {}
    ids: list[int] = []
    indptr = [0]
    labels: list[str] = []
    is_train: list[bool] = []
    skipped = 0
    lineno = 0
    try:
        with open_text(corpus_path) as corpus:
            for lineno, doc in enumerate(tqdm(iter_documents(docs_path), desc="classify: read",
                                              unit=" docs", disable=None), 1):
                line = corpus.readline()
                if not line:
                    raise W2VError(f"{corpus_path}: has {lineno - 1} lines but {docs_path} has more documents; "
                                   f"rebuild the corpus from this document table")
                split = doc.get("split")
                if split == "unsup":
                    skipped += 1
                    continue
                if split not in ("train", "test"):
                    raise W2VError(f"{docs_path}: document {doc.get('id')!r} has split {split!r}; "
                                   f"expected train, test or unsup")
                label = doc.get("label")
                if label is None or label == "":
                    raise W2VError(f"{docs_path}: {split} document {doc.get('id')!r} has no label; "
                                   f"only unsup documents may be unlabelled")
                ids.extend([index.setdefault(t, len(index)) for t in line.split()])
                indptr.append(len(ids))
                labels.append(str(label))
                is_train.append(split == "train")
            if corpus.readline():
                raise W2VError(f"{corpus_path}: has more lines than the {lineno} documents of {docs_path}; "
                               f"rebuild the corpus from this document table")
    except UnicodeDecodeError as exc:
        raise W2VError(f"{corpus_path}: line {lineno} is not valid UTF-8 ({exc.reason}); "
                       f"rebuild the corpus with the prepare stage") from None
    except FileNotFoundError as exc:
        raise W2VError(f"{exc.filename}: no such file; run the data and prepare stages first") from None
    tokens = np.asarray(ids, dtype=np.int32) if keep_tokens else None
    token_indptr = np.asarray(indptr, dtype=np.int64) if keep_tokens else None
    tc = _build(ids, indptr, index)
    return LabelledCorpus(tc.counts, tc.types, np.asarray(labels, dtype=object),
                          np.asarray(is_train, dtype=bool), skipped, tokens, token_indptr)


def _case_sensitive(kv) -> bool:
    return any(w != w.lower() for w in kv.index_to_key[:10000])


def _forms(token: str):
    yield token
    yield token.capitalize()
    yield token.upper()
    if _DIGIT.search(token):
        hashed = _DIGIT.sub("#", token)
        yield hashed
        yield hashed.capitalize()
        yield hashed.upper()


def lookup_rows(types: Sequence[str], kv, case_fallback: bool | None = None) -> np.ndarray:
    """Return, for each token type, its row in ``kv.vectors`` or -1 when it has no vector.

    With ``case_fallback`` (``None``: when ``kv`` has upper-case words) a token
    missing as is is looked up capitalised, upper-cased, and with digits as
    ``#`` (see the module docstring).
    """
    k2i = kv.key_to_index
    if case_fallback is None:
        case_fallback = _case_sensitive(kv)
    rows = np.full(len(types), -1, dtype=np.int64)
    for j, t in enumerate(types):
        if case_fallback:
            for form in _forms(t):
                i = k2i.get(form)
                if i is not None:
                    rows[j] = i
                    break
        else:
            rows[j] = k2i.get(t, -1)
    return rows


def _safe_divide(s: np.ndarray, n: np.ndarray) -> np.ndarray:
    out = np.zeros_like(s)
    nz = n > 0
    out[nz] = s[nz] / n[nz, None]
    return out


def _max_pool(counts: sp.csr_matrix, emb: np.ndarray) -> np.ndarray:
    """Max over the vectors of each row's nonzero columns; zero for empty rows."""
    out = np.zeros((counts.shape[0], emb.shape[1]), dtype=np.float64)
    for lo in range(0, counts.shape[0], _SWEM_CHUNK):
        block = counts[lo:lo + _SWEM_CHUNK]
        lengths = np.diff(block.indptr)
        nonempty = np.flatnonzero(lengths)
        if len(nonempty) == 0:
            continue
        gathered = emb[block.indices]
        out[lo + nonempty] = np.maximum.reduceat(gathered, block.indptr[nonempty], axis=0)
    return out


def _clusters(emb: np.ndarray, in_fit: np.ndarray, n_clusters: int, seed: int) -> np.ndarray:
    """Cluster id of each row of ``emb`` (k-means fitted on the ``in_fit`` rows, unit length)."""
    from sklearn.cluster import KMeans

    norms = np.linalg.norm(emb, axis=1)
    unit = _safe_divide(np.asarray(emb, dtype=np.float64), norms)
    k = min(n_clusters, int(in_fit.sum()))
    if k == 0:
        return np.zeros(len(emb), dtype=np.int64)
    assign = KMeans(k, n_init=1, random_state=seed).fit(unit[in_fit]).predict(unit)
    return _first_member_order(assign, k)[assign]


def _first_member_order(assign: np.ndarray, k: int) -> np.ndarray:
    """Relabel cluster ids so that clusters are numbered in the order of their first member."""
    first = np.full(k, len(assign))
    np.minimum.at(first, assign, np.arange(len(assign)))
    rank = np.empty(k, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(k)
    return rank


def _tied_log_prob(x: np.ndarray, means: np.ndarray, prec_chol: np.ndarray) -> np.ndarray:
    """``log N(x_i | mu_k, Sigma)`` for every row and component of a mixture with one shared
    covariance, from the Cholesky factor ``prec_chol`` of its precision (``P P^T = Sigma^-1``).

    ``|P^T (x - mu)|^2 = |P^T x|^2 - 2 (P^T x)·(P^T mu) + |P^T mu|^2``: one product with ``P``
    for all components, then one ``n x k`` product (scikit-learn recomputes ``X P`` once per
    component, k times the work: minutes for 60 components on 50k word vectors)."""
    d = x.shape[1]
    z = x @ prec_chol
    mz = means @ prec_chol
    sq = np.einsum("ij,ij->i", z, z)[:, None] - 2.0 * (z @ mz.T) + np.einsum("ij,ij->i", mz, mz)[None, :]
    log_det = float(np.sum(np.log(np.diag(prec_chol))))
    return -0.5 * (d * np.log(2 * np.pi) + np.maximum(sq, 0.0)) + log_det


@functools.cache  # one class, made on first use (scikit-learn is imported lazily)
def _tied_mixture_class():
    """scikit-learn's ``GaussianMixture`` with :func:`_tied_log_prob` as its per-component
    log density (the only step that changes; EM, initialisation and stopping are its own)."""
    from sklearn.mixture import GaussianMixture

    class TiedGaussianMixture(GaussianMixture):
        def _estimate_log_prob(self, X, xp=None):  # covariance_type "tied" only
            return _tied_log_prob(np.asarray(X, dtype=np.float64), self.means_, self.precisions_cholesky_)

    return TiedGaussianMixture


def _soft_clusters(emb: np.ndarray, in_fit: np.ndarray, n_clusters: int, seed: int,
                   covariance: str = "tied") -> np.ndarray:
    """Posteriors p(k|w) (``n_types x n_clusters``, rows sum to 1) of a Gaussian mixture
    (``covariance``: ``tied`` or ``diag``) fitted on the ``in_fit`` rows of ``emb``; columns ordered by first member type
    (columns past the number of fitted types stay zero)."""
    from sklearn.mixture import GaussianMixture

    x = np.asarray(emb, dtype=np.float64)
    probs = np.zeros((len(x), n_clusters), dtype=np.float64)
    k = min(n_clusters, int(in_fit.sum()))
    if k == 0:
        return probs
    if k == 1:
        probs[:, 0] = 1.0
        return probs
    mixture = _tied_mixture_class() if covariance == "tied" else GaussianMixture
    gmm = mixture(k, covariance_type=covariance, max_iter=50, reg_covar=1e-4, random_state=seed)
    post = gmm.fit(x[in_fit]).predict_proba(x)
    rank = _first_member_order(post.argmax(axis=1), k)
    probs[:, rank] = post
    return probs


def _scdv_block(weighted: sp.csr_matrix, topic: sp.csr_matrix) -> sp.csr_matrix:
    """Word-topic sums of the rows of ``weighted``, scaled to unit length (float64 CSR)."""
    x = sp.csr_matrix(weighted @ topic, dtype=np.float64)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(x.indptr))
    return x


def _scdv(weighted: sp.csr_matrix, emb: np.ndarray, fit: np.ndarray, in_fit: np.ndarray,
          n_clusters: int, sparsity: float, seed: int, covariance: str = "tied") -> sp.csr_matrix:
    """SCDV document vectors (see the module docstring) as a sparse float32 matrix.

    Computed in blocks of ``_SWEM_CHUNK`` documents, twice (once for the threshold's
    statistics over the training documents, once to keep the sparsified block), so
    that the dense-ish unsparsified matrix never exists in full."""
    n_types, d = emb.shape
    probs = _soft_clusters(emb, in_fit, n_clusters, seed, covariance)
    rows, ks = np.nonzero(probs >= SCDV_PRUNE)
    vals = (probs[rows, ks][:, None] * np.asarray(emb, dtype=np.float64)[rows]).ravel()
    cols = (ks[:, None] * d + np.arange(d)[None, :]).ravel()
    topic = sp.csr_matrix((vals, (np.repeat(rows, d), cols)), shape=(n_types, n_clusters * d))
    weighted = sp.csr_matrix(weighted)
    n_docs = weighted.shape[0]
    thres = 0.0
    if sparsity > 0 and fit.any():
        top, bottom = 0.0, 0.0
        for lo in range(0, n_docs, _SWEM_CHUNK):
            sel = fit[lo:lo + _SWEM_CHUNK]
            if not sel.any():
                continue
            x = _scdv_block(weighted[lo:lo + _SWEM_CHUNK][sel], topic)
            top += float(x.max(axis=1).sum())  # implicit zeros count, as in a dense row
            bottom += float(x.min(axis=1).sum())
        n_fit = int(fit.sum())
        thres = sparsity * (abs(top / n_fit) + abs(bottom / n_fit)) / 2
    out = []
    for lo in range(0, n_docs, _SWEM_CHUNK):
        x = _scdv_block(weighted[lo:lo + _SWEM_CHUNK], topic)
        x.data[np.abs(x.data) < thres] = 0.0
        x.eliminate_zeros()
        out.append(x.astype(np.float32))
    if not out:
        return sp.csr_matrix((0, n_clusters * d), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(out, format="csr"), dtype=np.float32)


def _pool(counts: sp.csr_matrix, emb: np.ndarray, pooling: str, fit: np.ndarray,
          token_freq: np.ndarray, a: float, n_clusters: int, seed: int,
          sparsity: float = SCDV_SPARSITY, covariance: str = "tied") -> np.ndarray:
    """Pool rows of ``counts`` (columns = rows of ``emb``) into document vectors."""
    n = np.asarray(counts.sum(axis=1)).ravel()
    if pooling in ("mean", "swem"):
        vecs = _safe_divide(np.asarray(counts @ emb, dtype=np.float64), n)
        if pooling == "swem":
            vecs = np.hstack([vecs, _max_pool(counts, emb)])
        return vecs
    if pooling in ("tfidf", "cluster", "scdv"):
        n_fit = int(fit.sum())
        df = np.asarray((counts[fit] > 0).sum(axis=0)).ravel()
        idf = np.log((1.0 + n_fit) / (1.0 + df)) + 1.0
        weighted = counts @ sp.diags(idf)
        if pooling == "scdv":
            return _scdv(weighted, emb, fit, df > 0, n_clusters, sparsity, seed, covariance)
        z = np.asarray(weighted.sum(axis=1)).ravel()
        if pooling == "tfidf":
            return _safe_divide(np.asarray(weighted @ emb, dtype=np.float64), z)
        n_types, d = emb.shape
        assign = _clusters(emb, df > 0, n_clusters, seed)
        cols = (assign[:, None] * d + np.arange(d)[None, :]).ravel()
        blocks = sp.csr_matrix((np.asarray(emb, dtype=np.float64).ravel(),
                                (np.repeat(np.arange(n_types), d), cols)), shape=(n_types, n_clusters * d))
        return _safe_divide((weighted @ blocks).toarray(), z)
    if pooling == "sif":
        weight = a / (a + token_freq)
        vecs = _safe_divide(np.asarray((counts @ sp.diags(weight)) @ emb, dtype=np.float64), n)
        fitted = vecs[fit]
        if fitted.size and np.any(fitted):
            u = np.linalg.svd(fitted, full_matrices=False)[2][0]
            vecs = vecs - np.outer(vecs @ u, u)
        return vecs
    raise W2VError(f"pooling {pooling!r} is unknown; choose one of {', '.join(POOLINGS)}")


def document_vectors(docs, kv, pooling: str = "mean", fit_mask=None, *, a: float = SIF_A,
                     n_clusters: int | None = None, seed: int = 0, case_fallback: bool | None = None,
                     rows: np.ndarray | None = None, sparsity: float = SCDV_SPARSITY,
                     covariance: str = "tied"):
    """Return the document vectors (float64, ``n_docs x d``; ``2d`` for ``swem``, ``n_clusters x d`` for
    ``cluster``; for ``scdv`` a sparse float32 ``n_docs x (n_clusters x d)`` CSR matrix).

    ``docs`` is a list of token lists or a :class:`TokenCounts`; ``kv`` has
    ``key_to_index``, ``index_to_key`` and ``vectors`` (a ``KeyedVectors``).
    ``fit_mask`` (boolean, one per document; default all) marks the documents
    that IDF (``tfidf``, ``cluster``), p(w) and the principal component (``sif``)
    and the k-means centroids (``cluster``, seeded with ``seed``), the Gaussian
    mixture and the sparsity threshold (``scdv``, ``sparsity``) are fitted on.
    ``rows`` (from :func:`lookup_rows`) skips the vocabulary lookup. ``n_clusters``
    None: ``N_CLUSTERS`` for ``cluster``, ``SCDV_CLUSTERS`` for ``scdv``.
    """
    tc = docs if isinstance(docs, TokenCounts) else count_tokens(docs)
    n_docs = tc.counts.shape[0]
    fit = np.ones(n_docs, dtype=bool) if fit_mask is None else np.asarray(fit_mask, dtype=bool)
    if fit.shape != (n_docs,):
        raise ValueError(f"fit_mask has shape {fit.shape}; expected ({n_docs},)")
    if pooling not in POOLINGS:
        raise W2VError(f"pooling {pooling!r} is unknown; choose one of {', '.join(POOLINGS)}")
    if covariance not in COVARIANCES:
        raise W2VError(f"covariance {covariance!r} is unknown; choose one of {', '.join(COVARIANCES)}")
    n_clusters = _n_clusters(n_clusters, pooling)
    if rows is None:
        rows = lookup_rows(tc.types, kv, case_fallback)
    covered = np.flatnonzero(rows >= 0)
    fit_counts = tc.counts[fit]
    total = fit_counts.sum()
    token_freq = np.asarray(fit_counts[:, covered].sum(axis=0)).ravel() / total if total else np.zeros(len(covered))
    emb = np.asarray(kv.vectors)[rows[covered]]
    return _pool(tc.counts[:, covered], emb, pooling, fit, token_freq, a, n_clusters, seed, sparsity, covariance)


def _n_clusters(n_clusters: int | None, pooling: str) -> int:
    if n_clusters is None:
        return SCDV_CLUSTERS if pooling == "scdv" else N_CLUSTERS
    return int(n_clusters)


def _resolve_scale(scale: str, pooling: str) -> str:
    """``auto``: no scaling for ``cluster`` (its many mostly-zero blocks suffer from
    standardisation: 20NG 79.9% unscaled vs 78.6% standardised, IMDb 88.1% vs 85.8%),
    standardisation otherwise (mean: 20NG 73.8% vs 72.1%, IMDb 87.7% vs 86.4%,
    the unscaled runs with hidden=(100,)); ``scdv`` vectors are unit length and sparse
    (20NG, seed 1: 76.9% unscaled vs 71.7% standardised without centring)."""
    if scale == "auto":
        return "none" if pooling in ("cluster", "scdv") else "standard"
    return scale


def _scale(x: np.ndarray, train: np.ndarray, scale: str) -> np.ndarray:
    if scale == "none":
        return x
    if scale == "l2":
        from sklearn.preprocessing import normalize

        return normalize(x)
    if scale == "standard":
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler(with_mean=not sp.issparse(x))
        return scaler.fit(x[train]).transform(x)
    raise W2VError(f"scale {scale!r} is unknown; choose one of {', '.join(SCALES)}")


def _random_vectors(tc: TokenCounts, train: np.ndarray, kv, dim: int, seed: int, case_fallback):
    """Seeded standard-normal vectors for the covered token types; returns (rows, matrix)."""
    if kv is not None:
        has = lookup_rows(tc.types, kv, case_fallback) >= 0
        dim = kv.vector_size if hasattr(kv, "vector_size") else np.asarray(kv.vectors).shape[1]
    else:
        has = np.asarray(tc.counts[train].sum(axis=0)).ravel() > 0
    rows = np.full(len(tc.types), -1, dtype=np.int64)
    rows[has] = np.arange(int(has.sum()))
    matrix = np.random.default_rng(seed).standard_normal((int(has.sum()), dim)).astype(np.float32)
    return rows, matrix


class _Matrix:
    """A bare embedding matrix in the ``KeyedVectors`` shape (rows are given explicitly)."""

    def __init__(self, vectors: np.ndarray):
        self.vectors = vectors
        self.key_to_index: dict[str, int] = {}
        self.index_to_key: list[str] = []


def _oov_rate(counts: sp.csr_matrix, has_vector: np.ndarray) -> float:
    per_type = np.asarray(counts.sum(axis=0)).ravel()
    total = per_type.sum()
    return float(per_type[~has_vector].sum() / total) if total else 0.0


def _bigram_counts(corpus: LabelledCorpus, fit: np.ndarray, min_df: int) -> sp.csr_matrix:
    """Counts of the adjacent token pairs within each document (columns: pairs in at least
    ``min_df`` of the ``fit`` documents, in order of their token ids)."""
    if corpus.tokens is None or corpus.token_indptr is None:
        raise W2VError("bigrams need the token sequences; load the corpus with keep_tokens=True")
    n_docs = len(corpus.token_indptr) - 1
    rows = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(corpus.token_indptr))
    same = rows[:-1] == rows[1:]  # the pair does not cross a document boundary
    keys = corpus.tokens[:-1][same].astype(np.int64) * max(1, len(corpus.types)) + corpus.tokens[1:][same]
    rows = rows[:-1][same]
    uniq, col = np.unique(keys, return_inverse=True)
    del keys
    pairs = sp.csr_matrix((np.ones(len(col), dtype=np.float64), (rows, col.ravel())), shape=(n_docs, len(uniq)))
    del rows, col
    df = np.asarray((pairs[fit] > 0).sum(axis=0)).ravel()
    return pairs[:, np.flatnonzero(df >= min_df)]


def _tfidf(counts: sp.csr_matrix, fit: np.ndarray) -> sp.csr_matrix:
    from sklearn.feature_extraction.text import TfidfTransformer

    return TfidfTransformer(sublinear_tf=True).fit(counts[fit]).transform(counts)


def _linear_model(method: str, c: float, seed: int):
    if method in ("tfidf_svm", "svm"):
        from sklearn.svm import LinearSVC

        return LinearSVC(C=c, max_iter=5000, random_state=seed)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=1000, random_state=seed)


def _choose_c(method: str, features, y: np.ndarray, train: np.ndarray, seed: int):
    """Pick C from ``C_GRIDS[method]`` by accuracy on a seeded, stratified validation split of
    the training documents (ties: the smaller C); returns (C, the selection record).

    ``features(fit)`` gives the feature matrix of every document with whatever it fits
    (TF-IDF's idf) fitted on the documents of the boolean mask ``fit``."""
    from sklearn.model_selection import train_test_split

    idx = np.flatnonzero(train)
    _, per_class = np.unique(y[idx], return_counts=True)
    stratify = y[idx] if per_class.min() >= 2 else None
    fit_idx, val_idx = train_test_split(idx, test_size=VALIDATION_FRACTION, random_state=seed, stratify=stratify)
    fit = np.zeros(len(y), dtype=bool)
    fit[fit_idx] = True
    x = features(fit)
    grid = C_GRIDS[method]
    accuracy = []
    for c in grid:
        clf = _linear_model(method, c, seed).fit(x[fit_idx], y[fit_idx])
        accuracy.append(float(np.mean(clf.predict(x[val_idx]) == y[val_idx])))
    best = grid[int(np.argmax(accuracy))]
    return best, {"grid": list(grid), "validation_accuracy": accuracy, "n_validation": int(len(val_idx)),
                  "validation_fraction": VALIDATION_FRACTION, "split_seed": seed}


def score(corpus: LabelledCorpus, kv=None, method: str = "mlp", pooling: str = "mean", seed: int = 0,
          hidden: Sequence[int] = DEFAULT_HIDDEN, *, scale: str = "auto", alpha: float = 1e-4,
          dim: int = 100, n_clusters: int | None = None, case_fallback: bool | None = None,
          max_iter: int = 200, sparsity: float = SCDV_SPARSITY, ngrams: int = 1,
          C: float | str | None = None, covariance: str = "tied") -> dict:
    """Fit on the training documents of ``corpus`` and score on its test documents.

    ``ngrams`` and ``C`` (a number, ``"auto"`` or None: 10 for ``tfidf_logreg``,
    ``"auto"`` for ``tfidf_svm``) apply to the TF-IDF methods only; ``svm`` always
    chooses its ``C`` on a validation split.

    Returns a dict with ``status`` ("ok"), ``method``, ``pooling`` (None for
    the TF-IDF methods), ``accuracy``, ``macro_f1``, ``n_train``, ``n_test``,
    ``n_classes``, ``oov_rate`` (share of the train and test tokens without a
    vector; for ``tfidf_logreg`` without a training-vocabulary feature),
    ``dim`` (feature dimension), ``seconds`` and ``settings``.
    """
    from sklearn.metrics import accuracy_score, f1_score

    start = time.perf_counter()
    if method == SUPERVISED:  # fastText's classifier: its hyper-parameters are chosen on a validation split
        return supervised.score(corpus, kv, seed=seed, dim=dim, case_fallback=case_fallback, ngrams=ngrams, C=C)
    if method not in METHODS:
        raise W2VError(f"method {method!r} is unknown; choose one of {', '.join(METHODS)}")
    if ngrams not in NGRAMS:
        raise W2VError(f"ngrams {ngrams!r} is not supported; choose 1 (tokens) or 2 (tokens and bigrams)")
    n_clusters = _n_clusters(n_clusters, pooling)
    if method not in TFIDF_METHODS and (ngrams != 1 or C is not None):
        raise W2VError(f"--ngrams and --C apply to {' and '.join(TFIDF_METHODS)} only; "
                       f"leave them out for method {method}")
    if C is not None and C != "auto" and not (isinstance(C, (int, float)) and C > 0):
        raise W2VError(f"C {C!r} is not valid; give a positive number or auto")
    train = corpus.is_train
    test = ~train
    if not train.any() or not test.any():
        raise W2VError(f"the document table has {int(train.sum())} labelled train and {int(test.sum())} "
                       f"test documents; classification needs both")
    classes = np.unique(corpus.labels[train])
    if len(classes) < 2:
        raise W2VError(f"the training documents have {len(classes)} label(s); classification needs at least 2")
    y = corpus.labels.astype(str)
    settings: dict = {"seed": seed}
    if method in TFIDF_METHODS:
        seen = np.asarray(corpus.counts[train].sum(axis=0)).ravel() > 0
        counts = corpus.counts[:, np.flatnonzero(seen)]
        n_bigrams = 0
        if ngrams == 2:
            bigrams = _bigram_counts(corpus, train, NGRAM_MIN_DF)
            n_bigrams = bigrams.shape[1]
            counts = sp.hstack([counts, bigrams], format="csr")
            del bigrams
        if C is None:
            C = LOGREG_C if method == "tfidf_logreg" else "auto"
        selection = None
        if C == "auto":
            C, selection = _choose_c(method, lambda fit: _tfidf(counts, fit), y, train, seed)
        x = _tfidf(counts, train)
        del counts
        clf = _linear_model(method, float(C), seed)
        clf.fit(x[train], y[train])
        pred = clf.predict(x[test])
        oov = _oov_rate(corpus.counts, seen)
        pooling = None
        n_features = x.shape[1]
        settings.update({"tfidf": "sklearn TfidfTransformer(sublinear_tf=True)", "C": clf.C,
                         "C_selection": selection, "ngrams": ngrams, "n_bigrams": n_bigrams,
                         "bigram_min_df": NGRAM_MIN_DF if ngrams == 2 else None})
    else:
        from sklearn.neural_network import MLPClassifier

        if method == "random":
            rows, matrix = _random_vectors(corpus, train, kv, dim, seed, case_fallback)
            kv_used = _Matrix(matrix)
        else:
            if kv is None:
                raise W2VError("method mlp needs word vectors; give --vectors PATH")
            rows = lookup_rows(corpus.types, kv, case_fallback)
            kv_used = kv
        oov = _oov_rate(corpus.counts, rows >= 0)
        x = document_vectors(corpus, kv_used, pooling, train, rows=rows, n_clusters=n_clusters, seed=seed,
                             sparsity=sparsity, covariance=covariance)
        scale = _resolve_scale(scale, pooling)
        x = _scale(x, train, scale)
        if method == "svm":
            C, selection = _choose_c(method, lambda fit: x, y, train, seed)
            clf = _linear_model(method, float(C), seed)
            clf.fit(x[train], y[train])
            settings.update({"scale": scale, "C": float(C), "C_selection": selection})
        else:
            clf = MLPClassifier(hidden_layer_sizes=tuple(hidden), alpha=alpha, early_stopping=True,
                                validation_fraction=0.1, max_iter=max_iter, random_state=seed)
            clf.fit(x[train], y[train])
            settings.update({"hidden": list(hidden), "alpha": alpha, "scale": scale, "early_stopping": True,
                             "validation_fraction": 0.1, "max_iter": max_iter, "epochs_run": clf.n_iter_})
        pred = clf.predict(x[test])
        n_features = x.shape[1]
        if pooling in ("cluster", "scdv"):
            settings["n_clusters"] = n_clusters
        if pooling == "scdv":
            settings["covariance"] = covariance
            settings["sparsity"] = sparsity
            settings["feature_density"] = float(x.nnz / max(1, x.shape[0] * x.shape[1]))
        if method == "random":
            settings["random_dim"] = int(kv_used.vectors.shape[1])
    return {
        "status": "ok",
        "method": method,
        "pooling": pooling,
        "accuracy": float(accuracy_score(y[test], pred)),
        "macro_f1": float(f1_score(y[test], pred, average="macro")),
        "n_train": int(train.sum()),
        "n_test": int(test.sum()),
        "n_classes": int(len(np.unique(y))),
        "oov_rate": oov,
        "dim": int(n_features),
        "seconds": time.perf_counter() - start,
        "settings": settings,
    }


def _load_vectors(path: Path, limit: int | None):
    from w2v.vectors import KeyedVectors

    # Pretrained files hold a few words in broken UTF-8; the classifier only looks words up.
    return KeyedVectors.load(path, limit=limit, unicode_errors="ignore")


def classify(docs_path: str | os.PathLike, corpus_path: str | os.PathLike, vectors_path=None,
             method: str = "mlp", pooling: str = "mean", seed: int = 0,
             hidden: Sequence[int] = DEFAULT_HIDDEN, out: str | os.PathLike | None = None, *,
             scale: str = "auto", alpha: float = 1e-4, dim: int = 100, n_clusters: int | None = None,
             limit: int | None = None, allow_missing: bool = False,
             case_fallback: bool | None = None, sparsity: float = SCDV_SPARSITY, ngrams: int = 1,
             C: float | str | None = None, covariance: str = "tied") -> dict:
    """Classify the documents of a data set and return (and write to ``out``) the metrics.

    ``vectors_path`` is a model directory, a word2vec-format file, an already
    loaded ``KeyedVectors`` or None (TF-IDF methods, ``random``); ``limit``
    keeps the first ``limit`` words of a vectors file (for large pretrained
    files). When the vectors file is missing and ``allow_missing`` is set, the
    result is ``{"status": "absent", "reason": ...}`` (plus the settings)
    instead of an error. See :func:`score` for the other arguments and the
    result's fields.
    """
    start = time.perf_counter()
    header = {"docs": str(docs_path), "corpus": str(corpus_path)}
    kv = vectors_path
    if isinstance(vectors_path, (str, os.PathLike)):
        vpath = Path(vectors_path)
        header["vectors"] = str(vpath)
        if method in TFIDF_METHODS:
            raise W2VError(f"{vpath}: method {method} uses no word vectors; leave out --vectors")
        if not vpath.exists():
            if not allow_missing:
                raise W2VError(f"{vpath}: no such vectors file or model directory; "
                               f"train or download it, or pass --allow-missing")
            result = {"status": "absent", "reason": f"{vpath}: no such vectors file or model directory",
                      "method": method, "pooling": pooling, **header,
                      "settings": {"seed": seed, "limit": limit}}
            if out is not None:
                write_json(out, result)
            return result
        kv = _load_vectors(vpath, limit)
    corpus = load_corpus(docs_path, corpus_path, keep_tokens=ngrams == 2 or method == SUPERVISED)
    result = score(corpus, kv, method, pooling, seed, hidden, scale=scale, alpha=alpha, dim=dim,
                   n_clusters=n_clusters, case_fallback=case_fallback, sparsity=sparsity, ngrams=ngrams, C=C,
                   covariance=covariance)
    result.update(header)
    result["settings"]["limit"] = limit
    result["n_unsup_skipped"] = corpus.n_skipped
    result["seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = _peak_rss_mb()
    if out is not None:
        write_json(out, result)
    return result


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far, in MB (None where the platform has no getrusage)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kb * 1024 / 1e6, 1)
