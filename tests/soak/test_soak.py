"""The soak test's CI version: 60 s of client churn (2,000 clients over both transports, some
killed mid-frame, some upgrading, some reading slowly), then the bounds of ``tests/soak/run.py``:
RSS near its warm baseline, file descriptors and greenlets back to it, no error-level log line,
every acked emit acked. ``make soak`` runs the same for 10 minutes."""

from __future__ import annotations

import pytest

from tests.soak import run

pytestmark = pytest.mark.timeout(400)


def test_sixty_seconds_of_churn_leave_the_server_as_it_was() -> None:
    figures = run.soak(60)
    print(run.report(figures))
    assert run.violations(figures) == []
    assert figures["load"]["kinds"]["killed"]["started"] > 0  # every kind of client ran
    assert sum(k.get("acks", 0) for k in figures["load"]["kinds"].values()) > 1000
