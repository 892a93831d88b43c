"""Packaging for greensio.

Tool configuration lives in pyproject.toml; the version in greensio/_version.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_version() -> str:
    # Read, don't import: importing greensio would need its dependencies before they are installed.
    text = (HERE / "greensio" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if match is None:
        raise RuntimeError("no __version__ in greensio/_version.py")
    return match.group(1)


def read_dev_requirements() -> list[str]:
    """The ``dev`` extra is requirements-dev.txt, less pip options and the ``-e .`` line."""
    path = HERE / "requirements-dev.txt"
    if not path.exists():  # an sdist built without it
        return []
    text = path.read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def read_readme() -> str:
    path = HERE / "README.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


setup(
    name="greensio",
    version=read_version(),
    description="Socket.IO v5 / Engine.IO v4 for Python over gevent, with python-socketio's API",
    long_description=read_readme(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["greensio", "greensio.*"], exclude=["tests", "tests.*"]),
    package_data={"greensio": ["py.typed"]},
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.10",
    install_requires=[
        # WebSocket framing: the sans-I/O layer of the websockets package (C-accelerated masking).
        # (and, for AsyncClient, its asyncio client: 15 or later, for its ``proxy`` option).
        "websockets>=15",
        # The client's long-polling: pooled keep-alive HTTP.
        "urllib3>=2",
        # AsyncClient's long-polling: the sans-I/O HTTP/1.1 parser under its asyncio driver.
        "h11>=0.14",
    ],
    extras_require={
        # gunicorn's gevent worker imports packaging without declaring it (gunicorn 27): with
        # it here, `pip install greensio[gevent] gunicorn` runs `gunicorn -k gevent` as it is.
        "gevent": ["gevent>=24", "packaging"],
        # eventlet is supported, gevent primary (docs/deployment-eventlet.md); 0.40.3 is what
        # gunicorn 25's eventlet worker requires.
        "eventlet": ["eventlet>=0.40.3"],
        "redis": ["redis>=5"],
        "kombu": ["kombu>=5.3"],
        "msgpack": ["msgpack>=1.0"],
        # sio.instrument(auth=...) with a bcrypt hash as the password, as Node's admin UI.
        "admin": ["bcrypt>=4"],
        "dev": read_dev_requirements(),
    },
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Framework :: Flask",
        "Intended Audience :: Developers",
        "Operating System :: POSIX",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Middleware",
        "Typing :: Typed",
    ],
)
