"""Sub-commands of ``cccd-edge``: each module here defines ``register(subparsers)``.

``register`` adds one or more sub-parsers and sets ``func`` on each to a
callable taking the parsed ``argparse.Namespace`` and returning an exit code.
"""
