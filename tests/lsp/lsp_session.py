"""A real LSP client session with `scenelang lsp` over stdio, for the tests.

`Session` starts `python -m scenelang.cli lsp` as a subprocess and drives it with pygls's
`LanguageClient` on an asyncio loop in a background thread, so the (synchronous) tests can share
one server. Every call has a deadline (`TIMEOUT`): a server that hangs fails the test instead
of hanging it, and `close()` kills the process if it does not exit in time.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import defaultdict
from pathlib import Path

from lsprotocol import types as T
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0
"""Seconds any one request, notification wait or start-up may take (generous: 2 shared cores)."""
CAPABILITIES = T.ClientCapabilities(text_document=T.TextDocumentClientCapabilities(
    rename=T.RenameClientCapabilities(prepare_support=True),
    hover=T.HoverClientCapabilities(content_format=[T.MarkupKind.Markdown])))
"""What the test client says it supports (as editors do): prepareRename and Markdown hovers."""


class Session:
    """One server process and one connected, initialized client."""

    def __init__(self, capabilities: T.ClientCapabilities | None = None):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = LanguageClient("scenelang-tests", "1")
        self.diagnostics: dict[str, list[T.PublishDiagnosticsParams]] = defaultdict(list)
        self.changed = threading.Condition()
        self.closed = False

        @self.client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _published(ls, params: T.PublishDiagnosticsParams) -> None:  # pygls passes the client as `ls`
            with self.changed:
                self.diagnostics[params.uri].append(params)
                self.changed.notify_all()

        self.run(self.client.start_io(sys.executable, "-m", "scenelang.cli", "lsp", cwd=str(ROOT)))
        self.init = self.run(self.client.initialize_async(T.InitializeParams(
            process_id=None, root_uri=None,
            capabilities=capabilities or CAPABILITIES)))
        self.client.initialized(T.InitializedParams())

    def run(self, coro, timeout: float = TIMEOUT):
        """Run a coroutine on the client's loop and wait for its result (with a deadline)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def notify(self, method, params) -> None:
        """Send a notification from the loop's thread (the client is not thread-safe)."""
        done = threading.Event()

        def send():
            method(params)
            done.set()

        self.loop.call_soon_threadsafe(send)
        assert done.wait(TIMEOUT), "the notification was not sent in time"

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify(self.client.text_document_did_open, T.DidOpenTextDocumentParams(
            text_document=T.TextDocumentItem(uri=uri, language_id="scenelang", version=version,
                                             text=text)))

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify(self.client.text_document_did_change, T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[T.TextDocumentContentChangeWholeDocument(text=text)]))

    def wait_diagnostics(self, uri: str, count: int = 1) -> T.PublishDiagnosticsParams:
        """The `count`-th publishDiagnostics for `uri` (waits for it, with a deadline)."""
        with self.changed:
            ok = self.changed.wait_for(lambda: len(self.diagnostics[uri]) >= count, TIMEOUT)
            assert ok, f"no diagnostics #{count} for {uri} within {TIMEOUT} s"
            return self.diagnostics[uri][count - 1]

    def close(self) -> int | None:
        """shutdown, exit; the server's exit code (the process is killed past the deadline)."""
        server = self.client._server
        self.closed = True
        try:
            self.run(self.client.shutdown_async(None))
            self.notify(self.client.exit, None)
            self.run(asyncio.wait_for(server.wait(), TIMEOUT))
            self.run(self.client.stop())
        finally:
            if server is not None and server.returncode is None:
                server.kill()
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(TIMEOUT)
        return server.returncode if server is not None else None


def pos(text: str, needle: str, delta: int = 0, nth: int = 0) -> T.Position:
    """The LSP position (UTF-16) of the `nth` occurrence of `needle` in `text`, plus `delta`
    characters; computed here independently of the server's own conversion."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += delta
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return T.Position(line=line, character=len(text[start:at].encode("utf-16-le")) // 2)


def apply_edits(text: str, edits: list[T.TextEdit]) -> str:
    """The text after LSP edits (positions in UTF-16, lines split at LF only)."""
    lines = text.split("\n")

    def offset(p: T.Position) -> int:
        before = sum(len(line) + 1 for line in lines[:p.line])
        if p.line >= len(lines):
            return len(text)
        line, units, i = lines[p.line], 0, 0
        while i < len(line) and units < p.character:
            units += len(line[i].encode("utf-16-le")) // 2
            i += 1
        return before + i

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits),
                   reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text
