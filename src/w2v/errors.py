"""The one exception type users see.

A :class:`W2VError` carries a one-line message that names the file (or the
setting) and what is wrong with it; the command line prints it as
``w2v: error: <message>`` and exits with status 2, without a traceback.
"""


class W2VError(Exception):
    """A user-facing error with a one-line, actionable message."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))
