"""Sphinx configuration of greensio's documentation site: ``make docs`` builds it into docs/_build.

The pages are the Markdown files next to this one (MyST), the API reference (api.rst) comes from
the docstrings of the public names in ``greensio/__init__.py``, and the examples are included from
``examples/``. ``make docs`` runs Sphinx with ``-W --keep-going -n``: any warning, a broken
reference included, fails the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The checkout itself, not an installed copy: the reference is of the code next to these pages.
sys.path.insert(0, str(ROOT))

from greensio import __version__  # noqa: E402

project = "greensio"
author = "the greensio authors"
copyright = "the greensio authors"  # noqa: A001 (Sphinx's name for it)
release = __version__
version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the docstrings' Args:/Returns:/Raises: sections
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# The Markdown pages link to each other's sections as ``page.md#a-heading``, as GitHub renders
# them: MyST makes the same anchors from the headings.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = f"greensio {release}"
# "--threads" stays two hyphens, in link texts too
smartquotes = False

# -n (nitpicky) reports every type in a signature that has no page here. Two kinds have none, and
# only these are let through:
nitpick_ignore_regex = [
    # the standard library's: no intersphinx, since the build must not need the network
    ("py:class", r"(collections\.abc|contextlib|logging)\.\w+"),
]
nitpick_ignore = [
    # greensio's internal types that appear in public signatures; they are not public API
    ("py:class", "greensio.handlers.HandlerRegistration"),
    ("py:class", "greensio.handlers.NamespaceBase"),
    ("py:class", "greensio.handlers.Reasons"),
    ("py:class", "greensio.server.listeners.ListenerRegistration"),
    ("py:class", "greensio.server.remote_client.RemoteClient"),
    ("py:class", "greensio.managers.delivery.Delivery"),
    ("py:class", "greensio.client.events.ClientEvents"),
    ("py:class", "greensio.transports.frames.PreparedMessages"),
    ("py:class", "Backend"),
    ("py:class", "CoreBackend"),
    ("py:class", "greensio.backends.base.Backend"),
    ("py:class", "greensio.backends.base.CoreBackend"),
    ("py:class", "greensio.engineio.requests.RequestHandler"),
    ("py:class", "greensio.engineio.forwarding.Forwarding"),
    ("py:class", "greensio.engineio.forwarding.OwnerRegistry"),
    ("py:class", "greensio.backends.base.AsyncBackend"),
    ("py:class", "greensio.server.async_remote_client.AsyncRemoteClient"),
    # the manager side of cluster-wide operations (greensio.managers.cluster)
    ("py:class", "Serve"),
    ("py:class", "Gathering"),
    ("py:class", "ClusterRequest"),
    # connection state recovery's store (greensio.protocol.socketio.recovery), a manager's hook
    ("py:class", "RecoveryOptions"),
    ("py:class", "RecoveryStore"),
    # what watches an Engine.IO server's sessions (the admin UI's counters)
    ("py:class", "greensio.engineio.server.EngineObserver"),
    # greensio/client/client.py (generated from the asyncio sources by the lead's script, not
    # edited here): napoleon reads the ``namespaces`` property's first line, "<text> (<text>):
    # <text>", as "<type>: <description>", and the two "types" are not classes.
    ("py:class", "Connected namespaces and our sid in each"),
    ("py:class", "python-socketio's attribute"),
]
