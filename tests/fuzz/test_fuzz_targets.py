"""The fuzz targets on a short budget (``make fuzz`` runs them longer): each target's seed corpus
replayed in this process, then each target under atheris in a subprocess for a few seconds. A
crash there fails the test with libFuzzer's report (the input is in its ``crashes`` directory)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.fuzz import harness
from tests.support.servers import ROOT, UNIT

#: Seconds of fuzzing per target here: ten targets stay under 40 s in all.
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


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", harness.TARGETS)
def test_target_survives_fuzzing(name: str, tmp_path: object) -> None:
    pytest.importorskip("atheris")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.harness", name, str(CI_SECONDS), str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CI_SECONDS + 30 * UNIT,
    )
    report = result.stderr[-6000:]
    assert result.returncode == 0, f"fuzz target {name} failed:\n{report}"
    assert "DONE" in report and "cov:" in report  # it ran, with coverage
