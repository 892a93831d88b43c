"""Static files in python-socketio's ``static_files`` forms, for ``WSGIApp`` and ``ASGIApp``."""

from __future__ import annotations

import mimetypes
import os
from typing import Any


class StaticFiles:
    """The files ``static_files`` maps: ``{url_path: file_path}`` or ``{url_path: {'filename':
    ..., 'content_type': ...}}``.

    A key matches its exact path and, when it names a directory, every path under it (with or
    without a trailing '/': '/' maps the whole site). A path that reaches a directory serves its
    index: the file named under the key ``''`` (a name, or a dict with ``filename`` and
    ``content_type``), else ``index.html``. An exact path wins over a directory, a longer
    directory over a shorter one.
    """

    def __init__(self, static_files: dict[str, Any] | None) -> None:
        self.static_files = static_files or {}

    def find(self, path: str) -> tuple[bytes, str] | None:
        """The body and content type of the file for ``path``; None when there is none."""
        spec = self._spec_for(path)
        if spec is None:
            return None
        filename = spec["filename"]
        if os.path.isdir(filename):
            index = _spec(self.static_files.get("", "index.html"))
            filename = os.path.join(filename, index["filename"])
            spec = {**spec, **{k: v for k, v in index.items() if k == "content_type"}}
        try:
            with open(filename, "rb") as fh:
                body = fh.read()
        except OSError:
            return None
        content_type = spec.get("content_type") or (
            mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        return body, content_type

    def _spec_for(self, path: str) -> dict[str, str] | None:
        """An exact entry first, else under the longest directory prefix, whatever the order of
        ``static_files``; None when nothing (safe) matches."""
        if path and path in self.static_files:
            return _spec(self.static_files[path])
        prefix = max((p for p in self.static_files if _is_under(path, p)), key=len, default=None)
        if prefix is None:
            return None
        parts = _safe_parts(path[len(prefix) :])
        if parts is None:
            return None
        spec = _spec(self.static_files[prefix])
        return {**spec, "filename": os.path.join(spec["filename"], *parts)}


def _is_under(path: str, prefix: str) -> bool:
    """Whether ``prefix`` (a key of ``static_files``) maps a directory that holds ``path``:
    '/static' and '/static/' both hold '/static/app.js' (and '/static/'), not '/staticx'."""
    if not prefix or prefix == path:
        return False  # '' names the index file; an exact key is matched before
    if prefix.endswith("/"):
        return path.startswith(prefix) or path == prefix[:-1]
    return path.startswith(prefix + "/")


def _spec(target: str | dict[str, str]) -> dict[str, str]:
    return target if isinstance(target, dict) else {"filename": target}


def _safe_parts(rest: str) -> list[str] | None:
    """The path segments of ``rest`` to join under a static directory; None if one would leave it.

    Empty and '.' segments are dropped, so that no segment is absolute: '/static//etc/passwd' leaves
    '/etc/passwd', which ``os.path.join`` would take instead of the directory. '..', and separators
    or a drive name inside a segment, are refused.
    """
    parts = [part for part in rest.split("/") if part not in ("", ".")]
    for part in parts:
        if (
            part == ".."
            or os.sep in part
            or (os.altsep is not None and os.altsep in part)
            or os.path.splitdrive(part)[0]
        ):
            return None
    return parts
