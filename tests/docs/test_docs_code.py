"""Every Python code block in docs/*.md runs: the blocks of a page, in order, in one namespace.

A block is a fence opened by a line of three backticks and ``python``. Each must be marked, on
the line before it, ``<!-- test: run -->`` (an HTML comment: invisible on GitHub and in the
Sphinx site); Python that cannot run here (a server that serves forever) is not a block but
included from examples/ with ``{literalinclude}``, which Sphinx checks exists. What a page's
fragments need and the page does not show (a connected client's ``sid``, a server to connect to)
comes from ``<!-- test: setup ... -->`` comments in the page itself, run where they stand: the
source says what the test adds.

Each page runs in a child process (its own monkey-patching, if any), from an empty temporary
folder, with a time limit; a failing block is reported with its page and line, the traceback's
line numbers being the Markdown file's own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from tests.support.servers import ROOT, UNIT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
RUN_MARK = "<!-- test: run -->"
SETUP = re.compile(r"^<!-- test: setup\n(.*?)^-->$", re.S | re.M)

pytestmark = pytest.mark.timeout(120 * UNIT)

# The child: exec each block in one namespace, compiled under its page and line so that a
# traceback points into the Markdown file.
RUNNER = """
import json, sys, traceback
blocks = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
for block in blocks:
    code = compile("\\n" * block["line"] + block["code"], block["page"], "exec")
    try:
        exec(code, namespace)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"FAILED {block['page']}:{block['line']}")
    with open(sys.argv[2], "a") as done:  # not stdout, where the blocks' threads print too
        done.write(f"{block['page']}:{block['line']}\\n")
"""


@dataclass
class Block:
    page: str
    line: int  # the line before the code's first line, 1-based
    code: str
    kind: str  # "run", "setup", or "unmarked"


def blocks_of(page: Path) -> list[Block]:
    """The page's Python blocks and setup comments, in the order they appear."""
    text = page.read_text()
    lines = text.splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```python":
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            kind = "run" if before.strip() == RUN_MARK else "unmarked"
            code = "\n".join(lines[index + 1 : end]) + "\n"
            found.append(Block(page.name, index + 1, code, kind))
            index = end
        index += 1
    for match in SETUP.finditer(text):
        line = text.count("\n", 0, match.start(1))
        found.append(Block(page.name, line, match.group(1), "setup"))
    return sorted(found, key=lambda block: block.line)


def test_every_python_block_is_marked_to_run() -> None:
    unmarked = [
        f"{b.page}:{b.line + 1}" for page in PAGES for b in blocks_of(page) if b.kind == "unmarked"
    ]
    assert unmarked == [], (
        f"Python blocks without {RUN_MARK!r} on the line before: {unmarked}. Make them run, or "
        "include the code from examples/ with {literalinclude}."
    )


def test_the_pages_have_blocks() -> None:
    # The pages that teach by code: a parser that found nothing would pass everything below.
    counts = {page.name: len(blocks_of(page)) for page in PAGES}
    assert counts["server.md"] >= 18 and counts["client.md"] >= 12, counts
    assert counts["index.md"] >= 1 and counts["migrate-flask-socketio.md"] >= 4, counts


@pytest.mark.parametrize(
    "page", [page for page in PAGES if blocks_of(page)], ids=lambda page: page.name
)
def test_the_blocks_of_a_page_run(page: Path, tmp_path: Path) -> None:
    blocks = [asdict(block) for block in blocks_of(page) if block.kind != "unmarked"]
    listing, done = tmp_path / "blocks.json", tmp_path / "done.txt"
    listing.write_text(json.dumps(blocks))
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(listing), str(done)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=90 * UNIT,
    )
    assert result.returncode == 0, f"{page.name}:\n{result.stdout}\n{result.stderr}"
    ran = done.read_text().splitlines()
    assert ran == [f"{block['page']}:{block['line']}" for block in blocks], result.stdout
