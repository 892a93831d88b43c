"""Runs one fuzz target under atheris (coverage-guided, libFuzzer underneath).

A target is a module ``tests/fuzz/fuzz_<name>.py`` with ``one_input(data: bytes) -> None``: it feeds
``data`` to one decoder and checks the property every decoder of peer bytes must have: the input
ends in a result or in the declared protocol error (``greensio.exceptions.ProtocolError`` or a
close with a reason), never another exception, never a hang (libFuzzer's ``-timeout``), never
unbounded memory (``-rss_limit_mb``, and each target checks the sizes of what it got back). Any
other exception escapes ``one_input`` and libFuzzer reports the input as a crash.

Usage::

    python -m tests.fuzz.harness <name> [seconds] [work-dir]

The seed corpus is ``tests/fuzz/corpus/<name>/`` (read, never written); what the fuzzer finds goes
to ``<work-dir>/<name>/`` (default: a temporary directory) and crashes to ``<work-dir>/crashes/``.
The modules a target names in its ``COVERS`` (the decoder's own, and the libraries it drives) are
instrumented for coverage once the target is imported; the rest of greensio is not, which keeps a
target's start-up short.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import pathlib
import sys
import tempfile
from collections.abc import Callable
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
#: Every target's name: ``fuzz_<name>.py`` in this directory.
TARGETS = sorted(p.stem[len("fuzz_") :] for p in HERE.glob("fuzz_*.py"))

#: libFuzzer's limits: a slow input is a hang, memory past the limit a failure.
PER_INPUT_TIMEOUT = 5
RSS_LIMIT_MB = 1024
MAX_LEN = 8192


def load(name: str) -> Callable[[bytes], None]:
    """The target's ``one_input`` (imported plainly: no instrumentation)."""
    module = importlib.import_module(f"tests.fuzz.fuzz_{name}")
    return module.one_input


def covers(name: str) -> list[str]:
    """The target's ``COVERS``, read from its source (the module must not be imported yet)."""
    tree = ast.parse((HERE / f"fuzz_{name}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COVERS":
            return list(ast.literal_eval(node.value))
    raise SystemExit(f"tests/fuzz/fuzz_{name}.py has no COVERS")


def _instrument(atheris: Any, name: str) -> None:
    """Instrument the functions and methods defined in module ``name`` (and its submodules,
    for a package), in place: ``atheris.instrument_imports`` would instrument the whole of
    greensio, a second of start-up per target."""
    prefix = name + "."
    for module_name, module in list(sys.modules.items()):
        if module is None or (module_name != name and not module_name.startswith(prefix)):
            continue
        for value in list(vars(module).values()):
            members = vars(value).values() if isinstance(value, type) else [value]
            for member in members:
                function = getattr(member, "__func__", member)
                if inspect.isfunction(function) and function.__module__ == module_name:
                    atheris.instrument_func(function)


def seeds(name: str) -> list[pathlib.Path]:
    return sorted(p for p in (CORPUS / name).iterdir() if p.is_file())


def main(argv: list[str]) -> None:
    import atheris  # only here: the in-process corpus replay does without it

    if not argv or argv[0] not in TARGETS:
        raise SystemExit(f"usage: python -m tests.fuzz.harness <{'|'.join(TARGETS)}> [s] [dir]")
    name = argv[0]
    seconds = int(argv[1]) if len(argv) > 1 else 60
    work = pathlib.Path(argv[2]) if len(argv) > 2 else pathlib.Path(tempfile.mkdtemp())
    found = work / name
    crashes = work / "crashes"
    found.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    one_input = load(name)
    for module in covers(name):
        _instrument(atheris, module)
    args = [
        sys.argv[0],
        f"-max_total_time={seconds}",
        f"-timeout={PER_INPUT_TIMEOUT}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-max_len={MAX_LEN}",
        f"-artifact_prefix={crashes}{os.sep}",
        "-print_final_stats=1",
        str(found),  # the first directory gets what the fuzzer finds
        str(CORPUS / name),
    ]
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1:])
