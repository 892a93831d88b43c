"""Reconnection backoff against python-socketio's and the JS client's documented behaviour:
the delay doubles from ``reconnection_delay`` up to ``reconnection_delay_max``, and each delay is
moved by up to ±``randomization_factor`` of itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greensio.exceptions import UsageError
from greensio.protocol.socketio.reconnect import reconnect_delay

pytestmark = pytest.mark.timeout(60)

#: python-socketio's and the JS client's defaults: 1 s, at most 5 s, ±50 %.
DEFAULTS = {"delay": 1.0, "delay_max": 5.0, "randomization_factor": 0.5}
MIDDLE = 0.5  # the random number that leaves a delay as it is


def test_the_delay_doubles_up_to_the_maximum() -> None:
    delays = [reconnect_delay(n, MIDDLE, **DEFAULTS) for n in range(1, 7)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_without_jitter_the_random_number_does_not_matter() -> None:
    options = {**DEFAULTS, "randomization_factor": 0.0}
    for random in (0.0, 0.25, 0.999):
        assert [reconnect_delay(n, random, **options) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]


def test_jitter_spans_the_factor_both_ways() -> None:
    # 2 s (the second attempt) moved by up to 50 %: from 1 s up to (almost) 3 s
    assert reconnect_delay(2, 0.0, **DEFAULTS) == 1.0
    assert reconnect_delay(2, 0.25, **DEFAULTS) == 1.5
    assert reconnect_delay(2, 0.75, **DEFAULTS) == 2.5
    assert 2.99 < reconnect_delay(2, 0.9999, **DEFAULTS) < 3.0


def test_the_maximum_is_never_exceeded() -> None:
    # "the maximum delay between two reconnection attempts": at the plateau jitter only shortens
    assert reconnect_delay(3, 0.9, **DEFAULTS) == 5.0  # 4 s * 1.4 would be 5.6 s
    assert reconnect_delay(10, 0.0, **DEFAULTS) == 2.5
    assert reconnect_delay(10_000, 0.999, **DEFAULTS) == 5.0  # no overflow, however many


def test_zero_delays() -> None:
    assert reconnect_delay(1, 0.9, delay=0, delay_max=5, randomization_factor=0.5) == 0
    assert reconnect_delay(4, 0.1, delay=1, delay_max=0, randomization_factor=0.5) == 0


@pytest.mark.parametrize(
    ("attempt", "random", "options"),
    [
        (0, MIDDLE, DEFAULTS),
        (1, -0.1, DEFAULTS),
        (1, 1.0, DEFAULTS),
        (1, MIDDLE, {**DEFAULTS, "delay": -1.0}),
        (1, MIDDLE, {**DEFAULTS, "delay_max": -1.0}),
        (1, MIDDLE, {**DEFAULTS, "randomization_factor": -0.1}),
        (1, MIDDLE, {**DEFAULTS, "randomization_factor": 1.5}),
    ],
)
def test_arguments_out_of_range_are_refused(attempt, random, options) -> None:
    with pytest.raises(UsageError):
        reconnect_delay(attempt, random, **options)


@given(
    attempt=st.integers(1, 200),
    random=st.floats(0, 1, exclude_max=True),
    delay=st.floats(0, 100),
    delay_max=st.floats(0, 100),
    factor=st.floats(0, 1),
)
def test_always_within_the_jitter_of_the_capped_doubling(
    attempt, random, delay, delay_max, factor
) -> None:
    got = reconnect_delay(
        attempt, random, delay=delay, delay_max=delay_max, randomization_factor=factor
    )
    base = min(delay * 2.0 ** min(attempt - 1, 64), delay_max)
    assert 0 <= got <= delay_max
    assert base * (1 - factor) - 1e-9 <= got <= base * (1 + factor) + 1e-9
