"""Subcommands of the ``w2v`` command line; each module defines ``register(subparsers)``."""
