"""The preview renderer: against a brute-force ray caster, against real Blender, and its colours.

Blender comparison: every example in `examples/` (plus two built-in scenes) is compiled with
`scenelang.compiler.compile_scene` and rendered by real Blender (Workbench, no anti-aliasing,
transparent film) at the preview's size; the silhouette is Blender's alpha > 0.5. Planes (objects
whose shape is only a surface, e.g. a ground plane that fills the frame) are hidden in both
renders, since they would make every IoU trivially close to 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from blender_silhouettes import BLENDER_SILHOUETTES
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image
from strategies import examples

from scenelang.ast import (
    RGB,
    Area,
    Box,
    Camera,
    Csg,
    Cylinder,
    HexColor,
    LightDef,
    MaterialDef,
    ObjectDef,
    Plane,
    Point,
    Principled,
    Scene,
    Section,
    ShapeDef,
    Sphere,
    Spot,
    Sun,
    Torus,
    World,
)
from scenelang.backends.camera import CLIP_START, camera_pose, image_size, pixel_rays
from scenelang.backends.meshes import scene_meshes
from scenelang.backends.preview import Preview, render_preview, silhouette_iou

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.sl"))
IOU_MIN = 0.95


def make_scene(shapes, objects, materials=(), lights=(), camera=None) -> Scene:
    camera = camera or Camera(name="cam", at=(6, -5, 4), look_at=(0, 0, 0.5), resolution=(256, 192))
    return Scene(
        geometry=Section(name="geometry", statements=tuple(shapes)),
        materials=Section(name="materials", statements=tuple(materials)),
        composition=Section(name="composition", statements=(camera, *objects)),
        lighting=Section(name="lighting", statements=tuple(lights)),
    )


def tabletop() -> Scene:
    shapes = [
        ShapeDef(name="table", shape=Box(size=(2, 1, 0.1))),
        ShapeDef(name="bowl", shape=Csg(kind="difference", operands=(
            Sphere(radius=0.5), Sphere(radius=0.45, at=(0, 0, 0.1))))),
        ShapeDef(name="ball", shape=Sphere(radius=0.3)),
        ShapeDef(name="ground", shape=Plane(size=100)),
        ShapeDef(name="ring", shape=Torus(major_radius=0.5, minor_radius=0.1)),
        ShapeDef(name="pillar", shape=Cylinder(radius=0.2, depth=1.5)),
    ]
    materials = [MaterialDef(name="red", material=Principled(base_color=HexColor(hex="c0392b")))]
    objects = [
        ObjectDef(name="ground_1", shape="ground"),
        ObjectDef(name="table_1", shape="table", at=(0, 0, 0.75), material="red"),
        ObjectDef(name="ball_1", shape="ball", at=(0.3, 0.1, 1.1), rotate=(0, 0, 30), scale=1.2),
        ObjectDef(name="bowl_1", shape="bowl", at=(-0.5, 0, 1.3)),
        ObjectDef(name="ring_1", shape="ring", at=(1.5, 1.5, 0.1), rotate=(30, 0, 0)),
        ObjectDef(name="pillar_1", shape="pillar", at=(-1.5, 1.5, 0.75), material="red"),
    ]
    lights = [World(color=HexColor(hex="101010"), strength=0.5),
              LightDef(name="key", light=Sun(direction=(-0.3, 0.4, -1), energy=3))]
    camera = Camera(name="main", at=(7.4, -6.9, 5.0), look_at=(0, 0, 0.5), resolution=(256, 192))
    return make_scene(shapes, objects, materials, lights, camera)


def close_up() -> Scene:
    """A portrait camera close to the ground: the plane reaches behind the camera."""
    shapes = [ShapeDef(name="floor", shape=Plane(size=400)), ShapeDef(name="crate", shape=Box(size=(1, 1, 1))),
              ShapeDef(name="post", shape=Cylinder(radius=0.1, depth=3, rotate=(0, 10, 0)))]
    objects = [ObjectDef(name="floor_1", shape="floor"),
               ObjectDef(name="crate_1", shape="crate", at=(0.4, 3, 0.5), rotate=(0, 0, 30)),
               ObjectDef(name="post_1", shape="post", at=(-0.8, 5, 1.5))]
    camera = Camera(name="cam", at=(0, 0, 0.6), rotate=(88, 0, 0), lens=24, resolution=(150, 200))
    return make_scene(shapes, objects, camera=camera)


BUILTIN = {"tabletop": tabletop, "close_up": close_up}


# ---------------------------------------------------------------- a brute-force reference


def raycast(origins: np.ndarray, dirs: np.ndarray, tris: np.ndarray, chunk: int = 128):
    """Nearest hit (ray parameter, triangle) per ray, Moller-Trumbore against every triangle."""
    v0, e1, e2 = tris[:, 0], tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    best_t, best_i = np.full(len(dirs), np.inf), np.full(len(dirs), -1)
    for s in range(0, len(dirs), chunk):
        o, d = origins[s:s + chunk, None, :], dirs[s:s + chunk, None, :]
        p = np.cross(d, e2[None])
        det = np.einsum("rtk,tk->rt", p, e1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / det
            tv = o - v0[None]
            u = np.einsum("rtk,rtk->rt", tv, p) * inv
            q = np.cross(tv, e1[None])
            v = np.einsum("rtk,rk->rt", q, d[:, 0]) * inv
            t = np.einsum("rtk,tk->rt", q, e2) * inv
            ok = (np.abs(det) > 1e-12) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        t = np.where(ok, t, np.inf)
        i = t.argmin(axis=1)
        best_t[s:s + chunk] = t[np.arange(len(i)), i]
        best_i[s:s + chunk] = np.where(np.isfinite(best_t[s:s + chunk]), i, -1)
    return best_t, best_i


def reference_render(scene: Scene, size) -> tuple[np.ndarray, np.ndarray]:
    """Object ids and depths by ray casting through pixel centres (clipped like Blender)."""
    camera = scene.camera()
    w, h = image_size(camera, size)
    meshes = [m for m in scene_meshes(scene) if len(m.mesh.faces)]
    tris = np.concatenate([m.mesh.triangles for m in meshes]) if meshes else np.zeros((0, 3, 3))
    owner_names = np.concatenate([[m.name] * len(m.mesh.faces) for m in meshes]) if meshes else []
    names = [m.name for m in scene_meshes(scene)]
    origins, dirs = pixel_rays(camera, (w, h))
    forward = -camera_pose(camera)[:3, 2]
    # start each ray on the near clipping plane, as Cycles does
    along = dirs.reshape(-1, 3) @ forward
    start = origins.reshape(-1, 3) + dirs.reshape(-1, 3) * (CLIP_START / along)[:, None]
    t, tri = raycast(start, dirs.reshape(-1, 3), tris) if len(tris) else (np.full(w * h, np.inf), np.full(w * h, -1))
    depth = np.where(tri >= 0, (t + CLIP_START / along) * along, np.inf)
    ids = np.array([names.index(owner_names[i]) if i >= 0 else -1 for i in tri])
    return ids.reshape(h, w), depth.reshape(h, w)


def assert_matches_reference(scene: Scene, size, max_mismatch: float = 0.005) -> Preview:
    preview = render_preview(scene, size)
    ids, depth = reference_render(scene, size)
    # coincident surfaces of two objects (same depth) may show either object: not a mismatch
    tie = np.isclose(preview.depth, depth, rtol=1e-6, atol=0) & np.isfinite(depth)
    mismatch = (preview.object_id != ids) & ~tie
    # pixel centres exactly on a silhouette edge may go either way; nothing else may differ
    assert mismatch.mean() <= max_mismatch or mismatch.sum() <= 3, (mismatch.sum(), mismatch.size)
    same = ~mismatch & np.isfinite(depth) & np.isfinite(preview.depth)
    np.testing.assert_allclose(preview.depth[same], depth[same], rtol=1e-4)
    return preview


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_matches_ray_caster(name):
    preview = assert_matches_reference(BUILTIN[name](), (96, 72) if name == "tabletop" else (60, 80))
    assert preview.silhouette.any()


def test_near_plane_clipping_of_huge_ground():
    preview = assert_matches_reference(close_up(), (60, 80))
    floor = preview.object_id == preview.object_names.index("floor_1")
    assert floor[-1].all()  # the floor reaches the bottom edge: it passes under the camera
    assert not floor[0].any()  # sky at the top


@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(data=st.data())
def test_random_scenes_match_ray_caster(data):
    from strategies import scenes

    scene = data.draw(scenes(comments=False))
    assert_matches_reference(scene, 40, max_mismatch=0.01)


# ---------------------------------------------------------------- basic contract


def test_preview_fields():
    scene = tabletop()
    p = render_preview(scene, 128)
    assert p.size == (128, 96)
    assert p.silhouette.shape == p.depth.shape == p.object_id.shape == (96, 128)
    assert p.color.shape == (96, 128, 3) and p.color.dtype == np.float32
    assert p.silhouette.dtype == bool and p.object_id.dtype == np.int32
    assert p.object_names == [o.name for o in scene.objects()]
    assert ((p.color >= 0) & (p.color <= 1)).all()
    np.testing.assert_array_equal(p.silhouette, p.object_id >= 0)
    assert (np.isfinite(p.depth) == p.silhouette).all()
    assert set(np.unique(p.object_id)) == set(range(len(p.object_names)))
    assert p.mask(["table_1"]).sum() == (p.object_id == 1).sum() > 0


def test_empty_scene_and_hidden_objects():
    empty = render_preview(Scene(), (32, 24))
    assert not empty.silhouette.any() and np.isinf(empty.depth).all()
    np.testing.assert_allclose(empty.color, np.broadcast_to(empty.color[0, 0], empty.color.shape))
    scene = tabletop()
    some = [m for m in scene_meshes(scene) if m.name != "ground_1"]
    p = render_preview(scene, 64, meshes=some)
    assert "ground_1" not in p.object_names and p.silhouette.mean() < 0.5


def test_object_behind_camera_and_camera_inside_box():
    cam = Camera(name="c", at=(0, 0, 0), look_at=(0, 1, 0), resolution=(40, 30))
    behind = make_scene([ShapeDef(name="b", shape=Box(size=(1, 1, 1)))],
                        [ObjectDef(name="o", shape="b", at=(0, -3, 0))], camera=cam)
    assert not render_preview(behind).silhouette.any()
    inside = make_scene([ShapeDef(name="b", shape=Box(size=(4, 4, 4)))], [ObjectDef(name="o", shape="b")], camera=cam)
    p = render_preview(inside)
    assert p.silhouette.all()  # inner faces are drawn: surfaces are two-sided
    assert p.depth.min() == pytest.approx(2, rel=1e-6)


def test_silhouette_iou():
    a = np.zeros((4, 4), bool)
    b = a.copy()
    assert silhouette_iou(a, b) == 1.0
    a[:2] = True
    b[1:3] = True
    assert silhouette_iou(a, b) == pytest.approx(4 / 12)
    with pytest.raises(ValueError):
        silhouette_iou(a, np.zeros((2, 2), bool))


def test_far_clipping():
    cam = Camera(name="c", at=(0, 0, 0), look_at=(0, 1, 0), resolution=(20, 20))
    far = make_scene([ShapeDef(name="b", shape=Box(size=(50, 1, 50)))],
                     [ObjectDef(name="o", shape="b", at=(0, 1500, 0))], camera=cam)
    assert not render_preview(far).silhouette.any()


# ---------------------------------------------------------------- colour


def lit_plane(lights, material=None, world=None) -> Preview:
    cam = Camera(name="c", at=(0, 0, 5), rotate=(0, 0, 0), resolution=(16, 16))
    mats = [MaterialDef(name="m", material=material)] if material else []
    statements = ([world] if world else []) + list(lights)
    scene = make_scene([ShapeDef(name="p", shape=Plane(size=100))],
                       [ObjectDef(name="o", shape="p", material="m" if material else None)],
                       mats, statements, camera=cam)
    return render_preview(scene)


def to_srgb(c):
    c = np.clip(c, 0, 1)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def test_sun_and_ambient_shading():
    black = World(color=RGB(r=0, g=0, b=0), strength=0)
    sun = LightDef(name="s", light=Sun(direction=(0, 0, -1), energy=0.5))
    p = lit_plane([sun], world=black)
    np.testing.assert_allclose(p.color[8, 8], to_srgb(np.full(3, 0.8 * 0.5 / np.pi)), atol=1e-5)
    slanted = LightDef(name="s", light=Sun(direction=(1, 0, -1), energy=0.5))
    np.testing.assert_allclose(lit_plane([slanted], world=black).color[8, 8],
                               to_srgb(np.full(3, 0.8 * 0.5 / np.pi / np.sqrt(2))), atol=1e-5)
    grey_world = World(color=RGB(r=0.2, g=0.1, b=0.0), strength=0.5)
    p = lit_plane([sun], material=Principled(base_color=RGB(r=0.5, g=0.5, b=0.5)), world=grey_world)
    np.testing.assert_allclose(p.color[8, 8], to_srgb(0.5 * (0.5 / np.pi + np.array([0.1, 0.05, 0.0]))),
                               atol=1e-5)


def test_local_lights_fall_off_and_emission_adds():
    black = World(color=RGB(r=0, g=0, b=0), strength=0)
    point = lit_plane([LightDef(name="p", light=Point(at=(0, 0, 2), energy=100))], world=black)
    centre, corner = point.color[8, 8].mean(), point.color[0, 0].mean()
    assert centre > corner > 0
    expected = 0.8 * 100 / (4 * np.pi**2 * 4)  # albedo / pi x power / (4 pi d^2)
    assert centre == pytest.approx(float(to_srgb(np.float64(expected))), abs=0.02)
    spot = lit_plane([LightDef(name="s", light=Spot(at=(0, 0, 2), look_at=(0, 0, 0), spot_size=20, energy=100))],
                     world=black)
    assert spot.color[8, 8].mean() > 0 and spot.color[0, 0].mean() == 0  # outside the cone
    area = lit_plane([LightDef(name="a", light=Area(at=(0, 0, 2), energy=100))], world=black)
    assert area.color[8, 8].mean() > centre  # an area light facing the plane is brighter on axis
    glow = lit_plane([], material=Principled(base_color=RGB(r=0, g=0, b=0), emission_color=RGB(r=1, g=0, b=0),
                                             emission_strength=0.5), world=black)
    np.testing.assert_allclose(glow.color[8, 8], to_srgb(np.array([0.5, 0, 0])), atol=1e-5)


def test_empty_lighting_gets_a_headlight():
    # headlight (base colour) plus the default world's ambient (grey 0.05)
    np.testing.assert_allclose(lit_plane([]).color[8, 8], to_srgb(np.full(3, 0.8 * 1.05)), atol=1e-5)
    # a world alone is respected: ambient light only
    sky = lit_plane([], world=World(color=RGB(r=0.3, g=0.3, b=0.3), strength=1))
    np.testing.assert_allclose(sky.color[8, 8], to_srgb(np.full(3, 0.8 * 0.3)), atol=1e-5)


def test_background_is_world_colour(tmp_path):
    world = World(color=HexColor(hex="336699"), strength=1)
    scene = make_scene([], [], lights=[world])
    p = render_preview(scene, 32)
    np.testing.assert_allclose(p.color[0, 0], [0x33 / 255, 0x66 / 255, 0x99 / 255], atol=1e-5)
    png = p.save_png(tmp_path / "p.png")
    assert Image.open(png).size == (32, 24)


# ---------------------------------------------------------------- against real Blender


def iou_cases() -> dict[str, Scene]:
    from scenelang.parser import load_scene

    cases = {f"example:{p.stem}": (lambda p=p: load_scene(p)) for p in EXAMPLES}
    cases.update({f"builtin:{k}": v for k, v in BUILTIN.items()})
    return cases


CASES = iou_cases()


@pytest.fixture(scope="module")
def blender_silhouettes(tmp_path_factory):
    """Render every case's silhouette in one Blender process; returns {case: bool mask}."""
    from scenelang.compiler import compile_scene

    folder = tmp_path_factory.mktemp("silhouettes")
    jobs, scenes = [], {}
    for case, load in CASES.items():
        scene = scenes[case] = load()
        script = folder / f"{len(jobs)}.py"
        script.write_text(compile_scene(scene))
        hide = [m.name for m in scene_meshes(scene) if m.is_surface]
        jobs.append({"script": str(script), "size": list(image_size(scene.camera(), 256)),
                     "hide": hide, "png": str(folder / f"{len(jobs)}.png")})
    proc = subprocess.run([sys.executable, "-c", BLENDER_SILHOUETTES, json.dumps(jobs)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {case: np.asarray(Image.open(job["png"]))[..., 3] > 127 for case, job in zip(CASES, jobs)}, scenes


@pytest.mark.blender
@pytest.mark.parametrize("case", sorted(CASES))
def test_silhouette_iou_against_blender(blender_silhouettes, case):
    masks, scenes = blender_silhouettes
    scene = scenes[case]
    meshes = [m for m in scene_meshes(scene) if not m.is_surface]
    preview = render_preview(scene, 256, meshes=meshes)
    theirs = masks[case]
    assert theirs.shape == preview.silhouette.shape
    assert theirs.any(), "Blender rendered nothing: the comparison would be meaningless"
    iou = silhouette_iou(preview.silhouette, theirs)
    assert iou >= IOU_MIN, f"{case}: IoU {iou:.4f}"


@pytest.mark.blender
def test_colour_approximates_cycles(tmp_path):
    """Flat-lit surfaces come out close to Cycles (within 0.08 in display sRGB, mean per region)."""
    from scenelang.compiler import compile_scene

    lights = [World(color=RGB(r=0.05, g=0.05, b=0.08), strength=1),
              LightDef(name="sun", light=Sun(direction=(1, 0, -1), energy=2)),
              LightDef(name="lamp", light=Point(at=(1, 1, 2), energy=150, radius=0.01))]
    mats = [MaterialDef(name="m", material=Principled(base_color=HexColor(hex="4f7fbf"), roughness=1))]
    cam = Camera(name="c", at=(0, 0, 5), rotate=(0, 0, 0), resolution=(32, 32))
    scene = make_scene([ShapeDef(name="p", shape=Plane(size=100))], [ObjectDef(name="o", shape="p", material="m")],
                       mats, lights, camera=cam)
    script, png = tmp_path / "scene.py", tmp_path / "cycles.png"
    script.write_text(compile_scene(scene))
    proc = subprocess.run([sys.executable, str(script), "--render", str(png), "--samples", "16"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cycles = np.asarray(Image.open(png))[..., :3] / 255
    preview = render_preview(scene).color
    for rows, cols in [(slice(12, 20), slice(12, 20)), (slice(0, 8), slice(0, 8)), (slice(24, 32), slice(24, 32))]:
        np.testing.assert_allclose(preview[rows, cols].mean((0, 1)), cycles[rows, cols].mean((0, 1)), atol=0.08)
