"""The generated language reference: complete, correct against the AST, and embedded in the docs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scenelang import ast as A
from scenelang.reference import (
    BEGIN_MARKER,
    END_MARKER,
    generated_block,
    language_reference,
    main,
    param_info,
    update_doc,
)
from scenelang.validate import Limits

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "language.md"

MODELS = {**A.PRIMITIVES, **A.MATERIAL_KINDS, **A.LIGHT_KINDS,
          "object": A.ObjectDef, "camera": A.Camera, "world": A.World}


def test_docs_embed_the_current_generated_reference():
    text = DOC.read_text(encoding="utf-8")
    assert generated_block() in text, (
        "docs/language.md is out of date: run "
        "`.venv/bin/python -m scenelang.reference --write docs/language.md`")


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_full_reference_has_a_row_per_parameter(kind):
    full = language_reference()
    for name in A.param_names(MODELS[kind]):
        if name == "shape" and kind == "object":
            continue  # written `object NAME = SHAPE`, not as a clause
        if name not in A.ShapeBase.TRANSFORMS or not issubclass(MODELS[kind], A.ShapeBase):
            assert f"| `{name}` |" in full, (kind, name)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_compact_reference_names_every_kind_and_parameter(kind):
    compact = language_reference(compact=True)
    assert kind in compact
    for name in A.param_names(MODELS[kind]):
        assert name in compact, (kind, name)


def test_compact_reference_is_small_enough_for_a_prompt():
    compact = language_reference(compact=True)
    assert len(compact) < len(language_reference()) / 2
    assert len(compact) < 6500  # language v2 (groups, arrays, profiles, textures, constants) included
    assert "|---|" not in compact


def test_reference_covers_transforms_csg_and_limits():
    full = language_reference()
    for op in A.CSG_OPS:
        assert f"`{op}(SHAPE, SHAPE, ...)`" in full
    for clause in A.ShapeBase.TRANSFORMS:
        assert f"| `{clause}` |" in full
    for field in dataclasses.fields(Limits):
        assert f"| `{field.name}` | {field.default} |" in full


@pytest.mark.parametrize("cls, name, expected", [
    (A.Principled, "metallic", dict(type="number", default="0", range="0..1", unit="")),
    (A.Principled, "base_color", dict(short_type="colour|texture", default="(0.8, 0.8, 0.8)")),
    (A.Box, "size", dict(default=None, range="> 0", unit="m", short_type="vec3")),
    (A.Sphere, "segments", dict(type="integer", default="32", range="3..4096")),
    (A.Camera, "fov", dict(type="angle", default="unset", range="> 0, < 180", unit="deg")),
    (A.Camera, "lens", dict(type="length", default="unset", range="> 0, <= 10000", unit="mm")),
    (A.Camera, "sensor", dict(default="36mm")),
    (A.Camera, "resolution", dict(default="(640, 480)", range="1..16384", unit="px")),
    (A.Sun, "angle", dict(default="0.526deg", range="0..180", unit="deg")),
    (A.Sun, "energy", dict(default="3", unit="W/m^2", description="irradiance")),
    (A.Area, "shape", dict(type="one of square, rectangle, disk, ellipse", default="square")),
    (A.ObjectDef, "rotate", dict(short_type="vec3 deg", default="(0, 0, 0)", unit="deg")),
    (A.ObjectDef, "scale", dict(type="number or vector (x, y, z) of numbers", range="> 0")),
])
def test_param_info_reads_the_models(cls, name, expected):
    info = param_info(cls, name)
    for key, value in expected.items():
        assert getattr(info, key) == value, (key, getattr(info, key))


def test_update_doc_rewrites_only_the_generated_block(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(f"intro\n\n{BEGIN_MARKER}\nstale\n{END_MARKER}\n\noutro\n", encoding="utf-8")
    assert update_doc(doc) is True
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("intro\n\n") and text.endswith("\n\noutro\n")
    assert generated_block() in text and "stale" not in text
    assert update_doc(doc) is False


def test_update_doc_refuses_a_file_without_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError):
        update_doc(doc)


def test_command_line_prints_the_reference(capsys):
    assert main(["--compact"]) == 0
    assert capsys.readouterr().out == language_reference(compact=True)
    assert main([]) == 0
    assert capsys.readouterr().out == language_reference()
