"""Reconnection backoff: how long the client waits before each reconnection attempt.

Theory of operation
-------------------
A pure function of the attempt number, the options and a random number the caller draws. As in
python-socketio and the JS client (``reconnectionDelay``, ``reconnectionDelayMax``,
``randomizationFactor``): the delay starts at ``delay`` and doubles with each attempt up to
``delay_max``; each delay is then moved by up to ±``randomization_factor`` of itself (0.5: between
half and one and a half times), so that clients dropped together do not all come back at once.
Like the JS client's backoff, the result never exceeds ``delay_max`` — the documented "maximum
delay between reconnection attempts" — so at the plateau the jitter only shortens it.
"""

from __future__ import annotations

from greensio.exceptions import UsageError

#: Past this many doublings any delay has long reached its maximum (and 2.0**1024 overflows).
_MAX_DOUBLINGS = 64


def reconnect_delay(
    attempt: int,
    random: float,
    *,
    delay: float,
    delay_max: float,
    randomization_factor: float,
) -> float:
    """Seconds to wait before reconnection attempt ``attempt`` (1 for the first).

    Args:
        attempt: which attempt this delay precedes, from 1.
        random: a number in [0, 1) (``random.random()``): 0 shortens the delay the most, 0.5
            leaves it as it is, towards 1 lengthens it the most.
        delay: the first delay, in seconds.
        delay_max: the longest delay, in seconds.
        randomization_factor: the jitter, as a fraction of the delay, in [0, 1].

    Raises:
        UsageError: an argument out of its range.
    """
    if attempt < 1:
        raise UsageError(f"reconnection attempts count from 1, not {attempt}")
    if not 0 <= random < 1:
        raise UsageError(f"random must be in [0, 1), not {random}")
    if delay < 0 or delay_max < 0:
        raise UsageError("reconnection delays cannot be negative")
    if not 0 <= randomization_factor <= 1:
        raise UsageError(f"randomization_factor must be in [0, 1], not {randomization_factor}")
    base = min(delay * 2.0 ** min(attempt - 1, _MAX_DOUBLINGS), delay_max)
    jittered = base * (1 + randomization_factor * (2 * random - 1))
    return min(jittered, delay_max)


__all__ = ["reconnect_delay"]
