"""A small JSON server on a thread, for the services the CDS service calls (JWK Sets, FHIR servers)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

#: Answers one GET: given its path, query and headers, the status and the JSON body.
Answer = Callable[[str, dict[str, list[str]], dict[str, str]], tuple[int, Any]]


class JsonServer:
    """Serves ``answer`` over HTTP on a free port of 127.0.0.1 (``base`` + ``path`` is ``url``) until ``close``."""

    def __init__(self, answer: Answer, path: str, content_type: str = "application/json"):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                status, body = answer(url.path, parse_qs(url.query), dict(self.headers.items()))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
