"""The numpy camera model against real Blender (bpy in this process) and its own invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples

from scenelang.ast import Camera
from scenelang.backends.camera import (
    backproject_to_plane,
    camera_pose,
    euler_xyz_matrix,
    focal_length_pixels,
    image_size,
    intrinsics,
    pixel_directions_camera,
    pixel_rays,
    project,
    quaternion_matrix,
    track_quaternion,
    world_to_camera,
)

coords = st.floats(-20, 20, allow_nan=False)
vec3 = st.tuples(coords, coords, coords)
angles = st.tuples(*[st.floats(-360, 360, allow_nan=False)] * 3)


@pytest.fixture(scope="module")
def blender():
    """A fresh bpy scene holding one camera object: (bpy, mathutils, scene, camera object)."""
    import bpy
    import mathutils

    scene = bpy.data.scenes.new("camera_test")
    data = bpy.data.cameras.new("camera_test")
    obj = bpy.data.objects.new("camera_test", data)
    scene.collection.objects.link(obj)
    scene.camera = obj
    yield bpy, mathutils, scene, obj
    for collection, item in ((bpy.data.objects, obj), (bpy.data.cameras, data), (bpy.data.scenes, scene)):
        try:
            collection.remove(item)
        except ReferenceError:  # already gone (e.g. another test reset Blender)
            pass


def _blender_camera(blender, camera: Camera, size: tuple[int, int]):
    """Set up Blender's camera the way the compiled script does, from the same parameters."""
    bpy, mathutils, scene, obj = blender
    obj.location = camera.at
    if camera.rotate is not None:
        obj.rotation_mode = "XYZ"
        obj.rotation_euler = [math.radians(a) for a in camera.rotate]
    else:
        direction = mathutils.Vector(camera.target()) - mathutils.Vector(camera.at)
        obj.rotation_mode = "QUATERNION"
        obj.rotation_quaternion = direction.to_track_quat("-Z", "Y")
    obj.data.sensor_width = camera.sensor
    obj.data.sensor_fit = "AUTO"
    if camera.fov is not None:
        obj.data.angle = math.radians(camera.fov)  # Blender converts with its own formula
    else:
        obj.data.lens = camera.lens if camera.lens is not None else 50.0
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    bpy.context.view_layer.update()
    for layer in scene.view_layers:
        layer.update()
    return obj


def _blender_ndc(blender, obj, points: np.ndarray) -> np.ndarray:
    from bpy_extras.object_utils import world_to_camera_view

    _, mathutils, scene, _ = blender
    return np.array([tuple(world_to_camera_view(scene, obj, mathutils.Vector(p))) for p in points])


def _our_ndc(points: np.ndarray, camera: Camera, size) -> np.ndarray:
    w, h = image_size(camera, size)
    pix, depth = project(points, camera, size)
    return np.stack([pix[:, 0] / w, 1 - pix[:, 1] / h, depth], axis=1)


def _points_in_view(camera: Camera, rng: np.random.Generator, n: int = 40) -> np.ndarray:
    """Random world points spread around the camera's view (some off-screen, all in front)."""
    pose = camera_pose(camera)
    local = np.column_stack([rng.uniform(-3, 3, n), rng.uniform(-3, 3, n), -rng.uniform(0.5, 15, n)])
    return local @ pose[:3, :3].T + pose[:3, 3]


CAMERAS = {
    "look_at": Camera(name="c", at=(7.4, -6.9, 5.0), look_at=(0, 0, 0.5), resolution=(256, 192)),
    "default_target": Camera(name="c", at=(-3, 4, 2), resolution=(320, 240)),
    "rotate": Camera(name="c", at=(1, -8, 3), rotate=(75, 5, 10), resolution=(200, 150)),
    "rotate_zero": Camera(name="c", at=(0, 0, 10), rotate=(0, 0, 0), resolution=(128, 128)),
    "fov": Camera(name="c", at=(5, 5, 5), look_at=(0, 0, 0), fov=70, resolution=(256, 144)),
    "lens": Camera(name="c", at=(0, -10, 1), look_at=(0, 0, 1), lens=85, sensor=24, resolution=(300, 200)),
    "portrait": Camera(name="c", at=(4, -4, 2), look_at=(0, 0, 1), lens=35, resolution=(150, 300)),
    "portrait_fov": Camera(name="c", at=(4, -4, 2), rotate=(60, 0, 45), fov=50, resolution=(120, 200)),
    "straight_down": Camera(name="c", at=(0.5, 0.5, 9), look_at=(0.5, 0.5, 0), resolution=(160, 120)),
    "straight_up": Camera(name="c", at=(0, 0, 0), look_at=(0, 0, 5), resolution=(160, 120)),
}


@pytest.mark.blender
@pytest.mark.parametrize("case", sorted(CAMERAS))
@pytest.mark.parametrize("size", [None, (96, 96), 64])
def test_projection_matches_blender(blender, case, size):
    camera = CAMERAS[case]
    obj = _blender_camera(blender, camera, image_size(camera, size))
    points = _points_in_view(camera, np.random.default_rng(len(case)))
    ours = _our_ndc(points, camera, size)
    theirs = _blender_ndc(blender, obj, points)
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=1e-5)
    np.testing.assert_allclose(camera_pose(camera), np.array(obj.matrix_world), atol=1e-5)


@pytest.mark.blender
@settings(max_examples=examples(40), deadline=None)
@given(
    at=vec3,
    aim=st.one_of(vec3.map(lambda v: ("look_at", v)), angles.map(lambda v: ("rotate", v))),
    optics=st.one_of(
        st.floats(10, 200).map(lambda v: ("lens", v)), st.floats(10, 120).map(lambda v: ("fov", v))
    ),
    sensor=st.floats(10, 50),
    resolution=st.tuples(st.integers(16, 400), st.integers(16, 400)),
)
def test_random_cameras_match_blender(blender, at, aim, optics, sensor, resolution):
    if aim[0] == "look_at" and np.linalg.norm(np.subtract(aim[1], at)) < 1e-3:
        aim = ("look_at", (at[0], at[1], at[2] - 1))
    camera = Camera(name="c", at=at, sensor=sensor, resolution=resolution, **dict([aim, optics]))
    obj = _blender_camera(blender, camera, resolution)
    points = _points_in_view(camera, np.random.default_rng(0), n=12)
    np.testing.assert_allclose(_our_ndc(points, camera, None), _blender_ndc(blender, obj, points),
                               atol=1e-4, rtol=1e-5)


@pytest.mark.blender
def test_track_quaternion_matches_mathutils(blender):
    _, mathutils, _, _ = blender
    rng = np.random.default_rng(1)
    directions = list(rng.normal(size=(300, 3))) + [
        (0, 0, -1), (0, 0, 1), (0, 0, -7), (1, 0, 0), (0, -1, 0), (1e-6, 0, -1), (0, 5e-5, 1),
        (3e-5, -2e-5, -1), (0.001, 0, 1), (0, 0, 0),
    ]
    for d in directions:
        expected = np.array(mathutils.Vector(d).to_track_quat("-Z", "Y").to_matrix())
        np.testing.assert_allclose(quaternion_matrix(track_quaternion(d)), expected, atol=1e-5)


@pytest.mark.blender
def test_euler_matches_mathutils(blender):
    _, mathutils, _, _ = blender
    for deg in np.random.default_rng(2).uniform(-360, 360, size=(50, 3)):
        expected = np.array(mathutils.Euler(np.radians(deg), "XYZ").to_matrix())
        np.testing.assert_allclose(euler_xyz_matrix(deg), expected, atol=1e-6)


def test_rotate_zero_looks_down_with_y_up():
    camera = Camera(name="c", at=(0, 0, 5), rotate=(0, 0, 0), resolution=(100, 50))
    pix, depth = project(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]]), camera)
    np.testing.assert_allclose(pix[0], [50, 25])
    assert pix[1, 0] > 50 and pix[1, 1] == pytest.approx(25)  # +x is to the right
    assert pix[2, 1] < 25 and pix[2, 0] == pytest.approx(50)  # +y is up (smaller v)
    np.testing.assert_allclose(depth, 5)


def test_intrinsics_sensor_fit_auto():
    landscape = Camera(name="c", at=(0, 0, 1), lens=50, sensor=36, resolution=(400, 300))
    portrait = landscape.model_copy(update={"resolution": (300, 400)})
    np.testing.assert_allclose(
        intrinsics(landscape), [[50 / 36 * 400, 0, 200], [0, 50 / 36 * 400, 150], [0, 0, 1]]
    )
    assert focal_length_pixels(portrait) == pytest.approx(50 / 36 * 400)
    fov = Camera(name="c", at=(0, 0, 1), fov=90, resolution=(200, 100))
    assert focal_length_pixels(fov) == pytest.approx(100)  # half width over tan(45deg)


def test_image_size_override():
    camera = Camera(name="c", at=(0, 0, 1), resolution=(640, 480))
    assert image_size(camera) == (640, 480)
    assert image_size(camera, 256) == (256, 192)
    assert image_size(camera.model_copy(update={"resolution": (480, 640)}), 256) == (192, 256)
    assert image_size(camera, (10, 20)) == (10, 20)
    with pytest.raises(ValueError):
        image_size(camera, (0, 20))


def test_pixel_centres_and_rays():
    camera = Camera(name="c", at=(3, -4, 2), look_at=(0, 0, 0.5), resolution=(8, 6))
    origins, dirs = pixel_rays(camera)
    assert origins.shape == dirs.shape == (6, 8, 3)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=-1), 1)
    pix, depth = project(origins + 2.5 * dirs, camera)
    u, v = np.meshgrid(np.arange(8) + 0.5, np.arange(6) + 0.5)
    np.testing.assert_allclose(pix.reshape(6, 8, 2), np.stack([u, v], -1), atol=1e-9)
    assert (depth > 0).all()


def test_points_behind_camera_have_no_pixel():
    camera = Camera(name="c", at=(0, 0, 0), look_at=(0, 1, 0), resolution=(10, 10))
    pix, depth = project(np.array([[0, -2, 0], [0, 2, 0]]), camera)
    assert np.isnan(pix[0]).all() and depth[0] == pytest.approx(-2)
    np.testing.assert_allclose(pix[1], [5, 5])


@settings(max_examples=examples(60), deadline=None)
@given(
    at=st.tuples(st.floats(-10, 10), st.floats(-10, 10), st.floats(1, 10)),
    target=st.tuples(st.floats(-2, 2), st.floats(-2, 2), st.floats(-1, 0.5)),
    plane_z=st.floats(-0.5, 0.9),
    fraction=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_backproject_inverts_project(at, target, plane_z, fraction):
    camera = Camera(name="c", at=at, look_at=target, resolution=(320, 240))
    pixel = np.array([[fraction[0] * 320, fraction[1] * 240]])
    point = backproject_to_plane(pixel, camera, plane_z=plane_z)
    if np.isnan(point).any():
        # the camera is above the plane, so a miss means the ray points level or upwards
        direction = pixel_directions_camera(pixel, camera) @ camera_pose(camera)[:3, :3].T
        assert np.isnan(point).all() and direction[0, 2] >= 0
        return
    assert point[0, 2] == pytest.approx(plane_z)
    back, depth = project(point, camera)
    assert depth[0] > 0
    np.testing.assert_allclose(back, pixel, atol=1e-6 * max(1.0, float(depth[0])))


def test_backproject_misses_plane_behind():
    camera = Camera(name="c", at=(0, 0, 2), look_at=(0, 10, 3), resolution=(10, 10))
    assert np.isnan(backproject_to_plane(np.array([[5, 1]]), camera)).all()  # sky pixel
    hit = backproject_to_plane(np.array([[5, 9.5]]), camera)
    assert hit[0, 2] == pytest.approx(0) and hit[0, 1] > 0


def test_world_to_camera_is_rigid():
    camera = Camera(name="c", at=(1, 2, 3), rotate=(20, 30, 40))
    points = np.random.default_rng(3).normal(size=(5, 3))
    cam = world_to_camera(points, camera)
    np.testing.assert_allclose(np.linalg.norm(cam - cam[0], axis=1), np.linalg.norm(points - points[0], axis=1))
