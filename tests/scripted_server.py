"""A scripted OpenAI-compatible chat-completions server for tests (no network, no model).

A real HTTP server (stdlib `http.server`, one thread per request) on 127.0.0.1 with an ephemeral
port. `POST /v1/chat/completions` answers from a *script*: a list of responses consumed in order,
or a function of the recorded request. A response is a string (the assistant's message; `usage`
is filled from rough token counts) or a `Fault`:

* `Fault.status(429, retry_after=0.1)` / `Fault.status(500)`: an error status with an
  OpenAI-style JSON error body (and a Retry-After header when given);
* `Fault.hang(seconds)`: sleep that long before answering (beyond the client's timeout);
* `Fault.malformed()`: status 200 with a body that is not JSON;
* `Fault.deep()`: status 200 with JSON nested too deeply to decode;
* `Fault.trickle(seconds, answer)`: status 200, a valid completion whose body arrives one byte
  every `seconds` (each read is quick, the whole body is slow);
* `Fault.endless(seconds)`: status 200 and a body that never ends (a byte every `seconds`, until
  the client hangs up or the server stops).

Every request is recorded (`server.requests`): its JSON body, the text of all its text parts and
the decoded bytes of every image part (base64 data URLs).

    with ScriptedServer(["```sl\\npatch geometry {}\\n```"]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Fault:
    """A scripted failure: `kind` is "status", "hang" or "malformed"."""

    kind: str
    code: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    answer: str = ""

    @classmethod
    def status(cls, code: int, retry_after: float | None = None) -> Fault:
        return cls("status", code=code, retry_after=retry_after)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def deep(cls) -> Fault:
        """Status 200 with valid JSON nested 100,000 deep (Python's decoder recurses)."""
        return cls("deep")

    @classmethod
    def trickle(cls, seconds: float, answer: str = "```sl\n# trickled\n```") -> Fault:
        return cls("trickle", seconds=seconds, answer=answer)

    @classmethod
    def endless(cls, seconds: float = 0.05) -> Fault:
        return cls("endless", seconds=seconds)


Response = str | Fault


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    path: str
    body: dict[str, Any]
    text: str
    images: list[bytes] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    time: float = 0.0


def _parts(body: dict[str, Any]) -> tuple[str, list[bytes]]:
    texts: list[str] = []
    images: list[bytes] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            if part.get("type") == "text":
                texts.append(part.get("text", ""))
            elif part.get("type") == "image_url":
                url = part.get("image_url", {}).get("url", "")
                if url.startswith("data:") and "," in url:
                    images.append(base64.b64decode(url.split(",", 1)[1]))
    return "\n".join(texts), images


class ScriptedServer:
    """The server. `script`: a list of responses or `fn(RecordedRequest) -> Response`;
    `default`: the response once a list is used up (None: HTTP 500 "script exhausted")."""

    def __init__(self, script: list[Response] | Callable[[RecordedRequest], Response],
                 default: Response | None = None, model: str = "scripted-vlm"):
        self._script = script if callable(script) else list(script)
        self._default = default
        self.model = model
        self.latency = 0.0
        """Seconds every answer waits before it is sent (slows a run down for a test)."""
        self.hold_after: int | None = None
        """When set, every request after this many recorded ones waits (up to 120 s) until
        `release` is set: a test can stop a run at a known point."""
        self.release = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [
                        {"id": server.model, "object": "model", "owned_by": "tests"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._json(400, {"error": {"message": "request is not JSON"}})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                text, images = _parts(body)
                request = RecordedRequest(self.path, body, text, images,
                                          {k.lower(): v for k, v in self.headers.items()},
                                          time.monotonic())
                response = server._next(request)
                if server.hold_after is not None and len(server.requests) > server.hold_after:
                    server.release.wait(120)
                if server.latency:
                    time.sleep(server.latency)
                self._respond(response, request)

            def _respond(self, response: Response, request: RecordedRequest) -> None:
                if isinstance(response, Fault):
                    if response.kind == "hang":
                        time.sleep(response.seconds)
                        response = "```sl\n# answered too late\n```"
                    elif response.kind in ("trickle", "endless"):
                        self._slow(response, request)
                        return
                    elif response.kind == "malformed":
                        data = b'{"id": "x", "choices": [ this is not json'
                        self._raw(200, data, "application/json")
                        return
                    elif response.kind == "deep":
                        self._raw(200, b"[" * 100_000 + b"]" * 100_000, "application/json")
                        return
                    else:
                        headers = {}
                        if response.retry_after is not None:
                            headers["Retry-After"] = f"{response.retry_after:g}"
                        self._json(response.code, {"error": {
                            "message": f"scripted fault {response.code}",
                            "type": "server_error", "code": None}}, headers)
                        return
                prompt_tokens = len(request.text) // 4 + 85 * len(request.images)
                completion_tokens = max(1, len(response) // 4)
                self._json(200, {
                    "id": f"chatcmpl-{len(server.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request.body.get("model", server.model),
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": response},
                        "finish_reason": "stop",
                    }],
                    "usage": {"prompt_tokens": prompt_tokens,
                              "completion_tokens": completion_tokens,
                              "total_tokens": prompt_tokens + completion_tokens},
                })

            def _slow(self, fault: Fault, request: RecordedRequest) -> None:
                if fault.kind == "trickle":
                    data = json.dumps(_completion(fault.answer, request, server)).encode()
                else:
                    data = None
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data) if data else 1 << 40))
                    self.end_headers()
                    self.wfile.flush()
                    index = 0
                    while not server._stopping.is_set():
                        if data is not None and index >= len(data):
                            return
                        self.wfile.write(data[index:index + 1] if data is not None else b" ")
                        self.wfile.flush()
                        index += 1
                        if server._stopping.wait(fault.seconds):
                            return
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass  # the client gave up: that is the point
                finally:
                    self.close_connection = True

            def _json(self, code: int, payload: dict, headers: dict | None = None) -> None:
                self._raw(code, json.dumps(payload).encode(), "application/json", headers)

            def _raw(self, code: int, data: bytes, ctype: str, headers: dict | None = None) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._port = self._httpd.server_address[1]
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ script
    @property
    def base_url(self) -> str:
        assert self._port is not None, "server not started"
        return f"http://127.0.0.1:{self._port}/v1"

    def _next(self, request: RecordedRequest) -> Response:
        with self._lock:
            self.requests.append(request)
            if callable(self._script):
                return self._script(request)
            if self._script:
                return self._script.pop(0)
            if self._default is not None:
                return self._default
            return Fault.status(500)

    def reset(self) -> None:
        """Forget recorded requests (the script is left as it is)."""
        with self._lock:
            self.requests.clear()


def _completion(answer: str, request: RecordedRequest, server: ScriptedServer) -> dict:
    prompt_tokens = len(request.text) // 4 + 85 * len(request.images)
    completion_tokens = max(1, len(answer) // 4)
    return {
        "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion",
        "created": int(time.time()), "model": request.body.get("model", server.model),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def completion_count(server: ScriptedServer) -> int:
    """Requests the server received on the chat-completions route."""
    return sum(1 for r in server.requests if r.path.rstrip("/").endswith("/chat/completions"))


# ---------------------------------------------------------------------- stage scripts

_STAGE_LINE = None


def stage_of(request: RecordedRequest) -> tuple[str, int] | None:
    """(stage, round) named by the prompt's "Stage: NAME, round N of M." line, if any."""
    import re

    global _STAGE_LINE
    if _STAGE_LINE is None:
        _STAGE_LINE = re.compile(r"Stage: (\w+), round (\d+) of \d+")
    m = _STAGE_LINE.search(request.text)
    return (m.group(1), int(m.group(2))) if m else None


def is_repair(request: RecordedRequest) -> bool:
    """True when the request feeds back the errors of a previous answer."""
    return "Your previous answer was rejected" in request.text


class StageScript:
    """A script that answers by stage and round, independent of request order (so a resumed
    run gets the same answers as an uninterrupted one).

    `answers` maps "stage" or ("stage", round) to a response or a list of responses (one per
    attempt of that round: first try, then repairs; the last repeats); `default` answers
    everything else (None: an empty patch of the stage's own section, a valid no-op)."""

    def __init__(self, answers: dict, default: Response | None = None):
        self.answers = answers
        self.default = default
        self._attempts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Response:
        key = stage_of(request)
        if key is None:
            return self.default if self.default is not None else Fault.status(400)
        default = self.default
        if default is None:
            section = key[0] if key[0] in ("geometry", "materials", "composition",
                                           "lighting") else "geometry"
            default = f"```sl\npatch {section} {{\n}}\n```"
        found = self.answers.get(key, self.answers.get(key[0], default))
        if not isinstance(found, list):
            return found
        with self._lock:
            n = self._attempts.get(key, 0) if is_repair(request) else 0
            self._attempts[key] = n + 1
        return found[min(n, len(found) - 1)]
