"""The playground's web server: the standard library's ThreadingHTTPServer on 127.0.0.1 only.

    GET  /                the page (static/index.html, app.js, style.css under /static/)
    GET  /events          Server-Sent Events: an ``event: state`` with the session's view each
                          time it changes (at most ``EVENTS_PER_SECOND``); the curves' points
                          and the examples are sent once, then only the new points
    GET  /api/state       the whole view, as JSON
    GET  /api/graph       the next batch's computational graph, backwards (``Session.graph``)
    POST /api/settings    JSON {name: text}: new settings, the run starts again (400: why not)
    POST /api/control     JSON {"action": "start" | "pause" | "step" | "reset"}
    POST /api/upload      a CSV (two feature columns and a label): the run starts again on it

Errors answer ``{"error": "..."}`` with status 400 (a bad setting or request) or 404.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import urlsplit

from .session import Session, SettingsError, read_csv

HOST = "127.0.0.1"
EVENTS_PER_SECOND = 10
KEEPALIVE_SECONDS = 15
MAX_BODY = 1 << 20  # bytes of a POST: a CSV of MAX_ROWS rows fits
STATIC = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}


class PlaygroundServer(ThreadingHTTPServer):
    """An HTTP server bound to one ``Session``; ``stopping`` ends the event streams."""

    daemon_threads = True  # an open event stream does not keep the process alive

    def __init__(self, session: Session, port: int = 0) -> None:
        self.session = session
        self.stopping = threading.Event()
        super().__init__((HOST, port), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def close(self) -> None:
        """Ends the event streams, the training thread and the listening socket."""
        self.stopping.set()
        self.session.close()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer

    def log_message(self, format: str, *args) -> None:
        """Quiet: a request per event would flood the terminal."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            self._static("index.html")
        elif path.startswith("/static/") and path[len("/static/"):] in STATIC:
            self._static(path[len("/static/"):])
        elif path == "/api/state":
            self._json(200, self.server.session.view())
        elif path == "/api/graph":
            self._json(200, {"nodes": self.server.session.graph()})
        elif path == "/events":
            self._events()
        else:
            self._json(404, {"error": f"no page {path}: the playground is at /"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        session = self.server.session
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(400, {"error": f"the request is over {MAX_BODY} bytes"})
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        try:
            if path == "/api/settings":
                session.apply({str(k): str(v) for k, v in _json_object(body).items()})
            elif path == "/api/control":
                session.control(str(_json_object(body).get("action")))
            elif path == "/api/upload":
                session.set_data(*read_csv(body, text=True))
            else:
                self._json(404, {"error": f"no action {path}"})
                return
        except SettingsError as error:
            self._json(400, {"error": str(error)})
            return
        self._json(200, {"ok": True, "settings": session.view(with_data=False)["settings"]})

    def _static(self, name: str) -> None:
        content = resources.files(__package__).joinpath("static").joinpath(name).read_bytes()
        self._send(200, STATIC[name] + "; charset=utf-8", content)

    def _json(self, status: int, content: dict) -> None:
        self._send(status, "application/json", json.dumps(content).encode())

    def _send(self, status: int, kind: str, content: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(content)

    def _events(self) -> None:
        """The event stream, until the page goes away or the server stops."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        session, stopping = self.server.session, self.server.stopping
        version, run, sent = -1, None, 0
        try:
            while not stopping.is_set():
                new_version = session.wait(version, KEEPALIVE_SECONDS)
                if new_version == version:
                    self.wfile.write(b": keepalive\n\n")
                else:
                    view = session.view(since=sent, with_data=False)
                    if view["run"] != run:  # a new run: its curves and data from the start
                        view = session.view(since=0)
                    run, version = view["run"], view["version"]
                    sent = view["since"] + len(view["points"])
                    self.wfile.write(f"event: state\ndata: {json.dumps(view)}\n\n".encode())
                self.wfile.flush()
                stopping.wait(1 / EVENTS_PER_SECOND)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed


def _json_object(body: str) -> dict:
    try:
        value = json.loads(body or "{}")
    except json.JSONDecodeError:
        raise SettingsError("the request's body must be a JSON object") from None
    if not isinstance(value, dict):
        raise SettingsError("the request's body must be a JSON object")
    return value
