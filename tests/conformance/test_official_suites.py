"""The official protocol test suites, run unmodified (mocha) against greensio: ``Server`` under
gevent's pywsgi, and ``AsyncServer`` under uvicorn.

The suites are the ``test-suite/`` folders of ``socketio/engine.io-protocol`` (24 tests) and
``socketio/socket.io-protocol`` (32 tests), the protocol authors' own acceptance tests. They are
not part of the repository: they are read from ``$GREENSIO_PROTOCOL_SUITES`` (default: the
``shared/conformance`` folder next to the checkout, or ``/work/shared/conformance``), copied once
per session to a temporary directory, and installed there with ``npm ci`` (their lock files).

Each test starts a fresh server (``tests.apps.official_suites``, Node's reference configuration:
ping interval 300 ms, ping timeout 200 ms) in a monkey-patched child process, points a copy of
``test-suite.js`` at its port (the suites hard-code ``http://localhost:3000``), runs mocha with
the JSON reporter, and asserts that every test of the suite passed. Each suite runs twice, so a
case that fails only sometimes fails ``make test`` too.

The suites' Node client gets ``official_suites_client.mjs`` preloaded: it works around two
defects of that client (node-fetch on Node 19+, ws 8.5's synchronous events) that a browser, the
suites' other runner, does not have, and delivers WebSocket frames read in the same event-loop
turn as a fetch response before the response; the file says why.

Skipped only when ``node`` or ``npm`` is not installed (CI installs both); any other missing
piece (the suites, ``npm ci``) fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.servers import ROOT, UNIT, python_server

SUITES = {
    "engineio": ("tests.apps.official_suites:build_engineio", 24),
    "socketio": ("tests.apps.official_suites:build_socketio", 32),
}
#: The web servers each suite runs against: gevent's pywsgi (``Server``) and uvicorn
#: (``AsyncServer``, the app factories' ``_asgi`` twins).
FRONT_ENDS = {"pywsgi": "", "uvicorn": "_asgi"}
#: The line of test-suite.js that names the server, and the client preload of this directory.
URL_LINE = 'const URL = "http://localhost:3000";'
CLIENT_PRELOAD = Path(__file__).with_name("official_suites_client.mjs")
NPM_TIMEOUT = 240 * UNIT
MOCHA_TIMEOUT = 120 * UNIT
#: npm ci of both suites (the first test pays for it) plus one mocha run, with room to spare.
TEST_TIMEOUT = 2 * NPM_TIMEOUT + MOCHA_TIMEOUT + 30 * UNIT


def suites_source() -> Path:
    configured = os.environ.get("GREENSIO_PROTOCOL_SUITES")
    candidates = [Path(configured)] if configured else []
    candidates += [ROOT.parent / "shared" / "conformance", Path("/work/shared/conformance")]
    for candidate in candidates:
        if all((candidate / name / "test-suite.js").is_file() for name in SUITES):
            return candidate
    pytest.fail(
        "the official protocol suites were not found in any of "
        f"{[str(c) for c in candidates]}; set GREENSIO_PROTOCOL_SUITES to their folder"
    )


@pytest.fixture(scope="session")
def installed_suites(tmp_path_factory) -> dict[str, Path]:
    """Each suite copied to a temporary directory and ``npm ci``-installed there, once."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the official protocol suites")
    source = suites_source()
    root = tmp_path_factory.mktemp("protocol-suites")
    installed = {}
    for name in SUITES:
        target = root / name
        shutil.copytree(source / name, target, ignore=shutil.ignore_patterns("node_modules"))
        for path in target.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)  # the source may be read-only
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=target,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"npm ci of the {name} suite took over {NPM_TIMEOUT} s")
        if done.returncode != 0:
            pytest.fail(f"npm ci failed in {target}:\n{done.stdout}\n{done.stderr}")
        shutil.copy(CLIENT_PRELOAD, target / CLIENT_PRELOAD.name)
        installed[name] = target
    return installed


def point_at(suite_dir: Path, url: str) -> Path:
    """A copy of the suite's test-suite.js beside it, pointed at ``url``."""
    text = (suite_dir / "test-suite.js").read_text()
    assert text.count(URL_LINE) == 1, f"{suite_dir}/test-suite.js no longer has {URL_LINE!r}"
    port = url.rsplit(":", 1)[1]
    target = suite_dir / f"test-suite.{port}.js"
    target.write_text(text.replace(URL_LINE, f'const URL = "{url}";'))
    return target


def run_mocha(suite_dir: Path, suite_file: Path) -> dict:
    """Run mocha on ``suite_file``; the JSON reporter's report."""
    env = dict(os.environ, NODE_OPTIONS=f"--import {(suite_dir / CLIENT_PRELOAD.name).as_uri()}")
    mocha = suite_dir / "node_modules" / "mocha" / "bin" / "mocha"
    command = [shutil.which("node") or "node", str(mocha), "--reporter", "json", "--exit"]
    try:
        done = subprocess.run(
            [*command, suite_file.name],
            cwd=suite_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=MOCHA_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"mocha did not finish within {MOCHA_TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")
    try:
        return json.loads(done.stdout)
    except ValueError:
        pytest.fail(
            f"mocha exited {done.returncode}, no JSON report:\n{done.stdout}\n{done.stderr}"
        )


def failures_of(report: dict) -> list[str]:
    return [f"{t['fullTitle']}: {t['err'].get('message', t['err'])}" for t in report["failures"]]


@pytest.mark.timeout(TEST_TIMEOUT)
@pytest.mark.parametrize("run", [1, 2])
@pytest.mark.parametrize("front_end", sorted(FRONT_ENDS))
@pytest.mark.parametrize("suite", sorted(SUITES))
def test_official_suite_passes_in_full(installed_suites, suite, front_end, run):
    app, expected = SUITES[suite]
    server = python_server(app + FRONT_ENDS[front_end], server=front_end).start()
    try:
        report = run_mocha(installed_suites[suite], point_at(installed_suites[suite], server.url))
    finally:
        server.stop()
    stats = report["stats"]
    failures = failures_of(report)
    assert not failures, (
        f"{suite} suite, run {run}: {stats['passes']}/{expected} passed; failed:\n"
        + "\n".join(failures)
        + f"\nserver log:\n{server.log}"
    )
    assert (stats["tests"], stats["passes"], stats["pending"]) == (expected, expected, 0), stats
