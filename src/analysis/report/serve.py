"""The preview server of ``prr render --watch``: the web book on 127.0.0.1, reloading itself.

A small HTTP server (standard library only) serves the book folder on the loopback
interface only. Every HTML page it sends gets one extra script that asks the server,
a few times a second, for the version of that page (its size and modification time);
when the page file changes — the renderer rewrites a page only when its bytes changed —
the browser reloads it. The files on disk are never modified: the published book has
no such script.
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse
from functools import partial
from pathlib import Path

HOST = "127.0.0.1"
VERSION_PATH = "/__prr/version"
SCRIPT_PATH = "/__prr/reload.js"
RELOAD_JS = """(function () {
  var page = location.pathname, seen = null;
  function poll() {
    fetch("__VERSION_PATH__?page=" + encodeURIComponent(page), {cache: "no-store"})
      .then(function (r) { return r.text(); })
      .then(function (v) {
        if (seen === null) { seen = v; } else if (v !== seen) { location.reload(); return; }
        setTimeout(poll, 250);
      })
      .catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
""".replace("__VERSION_PATH__", VERSION_PATH)
SCRIPT_TAG = f'<script src="{SCRIPT_PATH}"></script>'


def page_version(root: Path, url_path: str) -> str:
    """Version of the page at ``url_path`` under ``root``: size and modification time ("absent" if none)."""
    rel = urllib.parse.unquote(url_path).lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    path = (root / rel).resolve()
    try:
        path.relative_to(root.resolve())
        st = path.stat()
    except (ValueError, OSError):
        return "absent"
    return f"{st.st_size}-{st.st_mtime_ns}"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, directory: str, **kwargs):
        self.root = Path(directory)
        super().__init__(*args, directory=directory, **kwargs)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name): no access log
        pass

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urllib.parse.urlsplit(self.path)
        if url.path == VERSION_PATH:
            page = urllib.parse.parse_qs(url.query).get("page", ["/"])[0]
            return self._send(page_version(self.root, page).encode(), "text/plain; charset=utf-8")
        if url.path == SCRIPT_PATH:
            return self._send(RELOAD_JS.encode(), "text/javascript; charset=utf-8")
        path = Path(self.translate_path(url.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            html = path.read_text(encoding="utf-8")
            html = html.replace("</body>", SCRIPT_TAG + "\n</body>", 1) if "</body>" in html else html + SCRIPT_TAG
            return self._send(html.encode("utf-8"), "text/html; charset=utf-8")
        return super().do_GET()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def start_server(book_dir: Path, port: int = 0) -> tuple[http.server.HTTPServer, str]:
    """Serve ``book_dir`` on 127.0.0.1 in a background thread; returns the server and its URL.

    ``port`` 0, or a port already in use, takes any free port.
    """
    handler = partial(_Handler, directory=str(Path(book_dir).resolve()))
    try:
        server = _Server((HOST, port), handler)
    except OSError:
        server = _Server((HOST, 0), handler)
    threading.Thread(target=server.serve_forever, name="prr-preview", daemon=True).start()
    return server, f"http://{HOST}:{server.server_address[1]}/"
