"""Session-wide set-up for the whole suite."""

from __future__ import annotations

import signal

# Tests send Ctrl+C (SIGINT) to child processes and expect Python's KeyboardInterrupt there. A
# shell's background job starts with SIGINT ignored, children inherit that, and Python then
# installs no KeyboardInterrupt handler: give the run the disposition a terminal gives, so the
# children start with SIGINT at its default whoever started pytest.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
