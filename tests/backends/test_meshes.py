"""Scene meshes: primitives laid out like Blender's, transforms, CSG, references, caching."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from strategies import examples

from scenelang.ast import (
    RGB,
    Box,
    Camera,
    Cone,
    Csg,
    Cylinder,
    HexColor,
    MaterialDef,
    ObjectDef,
    Plane,
    Principled,
    Ref,
    Scene,
    Section,
    ShapeDef,
    Sphere,
    Torus,
)
from scenelang.backends import meshes as M
from scenelang.errors import SceneError
from scenelang.resolve import resolve

ROOT = Path(__file__).resolve().parents[2]


def scene_of(shapes, objects, materials=()) -> Scene:
    return Scene(
        geometry=Section(name="geometry", statements=tuple(shapes)),
        materials=Section(name="materials", statements=tuple(materials)),
        composition=Section(name="composition", statements=tuple(objects)),
    )


def one_object(expr, **object_fields) -> M.ObjectMesh:
    scene = scene_of([ShapeDef(name="s", shape=expr)], [ObjectDef(name="o", shape="s", **object_fields)])
    return M.scene_meshes(scene)[0]


# ---------------------------------------------------------------- primitives


@pytest.mark.blender
def test_primitive_vertices_match_blender_operators():
    import bpy

    def blender_vertices(op, **kw):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        getattr(bpy.ops.mesh, op)(**kw)
        return np.array([v.co[:] for v in bpy.context.object.data.vertices])

    cases = [
        ("primitive_cube_add", dict(size=1), M.box_mesh((1, 1, 1)), 0),
        ("primitive_uv_sphere_add", dict(segments=7, ring_count=5, radius=1.3), M.uv_sphere_mesh(1.3, 7, 5), 0),
        ("primitive_uv_sphere_add", dict(segments=32, ring_count=16, radius=0.5), M.uv_sphere_mesh(0.5), 0),
        ("primitive_cylinder_add", dict(vertices=9, radius=0.7, depth=2.5), M.cylinder_mesh(0.7, 2.5, 9), 0),
        ("primitive_cone_add", dict(vertices=9, radius1=0.7, radius2=0, depth=2.5), M.cone_mesh(0.7, 2.5, 0, 9), 0),
        ("primitive_cone_add", dict(vertices=6, radius1=0.7, radius2=0.3, depth=2), M.cone_mesh(0.7, 2, 0.3, 6), 0),
        ("primitive_torus_add", dict(major_segments=10, minor_segments=5, major_radius=1.5, minor_radius=0.3),
         M.torus_mesh(1.5, 0.3, 10, 5), 0),
        ("primitive_plane_add", dict(size=3), M.plane_mesh(3), 0),
    ]
    for op, kw, ours, cap_centres in cases:
        theirs = blender_vertices(op, **kw)
        # every Blender vertex is one of ours and no more (n-gon caps are fan-triangulated from
        # a rim vertex, no centre vertex is added)
        dist, _ = cKDTree(ours.vertices).query(theirs)
        assert dist.max() < 1e-5, op
        assert len(ours.vertices) == len(theirs) + cap_centres, op


@settings(max_examples=examples(30), deadline=None)
@given(
    kind=st.sampled_from(["box", "sphere", "cylinder", "cone", "frustum", "torus"]),
    a=st.floats(0.05, 3),
    b=st.floats(0.05, 3),
    n=st.integers(3, 40),
)
def test_volume_primitives_are_closed_and_outward(kind, a, b, n):
    mesh, expected = {
        "box": lambda: (M.box_mesh((a, b, a + b)), a * b * (a + b)),
        "sphere": lambda: (M.uv_sphere_mesh(a, n, max(2, n // 2)), None),
        "cylinder": lambda: (M.cylinder_mesh(a, b, n), 0.5 * n * a * a * math.sin(2 * math.pi / n) * b),
        "cone": lambda: (M.cone_mesh(a, b, 0, n), 0.5 * n * a * a * math.sin(2 * math.pi / n) * b / 3),
        "frustum": lambda: (M.cone_mesh(a, b, a / 2, n), None),
        "torus": lambda: (M.torus_mesh(a + b, b * 0.5, n, max(3, n // 3)), None),
    }[kind]()
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert mesh.volume > 0  # outward normals
    if expected is not None:
        assert mesh.volume == pytest.approx(expected, rel=1e-9)


def test_primitive_extents():
    np.testing.assert_allclose(M.box_mesh((2, 1, 0.1)).bounds, [[-1, -0.5, -0.05], [1, 0.5, 0.05]])
    cone = M.cone_mesh(0.5, 2, 0, 32)
    np.testing.assert_allclose(cone.bounds[:, 2], [-1, 1])
    base = cone.vertices[np.isclose(cone.vertices[:, 2], -1)]
    np.testing.assert_allclose(np.linalg.norm(base[:, :2], axis=1).max(), 0.5)
    torus = M.torus_mesh(1, 0.25)
    np.testing.assert_allclose(torus.bounds, [[-1.25, -1.25, -0.25], [1.25, 1.25, 0.25]], atol=1e-12)
    plane = M.plane_mesh(4)
    np.testing.assert_allclose(plane.face_normals, [[0, 0, 1], [0, 0, 1]])
    assert M.uv_sphere_mesh(1, 32, 16).vertices[:, 2].max() == pytest.approx(1)


# ---------------------------------------------------------------- transforms


def test_transform_order_scale_rotate_translate():
    obj = one_object(Box(size=(2, 1, 1)), at=(10, 0, 0), rotate=(0, 0, 90), scale=(1, 3, 1))
    # scale y by 3 first (2 x 3 x 1), then turn 90 deg about z (3 x 2 x 1), then move
    np.testing.assert_allclose(obj.mesh.bounds, [[8.5, -1, -0.5], [11.5, 1, 0.5]], atol=1e-12)


def test_shape_transform_then_object_transform():
    obj = one_object(Box(size=(1, 1, 1), at=(1, 0, 0)), rotate=(0, 0, 90))
    np.testing.assert_allclose(obj.mesh.bounds, [[-0.5, 0.5, -0.5], [0.5, 1.5, 0.5]], atol=1e-12)


@pytest.mark.blender
def test_object_matrix_matches_blender():
    import bpy

    rng = np.random.default_rng(4)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = bpy.data.objects.new("t", None)
    bpy.context.scene.collection.objects.link(obj)
    for _ in range(20):
        at, rot, scale = rng.uniform(-5, 5, 3), rng.uniform(-180, 180, 3), rng.uniform(0.1, 3, 3)
        obj.location, obj.rotation_euler, obj.scale = at, np.radians(rot), scale
        bpy.context.view_layer.update()
        ours = M.object_matrix(ObjectDef(name="o", shape="s", at=tuple(at), rotate=tuple(rot), scale=tuple(scale)))
        np.testing.assert_allclose(ours, np.array(obj.matrix_world), atol=1e-5)


# ---------------------------------------------------------------- CSG


def test_difference_union_intersection_volumes():
    cube = Box(size=(2, 2, 2))
    hole = Cylinder(radius=0.5, depth=3, vertices=64)
    hole_volume = M.cylinder_mesh(0.5, 2, 64).volume
    diff = one_object(Csg(kind="difference", operands=(cube, hole))).mesh
    assert diff.is_watertight
    assert diff.volume == pytest.approx(8 - hole_volume, rel=1e-6)
    union = one_object(Csg(kind="union", operands=(cube, Box(size=(2, 2, 2), at=(3, 0, 0))))).mesh
    assert union.volume == pytest.approx(16, rel=1e-9)
    overlap = one_object(Csg(kind="intersection", operands=(cube, Box(size=(2, 2, 2), at=(1, 1, 1))))).mesh
    assert overlap.volume == pytest.approx(1, rel=1e-9)
    np.testing.assert_allclose(overlap.bounds, [[0, 0, 0], [1, 1, 1]], atol=1e-6)


def test_nary_difference_and_nested_transforms():
    expr = Csg(
        kind="difference",
        operands=(
            Box(size=(4, 1, 1)),
            Box(size=(1, 2, 2), at=(-1.5, 0, 0)),
            Csg(kind="union", operands=(Box(size=(2, 1, 2)), Box(size=(0.5, 0.5, 0.5))),
                rotate=(0, 0, 90), at=(1.5, 0, 0)),
        ),
        scale=2,
    )
    mesh = one_object(expr).mesh
    assert mesh.volume == pytest.approx(2 * 8, rel=1e-9)  # 4-1-1 = 2 m^3 before scaling by 2^3
    np.testing.assert_allclose(mesh.bounds[:, 0], [-2, 2], atol=1e-6)


def test_empty_intersection_gives_empty_mesh():
    expr = Csg(kind="intersection", operands=(Sphere(radius=0.5), Sphere(radius=0.5, at=(3, 0, 0))))
    obj = one_object(expr)
    assert obj.mesh.is_empty and not obj.is_surface


def test_planes_inside_csg_are_no_ops():
    cube, plane = Box(size=(1, 1, 1)), Plane(size=5)
    union = one_object(Csg(kind="union", operands=(cube, plane)))
    assert len(union.mesh.faces) == 12 + 2 and not union.is_surface
    cut = one_object(Csg(kind="difference", operands=(cube, plane))).mesh
    assert cut.volume == pytest.approx(1)
    base_plane = one_object(Csg(kind="difference", operands=(plane, cube)))
    assert base_plane.is_surface and len(base_plane.mesh.faces) == 2
    clipped = one_object(Csg(kind="intersection", operands=(cube, plane, Box(size=(1, 1, 1), at=(0.5, 0, 0)))))
    assert clipped.mesh.volume == pytest.approx(0.5)
    assert one_object(plane).is_surface


# ---------------------------------------------------------------- references, materials, errors


def test_refs_resolve_to_earlier_shapes_with_their_transforms():
    shapes = [
        ShapeDef(name="leg", shape=Box(size=(0.1, 0.1, 1))),
        ShapeDef(name="legs", shape=Csg(kind="union", operands=(
            Ref(name="leg", at=(-1, 0, 0)), Ref(name="leg", at=(1, 0, 0))))),
        ShapeDef(name="table", shape=Csg(kind="union", operands=(
            Ref(name="legs"), Box(size=(2.2, 0.5, 0.1), at=(0, 0, 0.55))))),
    ]
    scene = scene_of(shapes, [ObjectDef(name="t", shape="table", at=(0, 0, 0.5))])
    mesh = M.scene_meshes(scene)[0].mesh
    np.testing.assert_allclose(mesh.bounds, [[-1.1, -0.25, 0], [1.1, 0.25, 1.1]], atol=1e-6)
    assert mesh.volume == pytest.approx(2 * 0.01 + 2.2 * 0.5 * 0.1, rel=1e-6)


def test_ref_to_later_or_unknown_shape_is_an_error():
    later = scene_of(
        [ShapeDef(name="a", shape=Ref(name="b")), ShapeDef(name="b", shape=Box(size=(1, 1, 1)))],
        [ObjectDef(name="o", shape="a")],
    )
    with pytest.raises(SceneError, match="'b' is not defined before"):
        M.scene_meshes(later)
    with pytest.raises(SceneError, match="unknown shape 'nope'"):
        M.scene_meshes(scene_of([], [ObjectDef(name="o", shape="nope")]))
    with pytest.raises(SceneError, match="unknown material 'gold'"):
        M.scene_meshes(scene_of([ShapeDef(name="s", shape=Box(size=(1, 1, 1)))],
                                [ObjectDef(name="o", shape="s", material="gold")]))


def test_colors_are_linear_base_colors():
    mats = [
        MaterialDef(name="red", material=Principled(base_color=HexColor(hex="c0392b"))),
        MaterialDef(name="blue", material=Principled(base_color=RGB(r=0.1, g=0.2, b=0.9))),
    ]
    objects = [ObjectDef(name="a", shape="s", material="red"), ObjectDef(name="b", shape="s", material="blue"),
               ObjectDef(name="c", shape="s")]
    out = M.scene_meshes(scene_of([ShapeDef(name="s", shape=Sphere(radius=1))], objects, mats))
    assert [o.name for o in out] == ["a", "b", "c"]
    np.testing.assert_allclose(out[0].color, HexColor(hex="c0392b").linear())
    assert out[0].color[0] == pytest.approx(0.5271, abs=1e-4)
    assert out[1].color == (0.1, 0.2, 0.9)
    assert out[2].color == (0.8, 0.8, 0.8) and out[2].material_name is None
    assert out[0].shape_name == "s" and out[0].material_name == "red"


def test_meshes_are_cached_per_shape_definition():
    M.clear_cache()
    shape = ShapeDef(name="s", shape=Csg(kind="difference", operands=(Box(size=(1, 1, 1)), Sphere(radius=0.6))))
    scene = scene_of([shape], [ObjectDef(name="a", shape="s"), ObjectDef(name="b", shape="s", at=(2, 0, 0))])
    first = M.scene_meshes(scene)
    info = M._local_part.cache_info()
    assert info.misses == 1 and info.hits == 1
    again = M.scene_meshes(scene)
    assert M._local_part.cache_info().hits == 3
    np.testing.assert_allclose(again[1].mesh.vertices, first[1].mesh.vertices)
    np.testing.assert_allclose(first[1].mesh.bounds - first[0].mesh.bounds, [[2, 0, 0], [2, 0, 0]])
    cached = M.shape_mesh(shape)
    with pytest.raises(ValueError):
        cached.vertices[0, 0] = 99.0
    # a changed definition is a different key
    bigger = shape.model_copy(update={"shape": Box(size=(2, 2, 2))})
    assert M.shape_mesh(bigger).volume == pytest.approx(8)


# ---------------------------------------------------------------- against Blender's own meshes

BLENDER_MESH_STATS = r"""
import json, runpy, sys
import bpy
import bmesh
result = []
for script in json.loads(sys.argv[-1]):
    ns = runpy.run_path(script)
    ns["main"]([])
    depsgraph = bpy.context.evaluated_depsgraph_get()
    stats = {}
    for obj in bpy.context.scene.objects:
        if obj.type != "MESH" or obj.hide_render or any(c.hide_render for c in obj.users_collection):
            continue
        mesh = obj.evaluated_get(depsgraph).to_mesh()
        bm = bmesh.new()
        bm.from_mesh(mesh)
        bm.transform(obj.matrix_world)
        coords = [v.co[:] for v in bm.verts]
        stats[obj.name] = {"volume": bm.calc_volume(signed=True), "faces": len(bm.faces),
                           "lo": [min(c[i] for c in coords) for i in range(3)] if coords else None,
                           "hi": [max(c[i] for c in coords) for i in range(3)] if coords else None}
        bm.free()
    result.append(stats)
print("STATS" + json.dumps(result))
"""


def blender_mesh_stats(scenes, tmp_path) -> list[dict]:
    """Compile each scene, build it in a real Blender subprocess, return per-object mesh stats."""
    from scenelang.compiler import compile_scene

    scripts = []
    for i, scene in enumerate(scenes):
        path = tmp_path / f"scene_{i}.py"
        path.write_text(compile_scene(scene))
        scripts.append(str(path))
    proc = subprocess.run([sys.executable, "-c", BLENDER_MESH_STATS, json.dumps(scripts)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("STATS"))
    return json.loads(line[len("STATS"):])


def assert_same_as_blender(scene, stats):
    for obj in M.scene_meshes(scene):
        theirs = stats[obj.name]
        if obj.mesh.is_empty:
            assert theirs["lo"] is None or theirs["faces"] == 0, obj.name
            continue
        assert theirs["lo"] is not None, f"{obj.name}: Blender's mesh is empty, ours is not"
        definition = scene.shapes().get(obj.shape_name)
        bevel = definition.shape.bevel if definition is not None else None  # the preview draws it sharp
        atol = 2e-4 if bevel is None else bevel
        np.testing.assert_allclose(obj.mesh.bounds[0], theirs["lo"], atol=atol, err_msg=obj.name)
        np.testing.assert_allclose(obj.mesh.bounds[1], theirs["hi"], atol=atol, err_msg=obj.name)
        if not obj.is_surface and bevel is None:
            assert obj.mesh.volume == pytest.approx(theirs["volume"], rel=2e-3, abs=1e-5), obj.name


def demo_scene() -> Scene:
    shapes = [
        ShapeDef(name="table", shape=Box(size=(2, 1, 0.1))),
        ShapeDef(name="bowl", shape=Csg(kind="difference", operands=(
            Sphere(radius=0.5), Sphere(radius=0.45, at=(0, 0, 0.1))))),
        ShapeDef(name="ring", shape=Torus(major_radius=0.5, minor_radius=0.1, rotate=(90, 0, 0))),
        ShapeDef(name="frame", shape=Csg(kind="difference", operands=(
            Box(size=(1, 1, 1)), Cylinder(radius=0.3, depth=2), Cylinder(radius=0.3, depth=2, rotate=(90, 0, 0)),
        ), rotate=(0, 0, 20))),
        ShapeDef(name="lens", shape=Csg(kind="intersection", operands=(
            Sphere(radius=0.5, at=(0.3, 0, 0)), Sphere(radius=0.5, at=(-0.3, 0, 0))))),
        ShapeDef(name="spike", shape=Cone(radius=0.3, depth=0.8, top_radius=0.1, vertices=12)),
        ShapeDef(name="stack", shape=Csg(kind="union", operands=(Ref(name="table"), Ref(name="spike", at=(0, 0, 0.4))))),
        ShapeDef(name="floor", shape=Plane(size=20)),
    ]
    objects = [
        Camera(name="cam", at=(6, -5, 4), look_at=(0, 0, 0.5), resolution=(256, 192)),
        ObjectDef(name="floor_1", shape="floor"),
        ObjectDef(name="table_1", shape="table", at=(0, 0, 0.75), rotate=(0, 0, 15)),
        ObjectDef(name="bowl_1", shape="bowl", at=(-0.5, 0, 1.3), scale=(1, 1, 0.7)),
        ObjectDef(name="ring_1", shape="ring", at=(1.5, 1.5, 0.6), rotate=(30, 10, 0)),
        ObjectDef(name="frame_1", shape="frame", at=(-1.5, 1.2, 0.5)),
        ObjectDef(name="lens_1", shape="lens", at=(1.4, -1.2, 0.5), scale=1.5),
        ObjectDef(name="stack_1", shape="stack", at=(0, -2, 0.2), rotate=(0, 10, 45)),
    ]
    return scene_of(shapes, objects)


@pytest.mark.blender
def test_meshes_match_blender_compiled_scenes(tmp_path):
    """The demo scene and every example: same bounds and volumes as Blender's evaluated meshes."""
    from scenelang.parser import load_scene

    scenes = [demo_scene()] + [load_scene(p) for p in sorted((ROOT / "examples").glob("*.sl"))]
    for scene, stats in zip(scenes, blender_mesh_stats(scenes, tmp_path)):
        assert set(stats) == {o.name for o in resolve(scene).objects}  # copies included
        assert_same_as_blender(scene, stats)


@st.composite
def primitive_scenes(draw) -> Scene:
    """Random primitives with local transforms, placed by random objects (no CSG: the Blender
    side's Exact boolean solver is not a reference for arbitrary random CSG)."""
    from strategies import objects, primitives

    shapes = [ShapeDef(name=f"s{i}", shape=draw(primitives(transforms=True)))
              for i in range(draw(st.integers(1, 4)))]
    names = [s.name for s in shapes]
    placed = [draw(objects(f"o{i}", names, [])) for i in range(draw(st.integers(1, 4)))]
    return scene_of(shapes, placed)


@pytest.mark.blender
@settings(max_examples=examples(3), deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_primitive_scenes_match_blender(tmp_path, data):
    # one Blender process per batch; hypothesis tries the simplest batch first, then random ones
    batch = data.draw(st.lists(primitive_scenes(), min_size=4, max_size=4))
    for scene, stats in zip(batch, blender_mesh_stats(batch, tmp_path)):
        assert_same_as_blender(scene, stats)
