"""greensio.server.wsgi.WSGIApp: which request goes where, and static files.

Called in-process as the WSGI application it is, with a recording ``start_response``: no network
is mocked, WSGI is just a call. The Socket.IO server behind it is a small stand-in with
``handle_request`` (all ``WSGIApp`` asks of it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from greensio import Middleware, WSGIApp

pytestmark = pytest.mark.timeout(10)


class RecordingServer:
    """Stands in for ``greensio.Server``: answers every request it gets, and remembers the paths."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def handle_request(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"socketio"]


def wrapped_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app:" + environ["PATH_INFO"].encode()]


class Response:
    def __init__(self, app, path: str, method: str = "GET") -> None:
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": ""}
        self.status: str | None = None
        self.headers: dict[str, str] = {}
        self.body = b"".join(app(environ, self._start_response))

    def _start_response(self, status, headers, exc_info=None):
        self.status = status
        self.headers = dict(headers)

    @property
    def code(self) -> int:
        assert self.status is not None, "start_response was never called"
        return int(self.status.split()[0])


@pytest.fixture
def server() -> RecordingServer:
    return RecordingServer()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """``index.html``, ``app.js``, ``static/{index.html,style.css,sub/deep.txt}``; ``secret.txt`` is
    beside the static directory, where no URL must reach."""
    (tmp_path / "index.html").write_text("<h1>home</h1>")
    (tmp_path / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("secret")
    static = tmp_path / "static"
    (static / "sub").mkdir(parents=True)
    (static / "index.html").write_text("<h1>static index</h1>")
    (static / "style.css").write_text("body {}")
    (static / "sub" / "deep.txt").write_text("deep")
    (static / "special.js").write_text("from the directory")
    return tmp_path


# -- routing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/socket.io/", "/socket.io", "/socket.io/anything"])
def test_socketio_path_goes_to_the_server(server, path):
    response = Response(WSGIApp(server, wrapped_app), path)
    assert response.body == b"socketio"
    assert server.paths == [path]


@pytest.mark.parametrize("path", ["/", "/index.html", "/socket.iox", "/api/socket.io/", "/socket"])
def test_other_paths_go_to_the_wrapped_app(server, path):
    response = Response(WSGIApp(server, wrapped_app), path)
    assert response.body == b"app:" + path.encode()
    assert server.paths == []


def test_no_wrapped_app_is_a_404(server):
    response = Response(WSGIApp(server), "/elsewhere")
    assert response.code == 404
    assert server.paths == []


@pytest.mark.parametrize("socketio_path", ["custom/path", "/custom/path/", "custom/path/"])
def test_custom_socketio_path(server, socketio_path):
    app = WSGIApp(server, wrapped_app, socketio_path=socketio_path)
    assert Response(app, "/custom/path/").body == b"socketio"
    assert Response(app, "/socket.io/").body == b"app:/socket.io/"
    assert Response(app, "/custom/pathology").body == b"app:/custom/pathology"


def test_middleware_is_wsgiapp():
    assert Middleware is WSGIApp


# -- static files ----------------------------------------------------------------------------------


def test_exact_file(server, site):
    app = WSGIApp(
        server, static_files={"/": str(site / "index.html"), "/app.js": str(site / "app.js")}
    )
    home = Response(app, "/")
    assert (home.code, home.body) == (200, b"<h1>home</h1>")
    assert home.headers["Content-Type"] == "text/html"
    assert home.headers["Content-Length"] == str(len(home.body))
    script = Response(app, "/app.js")
    assert (script.code, script.body) == (200, b"console.log(1)")
    assert "javascript" in script.headers["Content-Type"]


def test_directory_prefix(server, site):
    app = WSGIApp(server, wrapped_app, static_files={"/static/": str(site / "static")})
    css = Response(app, "/static/style.css")
    assert (css.code, css.body, css.headers["Content-Type"]) == (200, b"body {}", "text/css")
    assert Response(app, "/static/sub/deep.txt").body == b"deep"
    assert Response(app, "/static/").body == b"<h1>static index</h1>"  # a directory: its index.html
    assert Response(app, "/other").body == b"app:/other"


@pytest.mark.parametrize("path", ["/gone.html", "/static/missing.css", "/static/sub/"])
def test_missing_file_is_a_404(server, site, path):
    static_files = {"/gone.html": str(site / "gone.html"), "/static/": str(site / "static")}
    assert Response(WSGIApp(server, static_files=static_files), path).code == 404
    # With an application behind, it may serve the path itself (python-engineio does the same).
    behind = Response(WSGIApp(server, wrapped_app, static_files=static_files), path)
    assert behind.body == b"app:" + path.encode()


def test_content_type_override(server, site):
    static_files = {
        "/data": {"filename": str(site / "app.js"), "content_type": "text/x-custom"},
        "/raw/": {"filename": str(site / "static"), "content_type": "application/x-raw"},
    }
    app = WSGIApp(server, static_files=static_files)
    assert Response(app, "/data").headers["Content-Type"] == "text/x-custom"
    assert Response(app, "/raw/style.css").headers["Content-Type"] == "application/x-raw"


def test_unknown_extension_is_octet_stream(server, site):
    (site / "blob.greensio-unknown").write_bytes(b"\x00\x01")
    app = WSGIApp(server, static_files={"/blob": str(site / "blob.greensio-unknown")})
    response = Response(app, "/blob")
    assert (response.body, response.headers["Content-Type"]) == (
        b"\x00\x01",
        "application/octet-stream",
    )


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/sub/../../secret.txt",
        "/static/..",
        # An absolute path after the prefix must not replace the directory (os.path.join would).
        "/static/" + "/".join(["", "..", "secret.txt"]),
        "/static//" + "{site}/secret.txt",
    ],
)
def test_paths_out_of_a_static_directory_are_refused(server, site, path):
    path = path.replace("{site}", str(site).lstrip("/"))
    app = WSGIApp(server, static_files={"/static/": str(site / "static")})
    response = Response(app, path)
    assert response.code == 404
    assert b"secret" not in response.body
    # With an application behind, it gets the request, not the file.
    behind = Response(
        WSGIApp(server, wrapped_app, static_files={"/static/": str(site / "static")}), path
    )
    assert behind.body == b"app:" + path.encode()


@pytest.mark.parametrize("exact_first", [True, False])
def test_exact_entry_wins_over_a_directory_prefix(server, site, exact_first):
    exact = ("/static/special.js", str(site / "app.js"))
    prefix = ("/static/", str(site / "static"))
    static_files = dict([exact, prefix] if exact_first else [prefix, exact])
    app = WSGIApp(server, static_files=static_files)
    assert Response(app, "/static/special.js").body == b"console.log(1)"
    assert Response(app, "/static/style.css").body == b"body {}"


@pytest.mark.parametrize("deep_first", [True, False])
def test_longest_directory_prefix_wins(server, site, deep_first):
    deep = ("/files/sub/", str(site / "static"))  # /files/sub/style.css -> static/style.css
    shallow = ("/files/", str(site / "static"))  # /files/sub/deep.txt -> static/sub/deep.txt
    static_files = dict([deep, shallow] if deep_first else [shallow, deep])
    app = WSGIApp(server, static_files=static_files)
    assert Response(app, "/files/sub/style.css").body == b"body {}"
    assert Response(app, "/files/style.css").body == b"body {}"
    assert Response(app, "/files/sub/sub/deep.txt").body == b"deep"


def test_socketio_path_wins_over_static_files(server, site):
    app = WSGIApp(server, static_files={"/socket.io/": str(site / "static")})
    assert Response(app, "/socket.io/style.css").body == b"socketio"


# -- python-socketio's forms of static_files --------------------------------------------------


@pytest.mark.parametrize("key", ["/static", "/static/"])
def test_a_directory_maps_with_or_without_a_trailing_slash(server, site, key):
    app = WSGIApp(server, wrapped_app, static_files={key: str(site / "static")})
    assert Response(app, "/static/style.css").body == b"body {}"
    assert Response(app, "/static/sub/deep.txt").body == b"deep"
    assert Response(app, "/static/").body == b"<h1>static index</h1>"
    assert Response(app, "/static").body == b"<h1>static index</h1>"
    assert Response(app, "/staticx/style.css").body == b"app:/staticx/style.css"


@pytest.mark.parametrize("target", ["{site}", "{site}/"])
def test_the_root_maps_the_whole_site(server, site, target):
    app = WSGIApp(server, static_files={"/": target.format(site=site)})
    assert Response(app, "/").body == b"<h1>home</h1>"
    assert Response(app, "/app.js").body == b"console.log(1)"
    assert Response(app, "/static/").body == b"<h1>static index</h1>"
    assert Response(app, "/socket.io/").body == b"socketio"


def test_the_empty_key_names_the_index_file(server, site):
    (site / "static" / "default.txt").write_text("default")
    app = WSGIApp(server, static_files={"/static": str(site / "static"), "": "default.txt"})
    index = Response(app, "/static/")
    assert (index.body, index.headers["Content-Type"]) == (b"default", "text/plain")
    assert Response(app, "/").code == 404  # '' is the index's name, not a URL path


def test_the_empty_key_as_a_dict_gives_the_index_a_content_type(server, site):
    index = {"filename": "style.css", "content_type": "text/x-index"}
    app = WSGIApp(server, static_files={"/": str(site / "static"), "": index})
    response = Response(app, "/")
    assert (response.body, response.headers["Content-Type"]) == (b"body {}", "text/x-index")
    assert Response(app, "/style.css").headers["Content-Type"] == "text/css"


def test_an_exact_path_may_name_a_directory(server, site):
    app = WSGIApp(server, static_files={"/docs": str(site / "static")})
    assert Response(app, "/docs").body == b"<h1>static index</h1>"


def test_a_path_under_a_file_entry_goes_on_to_the_app(server, site):
    app = WSGIApp(server, wrapped_app, static_files={"/": str(site / "index.html")})
    assert Response(app, "/").body == b"<h1>home</h1>"
    assert Response(app, "/other").body == b"app:/other"
