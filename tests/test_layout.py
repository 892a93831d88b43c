"""The package's shape is a contract too (DESIGN.md, "Layers"): checked from the source text.

- no module imports another in a circle, type-only imports (``if TYPE_CHECKING:``) included;
- ``greensio/protocol/`` imports no socket, clock, randomness, thread or greenlet;
- only ``greensio/backends/`` imports gevent, eventlet or greenlet;
- ``PacketType`` (the Socket.IO packet types) appears only inside ``greensio/protocol/``;
- ``greensio/managers/`` imports nothing from ``greensio/server/``;
- no driver module over the size the style guide asks for.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

pytestmark = pytest.mark.timeout(30)

ROOT = pathlib.Path(__file__).resolve().parent.parent / "greensio"

#: What the pure core may not import (STYLE.md item 1).
IMPURE = {
    "socket",
    "select",
    "selectors",
    "time",
    "threading",
    "random",
    "secrets",
    "asyncio",
    "gevent",
    "eventlet",
    "greenlet",
}
#: Lines a module may have (STYLE.md item 9: "modules under ~400 lines").
MAX_LINES = 420


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


MODULES = _modules()


def _imports(path: pathlib.Path) -> list[str]:
    """Every module ``path`` imports, at any depth of its syntax tree (type-only ones too)."""
    found: list[str] = []
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from greensio import exceptions`` imports the module greensio.exceptions: the
            # package itself counts only when a name imported from it is not a module.
            names = [f"{base}.{alias.name}" for alias in node.names]
            found.extend(names)
            if not all(name in MODULES for name in names):
                found.append(base)
    return found


def _internal_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        graph[name] = {dep for dep in _imports(path) if dep in MODULES and dep != name}
    return graph


def test_no_import_cycles() -> None:
    graph = _internal_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                # A package's __init__ re-exporting its own submodules is not a cycle.
                cycle = stack[stack.index(dep) :] + [dep]
                if not all(_is_reexport(a, b) for a, b in zip(cycle, cycle[1:], strict=False)):
                    cycles.append(cycle)
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def _is_reexport(importer: str, imported: str) -> bool:
    return MODULES[importer].name == "__init__.py" and imported.startswith(importer + ".")


def test_protocol_core_is_pure() -> None:
    offenders = {
        name: sorted(dep for dep in _imports(path) if dep.split(".")[0] in IMPURE)
        for name, path in MODULES.items()
        if name.startswith("greensio.protocol")
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_only_backends_import_greenlet_libraries() -> None:
    offenders = {
        name: sorted(
            dep for dep in _imports(path) if dep.split(".")[0] in {"gevent", "eventlet", "greenlet"}
        )
        for name, path in MODULES.items()
        if not name.startswith("greensio.backends")
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_packet_types_stay_in_the_core() -> None:
    outside = [
        name
        for name, path in MODULES.items()
        if not name.startswith("greensio.protocol") and "PacketType" in path.read_text()
    ]
    assert outside == []


def test_managers_do_not_import_the_server() -> None:
    offenders = {
        name: sorted(dep for dep in _imports(path) if dep.startswith("greensio.server"))
        for name, path in MODULES.items()
        if name.startswith("greensio.managers")
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_modules_stay_small() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: lines for name, lines in sizes.items() if lines > MAX_LINES} == {}


def test_top_level_keeps_only_a_handful_of_modules() -> None:
    top = sorted(path.name for path in ROOT.glob("*.py"))
    assert top == [
        "__init__.py",
        "_logging.py",
        "_version.py",
        "acks.py",
        "async_acks.py",
        "exceptions.py",
        "handlers.py",
    ]
