"""A scene's camera, lights and node transforms in glTF terms (Y-up, SI units).

Everything here follows what Blender 5.0's glTF exporter (`io_scene_gltf2`, default settings:
"+Y Up", lighting mode "Standard") writes for the same Blender scene, so Blender's importer
brings the file back as the compiled scene built it:

* **Axes.** Converted per node, with no extra root node: a Blender world matrix `M` (Z-up)
  becomes `C @ M @ C^-1` with `C = Z_UP_TO_Y_UP` (`(x, y, z) -> (x, z, -y)`), i.e. translation
  `(x, z, -y)`, rotation quaternion `(x, z, -y, w)`, scale `(sx, sz, sy)`, and mesh vertices
  `(x, z, -y)`. Cameras and lights look down their local -Z with +Y up in both Blender and glTF,
  so their nodes get `C @ M` (Blender's exporter appends a -90 degree turn about x, which is `C`).
* **Camera.** A perspective camera: `aspectRatio = W / H` (the camera's `resolution`); `yfov`
  from Blender's `camera.angle` (`2 atan(sensor / 2 lens)`, across the larger image side since
  `sensor_fit` is AUTO): `2 atan(tan(angle / 2) / aspect)` for a landscape image, the angle itself
  for a portrait one; `znear`/`zfar` are Blender's default clip range, 0.1 m and 1000 m.
* **Lights** (`KHR_lights_punctual`, colour linear RGB, `range` unset = infinite). Intensities
  use the exporter's "Standard" conversion with `PBR_WATTS_TO_LUMENS = 683` lm/W: a sun's
  irradiance `E` W/m^2 becomes `683 E` lux (`directional`); a point or spot light's power `P` W
  becomes `683 P / 4 pi` candela (Blender gives a spot the intensity of the point light of the
  same power, its cone only masks it). Spot cones: `outerConeAngle = spot_size / 2`,
  `innerConeAngle = outerConeAngle (1 - blend)` (kept just below the outer angle, as glTF
  requires, when `blend = 0`).
* **Area lights** have no glTF equivalent (Blender's exporter drops them): written as a spot
  light with a 180 degree cone (`outerConeAngle = pi / 2`, `innerConeAngle = 0`) aimed like the
  area light, with the peak intensity of a Lambertian emitter of power `P`, `683 P / pi`
  candela, and a warning. The emitter's size and outline are lost (kept in `extras`).
* **What glTF cannot say** is kept in `extras["scenelang"]` of the same object: the light's
  kind and its Blender values (energy in W or W/m^2, radius, sun angle, spot size and blend, area
  size and outline), the camera's lens, sensor and resolution, and the world's colour and
  strength (on the glTF scene; glTF has no background or ambient light).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial.transform import Rotation

from scenelang.ast import Area, Camera, LightDef, Point, Spot, Sun, World
from scenelang.backends.camera import (
    CLIP_END,
    CLIP_START,
    camera_pose,
    euler_xyz_matrix,
    quaternion_matrix,
    track_quaternion,
)
from scenelang.backends.export.common import Z_UP_TO_Y_UP

PBR_WATTS_TO_LUMENS = 683.0
"""lm per W, the luminous efficacy at 555 nm; Blender's glTF exporter's "Standard" lighting."""
LIGHTS_EXTENSION = "KHR_lights_punctual"
_C = Z_UP_TO_Y_UP[:3, :3]
_DOWN = (0.0, 0.0, -1.0)


def _floats(values: Sequence[float]) -> list[float]:
    return [float(v) + 0.0 for v in values]  # + 0.0 turns -0.0 into 0.0


def quaternion_xyzw(matrix: np.ndarray) -> list[float]:
    """glTF's `rotation` `(x, y, z, w)` of a 3x3 rotation matrix, unit length, `w >= 0`."""
    q = Rotation.from_matrix(np.asarray(matrix, dtype=float)).as_quat()
    if q[3] < 0:
        q = -q
    return _floats(q / np.linalg.norm(q))


def trs(translation: Sequence[float], rotation: np.ndarray,
        scale: Sequence[float] = (1.0, 1.0, 1.0)) -> dict:
    """A glTF node's `translation`, `rotation`, `scale` (Y-up values), defaults left out."""
    out: dict = {}
    if any(float(t) != 0 for t in translation):
        out["translation"] = _floats(translation)
    q = quaternion_xyzw(rotation)
    if q != [0.0, 0.0, 0.0, 1.0]:
        out["rotation"] = q
    if any(float(s) != 1 for s in scale):
        out["scale"] = _floats(scale)
    return out


def object_trs(at: Sequence[float], rotate: Sequence[float], scale: float | Sequence[float]) -> dict:
    """An object's local transform (scale, Euler XYZ rotation in degrees, `at`) in glTF's axes."""
    s = np.broadcast_to(np.asarray(scale, dtype=float), (3,))
    rotation = _C @ euler_xyz_matrix(rotate) @ _C.T
    return trs(_C @ np.asarray(at, dtype=float), rotation, (s[0], s[2], s[1]))


def _frame_trs(world: np.ndarray) -> dict:
    """The node of a camera or light whose Blender world matrix (rotation + translation) is
    `world`: both look down local -Z with +Y up, so the node is `C @ world`."""
    return trs(_C @ world[:3, 3], _C @ world[:3, :3])


# ---------------------------------------------------------------- camera


def yfov(camera: Camera) -> float:
    """glTF's vertical field of view (radians) of a Blender camera with `sensor_fit` AUTO."""
    w, h = camera.resolution
    half_angle = math.atan(camera.sensor / (2 * camera.focal_length()))  # across the larger side
    return 2 * math.atan(math.tan(half_angle) * h / w) if w >= h else 2 * half_angle


def gltf_camera(camera: Camera) -> tuple[dict, dict]:
    """`(camera, node)`: the glTF camera entry and its node (without the `camera` index)."""
    w, h = camera.resolution
    entry = {
        "name": camera.name,
        "type": "perspective",
        "perspective": {"aspectRatio": w / h, "yfov": yfov(camera), "znear": CLIP_START,
                        "zfar": CLIP_END},
        "extras": {"scenelang": {"lens": camera.focal_length(), "sensor": camera.sensor,
                                 "resolution": [w, h]}},
    }
    return entry, {"name": camera.name, **_frame_trs(camera_pose(camera))}


# ---------------------------------------------------------------- lights


def aim_matrix(at: Sequence[float], direction: Sequence[float] | None,
               look_at: Sequence[float] | None) -> np.ndarray:
    """The compiled script's `aim`: a rotation taking local -Z along `direction`, or towards
    `look_at` from `at` (straight down when neither is given or the vector is zero)."""
    if look_at is not None:
        vector = np.subtract(look_at, at)
    else:
        vector = np.asarray(direction if direction is not None else _DOWN, dtype=float)
    if np.linalg.norm(vector) < 1e-9:
        vector = np.asarray(_DOWN)
    return quaternion_matrix(track_quaternion(vector))


def _pose(at: Sequence[float], rotation: np.ndarray) -> np.ndarray:
    pose = np.eye(4)
    pose[:3, :3] = rotation
    pose[:3, 3] = at
    return pose


def gltf_light(light_def: LightDef) -> tuple[dict, dict, str | None]:
    """`(light, node, warning)`: the `KHR_lights_punctual` entry, its node (without the light
    index) and a warning when the light had to be approximated (area lights)."""
    light = light_def.light
    name = light_def.name
    entry: dict = {"name": name, "color": _floats(light.color.linear())}
    extras: dict = {"kind": light.kind, "energy": light.energy}
    warning = None
    candela = PBR_WATTS_TO_LUMENS / (4 * math.pi)
    if isinstance(light, Sun):
        entry |= {"type": "directional", "intensity": light.energy * PBR_WATTS_TO_LUMENS}
        extras["angle"] = light.angle
        pose = _pose((0.0, 0.0, 0.0), aim_matrix((0.0, 0.0, 0.0), light.direction, None))
    elif isinstance(light, Point):
        entry |= {"type": "point", "intensity": light.energy * candela}
        extras["radius"] = light.radius
        pose = _pose(light.at, np.eye(3))
    elif isinstance(light, Spot):
        outer = math.radians(light.spot_size) / 2
        inner = min(outer * (1 - light.blend), math.nextafter(outer, 0.0))
        entry |= {"type": "spot", "intensity": light.energy * candela,
                  "spot": {"innerConeAngle": inner, "outerConeAngle": outer}}
        extras |= {"radius": light.radius, "spot_size": light.spot_size, "blend": light.blend}
        pose = _pose(light.at, aim_matrix(light.at, light.direction, light.look_at))
    elif isinstance(light, Area):
        entry |= {"type": "spot", "intensity": light.energy * PBR_WATTS_TO_LUMENS / math.pi,
                  "spot": {"innerConeAngle": 0.0, "outerConeAngle": math.pi / 2}}
        extras |= {"size": light.size, "size_y": light.size_y, "shape": light.shape}
        pose = _pose(light.at, aim_matrix(light.at, light.direction, light.look_at))
        warning = (f"light {name!r} is an area light, which glTF does not have: written as a spot "
                   "light with a 180-degree cone and the area light's peak intensity (its size "
                   "and shape are only in the node's extras)")
    else:  # pragma: no cover - the Light union has these four kinds
        raise TypeError(f"unknown light kind {light.kind!r}")
    entry["extras"] = {"scenelang": extras}
    return entry, {"name": name, **_frame_trs(pose)}, warning


def world_extras(world: World) -> dict:
    """The world's colour (linear RGB) and strength, for the glTF scene's `extras`."""
    return {"scenelang": {"world": {"color": _floats(world.color.linear()),
                                    "strength": world.strength}}}
