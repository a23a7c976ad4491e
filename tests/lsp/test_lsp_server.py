"""`scenelang lsp` over stdio, driven by a real LSP client (pygls's `LanguageClient`).

One server serves the module's tests (each test opens its own document); the shutdown test
starts its own. Every wait has a deadline (`lsp_session.TIMEOUT`). Expected values come from
the CLI (`scenelang check --json`, `scenelang fmt`) and from positions computed in the test, not
from the server's own helpers.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import pytest
from lsp_session import ROOT, TIMEOUT, Session, apply_edits, pos
from lsprotocol import types as T
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from scenelang.cli.main import main

INVALID = """scenelang 1
# Ünïcödé comment with an emoji 😀 before the errors
geometry {
  shape ball = sphere(radius=1, segmnts=12)  # ✓ trailing 😀
}

materials {
  material red = principled(roughness=1.5)
}
"""
FIXED = INVALID.replace("segmnts=12", "segments=12").replace("1.5", "0.5") + """
composition {
  object ball_1 = ball material red
}

lighting {
  light key = sun()
}
"""
SCENE = """scenelang 1

geometry {
  shape leg = cylinder(radius=0.04, depth=0.72)  # a leg
  shape table = union(box(size=(2, 1, 0.1)) at (0, 0, 0.75), leg at (0.9, 0.4, 0.36), leg at (-0.9, 0.4, 0.36))
  shape ball = sphere(radius=0.3)
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
  material steel = principled(metallic=1, roughness=0.2)
}

composition {
  camera main at (7, -7, 5) look_at (0, 0, 0.5) lens 50mm
  object table_1 = table material steel
  object ball_1 = ball at (0.3, 0.1, 1.1) material red
}

lighting {
  world color #101010 strength 0.5
  light key = sun(direction=(-0.3, 0.4, -1), energy=4)
}
"""


@pytest.fixture(scope="module")
def lsp():
    session = Session()
    yield session
    if not session.closed:
        session.close()


def _cli(capsys, *argv: str) -> str:
    """What the `scenelang` command prints (run in this process: the same code, no start-up)."""
    capsys.readouterr()
    main(list(argv))
    return capsys.readouterr().out


def _check_json(tmp_path, capsys, text: str) -> list[dict]:
    path = tmp_path / "scene.sl"
    path.write_text(text, encoding="utf-8")
    return json.loads(_cli(capsys, "check", "--json", str(path)))["files"][0]["diagnostics"]


def _utf16(text: str, line: int, column: int) -> T.Position:
    """check's 1-based line and code-point column as an LSP position (UTF-16 units)."""
    line_text = text.split("\n")[line - 1]
    return T.Position(line=line - 1, character=len(line_text[:column - 1].encode("utf-16-le")) // 2)


def _doc(uri: str) -> T.TextDocumentIdentifier:
    return T.TextDocumentIdentifier(uri=uri)


def test_initialize_advertises_the_features(lsp):
    caps = lsp.init.capabilities
    assert caps.hover_provider and caps.definition_provider and caps.references_provider
    assert caps.document_formatting_provider
    assert caps.completion_provider is not None and "(" in caps.completion_provider.trigger_characters
    assert caps.rename_provider.prepare_provider is True
    assert caps.text_document_sync.change == T.TextDocumentSyncKind.Full
    assert lsp.init.server_info.name == "scenelang"


def test_diagnostics_match_check_and_clear_when_fixed(lsp, tmp_path, capsys):
    uri = "file:///tmp/lsp-test/invalid.sl"
    lsp.open(uri, INVALID)
    published = lsp.wait_diagnostics(uri)
    expected = _check_json(tmp_path, capsys, INVALID)
    assert len(expected) == 2  # the misspelt parameter and the out-of-range roughness
    got = [(d.message, d.range.start, d.range.end, d.severity) for d in published.diagnostics]
    want = [((e["message"] + (f"\nhint: {e['hint']}" if "hint" in e else "")),
             _utf16(INVALID, e["line"], e["column"]), _utf16(INVALID, e["end_line"], e["end_column"]),
             T.DiagnosticSeverity.Error) for e in expected]
    assert got == want
    assert published.diagnostics[0].message.startswith("unknown parameter 'segmnts' for sphere")
    assert published.diagnostics[0].range.start == T.Position(line=3, character=32)
    assert published.version == 1
    # fixing both errors clears them (a complete scene: no warnings either)
    lsp.change(uri, FIXED, version=2)
    cleared = lsp.wait_diagnostics(uri, count=2)
    assert not cleared.diagnostics and cleared.version == 2
    assert all(e["severity"] != "error" for e in _check_json(tmp_path, capsys, FIXED))
    # warnings come through as warnings, with check's text
    unused = FIXED.replace("segments=12)", "segments=12)\n  shape spare = box(size=(1, 1, 1))")
    lsp.open("file:///tmp/lsp-test/warning.sl", unused)
    (w,) = lsp.wait_diagnostics("file:///tmp/lsp-test/warning.sl").diagnostics
    (e,) = _check_json(tmp_path, capsys, unused)
    assert e["severity"] == "warning" and w.severity == T.DiagnosticSeverity.Warning
    assert w.message == e["message"] + (f"\nhint: {e['hint']}" if "hint" in e else "")
    assert w.range.start == _utf16(unused, e["line"], e["column"])


def test_positions_count_utf16_code_units(lsp, tmp_path, capsys):
    """An error after an astral character on the same line: LSP counts it as two units."""
    text = "scenelang 1\n# a comment 😀\x01 with a control character\ngeometry {\n}\n"
    uri = "file:///tmp/lsp-test/control.sl"
    lsp.open(uri, text)
    (d,) = lsp.wait_diagnostics(uri).diagnostics
    (e,) = _check_json(tmp_path, capsys, text)
    assert d.message == e["message"] and "U+0001" in d.message
    assert e["column"] == 14  # 1-based, in code points: '😀' is one
    assert d.range.start == T.Position(line=1, character=14)  # 0-based UTF-16: '😀' is two units
    assert d.range.end == T.Position(line=1, character=15)


def test_hover_shows_parameter_docs_and_units(lsp):
    uri = "file:///tmp/lsp-test/hover.sl"
    lsp.open(uri, SCENE)

    def hover(needle: str, delta: int = 1, nth: int = 0) -> str:
        result = lsp.run(lsp.client.text_document_hover_async(T.HoverParams(
            text_document=_doc(uri), position=pos(SCENE, needle, delta, nth))))
        assert result is not None, needle
        return result.contents.value

    roughness = hover("roughness=0.4")
    assert "0 mirror .. 1 fully rough" in roughness and "default `0.5`" in roughness
    assert "range 0..1" in roughness
    radius = hover("radius=0.04")
    assert "radius" in radius and "unit m" in radius and "required" in radius
    lens = hover("lens 50mm")
    assert "focal length" in lens and "unit mm" in lens
    energy = hover("energy=4")
    assert "irradiance" in energy and "W/m^2" in energy
    assert "A cylinder along z" in hover("cylinder(")
    assert "shape leg = cylinder(radius=0.04, depth=0.72)" in hover("leg at", nth=0)
    nothing = lsp.run(lsp.client.text_document_hover_async(T.HoverParams(
        text_document=_doc(uri), position=pos(SCENE, "# a leg", 3))))
    assert nothing is None


def _labels(lsp, uri: str, text: str) -> list[str]:
    lsp.open(uri, text)
    end = pos(text, text[-1], 1, nth=text.count(text[-1]) - 1)
    result = lsp.run(lsp.client.text_document_completion_async(T.CompletionParams(
        text_document=_doc(uri), position=end)))
    items = result.items if isinstance(result, T.CompletionList) else result
    return [i.label for i in items]


def test_completion_offers_what_fits_the_cursor(lsp):
    head = SCENE.split("composition {")[0]
    assert _labels(lsp, "file:///tmp/lsp-test/c1.sl", head + "composition {\n  ") == ["object", "group", "camera"]
    inside = _labels(lsp, "file:///tmp/lsp-test/c2.sl", head + "composition {\n  object o = ")
    assert inside == ["leg", "table", "ball"]
    material = _labels(lsp, "file:///tmp/lsp-test/c3.sl", head + "composition {\n  object o = ball material ")
    assert material == ["red", "steel"]
    params = _labels(lsp, "file:///tmp/lsp-test/c4.sl", "scenelang 1\ngeometry {\n  shape s = sphere(radius=1, ")
    assert params == ["segments", "rings"]
    clauses = _labels(lsp, "file:///tmp/lsp-test/c5.sl", head + "composition {\n  object o = ball at (1, 2, 3) ")
    assert clauses == ["rotate", "scale", "material", "object", "group", "camera"]
    sections = _labels(lsp, "file:///tmp/lsp-test/c6.sl", "scenelang 1\ngeometry {\n}\n")
    assert sections == ["materials", "composition", "lighting"]


def test_definition_jumps_to_the_shape_and_material(lsp):
    uri = "file:///tmp/lsp-test/definition.sl"
    lsp.open(uri, SCENE)

    def definition(needle: str, delta: int) -> T.Location:
        result = lsp.run(lsp.client.text_document_definition_async(T.DefinitionParams(
            text_document=_doc(uri), position=pos(SCENE, needle, delta))))
        return result[0] if isinstance(result, list) else result

    table = definition("= table material", 3)
    assert table.uri == uri
    assert table.range == T.Range(start=pos(SCENE, "table = union"), end=pos(SCENE, "table = union", 5))
    red = definition("material red\n", 10)
    assert red.range.start == pos(SCENE, "red = principled")
    leg = definition("leg at (-0.9", 1)
    assert leg.range.start == pos(SCENE, "leg = cylinder")
    refs = lsp.run(lsp.client.text_document_references_async(T.ReferenceParams(
        text_document=_doc(uri), position=pos(SCENE, "leg = cylinder"),
        context=T.ReferenceContext(include_declaration=True))))
    assert len(refs) == 3


def test_patch_files_get_the_patch_grammar(lsp):
    uri = "file:///tmp/lsp-test/change.slp"
    patch = "patch materials {\n  set red.roughness = 0.3\n  material gold = principled(metallic=1)\n}\n"
    lsp.open(uri, patch)
    assert not lsp.wait_diagnostics(uri).diagnostics  # a valid patch (not a scene: no header)
    bad = patch.replace("metallic=1", "metallic=1.5")
    lsp.change(uri, bad, version=2)
    (d,) = lsp.wait_diagnostics(uri, count=2).diagnostics
    assert d.message == "metallic must be at most 1, got 1.5" and d.range.start == pos(bad, "1.5")
    edits = lsp.run(lsp.client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=_doc(uri), options=T.FormattingOptions(tab_size=2, insert_spaces=True))))
    assert not edits
    with pytest.raises(JsonRpcException, match="not in patches"):
        lsp.run(lsp.client.text_document_prepare_rename_async(T.PrepareRenameParams(
            text_document=_doc(uri), position=pos(bad, "red"))))


def test_outline_lists_sections_and_statements(lsp):
    uri = "file:///tmp/lsp-test/outline.sl"
    lsp.open(uri, SCENE)
    result = lsp.run(lsp.client.text_document_document_symbol_async(T.DocumentSymbolParams(
        text_document=_doc(uri))))
    assert [s.name for s in result] == ["geometry", "materials", "composition", "lighting"]
    assert [c.name for c in result[0].children] == ["leg", "table", "ball"]
    assert [(c.name, c.detail) for c in result[2].children] == [("main", "camera"), ("table_1", "object"),
                                                                ("ball_1", "object")]
    leg = result[0].children[0]
    assert leg.kind == T.SymbolKind.Class
    assert leg.selection_range.start == pos(SCENE, "leg = cylinder")
    assert leg.range == T.Range(start=pos(SCENE, "shape leg"), end=pos(SCENE, "0.72)", 5))


def test_formatting_prints_what_fmt_prints(lsp, tmp_path, capsys):
    messy = ("# the scene\nscenelang 1\nlighting { light key = sun( energy = 4.0 ) }\n"
             "geometry {\n    shape ball = sphere(radius=1.0)   # round\n}\n"
             "composition { object b = ball at (0,0,1.50) }\n")
    path = tmp_path / "messy.sl"
    path.write_text(messy, encoding="utf-8")
    canonical = _cli(capsys, "fmt", str(path))
    assert canonical.startswith("# the scene\nscenelang 1\n")
    uri = "file:///tmp/lsp-test/messy.sl"
    lsp.open(uri, messy)
    edits = lsp.run(lsp.client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=_doc(uri), options=T.FormattingOptions(tab_size=2, insert_spaces=True))))
    formatted = apply_edits(messy, edits)
    assert formatted == canonical
    assert "# round" in formatted and "# the scene" in formatted
    lsp.change(uri, formatted, version=2)
    again = lsp.run(lsp.client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=_doc(uri), options=T.FormattingOptions(tab_size=2, insert_spaces=True))))
    assert not again


def test_rename_changes_every_reference_and_refuses_bad_names(lsp, tmp_path, capsys):
    uri = "file:///tmp/lsp-test/rename.sl"
    lsp.open(uri, SCENE)
    prepared = lsp.run(lsp.client.text_document_prepare_rename_async(T.PrepareRenameParams(
        text_document=_doc(uri), position=pos(SCENE, "leg at", 1))))
    assert prepared.placeholder == "leg"

    def rename(needle: str, delta: int, new: str) -> str:
        result = lsp.run(lsp.client.text_document_rename_async(T.RenameParams(
            text_document=_doc(uri), position=pos(SCENE, needle, delta), new_name=new)))
        return apply_edits(SCENE, result.changes[uri])

    renamed = rename("leg at", 1, "table_leg")
    assert renamed.count("table_leg") == 3 and " leg " not in renamed
    assert "# a leg" in renamed  # comments are not code
    assert _check_json(tmp_path, capsys, renamed) == _check_json(tmp_path, capsys, SCENE)  # still valid
    metal = rename("material steel\n", 10, "metal")
    assert metal.count("metal") == 3  # the definition, its use, and `metallic` untouched
    assert "material metal = principled(metallic=1" in metal and "table material metal" in metal
    for new, reason in (("ball", "a shape named 'ball' already exists"),
                        ("2legs", "'2legs' is not a valid name"), ("x" * 65, "too long")):
        with pytest.raises(JsonRpcException, match=reason) as refused:
            rename("leg at", 1, new)
        assert refused.value.code == -32803  # RequestFailed
    with pytest.raises(JsonRpcException, match="only shape and material names"):
        rename("lens", 1, "x")


def test_tcp_serves_one_client_and_exits_cleanly():
    """Over TCP, with a client that asks for UTF-8 positions: a diagnostic after 'é' and '😀' on
    its line starts 6 bytes further than in code points (2 + 4 bytes for 2 characters)."""
    text = "scenelang 1\n# é😀\x01\n"
    published: asyncio.Queue = asyncio.Queue()

    async def scenario(port: int, server: subprocess.Popen) -> T.InitializeResult:
        client = LanguageClient("scenelang-tests", "1")

        @client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _published(ls, params: T.PublishDiagnosticsParams) -> None:  # pygls passes `ls`
            published.put_nowait(params)

        deadline = time.monotonic() + TIMEOUT
        while True:  # the server needs a moment to listen; every try is a real connection attempt
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "server not listening"
                await asyncio.sleep(0.1)
        utf8 = T.ClientCapabilities(general=T.GeneralClientCapabilities(
            position_encodings=[T.PositionEncodingKind.Utf8]))
        result = await asyncio.wait_for(client.initialize_async(T.InitializeParams(
            process_id=None, root_uri=None, capabilities=utf8)), TIMEOUT)
        client.initialized(T.InitializedParams())
        client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
            uri="file:///tmp/lsp-test/tcp.sl", language_id="scenelang", version=1, text=text)))
        diagnostics = await asyncio.wait_for(published.get(), TIMEOUT)
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
        await asyncio.sleep(0)
        return result, diagnostics

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "scenelang.cli", "lsp", "--tcp", f"127.0.0.1:{port}"],
                              cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        result, diagnostics = asyncio.run(scenario(port, server))
        out, err = server.communicate(timeout=TIMEOUT)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert result.server_info.name == "scenelang" and result.capabilities.hover_provider
    assert result.capabilities.position_encoding == T.PositionEncodingKind.Utf8
    (d,) = diagnostics.diagnostics
    assert "U+0001" in d.message
    assert d.range.start == T.Position(line=1, character=len("# é😀".encode()))  # 8 bytes
    assert server.returncode == 0 and out == "" and "Traceback" not in err, err


def test_without_pygls_the_command_says_how_to_install_it(tmp_path):
    (tmp_path / "pygls").mkdir()
    (tmp_path / "pygls" / "__init__.py").write_text("raise ImportError('pygls hidden by the test')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "scenelang.cli", "lsp"], capture_output=True,
                          text=True, timeout=TIMEOUT, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "pip install 'scenelang[lsp]'" in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""


def test_shutdown_and_exit(lsp):
    """Last in this file: ends the shared server with shutdown and exit; it exits 0."""
    assert lsp.close() == 0
