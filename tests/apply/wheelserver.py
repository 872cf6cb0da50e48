"""An HTTP server on 127.0.0.1 for the wheel-fetching tests, and servers that misbehave.

``WheelServer`` serves whatever a test puts in it (files, PEP 503 HTML and
PEP 691 JSON project pages, error statuses) and logs every request, so a
test can prove that a second call never reached it.  ``silent_server``
accepts connections and never answers; ``refused_url`` points at a port
nobody listens on.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from packaging.utils import canonicalize_name

from tests.support.wheels import WheelSpec, build_wheel


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One answer: a status, a body, and its content type."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/octet-stream"
    # Served instead of ``body`` when the request accepts PEP 691 JSON.
    json_body: bytes | None = None
    # A Content-Length larger than the body: the connection closes early.
    claimed_length: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Seen:
    path: str
    accept: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    _head_only = False

    def do_HEAD(self) -> None:
        # uv asks with HEAD first, to learn whether range requests work.
        self._head_only = True
        try:
            self.do_GET()
        finally:
            self._head_only = False

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        accept = self.headers.get("Accept", "")
        with self.server.lock:
            self.server.seen.append(Seen(path=path, accept=accept))
            route = self.server.routes.get(path)
        if route is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body, content_type = route.body, route.content_type
        if route.json_body is not None and "application/vnd.pypi.simple.v1+json" in accept:
            body, content_type = route.json_body, "application/vnd.pypi.simple.v1+json"
        self.send_response(route.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(route.claimed_length or len(body)))
        if route.claimed_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not self._head_only:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class WheelServer:
    """Serve routes on 127.0.0.1 while in a ``with`` block; ``seen`` logs every request."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> WheelServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def index_url(self) -> str:
        return f"{self.base}/simple/"

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def seen(self) -> list[Seen]:
        with self._server.lock:
            return list(self._server.seen)

    def hits(self, path: str) -> int:
        return sum(1 for seen in self.seen if seen.path == path)

    def route(self, path: str, route: Route) -> str:
        with self._server.lock:
            self._server.routes[path] = route
        return self.url(path)

    def add_file(self, path: Path, *, body: bytes | None = None) -> str:
        """Serve ``path`` at ``/files/<name>`` (``body`` instead of its bytes); return the URL."""
        data = path.read_bytes() if body is None else body
        return self.route(f"/files/{path.name}", Route(body=data))

    def add_project(
        self,
        name: str,
        files: Sequence[Path],
        *,
        json_page: bool = True,
        hashes: dict[str, str] | None = None,
    ) -> str:
        """Serve ``files`` and a project page for ``name`` (HTML, and JSON when asked).

        Links are relative to the page, as PyPI's are not but many indexes'
        are.  ``hashes`` overrides the sha256 a page gives for a file name.
        """
        anchors = []
        entries = []
        for path in files:
            self.add_file(path)
            digest = (hashes or {}).get(path.name, sha256_of(path))
            href = f"../../files/{path.name}"
            anchors.append(
                f'<a href="{html.escape(href)}#sha256={digest}" '
                f'data-requires-python="&gt;=3.8">{html.escape(path.name)}</a><br/>'
            )
            entries.append({"filename": path.name, "url": href, "hashes": {"sha256": digest}})
        page = (
            '<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.1">'
            f"</head><body>{''.join(anchors)}</body></html>"
        )
        document = {"meta": {"api-version": "1.1"}, "name": name, "files": entries}
        path = f"/simple/{canonicalize_name(name)}/"
        return self.route(
            path,
            Route(
                body=page.encode(),
                content_type="text/html; charset=utf-8",
                json_body=json.dumps(document).encode() if json_page else None,
            ),
        )


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A base URL whose server accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        # The kernel completes the handshake for queued connections; nobody reads.
        listener.listen(8)
        port = listener.getsockname()[1]
        yield f"http://127.0.0.1:{port}"


def refused_url() -> str:
    """A base URL on a port that was free a moment ago: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def make_wheel(
    folder: Path, name: str, version: str = "1.0", *, tag: str = "py3-none-any", note: str = ""
) -> Path:
    """A small real wheel of ``name`` ``version`` (``note`` changes its bytes)."""
    module = canonicalize_name(name).replace("-", "_")
    spec = WheelSpec(
        name=name,
        version=version,
        tag=tag,
        files={f"{module}/__init__.py": f"VERSION = {version!r}  # {note}\n"},
    )
    return build_wheel(spec, folder)


def cache_files(root: Path) -> list[str]:
    """Every regular file under ``root``, relative, sorted (CACHEDIR.TAG left out)."""
    found = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), root)
            if rel != "CACHEDIR.TAG":
                found.append(rel.replace(os.sep, "/"))
    return sorted(found)


def assert_only_verified(root: Path) -> None:
    """The cache holds complete files at their content address, and nothing partial."""
    for rel in cache_files(root):
        parts = rel.split("/")
        assert parts[0] in {"wheels-v1", "names-v1", "built-v1"}, rel
        if parts[0] == "wheels-v1":
            assert sha256_of(root / rel) == parts[2], rel
