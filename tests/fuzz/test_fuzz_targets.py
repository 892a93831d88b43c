"""The fuzz targets on a short budget (``make fuzz`` runs them longer): each target's seed corpus
replayed in this process, then each target under atheris in a subprocess for a few seconds (two
at a time). A crash there fails the test with libFuzzer's report, which holds the input."""

from __future__ import annotations

import concurrent.futures
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from tests.fuzz import harness
from tests.support.servers import ROOT, UNIT

#: Seconds of fuzzing per target here (libFuzzer stops about a second later).
CI_SECONDS = int(os.environ.get("GREENSIO_FUZZ_CI_SECONDS", "2"))


@pytest.mark.parametrize("name", harness.TARGETS)
def test_seed_corpus_replays(name: str) -> None:
    one_input = harness.load(name)
    seeds = harness.seeds(name)
    assert seeds, f"no seeds in tests/fuzz/corpus/{name}"
    for path in seeds:
        one_input(path.read_bytes())


def test_every_target_has_a_seed_corpus() -> None:
    corpora = sorted(p.name for p in harness.CORPUS.iterdir() if p.is_dir())
    assert corpora == harness.TARGETS
    assert len(harness.TARGETS) >= 10


#: Targets fuzzed at once: libFuzzer's budget is wall time, two at a time use both cores.
PARALLEL = 2


def _fuzz(name: str, work: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.fuzz.harness", name, str(CI_SECONDS), str(work)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=CI_SECONDS + 30 * UNIT,
    )


@pytest.fixture(scope="module")
def fuzz_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every target fuzzed for ``CI_SECONDS``, ``PARALLEL`` at a time: name -> its run."""
    pytest.importorskip("atheris")
    work = tmp_path_factory.mktemp("fuzz")
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        runs = {name: pool.submit(_fuzz, name, work) for name in harness.TARGETS}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", harness.TARGETS)
def test_target_survives_fuzzing(name: str, fuzz_runs: dict[str, Any]) -> None:
    result = fuzz_runs[name]
    report = result.stderr[-6000:]
    assert result.returncode == 0, f"fuzz target {name} failed:\n{report}"
    assert "DONE" in report and "cov:" in report  # it ran, with coverage
