"""setup.py's extras, as pip reads them: parsed from the file (the installed metadata may be that
of another checkout), never by running it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.timeout(10)

SETUP = Path(__file__).resolve().parents[1] / "setup.py"


def extras() -> dict[str, list[str]]:
    """The literal entries of ``extras_require`` in ``setup()`` (computed ones left out)."""
    tree = ast.parse(SETUP.read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup"
    ]
    [call] = calls
    [table] = [kw.value for kw in call.keywords if kw.arg == "extras_require"]
    assert isinstance(table, ast.Dict)
    result = {}
    for key, value in zip(table.keys, table.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(value, ast.List):
            result[key.value] = ast.literal_eval(value)
    return result


def names(requirements: list[str]) -> set[str]:
    return {Requirement(text).name.lower() for text in requirements}


def test_the_gevent_extra_runs_gunicorns_gevent_worker():
    # gunicorn 27's gevent worker imports packaging, which gunicorn does not declare.
    assert {"gevent", "packaging"} <= names(extras()["gevent"])


def test_every_literal_extra_is_a_valid_requirement_list():
    found = extras()
    assert {"gevent", "eventlet", "redis", "msgpack"} <= set(found)
    for requirements in found.values():
        assert names(requirements)  # each parses, and none is empty
