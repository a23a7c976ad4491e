"""The primitive runtime: one builder per AST primitive, shared by the bpy script and the preview.

The Blender test builds every primitive kind with several parameter sets (minimum segments,
defaults, odd counts, a local transform) in a compiled script run by the bpy wheel, and checks
that Blender's mesh and the preview's have the same vertex count and bounding box.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from typing import Any, get_origin

import annotated_types as at
import numpy as np
import pytest

from scenelang import ast as A
from scenelang.backends import meshes as M
from scenelang.compiler import check_script, compile_scene, runtime
from scenelang.compiler.runtime.primitives import PRIMITIVES as BUILDERS


def _minimum(cls: type[A.Node], name: str) -> int:
    for item in cls.model_fields[name].metadata:
        if isinstance(item, at.Ge):
            return int(item.ge)
        if isinstance(item, at.Gt):
            return int(item.gt) + 1
    raise AssertionError(f"{cls.__name__}.{name} has no lower bound")


def param_sets(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """Parameter sets for primitive `kind`, derived from its model (no per-primitive table):
    minimum detail, defaults, odd detail with every optional length set, and a transformed one."""
    cls = A.PRIMITIVES[kind]
    names = [n for n in A.param_names(cls) if n not in A.ShapeBase.TRANSFORMS]
    details = set(A.detail_fields(cls))
    required: dict[str, Any] = {}
    for i, name in enumerate(n for n in names if n not in details):
        info = cls.model_fields[name]
        if info.examples:  # fields whose values need a shape (profiles) give an example
            value = info.examples[0]
        elif get_origin(info.annotation) is tuple:
            value: Any = (0.4, 0.9, 1.3)
        else:
            value = round(1.2 / (i + 1), 3)
        if info.is_required():
            required[name] = value
    optional = {n: round(0.4 / (i + 1), 3) for i, n in enumerate(
        n for n in names if n not in details and n not in required)}
    return [
        ("minimum", {**required, **{n: _minimum(cls, n) for n in details}}),
        ("defaults", dict(required)),
        ("odd", {**required, **optional, **{n: 7 + 2 * i for i, n in enumerate(sorted(details))}}),
        ("transformed", {**required, "at": (0.3, -0.2, 0.5), "rotate": (30.0, 10.0, -45.0),
                         "scale": (1.5, 0.5, 2.0)}),
    ]


CASES = [(kind, label, params) for kind in A.PRIMITIVES for label, params in param_sets(kind)]


def case_scene() -> A.Scene:
    shapes, objects = [], []
    for i, (kind, _, params) in enumerate(CASES):
        shapes.append(A.ShapeDef(name=f"s{i}", shape=A.PRIMITIVES[kind](**params)))
        objects.append(A.ObjectDef(name=f"o{i}", shape=f"s{i}", at=(3.0 * i, 0.0, 0.0)))
    return A.Scene(geometry=A.Section(name="geometry", statements=tuple(shapes)),
                   composition=A.Section(name="composition", statements=tuple(objects)))


# ---------------------------------------------------------------- the registry


def test_every_primitive_model_has_one_builder_with_its_parameters():
    assert list(BUILDERS) == list(A.PRIMITIVES)
    for kind, cls in A.PRIMITIVES.items():
        params = [n for n in A.param_names(cls) if n not in A.ShapeBase.TRANSFORMS]
        assert list(inspect.signature(BUILDERS[kind]).parameters) == params, kind


@pytest.mark.parametrize("kind,label,params", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_builders_return_valid_polygons(kind, label, params):
    if kind == "mesh":
        pytest.skip("mesh assets are read from their file (tests/backends/test_language_v2_shapes.py)")
    shape = A.PRIMITIVES[kind](**params)
    own = {k: v for k, v in shape.params().items() if k not in A.ShapeBase.TRANSFORMS}
    vertices, faces = BUILDERS[kind](**own)
    assert all(isinstance(v, tuple) and len(v) == 3 for v in vertices)
    used = set()
    for face in faces:
        assert isinstance(face, tuple) and len(face) >= 3 and len(set(face)) == len(face)
        assert all(0 <= i < len(vertices) for i in face)
        used.update(face)
    assert used == set(range(len(vertices)))  # no stray vertices
    mesh = M.primitive_mesh(kind, **own)
    if mesh.is_watertight:
        assert mesh.is_winding_consistent and mesh.volume > 0  # outward faces
    else:
        assert kind == "plane"


def test_runtime_is_inlined_without_imports_and_passes_the_check():
    for name in runtime.INLINED:
        text = runtime.inline(name)
        assert "\nimport " not in "\n" + text and "\nfrom " not in "\n" + text, name
    script = compile_scene(case_scene())
    check_script(script)
    assert runtime.inline("primitives") in script
    # one generic call per primitive, no per-kind code in the template
    assert script.count("    add_primitive(bm, ") == len(CASES)


def test_inline_refuses_unknown_modules():
    with pytest.raises(ValueError):
        runtime.inline("generated")


# ---------------------------------------------------------------- against Blender

BLENDER_VERTICES = r"""
import json, runpy, sys
import bpy
ns = runpy.run_path(sys.argv[-1])
ns["main"]([])
stats = {}
for obj in bpy.context.scene.objects:
    if obj.type == "MESH" and not obj.hide_render:
        coords = [obj.matrix_world @ v.co for v in obj.data.vertices]
        stats[obj.name] = {"count": len(coords),
                           "lo": [min(c[i] for c in coords) for i in range(3)],
                           "hi": [max(c[i] for c in coords) for i in range(3)]}
print("STATS" + json.dumps(stats))
"""


@pytest.mark.blender
def test_preview_and_blender_meshes_have_the_same_vertices(tmp_path):
    scene = case_scene()
    script = tmp_path / "primitives.py"
    script.write_text(compile_scene(scene))
    proc = subprocess.run([sys.executable, "-c", BLENDER_VERTICES, str(script)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("STATS"))
    stats = json.loads(line[len("STATS"):])
    previews = M.scene_meshes(scene)
    assert len(previews) == len(CASES) == len(stats)
    for (kind, label, _), preview in zip(CASES, previews):
        theirs = stats[preview.name]
        what = f"{kind} ({label})"
        assert len(preview.mesh.vertices) == theirs["count"], what
        np.testing.assert_allclose(preview.mesh.bounds, [theirs["lo"], theirs["hi"]],
                                   atol=1e-6, err_msg=what)
