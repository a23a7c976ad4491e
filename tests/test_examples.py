"""The hand-authored examples: each parses, validates cleanly, is canonical and frames its objects;
together they use every construct of the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenelang import ast as A
from scenelang.backends.meshes import scene_meshes
from scenelang.backends.preview import render_preview
from scenelang.parser import load_scene, parse_scene
from scenelang.printer import field_default, print_scene
from scenelang.resolve import resolve
from scenelang.validate import validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.sl"))


def load_all() -> list[A.Scene]:
    return [load_scene(p) for p in EXAMPLES]


def test_there_are_at_least_ten_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid_canonical_and_documented(path: Path):
    text = path.read_text(encoding="utf-8")
    scene = parse_scene(text, str(path))
    assert validate(scene) == []  # no errors and no warnings
    assert print_scene(scene) == text
    assert text.startswith("# ") and scene.comments, "each example starts by saying what it shows"
    assert 1 <= len(resolve(scene).objects) <= 48  # groups, instances and arrays expanded
    assert scene.lights(), "every example is lit by at least one light"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_object_is_in_frame(path: Path):
    scene = load_scene(path)
    for mesh in scene_meshes(scene):
        preview = render_preview(scene, 128, meshes=[mesh])
        assert preview.silhouette.sum() >= 3, f"{mesh.name} is outside the camera's view"


# ---------------------------------------------------------------- coverage of the language


def _walk_shape(shape: A.ShapeBase, depth: int = 0):
    yield shape, depth
    for op in getattr(shape, "operands", ()):
        yield from _walk_shape(op, depth + 1)


def _set_params(node: A.Node) -> set[str]:
    """Parameters of `node` that differ from their defaults (required ones always count)."""
    cls = type(node)
    return {
        name for name in A.param_names(cls)
        if cls.model_fields[name].is_required() or getattr(node, name) != field_default(cls, name)
    }


def test_examples_use_every_shape_construct():
    kinds, transformed_csg, nested_csg, refs_in_csg, top_refs = set(), False, False, False, False
    for scene in load_all():
        for st in scene.geometry.statements:
            top_refs |= isinstance(st.shape, A.Ref)
            for node, depth in _walk_shape(st.shape):
                kinds.add(node.kind)
                if isinstance(node, A.Csg):
                    transformed_csg |= any(getattr(node, t) is not None for t in A.ShapeBase.TRANSFORMS)
                    nested_csg |= any(isinstance(op, A.Csg) for op in node.operands)
                    refs_in_csg |= any(isinstance(op, A.Ref) for op in node.operands)
    assert kinds >= set(A.PRIMITIVES) | set(A.CSG_OPS) | {"ref"}
    assert transformed_csg and nested_csg and refs_in_csg and top_refs


def test_examples_use_every_material_parameter_and_both_colour_forms():
    used, colour_kinds = set(), set()
    for scene in load_all():
        for st in scene.materials.statements:
            if not isinstance(st, A.MaterialDef):
                continue  # textures: tests/core/test_textures.py
            used |= _set_params(st.material)
            colour_kinds |= {c.kind for c in (st.material.base_color, st.material.emission_color)
                             if not isinstance(c, str)}
    assert used == set(A.param_names(A.Principled))
    assert colour_kinds == {"hex", "rgb"}


def test_examples_use_every_light_parameter_and_area_shape():
    used: dict[str, set[str]] = {kind: set() for kind in A.LIGHT_KINDS}
    area_shapes = set()
    for scene in load_all():
        for st in scene.lights():
            used[st.light.kind] |= _set_params(st.light)
            if isinstance(st.light, A.Area):
                area_shapes.add(st.light.shape)
    for kind, cls in A.LIGHT_KINDS.items():
        assert used[kind] == set(A.param_names(cls)), kind
    assert area_shapes == {"square", "rectangle", "disk", "ellipse"}


def test_examples_use_every_camera_clause_world_and_the_default_camera():
    used, worlds, default_camera = set(), set(), False
    object_clauses = set()
    for scene in load_all():
        cameras = [s for s in scene.composition.statements if isinstance(s, A.Camera)]
        default_camera |= not cameras
        for cam in cameras:
            used |= _set_params(cam)
        for obj in scene.objects():
            object_clauses |= _set_params(obj)
        if scene.world() is not None:
            worlds |= _set_params(scene.world())
    assert used == set(A.param_names(A.Camera))
    assert object_clauses == set(A.param_names(A.ObjectDef))
    assert worlds == {"color", "strength"}
    assert default_camera


def test_examples_use_every_comment_position():
    found = set()
    for scene in load_all():
        found |= {"scene"} if scene.comments else set()
        found |= {"scene_end"} if scene.end_comments else set()
        for section in scene.sections():
            found |= {"section"} if section.comments else set()
            found |= {"section_end"} if section.end_comments else set()
            for st in section.statements:
                found |= {"statement"} if st.comments else set()
                found |= {"trailing"} if st.trailing_comment else set()
    assert found == {"scene", "scene_end", "section", "section_end", "statement", "trailing"}
