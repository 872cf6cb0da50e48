"""A PEP 503 simple index on 127.0.0.1 serving a folder of wheels.

``/simple/`` lists the projects, ``/simple/<normalized-name>/`` links each
wheel with a ``#sha256=`` fragment, ``/files/<filename>`` serves the bytes.
The folder is read on every request, so wheels added while the index runs
are visible at once.
"""

from __future__ import annotations

import hashlib
import html
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename


class _Handler(BaseHTTPRequestHandler):
    server: _IndexServer
    _head_only = False

    def do_HEAD(self) -> None:
        # uv asks with HEAD first to learn whether range requests work.
        self._head_only = True
        try:
            self.do_GET()
        finally:
            self._head_only = False

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        parts = [part for part in path.split("/") if part]
        if parts == ["simple"]:
            self._send_page(self._project_list())
        elif len(parts) == 2 and parts[0] == "simple":
            page = self._project_page(parts[1])
            if page is None:
                self.send_error(HTTPStatus.NOT_FOUND)
            else:
                self._send_page(page)
        elif len(parts) == 2 and parts[0] == "files":
            self._send_file(parts[1])
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def log_message(self, format: str, *args: object) -> None:
        # Silence per-request logging to stderr; failures show up in the client.
        pass

    def _wheels(self) -> dict[str, list[Path]]:
        projects: dict[str, list[Path]] = {}
        for wheel in sorted(self.server.root.glob("*.whl")):
            try:
                name = parse_wheel_filename(wheel.name)[0]
            except InvalidWheelFilename:
                continue
            projects.setdefault(str(name), []).append(wheel)
        return projects

    def _project_list(self) -> str:
        links = "".join(f'<a href="/simple/{name}/">{name}</a>\n' for name in self._wheels())
        return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"

    def _project_page(self, name: str) -> str | None:
        wheels = self._wheels().get(canonicalize_name(name))
        if not wheels:
            return None
        links = []
        for wheel in wheels:
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            href = html.escape(f"/files/{wheel.name}#sha256={digest}")
            links.append(f'<a href="{href}">{html.escape(wheel.name)}</a>\n')
        return f"<!DOCTYPE html>\n<html><body>\n{''.join(links)}</body></html>\n"

    def _send_page(self, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self._head_only:
            self.wfile.write(body)

    def _send_file(self, filename: str) -> None:
        wheel = self.server.root / filename
        if "/" in filename or not filename.endswith(".whl") or not wheel.is_file():
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body = wheel.read_bytes()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self._head_only:
            self.wfile.write(body)


class _IndexServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__(("127.0.0.1", 0), _Handler)


class LocalIndex:
    """Serve ``root`` (a folder of wheels) as a simple index while in a ``with`` block.

    ``url`` is the index URL to give pip (``--index-url``) or uv
    (``--default-index``).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._server: _IndexServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the index is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/simple/"

    def __enter__(self) -> LocalIndex:
        self._server = _IndexServer(self.root)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-index", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        self._thread = None
