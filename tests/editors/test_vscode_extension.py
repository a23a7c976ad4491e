"""The VS Code extension in editors/vscode: its manifest, TextMate grammar, client and packaging.

The grammar is tokenized as VS Code tokenizes it (vscode-textmate with the Oniguruma engine,
`tokenize.cjs`), which compiles every regex it reaches; packaging runs `make vscode` (vsce) and
opens the .vsix.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from scenelang import ast as A
from scenelang.lsp.hover import clause_names

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = EXTENSION / "syntaxes" / "scenelang.tmLanguage.json"
TIMEOUT = 300
SAMPLE = """scenelang 1
# #abcdef at the start of a line is a comment
geometry {
  shape leg = cylinder(radius=.5, depth=2.) at (+1, -0.5, 1e-3) rotate (0, 0, 45deg)
  shape t = union(box(size=(1, 1, 1)), leg scale 2)  # trailing
}
materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
}
composition {
  camera main at (7, -7, 5) look_at (0, 0, 0) lens 50mm fov 0.5rad
  object t_1 = t material red
}
lighting {
  world color #101010 strength 0.5  # a colour, then a comment
  light key = area(at=(1, 2, 3), shape=disk, size=5cm)
}
"""


def _node() -> str:
    node = shutil.which("node")
    assert node, "Node.js is needed for the editor tests (see the Makefile's node tools)"
    return node


def _tokenize(tmp_path: Path, texts: dict[str, str]) -> dict[str, list[list[dict]]]:
    files = []
    for name, text in texts.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    proc = subprocess.run([_node(), str(Path(__file__).with_name("tokenize.cjs")), str(GRAMMAR),
                           *files], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    return {Path(r["file"]).name: r["lines"] for r in json.loads(proc.stdout)}


def _scopes(lines: list[list[dict]]) -> list[tuple[str, str]]:
    """(text, innermost scope without the language suffix) of every non-blank token."""
    return [(t["text"], t["scopes"][-1].removesuffix(".scenelang"))
            for line in lines for t in line if t["text"].strip()]


def test_manifest_grammar_and_configuration_are_consistent():
    manifest = json.loads((EXTENSION / "package.json").read_text())
    grammar = json.loads(GRAMMAR.read_text())
    config = json.loads((EXTENSION / "language-configuration.json").read_text())
    (language,) = manifest["contributes"]["languages"]
    (contributed,) = manifest["contributes"]["grammars"]
    assert ".sl" in language["extensions"] and language["id"] == contributed["language"]
    assert contributed["scopeName"] == grammar["scopeName"] == "source.scenelang"
    assert (EXTENSION / contributed["path"]).resolve() == GRAMMAR
    assert (EXTENSION / language["configuration"]).is_file()
    assert config["comments"]["lineComment"] == "#"
    assert ["(", ")"] in config["brackets"] and ["{", "}"] in config["brackets"]
    assert manifest["main"] == "./extension.js" and (EXTENSION / "LICENSE").is_file()
    assert list(manifest["dependencies"]) == ["vscode-languageclient"]
    default = manifest["contributes"]["configuration"]["properties"]["scenelang.server.command"]
    assert default["default"] == ["scenelang", "lsp"]


def test_grammar_knows_every_kind_and_clause_of_the_language():
    """The keyword lists in the grammar match the AST's tables (a new primitive must be added)."""
    text = GRAMMAR.read_text()
    words = set(re.findall(r"[a-z_]+", text))
    expected = {*A.PRIMITIVES, *A.CSG_OPS, *A.MATERIAL_KINDS, *A.LIGHT_KINDS, *A.TEXTURE_KINDS,
                *A.SECTION_NAMES, "texture"}
    for statement in ("shape", "object", "camera", "world"):
        expected.update(clause_names(statement))
    assert expected <= words, expected - words
    for kind, names in (("primitive", A.PRIMITIVES), ("csg", A.CSG_OPS),
                        ("light", A.LIGHT_KINDS), ("texture", A.TEXTURE_KINDS)):
        pattern = next(p["match"] for p in json.loads(text)["repository"]["calls"]["patterns"]
                       if p["name"] == f"support.function.{kind}.scenelang")
        assert set(re.findall(r"[a-z]+", pattern.split("\\b")[1])) == set(names)


def test_grammar_tokenizes_a_scene_as_expected(tmp_path):
    tokens = _scopes(_tokenize(tmp_path, {"sample.sl": SAMPLE})["sample.sl"])
    scopes = {}
    for text, scope in tokens:
        scopes.setdefault(text, scope)
    expected = {
        "scenelang": "keyword.other.header", "geometry": "entity.name.section",
        "lighting": "entity.name.section", "shape": "storage.type.shape",
        "leg": "entity.name.type.shape", "cylinder": "support.function.primitive",
        "union": "support.function.csg", "principled": "support.function.material",
        "area": "support.function.light", "radius": "variable.parameter",
        ".5": "constant.numeric", "2.": "constant.numeric", "+1": "constant.numeric",
        "-0.5": "constant.numeric", "1e-3": "constant.numeric", "45": "constant.numeric",
        "deg": "keyword.other.unit", "mm": "keyword.other.unit", "rad": "keyword.other.unit",
        "cm": "invalid.illegal.unit", "rotate": "keyword.other.clause",
        "look_at": "keyword.other.clause", "#c0392b": "constant.other.color.rgb-value.hex",
        "#101010": "constant.other.color.rgb-value.hex", "red": "entity.name.type.material",
        "t_1": "entity.name.type.object", "disk": "constant.language.choice",
        " #abcdef at the start of a line is a comment": "comment.line.number-sign",
        " a colour, then a comment": "comment.line.number-sign",
    }
    assert {k: scopes.get(k) for k in expected} == expected
    assert ("red", "variable.other.material") in tokens  # the object's `material red`
    assert ("t", "variable.other.shape") in tokens  # the object's shape


def test_grammar_finds_nothing_invalid_in_the_examples(tmp_path):
    examples = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.sl"))}
    tokenized = _tokenize(tmp_path, examples)
    assert set(tokenized) == set(examples)
    for name, lines in tokenized.items():
        bad = [t for t in _scopes(lines) if t[1].startswith("invalid")]
        assert not bad, (name, bad)
        comments = sum(1 for line in examples[name].splitlines() if line.lstrip().startswith("#"))
        shown = sum(1 for t, s in _scopes(lines) if s == "punctuation.definition.comment")
        assert shown >= comments, name


def test_client_script_is_valid_javascript():
    proc = subprocess.run([_node(), "--check", str(EXTENSION / "extension.js")],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_make_vscode_packages_the_extension(tmp_path):
    make = shutil.which("make")
    assert make, "make is needed to package the extension"
    vsix = tmp_path / "scenelang-vscode.vsix"
    proc = subprocess.run([make, "-s", "vscode", f"VSIX={vsix}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
        grammar = json.loads(archive.read("extension/syntaxes/scenelang.tmLanguage.json"))
    assert {"extension.vsixmanifest", "extension/extension.js",
            "extension/language-configuration.json",
            "extension/node_modules/vscode-languageclient/package.json"} <= names
    assert manifest["name"] == "scenelang-vscode" and grammar["scopeName"] == "source.scenelang"


def test_grammar_highlights_constants_and_arithmetic(tmp_path):
    text = ("scenelang 1\nlet h = 0.72  # height\ngeometry {\n"
            "  shape b = box(size=(1, 1, h - 0.04)) at (0, 0, -(h / 2) * 3 + 1)\n}\n"
            "patch constants {\n  let h = 0.8\n}\n")
    tokens = _scopes(_tokenize(tmp_path, {"c.sl": text})["c.sl"])
    assert ("let", "storage.type.let") in tokens and ("h", "entity.name.constant") in tokens
    operators = [t for t, s in tokens if s == "keyword.operator.arithmetic"]
    assert operators == ["-", "-", "/", "*", "+"], tokens
    assert ("0.04", "constant.numeric") in tokens and ("constants", "entity.name.section") in tokens
    assert not [t for t in tokens if t[1].startswith("invalid")]
