"""Node.js for the interop tests: the npm packages of tests/interop/js, installed once."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest

from tests.support.servers import ROOT, UNIT

JS_DIR = ROOT / "tests" / "interop" / "js"
_npm_lock = threading.Lock()


def node_with_packages(*packages: str) -> str:
    """The ``node`` executable, after ``npm ci`` in tests/interop/js if any of ``packages`` is
    missing. Skips only when Node or npm is not on this machine (CI installs both)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the JS interop tests")
    with _npm_lock:
        if not all((JS_DIR / "node_modules" / name).is_dir() for name in packages):
            verb = "ci" if (JS_DIR / "package-lock.json").is_file() else "install"
            done = subprocess.run(
                [npm, verb, "--no-audit", "--no-fund"],
                cwd=JS_DIR,
                capture_output=True,
                text=True,
                timeout=300 * UNIT,
            )
            if done.returncode != 0:
                pytest.fail(f"npm {verb} failed in {JS_DIR}:\n{done.stdout}\n{done.stderr}")
    return node
