"""What the training kernels take and return, without importing Numba.

The constants that select an architecture, output layer and optimiser, the layout
of the ``iparams``/``fparams`` vectors, and the argument types of the functions
:mod:`w2v.engine` compiles ahead of time. :mod:`w2v.kernels` (Numba) and the
trainer (:mod:`w2v.train`, which need not load Numba) both read them from here.
"""

from __future__ import annotations

from typing import NamedTuple

# Architectures
SG = 0
CBOW = 1
MODELS = {"sg": SG, "cbow": CBOW}
# Output layers
SOFTMAX = 0
HS = 1
NS = 2
NCE = 3
SAMPLED = 4
LOSSES = {"softmax": SOFTMAX, "hs": HS, "ns": NS, "nce": NCE, "sampled": SAMPLED}
# Optimisers
SGD = 0
ADAM = 1
ADAGRAD = 2
OPTIMIZERS = {"sgd": SGD, "adam": ADAM, "adagrad": ADAGRAD}

# Integer parameters (iparams) and float parameters (fparams) of train_chunk.
I_MODEL, I_LOSS, I_NEG, I_WINDOW, I_OPT, I_CBOW_MEAN, I_SHARED_NEG, I_HOT_SYNC = range(8)
N_IPARAMS = 8
F_LR, F_BETA1, F_BETA2, F_EPS = range(4)
N_FPARAMS = 4

# The functions compiled ahead of time: name -> (arguments, result type in Numba's notation).
# An argument is (name, dtype, ndim, written): ndim 0 is an integer scalar; arrays are
# C-contiguous and ``written`` ones must be writeable. Compiled code trusts these types (it
# cannot check them), so w2v.engine checks every call against this table.
_TRAIN_CHUNK_ARGS = (
    ("ids", "int32", 1, False), ("seg_bounds", "int64", 1, False), ("s0", "int64", 0, False),
    ("s1", "int64", 0, False), ("wi", "float32", 2, True), ("wo", "float32", 2, True),
    ("keep", "float32", 1, False), ("alias_prob", "float32", 1, False), ("alias_idx", "int32", 1, False),
    ("log_q", "float32", 1, False), ("points", "int32", 2, False), ("codes", "int8", 2, False),
    ("lengths", "int32", 1, False), ("mi", "float32", 2, True), ("vi", "float32", 2, True),
    ("ti", "int64", 1, True), ("mo", "float32", 2, True), ("vo", "float32", 2, True), ("to", "int64", 1, True),
    ("adam_bias", "float64", 1, False),
    ("iparams", "int64", 1, False), ("fparams", "float32", 1, False), ("state", "uint64", 1, True),
    ("hot_o", "int64", 1, False), ("slot_o", "int32", 1, False), ("loc_o", "float32", 2, True),
)
EXPORTS = {
    "train_chunk": (_TRAIN_CHUNK_ARGS, "Tuple((f8, i8, i8, i8))"),
    "seed_state": ((("seed", "int64", 0, False), ("epoch", "int64", 0, False), ("chunk", "int64", 0, False)),
                   "u8[::1]"),
    "vose": ((("p", "float64", 1, False),), "Tuple((f4[::1], i4[::1]))"),
    "softmax_examples": (
        (("ids", "int32", 1, False), ("seg_bounds", "int64", 1, False), ("s0", "int64", 0, False),
         ("s1", "int64", 0, False), ("keep", "float32", 1, False), ("iparams", "int64", 1, False),
         ("state", "uint64", 1, True), ("inp", "int32", 1, True), ("in_ptr", "int64", 1, True),
         ("tgt", "int32", 1, True), ("tg_ptr", "int64", 1, True)),
        "Tuple((i8, i8, i8))"),
}

_NUMBA_CODES = {"int8": "i1", "int32": "i4", "int64": "i8", "uint64": "u8", "float32": "f4", "float64": "f8"}


def numba_signature(name: str) -> str:
    """The Numba signature string of export ``name``, e.g. ``u8[::1](i8, i8, i8)``."""
    args, result = EXPORTS[name]
    parts = []
    for _, dtype, ndim, _ in args:
        code = _NUMBA_CODES[dtype]
        parts.append(code if ndim == 0 else code + "[" + ", ".join([":"] * (ndim - 1) + ["::1"]) + "]")
    return f"{result}({', '.join(parts)})"


class KernelInputs(NamedTuple):
    """What ``train_chunk`` reads besides the chunk, built once per training (``w2v.train.kernel_inputs``).

    The per-call arguments (the chunk's segments, this thread's learning rate,
    generator state and hot-row copies) come with :meth:`chunk_args`, which
    puts everything in the order of the table above, so no caller lists two
    dozen arguments by hand.
    """

    ids: object            # int32 (tokens,): the encoded corpus
    seg_bounds: object     # int64 (segments + 1,): token positions of the segments
    wi: object             # float32 (V, dim): input vectors
    wo: object             # float32 (V or V-1, dim): output vectors / Huffman nodes
    keep: object           # float32 (V,): subsampling keep probabilities
    alias_prob: object     # float32 (V,): the noise distribution's alias table
    alias_idx: object      # int32 (V,)
    log_q: object          # float32 (V,): log q(w) (NCE, sampled softmax)
    points: object         # int32 (V, depth): Huffman paths (hs; 1x1 otherwise)
    codes: object          # int8 (V, depth)
    lengths: object        # int32 (V,)
    mi: object             # optimiser moments and step counts of wi and wo (1x1 / 1 for SGD)
    vi: object
    ti: object
    mo: object
    vo: object
    to: object
    adam_bias: object      # float64 (T,): Adam's bias correction at a row's step t < T, 1 from T on (w2v.train)
    iparams: object        # int64 (N_IPARAMS,): model, loss, K, window, optimiser, flags
    hot_o: object          # int64 (H,): output rows trained in per-thread copies (empty: none)
    slot_o: object         # int32 (V,) or (0,): row -> its copy, -1 for the others

    def chunk_args(self, s0: int, s1: int, fparams, state, loc_o) -> tuple:
        """The arguments of ``train_chunk`` for segments ``s0 .. s1-1``, in the exported order."""
        given = {**self._asdict(), "s0": s0, "s1": s1, "fparams": fparams, "state": state, "loc_o": loc_o}
        return tuple(given[name] for name, *_ in _TRAIN_CHUNK_ARGS)
