"""The language server: pygls wiring of the features in this package.

`build_server()` makes a `pygls` `LanguageServer` that keeps the open documents (full-text
sync: the client sends the whole text on every change, so no line-splitting differences between
client and server can creep in) and gives, for scenes (`.sl`; patch files, `.slp`, get
diagnostics from the patch grammar, hover and completion):

- diagnostics on open, change and save (`scenelang.lsp.diagnostics`, the messages of `check`),
  cleared on close;
- hover (`hover`), completion (`completion`, triggered also by `(`, `,` and `=`);
- go to definition, references, prepare rename and rename (`symbols`); a refused rename is a
  `RequestFailed` error whose message says why;
- whole-document formatting (`formatting`, what `fmt` prints);
- the outline (document symbols: sections and their statements).

Positions use the encoding negotiated at `initialize` (UTF-16 unless the client offers
another). `serve()` runs it over stdio (the default) or TCP; `scenelang lsp` calls it.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from lsprotocol import types as T
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from scenelang.lsp import completion, diagnostics, formatting, hover, symbols
from scenelang.lsp.positions import Text

REQUEST_FAILED = -32803
"""LSP's `RequestFailed` error code: a valid request the server cannot carry out."""


def _version() -> str:
    try:
        return version("scenelang")
    except PackageNotFoundError:
        return "unknown"


class SceneServer(LanguageServer):
    """A `LanguageServer` with helpers to read a document as positions-aware `Text`."""

    def text(self, uri: str) -> tuple[Text, str]:
        """`(normalised Text, the text as the client has it)` of an open document."""
        source = self.workspace.get_text_document(uri).source
        encoding = self.workspace.position_encoding or T.PositionEncodingKind.Utf16
        return Text.of(source, encoding), source

    def publish(self, uri: str) -> None:
        doc, _ = self.text(uri)
        path = to_fs_path(uri) or uri
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics.diagnostics(doc, path, is_patch(uri)),
            version=self.workspace.get_text_document(uri).version))


def is_patch(uri: str) -> bool:
    """A patch file (`.slp`): checked with the patch grammar; no rename or formatting."""
    return uri.lower().endswith(".slp")


SYMBOL_KINDS = {"shape": T.SymbolKind.Class, "material": T.SymbolKind.Struct,
                "object": T.SymbolKind.Object, "camera": T.SymbolKind.Field,
                "light": T.SymbolKind.Constant, "world": T.SymbolKind.Module}
"""How statements show in the editor's outline (sections are namespaces)."""


PATCH_RENAME = "rename works in scene files (.sl), not in patches"


def _failed(message: str) -> JsonRpcException:
    return JsonRpcException(message, code=REQUEST_FAILED)


def build_server() -> SceneServer:
    """A new server with every feature registered (not started)."""
    server = SceneServer("scenelang", _version(), text_document_sync_kind=T.TextDocumentSyncKind.Full)

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SceneServer, params: T.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SceneServer, params: T.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SceneServer, params: T.DidSaveTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SceneServer, params: T.DidCloseTextDocumentParams) -> None:
        ls.text_document_publish_diagnostics(
            T.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: SceneServer, params: T.HoverParams) -> T.Hover | None:
        doc, _ = ls.text(params.text_document.uri)
        found = hover.hover(doc.text, doc.offset(params.position))
        if found is None:
            return None
        markdown, (start, end) = found
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=markdown),
                       range=doc.range(start, end))

    @server.feature(T.TEXT_DOCUMENT_COMPLETION,
                    T.CompletionOptions(trigger_characters=["(", ",", "="]))
    def on_completion(ls: SceneServer, params: T.CompletionParams) -> T.CompletionList:
        doc, _ = ls.text(params.text_document.uri)
        items = completion.complete(doc.text, doc.offset(params.position))
        return T.CompletionList(is_incomplete=False, items=items)

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: SceneServer, params: T.DefinitionParams) -> T.Location | None:
        doc, _ = ls.text(params.text_document.uri)
        found = symbols.occurrences(doc.text)
        occ = symbols.at_offset(found, doc.offset(params.position))
        target = symbols.definition_of(found, occ) if occ is not None and found else None
        if target is None:
            return None
        return T.Location(uri=params.text_document.uri, range=doc.range(target.start, target.end))

    @server.feature(T.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: SceneServer, params: T.ReferenceParams) -> list[T.Location]:
        doc, _ = ls.text(params.text_document.uri)
        found = symbols.occurrences(doc.text)
        occ = symbols.at_offset(found, doc.offset(params.position))
        if occ is None or not found:
            return []
        return [T.Location(uri=params.text_document.uri, range=doc.range(o.start, o.end))
                for o in symbols.references(found, occ, params.context.include_declaration)]

    @server.feature(T.TEXT_DOCUMENT_PREPARE_RENAME)
    def on_prepare_rename(ls: SceneServer, params: T.PrepareRenameParams) -> T.PrepareRenamePlaceholder:
        if is_patch(params.text_document.uri):
            raise _failed(PATCH_RENAME)
        doc, _ = ls.text(params.text_document.uri)
        found = symbols.occurrences(doc.text)
        if found is None:
            raise _failed("the scene has a syntax error; fix it before renaming")
        occ = symbols.at_offset(found, doc.offset(params.position))
        if occ is None:
            raise _failed("only shape and material names can be renamed; put the cursor on one")
        return T.PrepareRenamePlaceholder(range=doc.range(occ.start, occ.end), placeholder=occ.name)

    @server.feature(T.TEXT_DOCUMENT_RENAME)
    def on_rename(ls: SceneServer, params: T.RenameParams) -> T.WorkspaceEdit:
        if is_patch(params.text_document.uri):
            raise _failed(PATCH_RENAME)
        doc, _ = ls.text(params.text_document.uri)
        try:
            _, targets = symbols.rename(doc.text, doc.offset(params.position), params.new_name)
        except symbols.RenameError as exc:
            raise _failed(str(exc)) from None
        edits = [T.TextEdit(range=doc.range(o.start, o.end), new_text=params.new_name)
                 for o in targets]
        return T.WorkspaceEdit(changes={params.text_document.uri: edits})

    @server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_document_symbol(ls: SceneServer, params: T.DocumentSymbolParams) -> list[T.DocumentSymbol]:
        doc, _ = ls.text(params.text_document.uri)

        def symbol(item: symbols.Outline) -> T.DocumentSymbol:
            return T.DocumentSymbol(
                name=item.name, kind=SYMBOL_KINDS.get(item.kind, T.SymbolKind.Namespace),
                detail=item.kind if item.kind != item.name else None,
                range=doc.range(item.start, item.end),
                selection_range=doc.range(item.name_start, item.name_end),
                children=[symbol(c) for c in item.children])

        return [symbol(s) for s in symbols.outline(doc.text) or ()]

    @server.feature(T.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(ls: SceneServer, params: T.DocumentFormattingParams) -> list[T.TextEdit]:
        if is_patch(params.text_document.uri):
            return []
        doc, original = ls.text(params.text_document.uri)
        return formatting.format_edits(doc, original)

    return server


class _QuietExit(logging.Filter):
    """Drops asyncio's report of the `SystemExit` with which pygls ends a TCP server on `exit`
    (a traceback on stderr for a normal end)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], SystemExit))


def serve(tcp: tuple[str, int] | None = None) -> None:
    """Run a server until the client says `exit` (or closes the stream): over stdio, or over TCP
    when `tcp` is `(host, port)`: then it serves the first client that connects and ends when
    that client exits or disconnects."""
    server = build_server()
    if tcp is None:
        server.start_io()
    else:
        logging.getLogger("asyncio").addFilter(_QuietExit())
        server.start_tcp(*tcp)
