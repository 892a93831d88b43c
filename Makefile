# One entry point for developers and CI (.ci/run calls `make install && make test`).

PYTHON ?= python3
JS_DIR := tests/interop/js
# The browser client for the chat example: the official socket.io-client build, from the npm package
# that the JS interop tests install anyway (its version locked by $(JS_DIR)/package-lock.json).
CLIENT_JS_SRC := $(JS_DIR)/node_modules/socket.io-client/dist/socket.io.min.js
CLIENT_JS := examples/flask_chat/static/socket.io.min.js
DEMO_BIND ?= 127.0.0.1:5000

.PHONY: install install-js install-eventlet client-js test lint format unasync demo bench docs fuzz soak

install:
	$(PYTHON) -m pip install -r requirements-dev.txt
	$(MAKE) install-js
	$(MAKE) install-eventlet

# gunicorn 26 removed its eventlet worker, and 27 is what pip installs: `gunicorn -k eventlet` is
# tested in a pinned environment of its own (docs/deployment-eventlet.md), which the eventlet rows
# of tests/interop/test_deployments.py run their servers with. Rebuilt when the pins change.
EVENTLET_VENV := .venv-eventlet
# (gevent too: the backend tests check which of the two auto-detection picks.)
EVENTLET_PINS := gunicorn==25.3.0 eventlet==0.41.3 gevent flask websocket-client requests

install-eventlet: $(EVENTLET_VENV)/.installed

$(EVENTLET_VENV)/.installed: Makefile setup.py
	$(PYTHON) -m venv $(EVENTLET_VENV)
	$(EVENTLET_VENV)/bin/python -m pip install -q --disable-pip-version-check $(EVENTLET_PINS) -e .
	@echo "$(EVENTLET_PINS)" > $@

# Node is needed by the JS interop tests and for the demo page's client script; the Python package
# itself does without it.
install-js:
	@if command -v npm >/dev/null 2>&1; then \
		cd $(JS_DIR) && npm install --no-audit --no-fund; \
	else \
		echo "npm not found: skipping the JS client (install Node.js and npm, then: make install-js)"; \
	fi
	@$(MAKE) --no-print-directory client-js

client-js:
	@if [ -f $(CLIENT_JS_SRC) ]; then \
		mkdir -p $(dir $(CLIENT_JS)) && cp $(CLIENT_JS_SRC) $(CLIENT_JS) && echo "copied $(CLIENT_JS)"; \
	else \
		echo "$(CLIENT_JS_SRC) not found: the chat page will have no client (run: make install-js)"; \
	fi

test:
	$(PYTHON) -m pytest

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy greensio
	$(PYTHON) scripts/unasync.py --check

# The greenlet modules generated from their asyncio sources (greensio/**/async_*.py).
unasync:
	$(PYTHON) scripts/unasync.py

# The docs site (Sphinx, furo, MyST): docs/ into docs/_build/html; every warning is an error.
docs:
	$(PYTHON) -m sphinx -b html -W --keep-going -n -q docs docs/_build/html
	@echo "built docs/_build/html/index.html"

format:
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

# gunicorn's gevent worker monkey-patches itself; one worker, since the example keeps state in memory.
demo: client-js
	$(PYTHON) -m gunicorn -k gevent -w 1 -b $(DEMO_BIND) examples.flask_chat.app:app

# Side by side with python-socketio and Node's socket.io (bench/README.md); never part of `make test`.
# Rounds, sizes and modes come from the environment: make bench QUICK=1 | ROUNDS=5 | PROFILE=1.
# The cluster rows (two nodes over Redis, gunicorn -w 2) start a redis-server of their own.
# The WebSocket framing micro-benchmark stays a separate command: python bench/ws_framing.py.
bench:
	@if [ ! -d bench/node_modules/ws ] || [ ! -d bench/node_modules/socket.io ]; then \
		cd bench && npm ci --no-audit --no-fund; \
	fi
	$(PYTHON) bench/run.py

# Coverage-guided fuzzing of every decoder of peer bytes (tests/fuzz/harness.py), FUZZ_SECONDS each
# (CI runs them for 2 s each in tests/fuzz/test_fuzz_targets.py). What the fuzzer finds goes to
# FUZZ_DIR/<target>/, crashing inputs to FUZZ_DIR/crashes/; seeds stay in tests/fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_DIR ?= $(or $(TMPDIR),/tmp)/greensio-fuzz
fuzz:
	@mkdir -p $(FUZZ_DIR); failed=""; \
	for target in $$(PYTHONPATH=. $(PYTHON) -c 'from tests.fuzz.harness import TARGETS; print(*TARGETS)'); do \
		echo "== fuzz $$target ($(FUZZ_SECONDS) s, log in $(FUZZ_DIR)/$$target.log)"; \
		PYTHONPATH=. $(PYTHON) -m tests.fuzz.harness $$target $(FUZZ_SECONDS) $(FUZZ_DIR) \
			>$(FUZZ_DIR)/$$target.log 2>&1 || failed="$$failed $$target"; \
		grep -E 'DONE|Uncaught|Error:|crash-' $(FUZZ_DIR)/$$target.log || true; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in$$failed (inputs in $(FUZZ_DIR)/crashes)"; exit 1; fi

# The soak test (tests/soak/run.py): SOAK_SECONDS of client churn at 2,000 clients a minute, then
# the server's RSS, file descriptors and greenlets against its warm baseline (CI runs 60 s of it
# in tests/soak/test_soak.py). Prints the figures; fails when a bound is broken.
SOAK_SECONDS ?= 600
soak:
	PYTHONPATH=. $(PYTHON) -m tests.soak.run $(SOAK_SECONDS)
