"""Run one target under atheris (libFuzzer): ``python -m fuzz.harness TARGET [libFuzzer args]``.

A temporary folder with the target's synthetic seeds plus ``fuzz/corpus/<target>/``
(inputs that once crashed) is always added after the corpus folders given (libFuzzer
writes new inputs to the first folder: give one to keep them). Crashing inputs are written to
``-artifact_prefix`` (default: the current folder).
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

import atheris

CORPUS = Path(__file__).resolve().parent / "corpus"


def _working_corpus(name: str, seeds: list[bytes]) -> str:
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    regressions = CORPUS / name
    inputs = list(seeds)
    if regressions.is_dir():
        inputs += [f.read_bytes() for f in sorted(regressions.iterdir()) if f.is_file()]
    for data in inputs:
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return str(folder)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit("usage: python -m fuzz.harness TARGET [libFuzzer args] [corpus dirs]")
    name = sys.argv[1]
    with atheris.instrument_imports(include=["cardreader", "crypto", "edge", "asn1crypto"]):
        from fuzz import targets
    if name not in targets.TARGETS:
        sys.exit(f"unknown target {name!r}; known: {', '.join(sorted(targets.TARGETS))}")
    args = [sys.argv[0], *sys.argv[2:]]
    # The seeds always join, after any folders given (libFuzzer adds new inputs to the first).
    args.append(_working_corpus(name, targets.TARGETS[name].seeds()))

    def one_input(data: bytes) -> None:
        targets.run_one(name, data)

    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
