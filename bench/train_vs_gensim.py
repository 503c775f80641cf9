#!/usr/bin/env python
"""w2v against gensim on the 100k IMDb reviews (same corpus, settings and threads, one run).

Settings: dim 100, window 5, K 5, sample 1e-4, 5 epochs, min_count 5, 2 threads;
SG-NS, CBOW-NS, SG-HS, CBOW-HS. A thin front to ``bench/train_vs_peers.py``
(which also runs word2vec.c and fastText)::

    W2V_DATA_MIRROR=../shared/data python bench/train_vs_gensim.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_vs_peers import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--peers", "gensim", *sys.argv[1:]]))
