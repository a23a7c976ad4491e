"""Blender's camera model in numpy: pose, intrinsics, projection and back-projection.

The model is the one Blender 5.0 uses for a perspective camera with the defaults the compiler
emits (no shift, square pixels, `sensor_fit` AUTO):

* **Pose.** The camera sits at `camera.at`. With `look_at` (or neither `look_at` nor `rotate`,
  which aims at the origin) its rotation is `(target - at).to_track_quat('-Z', 'Y')`: the camera
  looks down its local -Z axis and its local +Y axis (image up) leans towards world +Z. With
  `rotate` the rotation is Blender's Euler XYZ in degrees, `R = Rz @ Ry @ Rx`; `rotate (0, 0, 0)`
  looks straight down world -Z with image up along world +Y.
* **Focal length.** `camera.focal_length()` in mm (from `lens`, `fov` or the 50 mm default) over
  the sensor width `camera.sensor` (mm). With `sensor_fit` AUTO the sensor width spans the
  *larger* image dimension, so the focal length in pixels is `lens / sensor * max(W, H)`.
* **Image.** `W x H` pixels: the camera's `resolution`, or an override `size` (see `image_size`).

Pixel convention (used by every function here and by the preview renderer): pixel coordinates
`(u, v)` are continuous, `u` to the right and `v` downwards; `(0, 0)` is the top-left *corner*
of the top-left pixel, so the centre of pixel `(column i, row j)` is `(i + 0.5, j + 0.5)` and the
image spans `[0, W] x [0, H]`. Camera space is Blender's: x right, y up, the camera looks down -z;
"depth" is the distance along the viewing axis, i.e. `-z` in camera space (metres).

Blender's `world_to_camera_view` normalised coordinates relate to these as
`x_ndc = u / W`, `y_ndc = 1 - v / H`, `z = depth`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scenelang.ast import Camera

CLIP_START = 0.1
"""Blender's default camera near clip distance (m); geometry closer than this is not drawn."""
CLIP_END = 1000.0
"""Blender's default camera far clip distance (m), measured along the viewing axis."""

SizeLike = int | Sequence[int] | None


def image_size(camera: Camera, size: SizeLike = None) -> tuple[int, int]:
    """The image size `(W, H)` in pixels for a render of `camera`.

    `size=None` uses `camera.resolution`; a pair `(W, H)` is used as given; an int `n` scales the
    camera's resolution so that its larger side is `n` pixels (aspect ratio kept, each side at
    least 1).
    """
    if size is None:
        w, h = camera.resolution
    elif isinstance(size, (int, np.integer)):
        cw, ch = camera.resolution
        scale = int(size) / max(cw, ch)
        w, h = max(1, round(cw * scale)), max(1, round(ch * scale))
    else:
        w, h = (int(s) for s in size)
    if w < 1 or h < 1:
        raise ValueError(f"image size must be positive, got {w}x{h}")
    return int(w), int(h)


# ---------------------------------------------------------------- rotations


def euler_xyz_matrix(degrees: Sequence[float]) -> np.ndarray:
    """Blender's Euler XYZ rotation (angles in degrees) as a 3x3 matrix `Rz @ Ry @ Rx`."""
    x, y, z = (math.radians(float(a)) for a in degrees)
    cx, sx, cy, sy, cz, sz = math.cos(x), math.sin(x), math.cos(y), math.sin(y), math.cos(z), math.sin(z)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def quaternion_matrix(q: Sequence[float]) -> np.ndarray:
    """The 3x3 rotation matrix of a unit quaternion `(w, x, y, z)`."""
    w, x, y, z = (float(c) for c in q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def _quaternion_product(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float, float]:
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    )


def track_quaternion(direction: Sequence[float]) -> tuple[float, float, float, float]:
    """`Vector(direction).to_track_quat('-Z', 'Y')` as a quaternion `(w, x, y, z)`.

    A port of Blender's `vec_to_quat` (track axis -Z, up axis Y): first the shortest rotation
    taking -Z onto `direction`, then a roll about `direction` that brings local +Y towards world
    +Z. A zero vector gives the identity.
    """
    # Single precision like Blender, so that the signs of near-zero terms (which decide the
    # roll of a camera looking straight up) come out the same.
    f32 = np.float32
    # Blender negates the Python-side vector, and copies it unchanged for a negative track axis.
    tx, ty, tz = (-f32(c) for c in direction)
    length = np.sqrt(tx * tx + ty * ty + tz * tz, dtype=f32)
    if length == 0.0:
        return (1.0, 0.0, 0.0, 0.0)
    nx, ny = -ty, tx
    if abs(tx) + abs(ty) < f32(1e-4):  # Blender's absolute epsilon: (almost) vertical
        nx = f32(1.0)
    nor_len = np.sqrt(nx * nx + ny * ny, dtype=f32)
    nx, ny = nx / nor_len, ny / nor_len
    half = f32(0.5) * np.arccos(np.clip(tz / length, f32(-1), f32(1)), dtype=f32)
    si, co = np.sin(half, dtype=f32), np.cos(half, dtype=f32)
    q = (float(co), float(nx * si), float(ny * si), 0.0)
    z_axis = quaternion_matrix(q)[:, 2].astype(f32)
    roll = f32(-0.5) * np.arctan2(-z_axis[0], -z_axis[1], dtype=f32)
    s = np.sin(roll, dtype=f32) / length
    q2 = (float(np.cos(roll, dtype=f32)), float(tx * s), float(ty * s), float(tz * s))
    w, x, y, z = _quaternion_product(q2, q)
    norm = math.sqrt(w * w + x * x + y * y + z * z)  # exactly orthonormal in double precision
    return (w / norm, x / norm, y / norm, z / norm)


def camera_rotation(camera: Camera) -> np.ndarray:
    """The camera's 3x3 world-from-camera rotation (columns: camera x, y, z in world space)."""
    if camera.rotate is not None:
        return euler_xyz_matrix(camera.rotate)
    target = camera.target()
    direction = np.asarray(target, dtype=float) - np.asarray(camera.at, dtype=float)
    return quaternion_matrix(track_quaternion(direction))


def camera_pose(camera: Camera) -> np.ndarray:
    """The camera's 4x4 `world_from_camera` matrix (Blender's `matrix_world` of the camera)."""
    pose = np.eye(4)
    pose[:3, :3] = camera_rotation(camera)
    pose[:3, 3] = camera.at
    return pose


# ---------------------------------------------------------------- intrinsics and projection


def focal_length_pixels(camera: Camera, size: SizeLike = None) -> float:
    """Focal length in pixels: `focal_length_mm / sensor_mm * max(W, H)` (sensor_fit AUTO)."""
    w, h = image_size(camera, size)
    return camera.focal_length() / camera.sensor * max(w, h)


def intrinsics(camera: Camera, size: SizeLike = None) -> np.ndarray:
    """The 3x3 pinhole matrix `K` mapping camera-space `(x, -y, -z)` to pixels `(u, v, 1)`.

    `K = [[f, 0, W/2], [0, f, H/2], [0, 0, 1]]` with `f = focal_length_pixels(camera, size)`,
    for points written in the OpenCV-style frame (x right, y down, z forward), i.e. Blender's
    camera coordinates with y and z negated.
    """
    w, h = image_size(camera, size)
    f = focal_length_pixels(camera, size)
    return np.array([[f, 0.0, w / 2], [0.0, f, h / 2], [0.0, 0.0, 1.0]])


def world_to_camera(points: np.ndarray, camera: Camera) -> np.ndarray:
    """World points `(..., 3)` in Blender camera space (x right, y up, looking down -z)."""
    pose = camera_pose(camera)
    p = np.asarray(points, dtype=float)
    return (p - pose[:3, 3]) @ pose[:3, :3]


def project(points: np.ndarray, camera: Camera, size: SizeLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Project world points `(N, 3)` to pixel coordinates `(N, 2)` and depth `(N,)`.

    Depth is the distance along the viewing axis (metres, positive in front of the camera).
    Points at or behind the camera plane get NaN pixel coordinates (their depth is still given).
    """
    cam = world_to_camera(points, camera)
    k = intrinsics(camera, size)
    depth = -cam[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(depth > 0, depth, np.nan)
        u = k[0, 2] + k[0, 0] * cam[..., 0] / safe
        v = k[1, 2] - k[1, 1] * cam[..., 1] / safe
    return np.stack([u, v], axis=-1), depth


def pixel_directions_camera(pixels: np.ndarray, camera: Camera, size: SizeLike = None) -> np.ndarray:
    """Camera-space directions (not normalised, z = -1) through pixel coordinates `(..., 2)`."""
    k = intrinsics(camera, size)
    px = np.asarray(pixels, dtype=float)
    x = (px[..., 0] - k[0, 2]) / k[0, 0]
    y = -(px[..., 1] - k[1, 2]) / k[1, 1]
    return np.stack([x, y, -np.ones_like(x)], axis=-1)


def pixel_rays(camera: Camera, size: SizeLike = None) -> tuple[np.ndarray, np.ndarray]:
    """World-space rays through every pixel centre: origins and unit directions, each `(H, W, 3)`."""
    w, h = image_size(camera, size)
    u, v = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    dirs_cam = pixel_directions_camera(np.stack([u, v], axis=-1), camera, (w, h))
    pose = camera_pose(camera)
    dirs = dirs_cam @ pose[:3, :3].T
    dirs /= np.linalg.norm(dirs, axis=-1, keepdims=True)
    origins = np.broadcast_to(pose[:3, 3], dirs.shape).copy()
    return origins, dirs


def backproject_to_plane(
    pixels: np.ndarray, camera: Camera, size: SizeLike = None, plane_z: float = 0.0
) -> np.ndarray:
    """World points where the rays through pixel coordinates `(N, 2)` meet the plane `z = plane_z`.

    Rows whose ray is parallel to the plane or meets it behind the camera are NaN.
    """
    pose = camera_pose(camera)
    dirs = pixel_directions_camera(pixels, camera, size) @ pose[:3, :3].T
    origin = pose[:3, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (plane_z - origin[2]) / dirs[..., 2]
    t = np.where(np.isfinite(t) & (t > 0), t, np.nan)
    return origin + dirs * t[..., None]
