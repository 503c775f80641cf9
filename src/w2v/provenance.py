"""What a result was made with: the versions of Python and of the packages that shape it.

Read from the installed distributions' metadata (:mod:`importlib.metadata`), never by
importing the packages: asking costs a few milliseconds and no memory, and a trainer
keeps running without Numba, spaCy or Snakemake in the process.
"""

from __future__ import annotations

import importlib.metadata
import platform

# the packages whose version can change a number: the kernels' compiler (numba, llvmlite),
# the arrays, the evaluation and preprocessing, the workflow and the reference trainer
PACKAGES = ("w2v", "numpy", "numba", "llvmlite", "scipy", "scikit-learn", "spacy", "snakemake", "gensim")


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """``{"python": "3.11.9", "numpy": "2.4.6", ...}``: Python and each of ``packages`` that is installed."""
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found
