"""A local stand-in for Slack's HTTP API (no Slack is reachable here): the OAuth v2 consent
page (approves at once), oauth.v2.access, and incoming webhooks that record messages and can
be told to fail (500), rate-limit (429 + Retry-After) or vanish (410)."""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID, CLIENT_SECRET = "1111111111.2222222222", "0123456789abcdef0123456789abcdef"


class SlackStandIn:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.attempts = 0
        self.plan: deque[tuple[int, dict[str, str]]] = deque()  # responses before success
        self.codes: dict[str, str] = {}
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                if url.path == "/oauth/v2/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = f"code{len(stand_in.codes)}"
                    stand_in.codes[code] = query["redirect_uri"]
                    self.send_response(302)
                    self.send_header("Location", query["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": query["state"]}))
                    self.end_headers()
                    return
                self.send_error(404)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                url = urlsplit(self.path)
                if url.path == "/api/oauth.v2.access":
                    self._oauth(body)
                elif url.path.startswith("/hooks/"):
                    self._hook(body)
                else:
                    self.send_error(404)

            def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _oauth(self, body: bytes) -> None:
                expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if self.headers.get("authorization") != f"Basic {expected}":
                    self._json(200, {"ok": False, "error": "invalid_client"})
                    return
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                if stand_in.codes.pop(form.get("code", ""), None) is None:
                    self._json(200, {"ok": False, "error": "invalid_code"})
                    return
                host = self.headers["host"]
                self._json(200, {"ok": True, "access_token": "xoxb-test",
                                 "team": {"id": "T1", "name": "Test Team"},
                                 "incoming_webhook": {"url": f"http://{host}/hooks/1",
                                                      "channel": "#alerts", "channel_id": "C1"}})

            def _hook(self, body: bytes) -> None:
                with stand_in.lock:
                    stand_in.attempts += 1
                    planned = stand_in.plan.popleft() if stand_in.plan else None
                    if planned is None:
                        stand_in.messages.append(json.loads(body))
                if planned is None:
                    self._json(200, b"ok")
                else:
                    status, headers = planned
                    self._json(status, b"no_service" if status == 410 else b"error", headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def settings_env(self) -> dict[str, str]:
        return {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_SECRET": CLIENT_SECRET,
                "WBSERVER_SLACK_API_URL": self.url + "/api/",
                "WBSERVER_SLACK_AUTHORIZE_URL": self.url + "/oauth/v2/authorize"}

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
