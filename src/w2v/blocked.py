"""The full softmax trained in blocks: one matrix product per block of examples, through BLAS.

Per example the full softmax reads and writes every output row: O(V d) work that
the per-example kernel spends in a loop over rows, one example at a time. Here the
compiled walk (``kernels.softmax_examples``) writes a chunk's examples out, and
each block of ``B`` of them is three matrix products (``H Wᵀ`` for the logits,
``G W`` for the input gradients, ``Gᵀ H`` for the output matrix) plus the softmax of the ``B × V`` logits:

- a row is a centre word: CBOW's input is the sum (or mean) of its context rows and
  its target the centre; skip-gram's input is the centre's row and its targets are
  the context words (the centre predicts each of them, Mikolov et al. 2013a), so one
  softmax serves the whole window: with ``n`` targets ``t₁..tₙ`` the gradient of
  ``Σⱼ -log p(tⱼ | h)`` with respect to the logits is ``n·p - Σⱼ e(tⱼ)``, exact;
- the gradients of a block are computed at the block's starting parameters and
  applied together (a mini-batch of ``B`` centre words, at the rate of the
  linear schedule at that point): rows that repeat within a block (frequent
  words) receive the sum of their gradients, as consecutive SGD steps would to
  first order in the rate.

This path trains with SGD; Adam and AdaGrad keep the per-example kernel. BLAS runs
the products on ``--workers`` threads (``w2v.train`` limits them), so one Python thread drives it.
"""

from __future__ import annotations

import numpy as np
from w2v import kernel_abi as abi

#: centre words per block. The gradients of a block are stale by up to this many rows: at
#: word2vec.c's rates, blocks of 512 diverged on a Zipf corpus (a frequent word's row takes
#: dozens of same-signed steps at once), 16 and 64 reached the per-example kernel's loss
BLOCK_ROWS = 64


class ExampleBuffers:
    """The arrays ``softmax_examples`` writes a chunk's examples into (grown on demand)."""

    def __init__(self) -> None:
        self.tokens = -1

    def fit(self, tokens: int, window: int) -> None:
        if tokens <= self.tokens:
            return
        self.tokens = tokens
        self.inp = np.empty(2 * window * tokens + 1, np.int32)
        self.tgt = np.empty(2 * window * tokens + 1, np.int32)
        self.in_ptr = np.empty(tokens + 1, np.int64)
        self.tg_ptr = np.empty(tokens + 1, np.int64)


def softmax_block(h: np.ndarray, rows_of_targets: np.ndarray, targets: np.ndarray, wo: np.ndarray,
                  lr: float) -> tuple[float, np.ndarray]:
    """One block: the summed loss ``Σ -log softmax(h_r Woᵀ)[t]`` over the (row, target) pairs, the
    SGD step of ``wo`` applied in place, and ``-dL/dh`` (``B × d``) returned for the inputs.

    ``h`` is ``B × d`` float32; ``rows_of_targets[k]`` is the row of ``targets[k]``.
    """
    B = h.shape[0]
    z = h @ wo.T  # B x V logits
    zt = z[rows_of_targets, targets]
    m = z.max(axis=1, keepdims=True)
    z -= m
    np.exp(z, out=z)
    s = z.sum(axis=1, dtype=np.float64)
    n = np.bincount(rows_of_targets, minlength=B)
    loss = float(np.dot(n, np.log(s) + m[:, 0]) - zt.sum(dtype=np.float64))
    z *= (n / s).astype(np.float32)[:, None]
    np.subtract.at(z, (rows_of_targets, targets), np.float32(1.0))  # z is now G = n·p - Σ e(t)
    neu1e = z @ wo
    neu1e *= np.float32(-lr)
    dwo = z.T @ h  # V x d
    dwo *= np.float32(lr)
    wo -= dwo
    return loss, neu1e


def train_chunk(kern, inputs: abi.KernelInputs, s0: int, s1: int, lr: float, state: np.ndarray,
                buffers: ExampleBuffers) -> tuple[float, int, int, int]:
    """Train the full softmax with SGD on segments ``s0 .. s1-1``: ``(loss_sum, n_examples, n_words,
    n_kept)`` as ``kernels.train_chunk`` returns them (an example is a skip-gram pair or a CBOW centre)."""
    wi, wo, iparams = inputs.wi, inputs.wo, inputs.iparams
    tokens = int(inputs.seg_bounds[s1] - inputs.seg_bounds[s0])
    buffers.fit(tokens, int(iparams[abi.I_WINDOW]))
    b = buffers
    rows, n_words, n_kept = kern.softmax_examples(inputs.ids, inputs.seg_bounds, s0, s1, inputs.keep, iparams,
                                                  state, b.inp, b.in_ptr, b.tgt, b.tg_ptr)
    sg = iparams[abi.I_MODEL] == abi.SG
    mean = iparams[abi.I_CBOW_MEAN] != 0
    step = BLOCK_ROWS
    loss_sum = 0.0
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        i0, i1 = b.in_ptr[r0], b.in_ptr[r1]
        t0, t1 = b.tg_ptr[r0], b.tg_ptr[r1]
        inp = b.inp[i0:i1]
        tg_rows = np.repeat(np.arange(r1 - r0), np.diff(b.tg_ptr[r0:r1 + 1]))
        if sg:
            h = wi[inp]
        else:
            starts = b.in_ptr[r0:r1] - i0
            h = np.add.reduceat(wi[inp], starts, axis=0)
            if mean:
                h /= np.diff(b.in_ptr[r0:r1 + 1]).astype(np.float32)[:, None]
        loss, neu1e = softmax_block(h, tg_rows, b.tgt[t0:t1], wo, lr)
        loss_sum += loss
        if sg:
            np.add.at(wi, inp, neu1e)
        else:
            # word2vec.c adds the whole -dL/dh to every context row, also for the mean
            np.add.at(wi, inp, neu1e[np.repeat(np.arange(r1 - r0), np.diff(b.in_ptr[r0:r1 + 1]))])
    n_examples = int(b.tg_ptr[rows]) if sg else int(rows)
    return loss_sum, n_examples, int(n_words), int(n_kept)
