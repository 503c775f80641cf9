"""Numba training kernels: one window walk, pluggable output layers and optimisers.

Layout (after fastText's ``Loss`` classes, flattened for Numba):

- :func:`train_chunk` walks a slice of the encoded corpus: it subsamples each
  segment (a document, or a piece of a long one), draws the dynamic window of
  each centre word and forms the training examples of the architecture:
  skip-gram (input = one context word, target = the centre word) or CBOW
  (input = mean or sum of the context words, target = the centre word).
- The output layers (:func:`_binary_logistic` for negative sampling and NCE,
  :func:`_hierarchical`, :func:`_sampled`, :func:`_full_softmax`) share one
  signature: given the hidden vector ``h`` and the target word each computes
  the loss, accumulates ``-dL/dh`` into ``neu1e`` and updates the output rows it
  touched. :func:`output_step` dispatches on the loss kind; the walk does not
  know which layer it trains.
- :func:`update_row` applies one optimiser step to one row (SGD, lazy Adam with
  per-row step counts, AdaGrad); every parameter update goes through it.
- The inputs travel in a few named tuples built once per chunk by
  :func:`train_chunk`: :data:`Tables` (noise alias table, log q, Huffman paths),
  :data:`Optimiser` (one per matrix), :data:`Hot` (thread-private rows),
  :data:`Work` and :data:`Buffers` (work buffers). ``train_chunk`` itself keeps
  flat arguments: it is the exported entry point (``w2v.kernel_abi``), and the
  trainer assembles them in one place (``KernelInputs.chunk_args``).

All kernels are ``nogil`` so Python threads run them in parallel (Hogwild:
threads share the weight matrices without locks, as word2vec.c and gensim do).

Speed (measured with ``bench/micro_kernels.py``; see the commit log for numbers):
the walk (:func:`_walk`) is compiled without Numba's reference counting, which
otherwise puts atomic increments/decrements around every inlined helper that
takes an array; memory latency is hidden by prefetching whole rows an example
ahead (noise words are drawn one example early by :func:`draw_ahead`, the next
centre's target row or Huffman path and the input row entering the window are
requested when the current centre starts); every output layer computes all of an
example's logits before it updates a row, so their dot products run side by side instead of
each waiting on the previous row's update; the SGD step of an output row reads
it once (:func:`_out_update`). With several threads, hierarchical softmax trains the
Huffman nodes nearest the root in per-thread copies (:func:`_row`, merged by
:func:`_hot_merge`): shared, their cache lines moved between the cores at every
update and two threads ran slower than one.
The random numbers come from a per-chunk xorshift64* generator seeded from
(seed, epoch, chunk), so a run with one worker is bit-for-bit reproducible.
The exact objective and gradients are derived in ``docs/theory.md``.
"""

from __future__ import annotations

import math
from collections import namedtuple

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from w2v.kernel_abi import (  # noqa: F401  (re-exported: kernels.SGD etc.)
    ADAGRAD, ADAM, CBOW, F_BETA1, F_BETA2, F_EPS, F_LR, HS, I_CBOW_MEAN, I_HOT_SYNC, I_LOSS, I_MODEL, I_NEG,
    I_OPT, I_SHARED_NEG, I_WINDOW, LOSSES, MODELS, N_FPARAMS, N_IPARAMS, NCE, NS, OPTIMIZERS, SAMPLED, SG, SGD,
    SOFTMAX)

# LLVM's loop vectorizer runs each loop over a row 4 vectors at a time (64 floats with AVX-512):
# a row of 100 floats then takes one such step, 4 steps of 8 in a second loop, 4 scalar steps and
# two horizontal sums. Two vectors at a time (32 floats: 3 steps + 4 scalar) made every model
# 8-17% faster at dim 100 (medians of paired runs of bench/micro_kernels.py, IMDb 20k documents).
# The option is global to LLVM in this process, so it also applies to Numba code compiled after
# this import (it changes only how loops are unrolled); set here, it holds for the JIT and the
# AOT build alike, whose results must be the same bit for bit.
llvm.set_option("w2v", "-force-vector-interleave=2")

_MAX_EXP = 30.0  # clamp for exp() in the sigmoid / softplus (exact within float32)

# error_model="numpy": a division is a plain division (no test of the divisor for zero, which
# Python semantics would raise on): with that test inside a loop LLVM does not vectorise it, and
# Adam's and AdaGrad's m/(sqrt(v)+eps) would run one float at a time (an Adam row update of 100
# floats then costs ~8x an SGD one; docs/benchmarks.md). No divisor in the kernels can be zero.
_fast = dict(nogil=True, fastmath=True, error_model="numpy", cache=True, inline="always")
_entry = dict(_fast, inline="never")  # the exported functions and the walk: the same options, not inlined


# --------------------------------------------------------------------------- prefetch
@intrinsic
def _prefetch(typingctx, arr, row, col):
    """Ask the CPU to start loading element ``arr[row, col]`` of a 2-D array for writing.

    ``llvm.prefetch`` (rw = write, high locality): no effect on results.
    """
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and isinstance(row, types.Integer)
            and isinstance(col, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty, rowty, colty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        r = context.cast(builder, args[1], rowty, types.intp)
        c = context.cast(builder, args[2], colty, types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [r, c], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, ir.IntType(32), ir.IntType(32), ir.IntType(32)])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        i32 = ir.IntType(32)
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 1), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, row, col), codegen


@njit(**_fast)
def _prefetch_row(w, r):
    """Prefetch every cache line of row ``r`` of ``w`` (float32: 16 per 64-byte line).

    The rows the output layers touch are scattered over the matrix: issuing
    their loads an example before they are needed hides the memory latency.
    """
    d = w.shape[1]
    for k in range(0, d, 16):
        _prefetch(w, r, k)
    _prefetch(w, r, d - 1)  # a row that does not start on a line boundary spans one more line


# --------------------------------------------------------------------------- thread-local hot rows
@njit(**_fast)
def _row(w, loc, slot, r):
    """Where this thread reads and writes row ``r`` of ``w``: ``(loc, slot[r])`` for a hot row, else ``(w, r)``.

    With several threads, the output rows that nearly every example updates
    (the Huffman nodes near the root: the root is on every path) would bounce
    between the cores' caches at every write: two threads of hierarchical
    softmax ran slower than one. Each thread works on private copies of them
    instead (rows ``0..H-1`` of ``loc``; ``slot`` maps a row of ``w`` to its
    copy, -1 for the others, and is empty when no row is hot), and
    :func:`_hot_merge` adds what it learnt to the shared rows.
    """
    if slot.shape[0] != 0:
        s = slot[r]
        if s >= 0:
            return loc, np.int64(s)
    return w, np.int64(r)


@njit(**_fast)
def _hot_load(w, hot, loc):
    """Copy the shared rows ``w[hot]`` into this thread's copies (``loc[:H]``) and their snapshot (``loc[H:]``)."""
    H = hot.shape[0]
    for j in range(H):
        r = hot[j]
        for k in range(w.shape[1]):
            x = w[r, k]
            loc[j, k] = x
            loc[H + j, k] = x


@njit(**_fast)
def _hot_merge(w, hot, loc):
    """Add this thread's change of its hot rows since :func:`_hot_load` (copy - snapshot) to the shared rows."""
    H = hot.shape[0]
    for j in range(H):
        r = hot[j]
        for k in range(w.shape[1]):
            w[r, k] += loc[j, k] - loc[H + j, k]


# --------------------------------------------------------------------------- random numbers
@njit(**_fast)
def _next(state):
    """xorshift64*: advance ``state[0]`` and return 64 random bits."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@njit(**_fast)
def _uniform(state):
    """A float in [0, 1) with 24 bits of resolution."""
    return np.float32(_next(state) >> np.uint64(40)) * np.float32(5.9604645e-08)


@njit(**_fast)
def _below(state, n):
    """A uniform integer in [0, n) (multiply-shift on the high 32 bits)."""
    return np.int64(((_next(state) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(**_fast)
def draw_noise(state, alias_prob, alias_idx):
    """One draw from the noise distribution through the alias table."""
    i = _below(state, alias_prob.shape[0])
    if _uniform(state) < alias_prob[i]:
        return i
    return np.int64(alias_idx[i])


@njit(**_fast)
def draw_ahead(state, tab, wo, hot, ahead, o):
    """Draw the noise words of the *next* example into ``ahead`` and prefetch their output rows.

    The negative-sampling layers keep their draws one example ahead, so that the
    (random, mostly uncached) noise rows are on their way while the current
    example is computed.
    """
    for j in range(ahead.shape[0]):
        w = draw_noise(state, tab.alias_prob, tab.alias_idx)
        ahead[j] = w
        m, r = _row(wo, hot.loc, hot.slot, w)
        _prefetch_row(m, r)
        _prefetch_moments(o, w)


@njit(cache=True)
def vose(p):
    """Walker/Vose alias table ``(prob, alias)`` of the distribution ``p`` (float64, sums to 1)."""
    n = p.shape[0]
    prob = np.zeros(n, dtype=np.float32)
    alias = np.arange(n).astype(np.int32)
    scaled = p * n
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        g = large[nl]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            small[ns] = g
            ns += 1
        else:
            large[nl] = g
            nl += 1
    for i in range(nl):
        prob[large[i]] = 1.0
    for i in range(ns):  # only rounding leftovers
        prob[small[i]] = 1.0
    return prob, alias


@njit(nogil=True, cache=True)
def seed_state(seed, epoch, chunk):
    """A non-zero generator state from (seed, epoch, chunk), via splitmix64."""
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(epoch) * np.uint64(0xBF58476D1CE4E5B9) \
        + np.uint64(chunk) * np.uint64(0x94D049BB133111EB) + np.uint64(0x2545F4914F6CDD1D)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    if z == 0:
        z = np.uint64(0x9E3779B97F4A7C15)
    state = np.empty(1, dtype=np.uint64)
    state[0] = z
    return state


# --------------------------------------------------------------------------- scalar helpers
# Tables of σ(x) and -log σ(x) on [-_TAB_MAX, _TAB_MAX], read with linear interpolation
# (absolute error < 1e-6, several times cheaper than exp + log1p); exact formulas outside.
_TAB_MAX = 8.0
_TAB_N = 4096
_TAB_X = np.linspace(-_TAB_MAX, _TAB_MAX, _TAB_N + 1)
_SIG_TAB = (1.0 / (1.0 + np.exp(-_TAB_X))).astype(np.float32)
_NLS_TAB = np.log1p(np.exp(-_TAB_X)).astype(np.float32)
_TAB_SCALE = _TAB_N / (2.0 * _TAB_MAX)


@njit(**_fast)
def _sigmoid_softplus(x):
    """Return (σ(x), -log σ(x)) for a logit ``x``."""
    if -_TAB_MAX < x < _TAB_MAX:
        u = (x + _TAB_MAX) * _TAB_SCALE
        i = int(u)
        t = u - i
        s = _SIG_TAB[i] + t * (_SIG_TAB[i + 1] - _SIG_TAB[i])
        sp = _NLS_TAB[i] + t * (_NLS_TAB[i + 1] - _NLS_TAB[i])
        return s, sp
    if x >= 0:
        e = math.exp(-min(x, _MAX_EXP))
        return 1.0 / (1.0 + e), math.log1p(e)
    e = math.exp(max(x, -_MAX_EXP))
    return e / (1.0 + e), -x + math.log1p(e)


@njit(**_fast)
def _dot(h, w, r):
    """``h · w[r]`` without creating a row view (views cost reference counting in a hot loop)."""
    s = np.float32(0.0)
    for k in range(h.shape[0]):
        s += h[k] * w[r, k]
    return s


# --------------------------------------------------------------------------- optimisers
@njit(**_fast)
def update_row(w, r, g, x, scale, opt, lr, m, v, t, fparams, bias):
    """Ascend along ``g * x`` on row ``r`` of ``w`` (i.e. the gradient of the loss is ``-g*x``).

    ``scale`` multiplies ``g`` (used for the CBOW input rows). SGD:
    ``w[r] += lr*g*x``. Adam and AdaGrad keep their moments in the rows ``m[r]``,
    ``v[r]`` and a per-row step count ``t[r]``, and only touch the rows a step
    updates (lazy / sparse updates); ``bias`` is Adam's bias-correction table
    (:func:`_adam_rate`).
    """
    d = x.shape[0]
    if opt == SGD:
        a = np.float32(lr * g * scale)
        for k in range(d):
            w[r, k] += a * x[k]
    elif opt == ADAM:
        lr_t, b1, b2, eps = _adam_rate(r, t, lr, fparams, bias)
        a1 = np.float32(1.0) - b1
        a2 = np.float32(1.0) - b2
        gs = np.float32(g * scale)
        for k in range(d):
            grad = -gs * x[k]
            mk = b1 * m[r, k] + a1 * grad
            vk = b2 * v[r, k] + a2 * (grad * grad)
            m[r, k] = mk
            v[r, k] = vk
            w[r, k] -= lr_t * mk / (math.sqrt(vk) + eps)
    else:  # ADAGRAD
        eps = fparams[F_EPS]
        lr32 = np.float32(lr)
        gs = np.float32(g * scale)
        for k in range(d):
            grad = -gs * x[k]
            vk = v[r, k] + grad * grad
            v[r, k] = vk
            w[r, k] -= lr32 * grad / (math.sqrt(vk) + eps)


@njit(**_fast)
def _adam_rate(r, t, lr, fparams, bias):
    """Count one more step of row ``r``; return ``(lr_t, beta1, beta2, eps)``, all float32, where
    ``lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)`` is Adam's bias-corrected rate at the row's step t.

    The correction comes from the table ``bias`` (``bias[t]``, float64, built by the trainer:
    ``w2v.train.adam_bias_table``) and is 1 from ``t = len(bias)`` on, where both powers are below
    2^-64 (exactly 1 in float64): one load instead of two powers per row update (computing
    them at every update costs about a quarter of Adam's kernel time).
    """
    t[r] += 1
    step = t[r]
    lr_t = np.float32(lr)
    if step < bias.shape[0]:
        lr_t = np.float32(lr * bias[step])
    return lr_t, fparams[F_BETA1], fparams[F_BETA2], fparams[F_EPS]


# --------------------------------------------------------------------------- the bundles
# The kernel's inputs travel in a few named tuples (Numba passes them as structs; inlined, a
# field read is a plain load), built once per chunk by train_chunk, after gensim's
# Word2VecConfig: what the output layers and the walk need, not two dozen loose arguments.
#: The sampling tables: the noise distribution's alias table and log q (NCE, sampled softmax),
#: and the Huffman paths (hierarchical softmax).
Tables = namedtuple("Tables", ["alias_prob", "alias_idx", "log_q", "points", "codes", "lengths"])
#: One matrix's optimiser: the kind, this chunk's rate, the moments and step counts (Adam,
#: AdaGrad; 1x1 placeholders for SGD), the float parameters (beta1, beta2, eps) and Adam's
#: bias-correction table.
Optimiser = namedtuple("Optimiser", ["kind", "lr", "m", "v", "t", "fparams", "bias"])
#: This thread's copies of the hot output rows (see _row): the shared rows' ids, the map from a
#: row to its copy, and the copies with their snapshot.
Hot = namedtuple("Hot", ["rows", "slot", "loc"])
#: The output layers' work buffers: candidate rows, their logits or ascent coefficients, the next
#: example's noise words.
Work = namedtuple("Work", ["cand", "logits", "ahead"])


@njit(**_fast)
def _step(w, r, g, x, o):
    """:func:`update_row` with the optimiser ``o`` (an :data:`Optimiser`), scale 1."""
    update_row(w, r, g, x, 1.0, o.kind, o.lr, o.m, o.v, o.t, o.fparams, o.bias)


@njit(**_fast)
def _out_update(wo, r, g, h, neu1e, o):
    """The common two-line core of every output layer: backprop into ``h``, then update row ``r``.

    One pass over the row (and its moments) for every optimiser: ``neu1e`` takes the row
    before its update, exactly as two passes would.
    """
    d = h.shape[0]
    if o.kind == SGD:
        a = np.float32(o.lr * g)
        for k in range(d):
            wk = wo[r, k]
            neu1e[k] += g * wk
            wo[r, k] = wk + a * h[k]
    elif o.kind == ADAM:
        m, v = o.m, o.v
        lr_t, b1, b2, eps = _adam_rate(r, o.t, o.lr, o.fparams, o.bias)
        a1 = np.float32(1.0) - b1
        a2 = np.float32(1.0) - b2
        gs = np.float32(g)
        for k in range(d):
            wk = wo[r, k]
            neu1e[k] += g * wk
            grad = -gs * h[k]
            mk = b1 * m[r, k] + a1 * grad
            vk = b2 * v[r, k] + a2 * (grad * grad)
            m[r, k] = mk
            v[r, k] = vk
            wo[r, k] = wk - lr_t * mk / (math.sqrt(vk) + eps)
    else:  # ADAGRAD
        v = o.v
        eps = o.fparams[F_EPS]
        lr32 = np.float32(o.lr)
        gs = np.float32(g)
        for k in range(d):
            wk = wo[r, k]
            neu1e[k] += g * wk
            grad = -gs * h[k]
            vk = v[r, k] + grad * grad
            v[r, k] = vk
            wo[r, k] = wk - lr32 * grad / (math.sqrt(vk) + eps)


@njit(**_fast)
def _prefetch_moments(o, r):
    """Prefetch the optimiser's moment rows of row ``r`` (Adam: m and v; AdaGrad: v; SGD: none)."""
    if o.kind != SGD:
        _prefetch_row(o.v, r)
        if o.kind == ADAM:
            _prefetch_row(o.m, r)


# --------------------------------------------------------------------------- output layers
# Each output layer takes the hidden vector ``h`` and the target word, returns the example's
# loss, adds ``-dL/dh`` to ``neu1e`` (the caller adds it to the input rows) and updates the
# output rows it touched through the optimiser ``o``. Rows listed in ``hot.slot`` are read and
# written in this thread's copies (:func:`_row`). The exact objectives: docs/theory.md, §2.
@njit(**_fast)
def _update_rows(rows, n, gs, h, wo, neu1e, o, hot):
    """The second half of the binary output layers (NS, NCE, HS): :func:`_out_update` on rows
    ``rows[:n]`` with the ascent coefficients ``gs[:n]``, taken before from all of the example's logits."""
    for j in range(n):
        m, r = _row(wo, hot.loc, hot.slot, rows[j])
        _out_update(m, r, np.float32(gs[j]), h, neu1e, o)


@njit(**_fast)
def _binary_logistic(nce, h, target, wo, neu1e, K, state, tab, o, work, hot):
    """Negative sampling (``nce`` False) or NCE: logistic losses on the target and K noise words.

    The noise words were drawn one example ahead into ``work.ahead`` (:func:`draw_ahead`),
    which is refilled with the next example's; a noise word equal to the target is dropped.
    NCE shifts every logit by ``-log(K q(w))`` (TensorFlow's nce_loss). All 1 + K logits are
    taken before any row is updated (docs/theory.md, §2).
    """
    cand = work.cand
    cand[0] = target
    n = 1
    for j in range(K):
        w = work.ahead[j]
        if w != target:
            cand[n] = w
            n += 1
    draw_ahead(state, tab, wo, hot, work.ahead, o)
    loss = 0.0
    gs = work.logits
    for j in range(n):
        w = cand[j]
        m, r = _row(wo, hot.loc, hot.slot, w)
        f = _dot(h, m, r)
        if nce:
            f -= tab.log_q[w] + math.log(K)
        if j == 0:
            s, sp = _sigmoid_softplus(f)
            gs[j] = np.float32(1.0 - s)
        else:
            s, sp = _sigmoid_softplus(-f)
            gs[j] = np.float32(s - 1.0)
        loss += sp
    _update_rows(cand, n, gs, h, wo, neu1e, o, hot)
    return loss


@njit(**_fast)
def _hierarchical(h, target, wo, neu1e, tab, o, work, hot):
    """Hierarchical softmax: binary decisions along the target's Huffman path, P(code=0 at node n) = σ(h·wo[n])."""
    loss = 0.0
    gs = work.logits
    n = tab.lengths[target]
    for d in range(n):
        m, r = _row(wo, hot.loc, hot.slot, tab.points[target, d])
        f = _dot(h, m, r)
        sign = 1.0 - 2.0 * tab.codes[target, d]
        s, sp = _sigmoid_softplus(sign * f)
        loss += sp
        # d(-log σ(sign f))/df = -sign (1 - σ(sign f)); ascent coefficient = sign (1 - s)
        gs[d] = sign * (1.0 - s)
    _update_rows(tab.points[target], n, gs, h, wo, neu1e, o, hot)
    return loss


@njit(**_fast)
def _softmax_over(n, pos, every, h, wo, neu1e, o, work, hot):
    """Softmax cross-entropy over ``n`` candidate rows whose logits are ``work.logits[:n]``; candidate
    ``pos`` is the target. The candidates are ``work.cand[:n]``, or with ``every`` the rows ``0..n-1``.
    Updates every candidate's row; returns the loss."""
    logits = work.logits
    mx = logits[0]
    for j in range(1, n):
        if logits[j] > mx:
            mx = logits[j]
    z = 0.0
    for j in range(n):
        logits[j] = math.exp(logits[j] - mx)
        z += logits[j]
    loss = -math.log(logits[pos] / z)
    for j in range(n):
        p = logits[j] / z
        g = (1.0 if j == pos else 0.0) - p
        m, r = _row(wo, hot.loc, hot.slot, j if every else work.cand[j])
        _out_update(m, r, np.float32(g), h, neu1e, o)
    return loss


@njit(**_fast)
def _sampled(h, target, wo, neu1e, K, state, tab, o, work, hot):
    """Sampled softmax: a softmax over {target} ∪ K noise words, logits corrected by ``-log q(w)``;
    accidental hits (noise == target) are removed, as in TensorFlow."""
    cand, logits = work.cand, work.logits
    cand[0] = target
    m, r = _row(wo, hot.loc, hot.slot, target)
    logits[0] = _dot(h, m, r) - tab.log_q[target]
    n = 1
    for j in range(K):
        w = draw_noise(state, tab.alias_prob, tab.alias_idx)
        if w == target:
            continue
        cand[n] = w
        m, r = _row(wo, hot.loc, hot.slot, w)
        logits[n] = _dot(h, m, r) - tab.log_q[w]
        n += 1
    return _softmax_over(n, 0, False, h, wo, neu1e, o, work, hot)


@njit(**_fast)
def _full_softmax(h, target, wo, neu1e, o, work, hot):
    """The full softmax over the whole vocabulary: O(V d) per example."""
    V = wo.shape[0]
    for j in range(V):
        m, r = _row(wo, hot.loc, hot.slot, j)
        work.logits[j] = _dot(h, m, r)
    return _softmax_over(V, target, True, h, wo, neu1e, o, work, hot)


@njit(**_fast)
def output_step(loss_kind, h, target, wo, neu1e, K, state, tab, o, work, hot):
    """One training example through the output layer ``loss_kind``; returns its loss (the dispatcher of the layers above)."""
    if loss_kind == NS:
        return _binary_logistic(False, h, target, wo, neu1e, K, state, tab, o, work, hot)
    if loss_kind == NCE:
        return _binary_logistic(True, h, target, wo, neu1e, K, state, tab, o, work, hot)
    if loss_kind == HS:
        return _hierarchical(h, target, wo, neu1e, tab, o, work, hot)
    if loss_kind == SAMPLED:
        return _sampled(h, target, wo, neu1e, K, state, tab, o, work, hot)
    return _full_softmax(h, target, wo, neu1e, o, work, hot)


# --------------------------------------------------------------------------- skip-gram, shared negatives
@njit(**_fast)
def _sg_ns_shared(sent, i, lo, hi, wi, wo, K, state, tab, o_in, o_out, hot, buf):
    """Skip-gram + negative sampling for one centre word with K negatives shared by its window.

    The (n contexts) × (1 + K targets) block of logits is formed first; then
    every row the block touches gets one update with its summed gradient
    (Ji et al. 2016, "HogBatch"): output row ``t_b`` ascends along
    ``Σ_a g[a,b] wi[c_a]`` and input row ``c_a`` along ``Σ_b g[a,b] wo[t_b]``,
    both computed from the rows before the update. With SGD this equals the
    n(1+K) pairwise steps taken from the same starting point; the 1+K output
    rows are read once instead of n times. Hot output rows live in this
    thread's copies (:func:`_row`). Returns (loss, number of (centre, context) pairs).
    """
    ctx, tgt, g, delta, h, ahead = buf.ctx, buf.tgt, buf.gbuf, buf.delta, buf.h, buf.work.ahead
    centre = sent[i]
    n = 0
    for j in range(lo, hi):
        if j != i:
            ctx[n] = sent[j]
            n += 1
    if n == 0:
        return 0.0, 0
    tgt[0] = centre
    nt = 1
    for j in range(K):
        w = ahead[j]
        if w != centre:
            tgt[nt] = w
            nt += 1
    draw_ahead(state, tab, wo, hot, ahead, o_out)
    loss = 0.0
    d = wi.shape[1]
    # the block of logits -> ascent coefficients g[a, b] (label 1 for b = 0, the centre)
    for a in range(n):
        ca = ctx[a]
        for b in range(nt):
            mo_, tb = _row(wo, hot.loc, hot.slot, tgt[b])
            f = np.float32(0.0)
            for k in range(d):
                f += wi[ca, k] * mo_[tb, k]
            if b == 0:
                s, sp = _sigmoid_softplus(f)
                g[a, b] = np.float32(1.0 - s)
            else:
                s, sp = _sigmoid_softplus(-f)
                g[a, b] = np.float32(s - 1.0)
            loss += sp
    # input directions delta[a] = Σ_b g[a,b] wo[t_b] (old output rows, each read once)
    for a in range(n):
        for k in range(d):
            delta[a, k] = 0.0
    for b in range(nt):
        mo_, tb = _row(wo, hot.loc, hot.slot, tgt[b])
        for a in range(n):
            gab = g[a, b]
            for k in range(d):
                delta[a, k] += gab * mo_[tb, k]
    # output rows along Σ_a g[a,b] wi[c_a] (old input rows), then the input rows
    for b in range(nt):
        for k in range(d):
            h[k] = 0.0
        for a in range(n):
            gab = g[a, b]
            ca = ctx[a]
            for k in range(d):
                h[k] += gab * wi[ca, k]
        mo_, tb = _row(wo, hot.loc, hot.slot, tgt[b])
        _step(mo_, tb, 1.0, h, o_out)
    for a in range(n):
        for k in range(d):
            h[k] = delta[a, k]
        _step(wi, ctx[a], 1.0, h, o_in)
    return loss, n


# --------------------------------------------------------------------------- the window walk
#: The walk's own work buffers (allocated by train_chunk): the subsampled segment, the hidden
#: vector and its gradient, the shared-negatives block (contexts, targets, coefficients, input
#: directions) and the output layers' :data:`Work`.
Buffers = namedtuple("Buffers", ["sent", "h", "neu1e", "ctx", "tgt", "gbuf", "delta", "work"])


@njit(**_fast)
def _prefetch_target(loss_kind, wo, target, tab, hot, o):
    """Prefetch the output rows an example with this target word will read first.

    NS / NCE / sampled softmax: the target's row; HS: the inner nodes of its path.
    """
    if loss_kind == HS:
        for d in range(tab.lengths[target]):
            m, r = _row(wo, hot.loc, hot.slot, tab.points[target, d])
            _prefetch_row(m, r)
            _prefetch_moments(o, tab.points[target, d])
    elif loss_kind != SOFTMAX:
        m, r = _row(wo, hot.loc, hot.slot, target)
        _prefetch_row(m, r)
        _prefetch_moments(o, target)


@njit(**_fast)
def _subsample(ids, seg_bounds, s, keep, state, sent):
    """Subsample segment ``s`` into ``sent[:n]`` (word ``w`` kept with probability ``keep[w]``); return n."""
    n = 0
    for p in range(seg_bounds[s], seg_bounds[s + 1]):
        w = ids[p]
        kp = keep[w]
        if kp >= 1.0 or _uniform(state) < kp:
            sent[n] = w
            n += 1
    return n


@njit(**_entry)
def train_chunk(ids, seg_bounds, s0, s1, wi, wo, keep,
                alias_prob, alias_idx, log_q, points, codes, lengths,
                mi, vi, ti, mo, vo, to, adam_bias, iparams, fparams, state,
                hot_o, slot_o, loc_o):
    """Train on segments ``s0 .. s1-1`` of the encoded corpus (one shared window walk).

    The exported entry point: flat arguments, in the order of
    :data:`w2v.kernel_abi.EXPORTS` (the trainer assembles them in one place,
    ``w2v.train.KernelInputs``). ``seg_bounds[s] .. seg_bounds[s+1]`` are the
    token positions of segment ``s`` in ``ids``; windows never cross a segment
    boundary. Each segment is first subsampled (word ``w`` kept with probability
    ``keep[w]``), then for every kept centre word an effective window ``b`` is
    drawn uniformly in ``1 .. window`` (word2vec.c's dynamic window).

    Returns ``(loss_sum, n_examples, n_words, n_kept)``: the summed loss over the
    training examples (a skip-gram (centre, context) pair, or a CBOW centre
    word), their number, the raw tokens walked and the tokens kept.

    Hot output rows (SGD only): ``hot_o`` lists the rows of ``wo`` this thread
    trains in its own copies ``loc_o`` (2H x dim: the copies, then their
    snapshot); ``slot_o`` maps a row to its copy (-1: none). The copies are
    loaded from the shared rows here; their change is added back when the chunk
    is done and, with ``iparams[I_HOT_SYNC] > 0``, every that many examples
    (then the copies are reloaded, with the other threads' changes). Empty
    ``hot_o`` and ``slot_o``: no hot rows.

    This function bundles the inputs and allocates the work buffers; the walk
    itself is :func:`_walk`, compiled without Numba's reference counting.
    """
    loss_kind = iparams[I_LOSS]
    K = iparams[I_NEG]
    window = iparams[I_WINDOW]
    opt = iparams[I_OPT]
    lr = fparams[F_LR]
    d = wi.shape[1]
    maxlen = 0
    for s in range(s0, s1):
        ln = seg_bounds[s + 1] - seg_bounds[s]
        if ln > maxlen:
            maxlen = ln
    ncand = max(K + 1, points.shape[1])
    if loss_kind == SOFTMAX:
        ncand = wo.shape[0]
    work = Work(np.empty(ncand, dtype=np.int64), np.empty(ncand, dtype=np.float64), np.empty(K, dtype=np.int64))
    buf = Buffers(np.empty(maxlen, dtype=np.int32), np.empty(d, dtype=np.float32), np.empty(d, dtype=np.float32),
                  np.empty(2 * window, dtype=np.int64), np.empty(K + 1, dtype=np.int64),
                  np.empty((2 * window, K + 1), dtype=np.float32), np.empty((2 * window, d), dtype=np.float32),
                  work)
    tab = Tables(alias_prob, alias_idx, log_q, points, codes, lengths)
    o_in = Optimiser(opt, lr, mi, vi, ti, fparams, adam_bias)
    o_out = Optimiser(opt, lr, mo, vo, to, fparams, adam_bias)
    hot = Hot(hot_o, slot_o, loc_o)
    # the generator state is written at every draw: keep it on a cache line of its own
    # (element 8 of 16 lies on a line inside the allocation, wherever that starts), so
    # that threads never share the line
    rng = np.empty(16, dtype=np.uint64)
    rng[8] = state[0]
    _hot_load(wo, hot_o, loc_o)
    result = _walk(ids, seg_bounds, s0, s1, wi, wo, keep, iparams, rng[8:9], tab, o_in, o_out, hot, buf)
    _hot_merge(wo, hot_o, loc_o)
    state[0] = rng[8]
    return result


# Reference counting off: every array passed to an inlined helper would otherwise
# cost an atomic increment and a decrement (a function call) in the innermost loops.
@njit(**_entry, _nrt=False)
def _walk(ids, seg_bounds, s0, s1, wi, wo, keep, iparams, state, tab, o_in, o_out, hot, buf):
    """The window walk of :func:`train_chunk`, given its bundles and work buffers (same result)."""
    model = iparams[I_MODEL]
    loss_kind = iparams[I_LOSS]
    K = iparams[I_NEG]
    window = iparams[I_WINDOW]
    cbow_mean = iparams[I_CBOW_MEAN] != 0
    shared = iparams[I_SHARED_NEG] != 0
    hot_sync = iparams[I_HOT_SYNC]
    next_sync = hot_sync
    d = wi.shape[1]
    sent, h, neu1e, work = buf.sent, buf.h, buf.neu1e, buf.work
    if loss_kind == NS or loss_kind == NCE:
        draw_ahead(state, tab, wo, hot, work.ahead, o_out)

    loss_sum = 0.0
    n_examples = 0
    n_words = 0
    n_kept = 0
    for s in range(s0, s1):
        n = _subsample(ids, seg_bounds, s, keep, state, sent)
        n_words += seg_bounds[s + 1] - seg_bounds[s]
        n_kept += n
        for i in range(n):
            if hot.rows.shape[0] != 0 and hot_sync > 0 and n_examples >= next_sync:
                # hand this thread's hot-row changes to the others and take theirs
                _hot_merge(wo, hot.rows, hot.loc)
                _hot_load(wo, hot.rows, hot.loc)
                next_sync = n_examples + hot_sync
            # start loading the rows of the next centre: its target row(s) and the
            # input row of the word that enters the window
            if i + 1 < n:
                _prefetch_target(loss_kind, wo, sent[i + 1], tab, hot, o_out)
                entering = sent[min(i + 1 + window, n - 1)]
                _prefetch_row(wi, entering)
                _prefetch_moments(o_in, entering)
            b = 1 + _below(state, window)  # effective window in 1..window
            lo = max(0, i - b)
            hi = min(n, i + b + 1)
            if model == SG:
                if shared and loss_kind == NS:
                    l, c = _sg_ns_shared(sent, i, lo, hi, wi, wo, K, state, tab, o_in, o_out, hot, buf)
                    loss_sum += l
                    n_examples += c
                    continue
                for j in range(lo, hi):
                    if j == i:
                        continue
                    c = sent[j]
                    for k in range(d):
                        neu1e[k] = 0.0
                    # the input row itself is the hidden vector: output_step only reads it
                    # (wi[c] changes after it), so no copy is needed
                    loss_sum += output_step(loss_kind, wi[c], sent[i], wo, neu1e, K, state, tab, o_out, work, hot)
                    _step(wi, c, 1.0, neu1e, o_in)
                    n_examples += 1
            else:  # CBOW
                cw = hi - lo - 1
                if cw <= 0:
                    continue
                for k in range(d):
                    h[k] = 0.0
                    neu1e[k] = 0.0
                for j in range(lo, hi):
                    if j != i:
                        c = sent[j]
                        for k in range(d):
                            h[k] += wi[c, k]
                if cbow_mean:
                    inv = np.float32(1.0 / cw)
                    for k in range(d):
                        h[k] *= inv
                loss_sum += output_step(loss_kind, h, sent[i], wo, neu1e, K, state, tab, o_out, work, hot)
                # word2vec.c adds the full neu1e to every context row, also for the mean
                # (see docs/theory.md: an input learning rate scaled by cw).
                for j in range(lo, hi):
                    if j != i:
                        _step(wi, sent[j], 1.0, neu1e, o_in)
                n_examples += 1
    return loss_sum, n_examples, n_words, n_kept


# --------------------------------------------------------------------------- examples for the blocked full softmax
@njit(**_entry)
def softmax_examples(ids, seg_bounds, s0, s1, keep, iparams, state, inp, in_ptr, tgt, tg_ptr):
    """The examples of segments ``s0 .. s1-1`` for the full softmax trained in blocks through BLAS.

    The same walk as :func:`train_chunk` (subsampling with ``keep``, a dynamic
    window ``b`` in ``1 .. window`` per kept centre word, never across a segment),
    but instead of training each example it writes them out, one row per centre
    word: row ``r`` has the input words ``inp[in_ptr[r]:in_ptr[r+1]]`` and the
    target words ``tgt[tg_ptr[r]:tg_ptr[r+1]]``. CBOW: the inputs are the context
    words, the target is the centre. Skip-gram: the input is the centre word and
    the targets are its context words (the centre predicts each context word,
    the formulation of Mikolov et al. 2013a), so that one softmax of the centre
    serves its whole window. Over a corpus this is the same multiset of (input,
    output) pairs as word2vec.c's orientation, up to the window draw.

    ``inp`` and ``tgt`` must hold ``2 * window`` entries per token of the chunk,
    ``in_ptr`` and ``tg_ptr`` one more than its tokens. Returns
    ``(rows, n_words, n_kept)``.
    """
    model = iparams[I_MODEL]
    window = iparams[I_WINDOW]
    maxlen = 0
    for s in range(s0, s1):
        maxlen = max(maxlen, seg_bounds[s + 1] - seg_bounds[s])
    sent = np.empty(maxlen, dtype=np.int32)
    rng = np.empty(16, dtype=np.uint64)  # the generator state on a cache line of its own
    rng[8] = state[0]
    st = rng[8:9]
    rows = 0
    n_in = 0
    n_tg = 0
    n_words = 0
    n_kept = 0
    in_ptr[0] = 0
    tg_ptr[0] = 0
    for s in range(s0, s1):
        n = _subsample(ids, seg_bounds, s, keep, st, sent)
        n_words += seg_bounds[s + 1] - seg_bounds[s]
        n_kept += n
        for i in range(n):
            b = 1 + _below(st, window)
            lo = max(0, i - b)
            hi = min(n, i + b + 1)
            if hi - lo <= 1:
                continue
            for j in range(lo, hi):
                if j != i:
                    if model == SG:
                        tgt[n_tg] = sent[j]
                        n_tg += 1
                    else:
                        inp[n_in] = sent[j]
                        n_in += 1
            if model == SG:
                inp[n_in] = sent[i]
                n_in += 1
            else:
                tgt[n_tg] = sent[i]
                n_tg += 1
            rows += 1
            in_ptr[rows] = n_in
            tg_ptr[rows] = n_tg
    state[0] = rng[8]
    return rows, n_words, n_kept


# --------------------------------------------------------------------------- single-example entry for tests
@njit(cache=True)
def example_step(loss_kind, h, target, wo, K, seed, alias_prob, alias_idx, log_q,
                 points, codes, lengths, lr):
    """Run one example through :func:`output_step` with SGD; return (loss, -dL/dh).

    With ``lr = 0`` nothing is updated, so the same ``seed`` gives the same noise
    words: the tests use this to compare the updates with finite differences.
    """
    state = seed_state(seed, 0, 0)
    neu1e = np.zeros(h.shape[0], dtype=np.float32)
    ncand = max(K + 1, wo.shape[0], points.shape[1])
    work = Work(np.empty(ncand, dtype=np.int64), np.empty(ncand, dtype=np.float64), np.empty(K, dtype=np.int64))
    none2 = np.zeros((1, 1), dtype=np.float32)
    sgd = Optimiser(SGD, lr, none2, none2, np.zeros(1, dtype=np.int64), np.zeros(N_FPARAMS, dtype=np.float32),
                    np.ones(1, dtype=np.float64))
    hot = Hot(np.zeros(0, dtype=np.int64), np.empty(0, dtype=np.int32), none2)
    tab = Tables(alias_prob, alias_idx, log_q, points, codes, lengths)
    if loss_kind == NS or loss_kind == NCE:
        draw_ahead(state, tab, wo, hot, work.ahead, sgd)
    loss = output_step(loss_kind, h, target, wo, neu1e, K, state, tab, sgd, work, hot)
    return loss, neu1e


@njit(cache=True)
def sample_noise(alias_prob, alias_idx, n, seed):
    """``n`` draws from the alias table (for testing the sampler against its distribution)."""
    state = seed_state(seed, 0, 0)
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = draw_noise(state, alias_prob, alias_idx)
    return out
