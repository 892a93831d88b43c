"""greensio.backends: choosing a backend, and what each one does.

The behaviour checks live in ``tests/backends/behaviour.py``. The threading backend runs them
in-process; gevent runs them in a child process, as does everything that imports gevent, so that
the pytest process neither runs a gevent hub nor has gevent in ``sys.modules`` (which is what
auto-detection looks at).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from greensio.backends import ASYNC_MODES, get_backend
from greensio.exceptions import UsageError
from tests.backends import behaviour
from tests.support.servers import ROOT, UNIT

pytestmark = pytest.mark.timeout(30 * UNIT)


def run_python(code_or_module: list[str], python: str = sys.executable) -> str:
    """Run ``python <args>`` in a fresh interpreter at the repository root; its stdout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [python, *code_or_module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=20 * UNIT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- choosing --------------------------------------------------------------------------------------


def test_modes():
    assert set(ASYNC_MODES) == {"gevent", "eventlet", "threading"}


def test_threading_by_name():
    from greensio.backends.threading import ThreadingBackend

    backend = get_backend("threading")
    assert isinstance(backend, ThreadingBackend)
    assert backend.name == "threading"


@pytest.mark.parametrize("mode", ["eventlet-typo", "asyncio", "GEVENT"])
def test_unknown_mode_is_a_usage_error(mode):
    with pytest.raises(UsageError, match="async_mode"):
        get_backend(mode)


DETECT = (
    "from greensio.backends import get_backend; print(get_backend().name, get_backend(None).name)"
)


def test_auto_detection_without_gevent():
    assert run_python(["-c", DETECT]).split() == ["threading", "threading"]


def test_auto_detection_once_gevent_is_imported():
    """As under ``gunicorn -k gevent`` or after ``gevent.monkey.patch_all()`` in the entry point."""
    assert run_python(["-c", "import gevent; " + DETECT]).split() == ["gevent", "gevent"]


def test_gevent_by_name_without_patching():
    code = (
        "import gevent.monkey, sys; from greensio.backends import get_backend; "
        "from greensio.backends.gevent import GeventBackend; b = get_backend('gevent'); "
        "print(isinstance(b, GeventBackend), b.name, gevent.monkey.is_anything_patched())"
    )
    assert run_python(["-c", code]).split() == ["True", "gevent", "False"]


# -- behaviour -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", behaviour.CHECKS)
def test_threading_backend(name):
    behaviour.run("threading", name)


@pytest.fixture(scope="module")
def gevent_results() -> dict[str, str | None]:
    """Every check, run once against the gevent backend in a child process."""
    return json.loads(run_python(["-m", "tests.backends.behaviour", "gevent"]))


@pytest.mark.parametrize("name", behaviour.CHECKS)
def test_gevent_backend(gevent_results, name):
    failure = gevent_results[name]
    assert failure is None, failure


def test_this_process_is_not_monkey_patched():
    """The gevent checks ran elsewhere; nothing in the test process patched the standard library."""
    monkey = sys.modules.get("gevent.monkey")
    assert monkey is None or not monkey.is_anything_patched()


POOL = """
import gevent, greenlet
from greensio.backends.gevent import GeventBackend
backend = GeventBackend()
ran = []
backend.run_soon(ran.append, 1)
gevent.sleep(0)
pool = gevent.get_hub()._greensio_tasks
parked = list(pool.idle)
backend.run_soon(ran.append, 2)
gevent.sleep(0)
reused = pool.idle == parked
loop = gevent.get_hub().loop
loop.run_callback(parked[0].switch, "a stray wake-up")  # a waiter a finished task left behind
backend.run_soon(ran.append, 3)
gevent.sleep(0)
loop.run_callback(parked[0].throw, greenlet.GreenletExit)  # killed while parked
gevent.sleep(0)
backend.run_soon(ran.append, 4)
gevent.sleep(0)
print(ran, reused, parked[0].dead, len(pool.idle))
"""


def test_gevent_tasks_are_pooled():
    """A finished task's greenlet runs the next one; a stray switch into a parked greenlet is
    ignored, and a parked greenlet that was killed is replaced."""
    assert run_python(["-c", POOL]).split() == ["[1,", "2,", "3,", "4]", "True", "True", "1"]
