"""CLEVR scene sampling, as the CLEVR generator (`image_generation/render_images.py`) does it.

Pure Python and numpy (no bpy), seeded: `sample_scene(seed, properties)` draws, in the
generator's order, the object count (3-10), the camera jitter (+-0.5 m per axis, the camera keeps
tracking the origin), the jitter of the three area lamps (+-1.0 m per axis, key, back, fill),
then the objects: per object a size name, a position x, y ~ U(-3, 3) retried until it is at
least `min_dist` (0.25) from every placed object (centre distance minus both scales) and no pair
is 0 < d < `margin` (0.4) apart along the left/right/front/behind directions (the camera's axes
projected onto the ground); after `max_retries` (50) failures all objects are re-drawn. Then
shape, colour, rotation about z (degrees, U(0, 360)) and material. A cube's scale is its size
/ sqrt 2; every object rests on the ground (z = scale).

The 200-visible-pixel rule needs a render: pass `visible(objects) -> bool` and the objects are
re-drawn (camera and lamps kept, as in the generator) until it says yes. The Blender renderer
(`clevr_render.py`) does that with a flat one-sample render.

Known differences from the original script (deliberate, documented in docs/clevr.md):
- the original compares the shape's file name with "Cube" (it is "SmoothCube_v2"), so its cubes
  are NOT shrunk by sqrt 2; here `cube_sqrt2=True` (the documented intent) is the default;
- the original assigns the angle in degrees to a rotation in radians; the renderer here turns
  the object by the recorded angle in degrees;
- the original reads the camera axes before Blender has re-evaluated the jittered camera
  (so the directions come from the un-jittered pose); here they come from the jittered pose.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BASE_CAMERA = (7.4811, -6.5076, 5.3437)
"""Camera location in `base_scene.blend` (it tracks the `Empty` at the origin)."""
BASE_LAMPS = {"Lamp_Key": (6.4467, -2.9052, 4.2584), "Lamp_Back": (-1.1685, 2.646, 5.8157),
              "Lamp_Fill": (-4.6711, -4.0136, 3.0112)}
"""Area lamp locations in `base_scene.blend` (jittered in this order: key, back, fill)."""
LENS_MM = 35.0
SENSOR_MM = 32.0
IMAGE_SIZE = (320, 240)
SHAPE_ORDER = ("cube", "sphere", "cylinder")
SIZE_ORDER = ("large", "small")
MATERIAL_ORDER = ("rubber", "metal")


def load_properties(assets: str | Path) -> dict[str, Any]:
    """`properties.json` of the CLEVR assets folder."""
    return json.loads((Path(assets) / "properties.json").read_text(encoding="utf-8"))


@dataclass
class ClevrObject:
    """One object's ground truth (the generator's record plus its Blender file and scale)."""

    shape: str                      # cube | sphere | cylinder
    size: str                       # large | small
    material: str                   # rubber | metal
    color: str                      # one of properties.json's colours
    coords: tuple[float, float, float]  # "3d_coords": the object's centre (z = scale)
    rotation: float                 # degrees about z
    scale: float                    # half-extent of the unit (-1..1) shape after scaling
    blend_object: str = ""          # SmoothCube_v2 | Sphere | SmoothCylinder
    pixel_coords: tuple[float, float, float] | None = None  # (x px from left, y px from top, depth)


@dataclass
class ClevrScene:
    seed: int
    objects: list[ClevrObject]
    camera_location: tuple[float, float, float]
    lamp_jitter: dict[str, tuple[float, float, float]]
    directions: dict[str, tuple[float, float, float]]
    redraws: int = 0                # how many times all objects were re-drawn
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for o in d["objects"]:
            o["3d_coords"] = o.pop("coords")
        return d


def camera_axes(location: Sequence[float], target: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """World-from-camera rotation (columns: right, up, back) of a camera at `location` tracking
    `target` with Blender's Track To (-Z to the target, Y up)."""
    loc = np.asarray(location, float)
    forward = np.asarray(target, float) - loc
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, (0.0, 0.0, 1.0))
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return np.stack([right, up, -forward], axis=1)


def ground_directions(location: Sequence[float]) -> dict[str, tuple[float, float, float]]:
    """The generator's cardinal directions: the camera's forward (`behind`) and left axes
    projected onto the ground, normalised; `front`/`right` their opposites; `above`/`below` +-z."""
    axes = camera_axes(location)
    behind, left = -axes[:, 2].copy(), -axes[:, 0].copy()
    behind[2] = left[2] = 0.0
    behind /= np.linalg.norm(behind)
    left /= np.linalg.norm(left)
    t = lambda v: tuple(float(x) for x in v)
    return {"behind": t(behind), "front": t(-behind), "left": t(left), "right": t(-left),
            "above": (0.0, 0.0, 1.0), "below": (0.0, 0.0, -1.0)}


def project(points: np.ndarray, location: Sequence[float], *, lens: float = LENS_MM,
            sensor: float = SENSOR_MM, size: tuple[int, int] = IMAGE_SIZE,
            rotation: np.ndarray | None = None) -> np.ndarray:
    """Pixel coordinates (x from the left, y from the top, depth in m) of world `points` (N, 3)
    through a pinhole camera (sensor fit AUTO: the sensor spans the longer image side), like
    Blender's `world_to_camera_view` scaled to pixels. `rotation`: world-from-camera matrix
    (default: tracking the origin)."""
    pts = np.atleast_2d(np.asarray(points, float))
    rot = camera_axes(location) if rotation is None else np.asarray(rotation, float)
    cam = (pts - np.asarray(location, float)) @ rot  # camera coordinates (x right, y up, -z fwd)
    depth = -cam[:, 2]
    w, h = size
    f = lens / sensor * max(w, h)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = w / 2 + f * cam[:, 0] / depth
        y = h / 2 - f * cam[:, 1] / depth
    return np.stack([x, y, depth], axis=1)


def pixel_coords(coords: Sequence[float], location: Sequence[float],
                 size: tuple[int, int] = IMAGE_SIZE, rotation: np.ndarray | None = None
                 ) -> tuple[int, int, float]:
    """The generator's record: (round(x), round(y), depth)."""
    x, y, d = project(np.asarray([coords]), location, size=size, rotation=rotation)[0]
    return int(round(x)), int(round(y)), float(d)


def _jitter(rng: random.Random, amount: float) -> tuple[float, float, float]:
    # the generator's rand(L) = 2 L (random() - 0.5), one draw per axis
    return tuple(2.0 * amount * (rng.random() - 0.5) for _ in range(3))  # type: ignore[return-value]


def sample_objects(rng: random.Random, count: int, properties: dict[str, Any],
                   directions: dict[str, tuple[float, float, float]], *, min_dist: float = 0.25,
                   margin: float = 0.4, max_retries: int = 50, cube_sqrt2: bool = True,
                   max_redraws: int = 10000) -> tuple[list[ClevrObject], int]:
    """`count` objects placed by the generator's rules; returns (objects, redraws)."""
    sizes = list(properties["sizes"].items())
    shapes = [(v, k) for k, v in properties["shapes"].items()]
    colours = list(properties["colors"].items())
    materials = [(v, k) for k, v in properties["materials"].items()]
    dirs = [directions[k] for k in ("left", "right", "front", "behind")]
    for redraws in range(max_redraws):
        placed: list[tuple[float, float, float]] = []
        objects: list[ClevrObject] = []
        failed = False
        for _ in range(count):
            size_name, r = rng.choice(sizes)
            tries = 0
            while True:
                tries += 1
                if tries > max_retries:
                    failed = True
                    break
                x, y = rng.uniform(-3, 3), rng.uniform(-3, 3)
                if _placement_ok(x, y, r, placed, dirs, min_dist, margin):
                    break
            if failed:
                break
            blend_name, shape = rng.choice(shapes)
            colour, _rgb = rng.choice(colours)
            scale = r / math.sqrt(2) if (shape == "cube" and cube_sqrt2) else r
            theta = 360.0 * rng.random()
            _mat_file, material = rng.choice(materials)
            placed.append((x, y, scale))
            objects.append(ClevrObject(shape=shape, size=size_name, material=material, color=colour,
                                       coords=(x, y, scale), rotation=theta, scale=scale,
                                       blend_object=blend_name))
        if not failed:
            return objects, redraws
    raise RuntimeError(f"could not place {count} objects after {max_redraws} re-draws")


def _placement_ok(x: float, y: float, r: float, placed: Sequence[tuple[float, float, float]],
                  dirs: Sequence[Sequence[float]], min_dist: float, margin: float) -> bool:
    for xx, yy, rr in placed:
        dx, dy = x - xx, y - yy
        if math.hypot(dx, dy) - r - rr < min_dist:
            return False
        for d in dirs:
            m = dx * d[0] + dy * d[1]
            if 0 < m < margin:
                return False
    return True


def sample_scene(seed: int, properties: dict[str, Any], *,
                 visible: Callable[[ClevrScene], bool] | None = None,
                 base_camera: Sequence[float] = BASE_CAMERA, min_objects: int = 3,
                 max_objects: int = 10, camera_jitter: float = 0.5, light_jitter: float = 1.0,
                 size: tuple[int, int] = IMAGE_SIZE, cube_sqrt2: bool = True,
                 max_visibility_redraws: int = 200, **placement: Any) -> ClevrScene:
    """One CLEVR scene from `seed` (a `random.Random(seed)` stream, in the generator's order).

    `visible(scene) -> bool` (optional) is the 200-visible-pixel check; while it answers False
    the objects are re-drawn with the same camera and lamps (at most `max_visibility_redraws`
    times, then RuntimeError). `placement`: `min_dist`, `margin`, `max_retries`.
    Pixel coordinates are filled in from the analytic camera (the renderer overwrites them
    with Blender's projection, which agrees to rounding).
    """
    rng = random.Random(seed)
    count = rng.randint(min_objects, max_objects)
    cam = tuple(float(b + j) for b, j in zip(base_camera, _jitter(rng, camera_jitter)))
    lamps = {name: _jitter(rng, light_jitter) for name in ("Lamp_Key", "Lamp_Back", "Lamp_Fill")}
    directions = ground_directions(cam)
    redraws = 0
    for _ in range(max_visibility_redraws):
        objects, n = sample_objects(rng, count, properties, directions, cube_sqrt2=cube_sqrt2,
                                    **placement)
        redraws += n
        for o in objects:
            o.pixel_coords = pixel_coords(o.coords, cam, size)
        scene = ClevrScene(seed=seed, objects=objects, camera_location=cam,  # type: ignore[arg-type]
                           lamp_jitter=lamps, directions=directions, redraws=redraws)
        if visible is None or visible(scene):
            return scene
        redraws += 1
    raise RuntimeError(f"seed {seed}: no scene with every object visible after "
                       f"{max_visibility_redraws} re-draws")


def footprint_ok(scene: ClevrScene, min_dist: float = 0.25, margin: float = 0.4,
                 size_of: Callable[[ClevrObject], float] | None = None) -> bool:
    """Whether a finished scene obeys the placement rules (for tests). The generator checks a new
    object with its size *before* the cube shrink, so `size_of` defaults to the size value."""
    dirs = [scene.directions[k] for k in ("left", "right", "front", "behind")]
    objs = scene.objects
    for j, b in enumerate(objs):
        rb = {"large": 0.7, "small": 0.35}[b.size] if size_of is None else size_of(b)
        for a in objs[:j]:
            dx, dy = b.coords[0] - a.coords[0], b.coords[1] - a.coords[1]
            if math.hypot(dx, dy) - rb - a.scale < min_dist - 1e-9:
                return False
            if any(0 < dx * d[0] + dy * d[1] < margin for d in dirs):
                return False
    return True
